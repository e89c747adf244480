-- test_capacity_summary: the testing-capacity facts on D behind the gauges: what the whole city can test in a day and what the scope used.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one row: city_labs, city_capacity_tubes, city_capacity_persons_per_day (every laboratory: they serve the
-- whole city), scope_population, days_to_test_everyone (scope population / city capacity in persons, as KPI
-- days_to_test_everyone), scope_labs, scope_capacity_tubes, scope_tubes_tested, use_pct (as KPI test_capacity_use_pct).
with

params as (
    select $as_of::date as d, $region_code::varchar as scope
),

scope_region as (
    -- the scope's own row: the given code, else the city row
    select r.population
    from regions r, params p
    where r.region_code = coalesce(p.scope, root_region())
),

today as (
    select t.* from test_capacity t, params p where t.date = p.d
),

city as (
    select count(*) as city_labs,
           sum(capacity_tubes) as city_capacity_tubes,
           sum(capacity_tubes * coalesce(pool_size, 1)) as city_capacity_persons_per_day
    from today
),

in_scope_today as (
    select count(*) as scope_labs,
           sum(capacity_tubes) as scope_capacity_tubes,
           sum(tubes_tested) as scope_tubes_tested,
           round(100.0 * sum(tubes_tested) / nullif(sum(capacity_tubes), 0), 1) as use_pct
    from today t, params p
    where in_scope(t.region_code, p.scope)
),

final as (
    select c.city_labs, c.city_capacity_tubes, c.city_capacity_persons_per_day,
           (select population from scope_region) as scope_population,
           round((select population from scope_region) / nullif(c.city_capacity_persons_per_day, 0), 2)
               as days_to_test_everyone,
           s.scope_labs, s.scope_capacity_tubes, s.scope_tubes_tested, s.use_pct
    from city c, in_scope_today s
)

select * from final

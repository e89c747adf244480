-- sentinel_alarms_kpi: KPI sentinel_alarms_today: the number of (township, site type) series of sentinel visits in
-- scope with an EARS C2 alarm on D (C2 = (y_D - mean) / max(sd, 0.5) of the baseline D-9..D-3 >= 3; a day with no
-- report counts 0; a series whose first report is after D-9 has no C2). Same definition as the c2_alarm of
-- sentinel_aberrations_daily.sql with the defaults of data/early_warning.toml (tests/test_ears.py checks both).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region: only sites in it count; empty = the whole city
-- Row: one: kpi ('sentinel_alarms_today'), value (DOUBLE).
with

method as (
    -- data/early_warning.toml [ears]: baseline_days, guard_days, min_sigma, c2_threshold
    select 7 as baseline_days, 2 as guard_days, 0.5 as min_sigma, 3.0 as c2_threshold
),

params as (
    select $as_of::date as d, $region_code::varchar as scope
),

sites as (
    select s.site_id, s.site_type, township_code(s.region_code) as township_code
    from sentinel_sites s, params p
    where in_scope(s.region_code, p.scope)
),

reports as (
    select s.township_code, s.site_type, r.date, sum(r.visits) as y
    from sentinel_reports r
    join sites s using (site_id)
    cross join params p
    where r.date <= p.d
    group by s.township_code, s.site_type, r.date
),

series as (
    -- the series whose whole C2 baseline lies within its history
    select township_code, site_type
    from reports
    group by township_code, site_type
    having min(date) <= (select p.d - m.baseline_days - m.guard_days from params p, method m)
),

baseline_days as (
    select s.township_code, s.site_type,
           p.d - unnest(range(m.guard_days + 1, m.guard_days + m.baseline_days + 1))::integer as date
    from series s, params p, method m
),

baseline as (
    select b.township_code, b.site_type,
           avg(coalesce(r.y, 0)) as mean, stddev_samp(coalesce(r.y, 0)) as sd
    from baseline_days b
    left join reports r using (township_code, site_type, date)
    group by b.township_code, b.site_type
),

c2_on_day as (
    select b.township_code, b.site_type,
           (coalesce(r.y, 0) - b.mean) / greatest(b.sd, m.min_sigma) as c2
    from baseline b
    cross join params p
    cross join method m
    left join reports r on r.township_code = b.township_code and r.site_type = b.site_type and r.date = p.d
),

final as (
    select 'sentinel_alarms_today' as kpi,
           (count(*) filter (where c.c2 >= m.c2_threshold))::double as value
    from c2_on_day c, method m
)

select * from final

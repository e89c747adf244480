-- vaccinations_by_age_group: first-dose, full and booster coverage by age group as of the end of D, in scope.
-- The data has no population by age: each group's population is the scope's population times the city's
-- age structure below (fixed shares; 0-2 year-olds, about 5%, are not vaccinated and have no group).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one age group (all four, in order): population_share, population_est, first_doses, full_doses,
-- booster_doses (NULL when the scope has no vaccination rows, e.g. a village: doses are recorded by township),
-- first_pct, full_pct, booster_pct (doses / population_est, in %).
with

age_shares(age_group, population_share, group_order) as (
    values ('3-11', 0.10, 1), ('12-17', 0.07, 2), ('18-59', 0.58, 3), ('60+', 0.20, 4)
),

scope_population as (
    select population
    from regions
    where region_code = coalesce($region_code, root_region())
),

doses as (
    select age_group,
           sum(doses) filter (where dose = 'first') as first_doses,
           sum(doses) filter (where dose = 'full') as full_doses,
           sum(doses) filter (where dose = 'booster') as booster_doses,
           count(*) as rows
    from vaccinations
    where date <= $as_of and in_scope(region_code, $region_code)
    group by age_group
),

any_rows as (
    select count(*) > 0 as has_rows from vaccinations where date <= $as_of and in_scope(region_code, $region_code)
),

final as (
    select a.age_group, a.population_share,
           round(p.population * a.population_share) as population_est,
           case when r.has_rows then coalesce(d.first_doses, 0) end as first_doses,
           case when r.has_rows then coalesce(d.full_doses, 0) end as full_doses,
           case when r.has_rows then coalesce(d.booster_doses, 0) end as booster_doses,
           round(100.0 * (case when r.has_rows then coalesce(d.first_doses, 0) end)
                 / nullif(p.population * a.population_share, 0), 1) as first_pct,
           round(100.0 * (case when r.has_rows then coalesce(d.full_doses, 0) end)
                 / nullif(p.population * a.population_share, 0), 1) as full_pct,
           round(100.0 * (case when r.has_rows then coalesce(d.booster_doses, 0) end)
                 / nullif(p.population * a.population_share, 0), 1) as booster_pct
    from age_shares a
    cross join any_rows r
    left join scope_population p on true
    left join doses d using (age_group)
    order by a.group_order
)

select * from final

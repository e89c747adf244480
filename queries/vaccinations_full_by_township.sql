-- vaccinations_full_by_township: full-dose and first-dose coverage of every township in scope as of the end of D
-- (doses / the township's population, all ages, as in KPI vaccination_full_pct).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one township: region_code, name, population, first_doses, full_doses, first_pct, full_pct (NULL when the
-- township has no vaccination rows).
with

doses as (
    select township_code(region_code) as region_code,
           sum(doses) filter (where dose = 'first') as first_doses,
           sum(doses) filter (where dose = 'full') as full_doses
    from vaccinations
    where date <= $as_of and in_scope(region_code, $region_code)
    group by 1
),

final as (
    select t.region_code, t.name, t.population, d.first_doses, d.full_doses,
           round(100.0 * d.first_doses / nullif(t.population, 0), 1) as first_pct,
           round(100.0 * d.full_doses / nullif(t.population, 0), 1) as full_pct
    from regions t
    left join doses d using (region_code)
    where t.level = 'township' and in_scope(t.region_code, $region_code)
    order by t.region_code
)

select * from final

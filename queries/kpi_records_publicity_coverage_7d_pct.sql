-- kpi_records_publicity_coverage_7d_pct: villages in scope and their publicity in D-6..D (blind spots first), behind KPI publicity_coverage_7d_pct.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one village.
with

recent as (
    select village_code(region_code) as region_code, sum(activities) as activities, sum(reach) as reach,
           max(date) as last_date
    from publicity
    where date between $as_of - 6 and $as_of
    group by 1
),

final as (
    select v.region_code, v.name as village, t.name as township, coalesce(p.activities, 0) as activities_7d,
           coalesce(p.reach, 0) as reach_7d, p.last_date, p.region_code is not null as covered
    from regions v
    left join regions t on t.region_code = v.parent_code
    left join recent p on p.region_code = v.region_code
    where v.level = 'village' and in_scope(v.region_code, $region_code)
    order by covered, v.region_code
)

select * from final

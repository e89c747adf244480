-- returnees_overdue_by_village: overdue tests and releases per village on day $as_of (for a map).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one village in scope, zeros included: village_code, village, township_code, township, lon, lat,
-- returnees_tests_overdue (returnees with an overdue test), tests_overdue (overdue tests),
-- returnees_release_overdue, returnees_overdue (either). Definitions as in returnee_control_kpis.
with

returnee_status as (
    select * from returnee_status($rules, $as_of::date, $region_code::varchar)
),

villages as (
    select v.region_code as village_code, v.name as village, v.parent_code as township_code, t.name as township,
           v.lon, v.lat
    from regions v
    left join regions t on t.region_code = v.parent_code
    where v.level = 'village' and in_scope(v.region_code, $region_code::varchar)
),

counts as (
    select
        village_code(region_code) as village_code,
        count(*) filter (where tests_overdue > 0) as returnees_tests_overdue,
        sum(tests_overdue) as tests_overdue,
        count(*) filter (where release_overdue) as returnees_release_overdue,
        count(*) filter (where tests_overdue > 0 or release_overdue) as returnees_overdue
    from returnee_status
    group by all
),

final as (
    select
        v.*,
        coalesce(c.returnees_tests_overdue, 0) as returnees_tests_overdue,
        coalesce(c.tests_overdue, 0)::bigint as tests_overdue,
        coalesce(c.returnees_release_overdue, 0) as returnees_release_overdue,
        coalesce(c.returnees_overdue, 0) as returnees_overdue
    from villages v
    left join counts c using (village_code)
    order by v.village_code
)

select * from final

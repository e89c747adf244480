-- returnees_overdue_by_village: overdue tests and releases per village on day $as_of (for a map).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one village in scope, zeros included: village_code, village, township_code, township, lon, lat,
-- returnees_tests_overdue (returnees with an overdue test), tests_overdue (overdue tests),
-- returnees_release_overdue, returnees_overdue (either). Definitions as in returnee_control_kpis.
-- The counts are the KPI cube's (sitrep/cube.py; the measures returnee_overdue_tests and returnee_overdue_any:
-- queries/cube/facts_control.sql).
with

villages as (
    select v.region_code as village_code, v.name as village, v.parent_code as township_code, t.name as township,
           v.lon, v.lat
    from regions v
    left join regions t on t.region_code = v.parent_code
    where v.level = 'village' and in_scope(v.region_code, $region_code::varchar)
),

counts as (
    select c.region_code as village_code,
           sum(c.value) filter (where c.kpi = 'returnees_tests_overdue') as returnees_tests_overdue,
           sum(c.value) filter (where c.kpi = 'returnee_overdue_tests') as tests_overdue,
           sum(c.value) filter (where c.kpi = 'returnees_release_overdue') as returnees_release_overdue,
           sum(c.value) filter (where c.kpi = 'returnee_overdue_any') as returnees_overdue
    from kpi_cube c
    semi join villages v on v.village_code = c.region_code
    where c.day = $as_of::date
      and c.kpi in ('returnees_tests_overdue', 'returnee_overdue_tests', 'returnees_release_overdue',
                    'returnee_overdue_any')
    group by c.region_code
),

final as (
    select
        v.*,
        coalesce(c.returnees_tests_overdue, 0)::bigint as returnees_tests_overdue,
        coalesce(c.tests_overdue, 0)::bigint as tests_overdue,
        coalesce(c.returnees_release_overdue, 0)::bigint as returnees_release_overdue,
        coalesce(c.returnees_overdue, 0)::bigint as returnees_overdue
    from villages v
    left join counts c using (village_code)
    order by v.village_code
)

select * from final

-- returnees_worklist_by_region: how much work each region one level below the scope has on day $as_of (townships
-- for the city, villages for a township): the returnees_worklist items counted, to pick where to go first.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one region with at least one item: region_code, name, level, test_due_tomorrow, test_overdue,
-- release_due, release_overdue, misclassified (returnees with that item, as in returnees_worklist), items (their
-- sum: the rows of the region's worklist). Most overdue first. The counts are the KPI cube's (sitrep/cube.py): the
-- precise-control KPIs and the measure returnee_release_due (queries/cube/facts_control.sql).
with

regions_shown as (
    select region_code, name, level from regions_one_level_below($region_code::varchar)
),

counts as (
    select c.region_code,
           coalesce(sum(c.value) filter (where c.kpi = 'returnees_tests_due_tomorrow'), 0)::bigint as test_due_tomorrow,
           coalesce(sum(c.value) filter (where c.kpi = 'returnees_tests_overdue'), 0)::bigint as test_overdue,
           coalesce(sum(c.value) filter (where c.kpi = 'returnee_release_due'), 0)::bigint as release_due,
           coalesce(sum(c.value) filter (where c.kpi = 'returnees_release_overdue'), 0)::bigint as release_overdue,
           coalesce(sum(c.value) filter (where c.kpi = 'returnees_misclassified'), 0)::bigint as misclassified
    from kpi_cube c
    semi join regions_shown r on r.region_code = c.region_code
    where c.day = $as_of::date
      and c.kpi in ('returnees_tests_due_tomorrow', 'returnees_tests_overdue', 'returnee_release_due',
                    'returnees_release_overdue', 'returnees_misclassified')
    group by c.region_code
),

final as (
    select
        c.region_code, r.name, r.level,
        c.test_due_tomorrow, c.test_overdue, c.release_due, c.release_overdue, c.misclassified,
        c.test_due_tomorrow + c.test_overdue + c.release_due + c.release_overdue + c.misclassified as items
    from counts c
    left join regions r using (region_code)
    where c.test_due_tomorrow + c.test_overdue + c.release_due + c.release_overdue + c.misclassified > 0
    order by c.test_overdue + c.release_overdue desc, items desc, c.region_code
)

select * from final

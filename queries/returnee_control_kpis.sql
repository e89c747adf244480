-- returnee_control_kpis: precise-control KPIs of returnees (精准管控) as of the end of day $as_of, in scope, from the
-- KPI cube (sitrep/cube.py; the facts are queries/cube/facts_control.sql over the stored macros of
-- queries/macros/returnee_control.sql, rules: sitrep/rules.py).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole (root_region(): the city, or a lake's prefecture or province)
-- Row: one KPI: kpi, value (DOUBLE). Returnees who moved out never count; only arrivals on or before D.
-- returnees_tests_overdue: returnees not yet released with a scheduled test whose window s-1..s+1 ended before D, not done;
-- returnees_release_overdue: under a measure, not released, expected release day R before D;
-- returnees_misclassified: recorded measure is not the first stage the rule in force at arrival gives;
-- returnees_tests_due_tomorrow: returnees with a scheduled test on D+1 not already done.
-- Returnees with status positive (in the case pathway) are never chased: not in the overdue and due counts.
with

place as (
    select coalesce($region_code::varchar, root_region()) as code
),

final as (
    select k.kpi, c.value
    from kpi_cube_kinds() k
    left join kpi_cube c on c.kpi = k.kpi and c.region_code = (select code from place) and c.day = $as_of::date
    where k.kpi in ('returnees_tests_overdue', 'returnees_release_overdue', 'returnees_misclassified',
                    'returnees_tests_due_tomorrow')
    order by k.pos
)

select * from final

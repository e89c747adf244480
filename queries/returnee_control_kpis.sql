-- returnee_control_kpis: precise-control KPIs of returnees (精准管控) as of the end of day $as_of, in scope.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml (the CLI never passes it)
-- Row: one KPI: kpi, value (DOUBLE). Returnees who moved out never count; only arrivals on or before D.
-- returnees_tests_overdue: returnees not yet released with a scheduled test whose window s-1..s+1 ended before D, not done;
-- returnees_release_overdue: under a measure, not released, expected release day R before D;
-- returnees_misclassified: recorded measure is not the first stage the rule in force at arrival gives;
-- returnees_tests_due_tomorrow: returnees with a scheduled test on D+1 not already done.
-- Returnees with status positive (in the case pathway) are never chased: not in the overdue and due counts.
-- Schedules: stored macro returnee_status() (queries/macros/returnee_control.sql); rules: sitrep/rules.py.
with

returnee_status as (
    select * from returnee_status($rules, $as_of::date, $region_code::varchar)
),

counts as (
    select
        count(*) filter (where tests_overdue > 0) as returnees_tests_overdue,
        count(*) filter (where release_overdue) as returnees_release_overdue,
        count(*) filter (where misclassified) as returnees_misclassified,
        count(*) filter (where tests_due_tomorrow > 0) as returnees_tests_due_tomorrow
    from returnee_status
),

final as (
    select kpi, value
    from (select columns(*)::double from counts) unpivot include nulls (value for kpi in (
        returnees_tests_overdue, returnees_release_overdue, returnees_misclassified, returnees_tests_due_tomorrow
    ))
)

select * from final

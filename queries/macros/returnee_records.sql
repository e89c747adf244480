-- The returnees behind the precise-control KPIs (returnees_misclassified, returnees_release_overdue,
-- returnees_tests_overdue, returnees_tests_due_tomorrow), as a table macro stored in every
-- database by sitrep.db.ensure_schema; the four named queries kpi_records_returnees_<kind> select
-- from it and give the order. rules, as_of, scope as for returnee_status (returnee_control.sql);
-- kind is the KPI less its "returnees_" prefix:
--   misclassified       recorded measure is not the first stage the rule in force at arrival gives
--   release_overdue     under a measure, not released, expected release day R before D
--   tests_overdue       not released, a scheduled test whose window s-1..s+1 ended before D not done
--   tests_due_tomorrow  a scheduled test on D+1 not already done
-- Personal data is masked by the caller.
-- Row: one returnee, with the rule's first measure, the stage on D, overdue tests and the expected release day R.
CREATE OR REPLACE MACRO returnee_records(rules, as_of, scope, kind) AS TABLE
with

returnee_status as (
    select * from returnee_status(rules, as_of, scope)
),

personal as (
    select person_id, name, id_number, phone from returnees
),

final as (
    select s.person_id, p.name, p.id_number, p.phone, s.origin_category, s.origin_risk, s.arrival_date, s.region_code,
           s.measure, s.rule_measure, s.stage_on_day, s.measure_start,
           case when s.measure_end <= as_of then s.measure_end end as measure_end,
           case when s.status = 'released' and (s.measure_end is null or s.measure_end > as_of) then 'managed'
                else s.status end as status,
           s.tests_overdue, s.first_overdue_test, s.next_test, s.release_due
    from returnee_status s
    left join personal p using (person_id)
    -- the people the KPI counts on D: its facts (queries/cube/facts_control.sql, stored by sitrep/cube.py)
    semi join kpi_facts_on_day('returnees_' || kind, as_of::date, scope) f on f.record_id = s.person_id
)

select * from final;

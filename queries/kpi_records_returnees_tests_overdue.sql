-- kpi_records_returnees_tests_overdue: the people behind KPI returnees_tests_overdue (not released, a scheduled test whose window s-1..s+1 ended before D not done). Personal data is masked by the caller.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one returnee, with the rule's first measure, the stage on D, overdue tests and the expected release day R.
with

returnee_status as (
    select * from returnee_status($rules, $as_of::date, $region_code::varchar)
),

personal as (
    select person_id, name, id_number, phone from returnees
),

final as (
    select s.person_id, p.name, p.id_number, p.phone, s.origin_category, s.origin_risk, s.arrival_date, s.region_code,
           s.measure, s.rule_measure, s.stage_on_day, s.measure_start, s.measure_end, s.status,
           s.tests_overdue, s.first_overdue_test, s.next_test, s.release_due
    from returnee_status s
    left join personal p using (person_id)
    where s.tests_overdue > 0
    order by s.first_overdue_test, s.person_id
)

select * from final

-- kpi_records_returnees_tests_overdue: the people behind KPI returnees_tests_overdue (not released, a scheduled test whose window s-1..s+1 ended before D not done). Personal data is masked by the caller; the rows are the macro returnee_records (queries/macros/returnee_records.sql).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one returnee, with the rule's first measure, the stage on D, overdue tests and the expected release day R.
select * from returnee_records($rules, $as_of::date, $region_code::varchar, 'tests_overdue')
order by first_overdue_test, person_id

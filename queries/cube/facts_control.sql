-- facts_control: the facts of the precise-control KPIs (精准管控) for every day up to $d_last, from the stored macros
-- of queries/macros/returnee_control.sql (the schedules of every returnee as of the last day). Filled into the table
-- kpi_facts_control by sitrep/cube.py; the columns are those of a fact (queries/macros/kpi_facts.sql).
-- param d_last date: the last day of the cube
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Why the last day's schedules hold for every earlier day d: a returnee counts only from their arrival; released
-- on d means measure_end <= d; a test is overdue on d when d > test day + 1 and no sample was taken in test day - 1
-- .. test day + 1, all before d, so "done" as of the last day is "done" as of d; rules, status and measures are
-- the records' own (the current ones), as in the one-day definitions.
with

people as (
    select person_id, region_code, arrival_date, measure_end, positive, misclassified, release_due
    from returnee_rule($rules, $d_last::date, null)
),

tests_sampled as (
    select distinct person_id, sample_date from tests where sample_date <= $d_last::date
),

scheduled_tests as (
    select person_id, test_date, owed, done
    from returnee_test($rules, $d_last::date, null)
    where stage_no is not null and test_date is not null
),

-- overdue on d: a test owed and not done whose window ended before d (d >= test day + 2), until released
first_overdue as (
    select person_id, min(test_date) + 2 as first_day
    from scheduled_tests
    where owed and not done
    group by person_id
),

-- due tomorrow on d: a test on d + 1 owed, with no sample on d (the only day of its window by the end of d)
due_tomorrow as (
    select distinct t.person_id, t.test_date - 1 as day
    from scheduled_tests t
    where t.owed
      and not exists (select 1 from tests_sampled s where s.person_id = t.person_id and s.sample_date = t.test_date - 1)
),

final as (
    select 'returnees_tests_overdue' as kpi, p.person_id as record_id, p.region_code,
           greatest(o.first_day, p.arrival_date) as first_day, p.measure_end as stop_day, 1::bigint as num,
           null::bigint as den
    from people p join first_overdue o using (person_id)
    where not p.positive
    union all
    select 'returnees_release_overdue', person_id, region_code, greatest(release_due + 1, arrival_date), measure_end,
           1, null
    from people
    where release_due is not null and not positive
    union all
    select 'returnees_misclassified', person_id, region_code, arrival_date, null, 1, null
    from people
    where misclassified
    union all
    select 'returnees_tests_due_tomorrow', p.person_id, p.region_code, d.day, d.day + 1, 1, null
    from people p join due_tomorrow d using (person_id)
    where not p.positive and d.day >= p.arrival_date
)

select * from final

-- facts_control: the facts of the precise-control KPIs (精准管控) and of the one-wall page's breakdowns for every day up
-- to $d_last, from the stored macros of queries/macros/returnee_control.sql (the schedules of every returnee as of the
-- last day). Filled into the table kpi_facts_control by sitrep/cube.py; the columns are those of a fact
-- (queries/macros/kpi_facts.sql). Besides the four catalogue KPIs (returnees_*), measures of the cube named
-- returnee_<what>, with the same definitions as returnee_status() (queries/macros/returnee_control.sql) on each day:
--   returnee_stage:<stage>    the stage on the day: central_quarantine, home_quarantine, home_monitoring, released
--   returnee_release_due      not released, expected release day R on D or D + 1
--   returnee_overdue_tests    overdue tests (one fact per test, not per person)
--   returnee_overdue_any      a test or the release overdue
--   returnee_funnel:<step>    registered, classified, under_measure, tests_on_schedule, released
-- param d_last date: the last day of the cube
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Why the last day's schedules hold for every earlier day d: a returnee counts only from their arrival; released
-- on d means measure_end <= d; a test is overdue on d when d > test day + 1 and no sample was taken in test day - 1
-- .. test day + 1, all before d, so "done" as of the last day is "done" as of d; rules, status and measures are
-- the records' own (the current ones), as in the one-day definitions.
with

plan as materialized (
    -- one expansion of the schedules: a row per scheduled test (and per stage without tests), a row with stage_no
    -- NULL for every returnee without stages (queries/macros/returnee_control.sql)
    select person_id, region_code, arrival_date, measure, measure_start, measure_end, positive, misclassified,
           scheduled, release_due, stage_no, stage_measure, stage_start, stage_next, last_stage, test_date, test_seq,
           owed, done
    from returnee_test($rules, $d_last::date, null)
),

people as (
    select person_id, any_value(region_code) as region_code, any_value(arrival_date) as arrival_date,
           any_value(measure) as measure, any_value(measure_start) as measure_start,
           any_value(measure_end) as measure_end, any_value(positive) as positive,
           any_value(misclassified) as misclassified, any_value(scheduled) as scheduled,
           any_value(release_due) as release_due
    from plan
    group by person_id
),

stages as (
    select person_id, stage_no, stage_measure, stage_start, stage_next, last_stage
    from plan
    where stage_no is not null and test_seq = 1
),

tests_sampled as (
    select distinct person_id, sample_date from tests where sample_date <= $d_last::date
),

scheduled_tests as (
    select person_id, test_date, owed, done
    from plan
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

-- a test owed and not done is overdue from test day + 2 until the release (for a positive returnee, never), and
-- missed after it: either way the returnee is off schedule from min(test day) + 2 on
first_off_schedule as (
    select person_id, min(test_date) + 2 as first_day
    from scheduled_tests
    where owed and not done
    group by person_id
),

-- the stage on each day (returnee_status.stage_on_day): released from measure_end; before it, for a returnee not in
-- the case pathway whose measure has started, the rule's stage containing the day (the last one until released), or
-- the recorded measure when the rule has no stages for it
stage_facts as (
    select 'returnee_stage:released' as kpi, person_id, region_code, greatest(measure_end, arrival_date) as first_day,
           null::date as stop_day
    from people
    where measure is not null and measure <> 'none' and measure_end is not null
    union all
    select 'returnee_stage:' || g.stage_measure, p.person_id, p.region_code,
           greatest(g.stage_start, p.arrival_date),
           case when g.last_stage then p.measure_end
                when p.measure_end is null then g.stage_next else least(g.stage_next, p.measure_end) end
    from people p join stages g using (person_id)
    where p.measure is not null and p.measure <> 'none' and not p.positive
    union all
    select 'returnee_stage:' || measure, person_id, region_code, greatest(measure_start, arrival_date), measure_end
    from people
    where measure is not null and measure <> 'none' and measure_start is not null and not scheduled and not positive
),

catalogue_facts as (
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
),

-- the one-wall page's measures: no records are listed behind them, so the people on the same interval in the same
-- region are one fact (num = how many): a tenth of the rows
measure_facts as (
    select kpi, person_id, region_code, first_day, stop_day, 1 as num
    from stage_facts
    where stop_day is null or stop_day > first_day
    union all
    -- release due on D or D + 1 and not released by D
    select 'returnee_release_due', person_id, region_code, greatest(release_due - 1, arrival_date),
           case when measure_end is null then release_due + 1 else least(release_due + 1, measure_end) end, 1
    from people
    where release_due is not null
    union all
    select 'returnee_overdue_tests', t.person_id, p.region_code, greatest(t.test_date + 2, p.arrival_date),
           p.measure_end, 1
    from scheduled_tests t join people p using (person_id)
    where t.owed and not t.done and not p.positive
    union all
    select 'returnee_overdue_any', p.person_id, p.region_code,
           greatest(least(coalesce(o.first_day, p.release_due + 1), coalesce(p.release_due + 1, o.first_day)),
                    p.arrival_date),
           p.measure_end, 1
    from people p left join first_overdue o using (person_id)
    where not p.positive and (o.first_day is not null or p.release_due is not null)
    union all
    -- the management funnel (returnees_funnel)
    select 'returnee_funnel:registered', person_id, region_code, arrival_date, null, 1
    from people
    union all
    select 'returnee_funnel:classified', person_id, region_code, arrival_date, null, 1
    from people where measure is not null
    union all
    select 'returnee_funnel:under_measure', person_id, region_code, greatest(measure_start, arrival_date), null, 1
    from people where measure <> 'none' and measure_start is not null
    union all
    select 'returnee_funnel:tests_on_schedule', p.person_id, p.region_code, greatest(p.measure_start, p.arrival_date),
           f.first_day, 1
    from people p left join first_off_schedule f using (person_id)
    where p.measure <> 'none' and p.measure_start is not null
    union all
    select 'returnee_funnel:released', person_id, region_code, greatest(measure_start, measure_end, arrival_date), null,
           1
    from people where measure <> 'none' and measure_start is not null and measure_end is not null
),

final as (
    select * from catalogue_facts
    union all
    select kpi, null, region_code, first_day, stop_day, sum(num)::bigint, null
    from measure_facts
    group by kpi, region_code, first_day, stop_day
)

select * from final

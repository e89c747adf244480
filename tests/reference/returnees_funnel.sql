-- returnees_funnel: the management funnel of returnees as of day $as_of, from registered to released.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one step: step_no, step, persons. Returnees who arrived on or before D and did not move out.
-- registered: all; classified: a measure recorded (none included); under_measure: a measure other than none
-- started on or before D (released ones included); tests_on_schedule: under measure with no overdue or missed
-- test; released: under measure and released on or before D (whether or not their tests were on schedule).
with

returnee_status as (
    select * from returnee_status($rules, $as_of::date, $region_code::varchar)
),

flags as (
    select
        *,
        measure is not null and measure <> 'none' and measure_start <= $as_of::date as under_measure
    from returnee_status
),

counts as (
    select
        count(*) as registered,
        count(*) filter (where measure is not null) as classified,
        count(*) filter (where under_measure) as under_measure,
        count(*) filter (where under_measure and tests_overdue = 0 and tests_missed = 0) as tests_on_schedule,
        count(*) filter (where under_measure and released) as released
    from flags
),

steps as (
    select * from (values
        (1, 'registered'), (2, 'classified'), (3, 'under_measure'), (4, 'tests_on_schedule'), (5, 'released')
    ) as s(step_no, step)
),

final as (
    select s.step_no, s.step, c.persons
    from steps s
    join (from counts unpivot (persons for step in (
        registered, classified, under_measure, tests_on_schedule, released))) c using (step)
    order by s.step_no
)

select * from final

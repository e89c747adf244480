-- returnees_funnel: the management funnel of returnees as of day $as_of, from registered to released.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole (root_region(): the city, or a lake's prefecture or province)
-- Row: one step: step_no, step, persons. Returnees who arrived on or before D and did not move out.
-- registered: all; classified: a measure recorded (none included); under_measure: a measure other than none
-- started on or before D (released ones included); tests_on_schedule: under measure with no overdue or missed
-- test; released: under measure and released on or before D (whether or not their tests were on schedule).
-- The counts are the KPI cube's measures returnee_funnel:<step> (queries/cube/facts_control.sql, sitrep/cube.py).
with

place as (
    select coalesce($region_code::varchar, root_region()) as code
),

steps as (
    select * from (values
        (1, 'registered'), (2, 'classified'), (3, 'under_measure'), (4, 'tests_on_schedule'), (5, 'released')
    ) as s(step_no, step)
),

final as (
    select s.step_no, s.step, coalesce(c.value, 0)::bigint as persons
    from steps s
    left join kpi_cube c on c.kpi = 'returnee_funnel:' || s.step and c.region_code = (select code from place)
                        and c.day = $as_of::date
    order by s.step_no
)

select * from final

-- returnee_schedule: each returnee's schedule under the quarantine rules and its state on day $as_of
-- (a person's timeline: stages, tests, release).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param person_id str optional: one returnee; empty = every scheduled returnee in scope
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one event of one returnee: person_id, event (stage, test, release), stage_no, measure, event_date (stage:
-- first day; test: the scheduled day s; release: expected release day R), end_date (stage: last day), status.
-- Stage status: done, current, upcoming. Test status: done (a sample on s-1..s+1, on or before D), not_owed (on or
-- after the actual release), overdue (window passed, not released), missed (window passed, released anyway),
-- open (window not passed), upcoming. Release status: released_on_time (measure_end = R), released_early,
-- released_late, positive (status positive: in the case pathway, not chased), overdue (R before D),
-- due (R is D or D+1), upcoming. Tests of a positive returnee whose window passed undone are missed.
with

plan as (
    select *
    from returnee_test($rules, $as_of::date, $region_code::varchar)
    where scheduled and ($person_id::varchar is null or person_id = $person_id::varchar)
),

people as (
    select * from plan where stage_no = 1 and test_seq = 1
),

stages as (
    select * from plan where test_seq = 1
),

tests as (
    select * from plan where test_day is not null
),

events as (
    select
        person_id, 'stage' as event, stage_no, stage_measure as measure, stage_start as event_date,
        stage_next - 1 as end_date,
        case when released or stage_next <= $as_of::date then 'done'
             when stage_start <= $as_of::date then 'current'
             else 'upcoming' end as status,
        0 as event_order
    from stages
    union all by name
    select
        person_id, 'test' as event, stage_no, stage_measure as measure, test_date as event_date, null as end_date,
        case when done then 'done'
             when not owed then 'not_owed'
             when overdue then 'overdue'
             when missed then 'missed'
             when test_date - 1 <= $as_of::date then 'open'
             else 'upcoming' end as status,
        1 as event_order
    from tests
    union all by name
    select
        person_id, 'release' as event, null as stage_no, null as measure, release_due as event_date,
        null as end_date,
        case when released and measure_end = release_due then 'released_on_time'
             when released_early then 'released_early'
             when released then 'released_late'
             when positive then 'positive'
             when release_overdue then 'overdue'
             when release_due <= $as_of::date + 1 then 'due'
             else 'upcoming' end as status,
        2 as event_order
    from people
),

final as (
    select person_id, event, stage_no, measure, event_date, end_date, status
    from events
    order by person_id, event_date, event_order, stage_no
)

select * from final

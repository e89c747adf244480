-- returnees_stage_by_township: returnees by the stage they are in on day $as_of, per township (a stacked bar).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one township in scope x one stage (central_quarantine, home_quarantine, home_monitoring, released), zeros
-- included: township_code, township, stage, stage_order, persons. The stage on D comes from the rule's schedule
-- from measure_start (the records hold only the first measure); after the last stage an unreleased returnee stays
-- in it; released = measure_end on or before D (cumulative). Not yet started and no-measure returnees are left out.
with

returnee_status as (
    select * from returnee_status($rules, $as_of::date, $region_code::varchar)
),

townships as (
    select region_code as township_code, name as township
    from regions
    where level = 'township' and in_scope(region_code, $region_code::varchar)
),

stages as (
    select * from (values
        (1, 'central_quarantine'), (2, 'home_quarantine'), (3, 'home_monitoring'), (4, 'released')
    ) as s(stage_order, stage)
),

counts as (
    select township_code(region_code) as township_code, stage_on_day as stage, count(*) as persons
    from returnee_status
    group by all
),

final as (
    select t.township_code, t.township, s.stage, s.stage_order, coalesce(c.persons, 0) as persons
    from townships t
    cross join stages s
    left join counts c on c.township_code = t.township_code and c.stage = s.stage
    order by t.township_code, s.stage_order
)

select * from final

-- returnees_worklist: who needs action on day $as_of, for a township or village work team, with the grid person
-- responsible for each returnee's group or village. Personal data comes unmasked from SQL: show it through
-- sitrep.control.worklist (masked unless unmask) or sitrep.privacy.mask_frame.
-- param as_of date: the as-of day D
-- param region_code str optional: township or village code; empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one returnee x one item, item in test_due_tomorrow (a scheduled test on D+1 not yet done), test_overdue,
-- release_due (expected release day R is D or D+1), release_overdue (R before D), misclassified (recorded measure
-- is not the rule's first stage). due_date: the test day (first overdue one) or R; days_overdue: D - (s+1) for a
-- test, D - R for a release. Grid unit: the returnee's group, else village, else township.
with

returnee_status as (
    select * from returnee_status($rules, $as_of::date, $region_code::varchar)
),

regions as (
    select region_code, name from regions
),

grid_units as (
    select region_code, responsible_person, phone from grid_units
),

personal as (
    select person_id, name, id_number, phone from returnees
),

items as (
    select s.*, 1 as item_order, 'test_due_tomorrow' as item, $as_of::date + 1 as due_date, null::integer as days_overdue
    from returnee_status s where tests_due_tomorrow > 0
    union all by name
    select s.*, 2 as item_order, 'test_overdue' as item, first_overdue_test as due_date,
           ($as_of::date - (first_overdue_test + 1))::integer as days_overdue
    from returnee_status s where tests_overdue > 0
    union all by name
    select s.*, 3 as item_order, 'release_due' as item, release_due as due_date, null as days_overdue
    from returnee_status s where not released and release_due between $as_of::date and $as_of::date + 1
    union all by name
    select s.*, 4 as item_order, 'release_overdue' as item, release_due as due_date,
           ($as_of::date - release_due)::integer as days_overdue
    from returnee_status s where release_overdue
    union all by name
    select s.*, 5 as item_order, 'misclassified' as item, null as due_date, null as days_overdue
    from returnee_status s where misclassified
),

with_grid as (
    select
        i.*,
        township_code(i.region_code) as township_code,
        village_code(i.region_code) as village_code,
        coalesce(gg.region_code, gv.region_code, gt.region_code) as grid_region_code,
        coalesce(gg.responsible_person, gv.responsible_person, gt.responsible_person) as responsible_person,
        case when gg.region_code is not null then gg.phone
             when gv.region_code is not null then gv.phone
             else gt.phone end as responsible_phone
    from items i
    left join grid_units gg on length(i.region_code) = 15 and gg.region_code = i.region_code
    left join grid_units gv on gv.region_code = village_code(i.region_code)
    left join grid_units gt on gt.region_code = township_code(i.region_code)
),

final as (
    select
        w.item, w.due_date, w.days_overdue,
        w.person_id, personal.name, personal.id_number, personal.phone,
        w.origin_risk, w.arrival_date, w.measure, w.rule_measure, w.stage_on_day,
        w.measure_start, w.release_due, w.tests_overdue, w.next_test,
        w.township_code, t.name as township, w.village_code, v.name as village,
        w.grid_region_code, w.responsible_person, w.responsible_phone
    from with_grid w
    left join personal using (person_id)
    left join regions t on t.region_code = w.township_code
    left join regions v on v.region_code = w.village_code
    order by w.item_order, w.township_code, w.village_code, w.due_date, w.person_id
)

select * from final

-- returnees_worklist_by_region: how much work each region one level below the scope has on day $as_of (townships
-- for the city, villages for a township): the returnees_worklist items counted, to pick where to go first.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one region with at least one item: region_code, name, level, test_due_tomorrow, test_overdue,
-- release_due, release_overdue, misclassified (returnees with that item, as in returnees_worklist), items (their
-- sum: the rows of the region's worklist). Most overdue first.
with

returnee_status as (
    select * from returnee_status($rules, $as_of::date, $region_code::varchar)
),

scope as (
    select coalesce(level, 'city') as level
    from (select 1) left join regions on region_code = $region_code
),

child_level as (
    select case level when 'city' then 'township' else 'village' end as level from scope
),

counts as (
    select
        case c.level when 'township' then township_code(s.region_code) else village_code(s.region_code) end
            as region_code,
        count(*) filter (where s.tests_due_tomorrow > 0) as test_due_tomorrow,
        count(*) filter (where s.tests_overdue > 0) as test_overdue,
        count(*) filter (where not s.released and s.release_due between $as_of::date and $as_of::date + 1)
            as release_due,
        count(*) filter (where s.release_overdue) as release_overdue,
        count(*) filter (where s.misclassified) as misclassified
    from returnee_status s, child_level c
    group by 1
),

final as (
    select
        c.region_code, r.name, r.level,
        c.test_due_tomorrow, c.test_overdue, c.release_due, c.release_overdue, c.misclassified,
        c.test_due_tomorrow + c.test_overdue + c.release_due + c.release_overdue + c.misclassified as items
    from counts c
    left join regions r using (region_code)
    where c.test_due_tomorrow + c.test_overdue + c.release_due + c.release_overdue + c.misclassified > 0
    order by c.test_overdue + c.release_overdue desc, items desc, c.region_code
)

select * from final

-- returnees_category_by_region: returnees registered up to day $as_of by category (省内返乡, 省外返乡, 境外入境,
-- 外地留守), for each region one level below the scope (townships for the city, villages for a township, the
-- village itself for a village).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one region, zeros included: region_code, name, level, in_province, out_of_province, overseas,
-- nonlocal_staying, registered (all of them), arrived_today (arrival on D). Counted as the
-- KPI returnees_registered counts them: arrival on or before D, moved-out people included. Most registered first.
with

regions_shown as (
    select region_code, name, level from regions_one_level_below($region_code::varchar)
),

child_level as (
    select any_value(level) as level from regions_shown
),

registered as (
    select
        case c.level when 'township' then township_code(r.region_code) else village_code(r.region_code) end
            as region_code,
        count(*) filter (where r.origin_category = 'in_province') as in_province,
        count(*) filter (where r.origin_category = 'out_of_province') as out_of_province,
        count(*) filter (where r.origin_category = 'overseas') as overseas,
        count(*) filter (where r.origin_category = 'nonlocal_staying') as nonlocal_staying,
        count(*) as registered,
        count(*) filter (where r.arrival_date = $as_of::date) as arrived_today
    from returnees r, child_level c
    where r.arrival_date <= $as_of::date and in_scope(r.region_code, $region_code)
    group by 1
),

final as (
    select
        s.region_code, s.name, s.level,
        coalesce(g.in_province, 0) as in_province,
        coalesce(g.out_of_province, 0) as out_of_province,
        coalesce(g.overseas, 0) as overseas,
        coalesce(g.nonlocal_staying, 0) as nonlocal_staying,
        coalesce(g.registered, 0) as registered,
        coalesce(g.arrived_today, 0) as arrived_today
    from regions_shown s
    left join registered g using (region_code)
    order by registered desc, s.region_code
)

select * from final

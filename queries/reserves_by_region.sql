-- reserves_by_region: for the map: per region of a level, the fewest days of supply of any item in its warehouses on D.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param level str: township or village: the level of the regions the warehouses are counted in
-- Row: one region holding at least one warehouse: region_code, lowest_days_of_supply (of one warehouse and item,
-- each warehouse's latest row dated <= D), warehouses, items_below_target ((warehouse, item) pairs below their target).
-- A warehouse above the level (e.g. the city's own store) is in no region of it.
with

latest as (
    select *
    from reserves
    where date <= $as_of and in_scope(region_code, $region_code) and region_code is not null
    qualify row_number() over (partition by warehouse_id, item_code order by date desc) = 1
),

located as (
    select
        case when $level = 'township' then township_code(region_code) else village_code(region_code) end as region_code,
        warehouse_id,
        on_hand / nullif(daily_use, 0) as days,
        coalesce(target_days, 30) as target
    from latest
),

final as (
    select
        l.region_code,
        floor(10 * min(l.days)) / 10 as lowest_days_of_supply,
        count(distinct l.warehouse_id) as warehouses,
        count(*) filter (where l.days < l.target) as items_below_target
    from located l
    join regions r on r.region_code = l.region_code and r.level = $level
    group by l.region_code
    order by l.region_code
)

select * from final

-- reserves_by_item: days of supply of each item in scope on D, over every warehouse's latest stock row dated <= D.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city (also warehouses with no region)
-- Row: one item: item_code, item_name, unit, on_hand, daily_use (sums over warehouses), days_of_supply (on hand /
-- daily use, cut to 0.1 day so that 29.98 does not show as 30.0; NULL when there is no use), target_days,
-- below_target, warehouses, warehouses_below_target, lowest_warehouse_days (the fewest days of supply of one
-- warehouse), first_stock_date, last_stock_date. Ordered by item code.
with

latest as (
    select *
    from reserves
    where date <= $as_of and in_scope(region_code, $region_code)
    qualify row_number() over (partition by warehouse_id, item_code order by date desc) = 1
),

by_warehouse as (
    select *,
           on_hand / nullif(daily_use, 0) as days,
           coalesce(target_days, 30) as target
    from latest
),

final as (
    select
        item_code,
        arg_max(item_name, date) as item_name,
        arg_max(unit, date) as unit,
        sum(on_hand) as on_hand,
        round(sum(daily_use), 1) as daily_use,
        floor(10 * sum(on_hand) / nullif(sum(daily_use), 0)) / 10 as days_of_supply,
        max(target) as target_days,
        coalesce(sum(on_hand) / nullif(sum(daily_use), 0) < max(target), false) as below_target,
        count(*) as warehouses,
        count(*) filter (where days < target) as warehouses_below_target,
        floor(10 * min(days)) / 10 as lowest_warehouse_days,
        min(date) as first_stock_date,
        max(date) as last_stock_date
    from by_warehouse
    group by item_code
    order by item_code
)

select * from final

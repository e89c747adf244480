-- reserves_warehouses: the warehouses in scope on D as map points: where they are and their weakest item.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city (also warehouses with no region)
-- Row: one warehouse: warehouse_id, warehouse_name, region_code, lon, lat (its region's point, nudged east when
-- several warehouses share a region; the city's point when it has no region), items, items_below_target,
-- lowest_days_of_supply, lowest_item_name (the item with the fewest days of supply), stock_date (latest report).
with

latest as (
    select *
    from reserves
    where date <= $as_of and in_scope(region_code, $region_code)
    qualify row_number() over (partition by warehouse_id, item_code order by date desc) = 1
),

warehouses as (
    select
        warehouse_id,
        arg_max(warehouse_name, date) as warehouse_name,
        arg_max(region_code, date) as region_code,
        count(*) as items,
        count(*) filter (where on_hand / nullif(daily_use, 0) < coalesce(target_days, 30)) as items_below_target,
        floor(10 * min(on_hand / nullif(daily_use, 0))) / 10 as lowest_days_of_supply,
        arg_min(item_name, on_hand / nullif(daily_use, 0)) as lowest_item_name,
        max(date) as stock_date
    from latest
    group by warehouse_id
),

city as (
    select lon, lat from regions where level = 'city' order by region_code limit 1
),

final as (
    select
        w.warehouse_id, w.warehouse_name, w.region_code,
        coalesce(r.lon, (select lon from city))
            + 0.01 * (row_number() over (partition by coalesce(r.region_code, '') order by w.warehouse_id) - 1) as lon,
        coalesce(r.lat, (select lat from city)) as lat,
        w.items, w.items_below_target, w.lowest_days_of_supply, w.lowest_item_name, w.stock_date
    from warehouses w
    left join regions r on r.region_code = w.region_code
    order by w.warehouse_id
)

select * from final

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
    select region_code, lon, lat from regions where level = 'city' order by region_code limit 1
),

placed as (
    -- a warehouse with no region (or an unknown one) stands at the city's point
    select w.*,
           case when r.region_code is null then (select region_code from city) else r.region_code end as place_code,
           coalesce(r.lon, (select lon from city)) as place_lon,
           coalesce(r.lat, (select lat from city)) as place_lat
    from warehouses w
    left join regions r on r.region_code = w.region_code
),

final as (
    select
        warehouse_id, warehouse_name, region_code,
        place_lon + 0.01 * (row_number() over (partition by place_code order by warehouse_id) - 1) as lon,
        place_lat as lat,
        items, items_below_target, lowest_days_of_supply, lowest_item_name, stock_date
    from placed
    order by warehouse_id
)

select * from final

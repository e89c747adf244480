-- reserves_by_warehouse_item: the reserve ledger: each warehouse's latest stock row of each item dated <= D, in scope.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city (also warehouses with no region)
-- Row: one (warehouse, item): stock_date (its latest report), days_since_report, warehouse_id, warehouse_name,
-- region_code, region_name (where the warehouse is), item_code, item_name, unit, on_hand, daily_use,
-- days_of_supply (on hand / daily use, cut to 0.1 day; NULL when there is no use), target_days (30 when not
-- given), min_quantity, below_target, below_min_quantity. Below target first, then the fewest days of supply.
-- Warehouses report at their own rhythm (some weekly): each counts with its own latest row, not only the
-- warehouses that reported on the latest day.
with

latest as (
    select *
    from reserves
    where date <= $as_of and in_scope(region_code, $region_code)
    qualify row_number() over (partition by warehouse_id, item_code order by date desc) = 1
),

final as (
    select
        l.date as stock_date,
        $as_of::date - l.date as days_since_report,
        l.warehouse_id, l.warehouse_name, l.region_code, r.name as region_name,
        l.item_code, l.item_name, l.unit, l.on_hand, l.daily_use,
        floor(10 * l.on_hand / nullif(l.daily_use, 0)) / 10 as days_of_supply,
        coalesce(l.target_days, 30) as target_days,
        l.min_quantity,
        coalesce(l.on_hand / nullif(l.daily_use, 0) < coalesce(l.target_days, 30), false) as below_target,
        coalesce(l.on_hand < l.min_quantity, false) as below_min_quantity
    from latest l
    left join regions r on r.region_code = l.region_code
    order by below_target desc, l.on_hand / nullif(l.daily_use, 0) nulls last, l.warehouse_id, l.item_code
)

select * from final

-- kpi_records_reserve_items_below_target: days of supply of every item on the latest reserves date <= D (items below target first), behind KPI reserve_items_below_target.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one item.
with

reserves_in_scope as (
    select * from reserves where date <= $as_of and in_scope(region_code, $region_code)
),

latest as (
    select * from reserves_in_scope where date = (select max(date) from reserves_in_scope)
),

final as (
    select any_value(date) as date, item_code, any_value(item_name) as item_name, any_value(unit) as unit,
           sum(on_hand) as on_hand, sum(daily_use) as daily_use,
           round(sum(on_hand) / nullif(sum(daily_use), 0), 1) as days_of_supply,
           max(coalesce(target_days, 30)) as target_days,
           coalesce(sum(on_hand) / nullif(sum(daily_use), 0) < max(coalesce(target_days, 30)), false) as below_target
    from latest
    group by item_code
    order by below_target desc, days_of_supply
)

select * from final

-- kpi_records_orders_open_overdue: orders behind KPI orders_open_overdue (issued and due by the end of D, not closed by then). The records are the KPI's facts that count on D (queries/macros/kpi_facts.sql): their number is the KPI's value. States are as of the end of D (a later discharge, release, closing or rectification is not shown).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one order.
with

final as (
    select order_id, issued_at, task_force, region_code, subject, deadline,
           case when closed_at < $as_of + 1 then closed_at end as closed_at,
           date_diff('hour', deadline, ($as_of + 1)::timestamp) as hours_overdue
    from orders
    semi join kpi_facts_on_day('orders_open_overdue', $as_of::date, $region_code::varchar) f on f.record_id = orders.order_id
    order by deadline, order_id
)

select * from final

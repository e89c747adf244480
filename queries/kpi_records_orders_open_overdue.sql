-- kpi_records_orders_open_overdue: orders behind KPI orders_open_overdue (issued and due by the end of D, not closed by then).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one order.
with

final as (
    select order_id, issued_at, task_force, region_code, subject, deadline, closed_at,
           date_diff('hour', deadline, ($as_of + 1)::timestamp) as hours_overdue
    from orders
    where issued_at < $as_of + 1 and deadline < $as_of + 1
      and (closed_at is null or closed_at >= $as_of + 1)
      and in_scope(region_code, $region_code)
    order by deadline, order_id
)

select * from final

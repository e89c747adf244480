-- orders_records_issued: the orders issued in the last $days days up to D (every order issued by D when days is
-- empty), in scope, as they stood at the end of D (a later closing is not shown), with their state then, counted
-- as orders_by_task_force counts them: the records behind a mark of the orders charts (a task force's part of a
-- bar, a stage of the funnel), which sitrep.drill picks out by task_force, order_state or closed.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city (orders with no region count at city scope)
-- param days int optional: window length in days (issued D-days+1 .. D); empty = every order issued by the end of D
-- Row: one order: closed (by the end of D), order_state (closed_on_time, closed_late, open_in_time, open_overdue).
with

orders_in_window as (
    select order_id, issued_at, task_force, region_code, subject, deadline,
           case when closed_at < $as_of::date + 1 then closed_at end as closed_at
    from orders
    where issued_at < $as_of::date + 1
      and ($days is null or issued_at >= $as_of::date - ($days - 1))
      and in_scope(region_code, $region_code)
),

final as (
    select order_id, issued_at, task_force, region_code, subject, deadline, closed_at,
           closed_at is not null as closed,
           case when closed_at <= deadline then 'closed_on_time'
                when closed_at > deadline then 'closed_late'
                when deadline < $as_of::date + 1 then 'open_overdue'
                else 'open_in_time' end as order_state
    from orders_in_window
    order by issued_at, order_id
)

select * from final

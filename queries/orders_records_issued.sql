-- orders_records_issued: the orders issued in the last $days days up to D (every order issued by D when days is
-- empty), in scope, as they stood at the end of D (a later closing is not shown), with their state then (the
-- macro orders_on_day, queries/macros/records_on_day.sql, which orders_by_task_force counts): the records behind a
-- mark of the orders charts (a task force's part of a bar, a stage of the funnel), which sitrep.drill picks out by
-- task_force, order_state or closed.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city (orders with no region count at city scope)
-- param days int optional: window length in days (issued D-days+1 .. D); empty = every order issued by the end of D
-- Row: one order: closed (by the end of D), order_state (closed_on_time, closed_late, open_in_time, open_overdue).
with

final as (
    select *
    from orders_on_day($as_of::date, $region_code::varchar, $days::integer)
    order by issued_at, order_id
)

select * from final

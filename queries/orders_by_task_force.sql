-- orders_by_task_force: command orders by task force as of the end of D: issued, closed, closed on time, open
-- past the deadline. Orders issued in the last $days days up to D, or every order issued by D when days is empty.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city (orders with no region count at city scope)
-- param days int optional: window length in days (issued D-days+1 .. D); empty = every order issued by the end of D
-- Row: one task force with orders, plus one total row (is_total, task_force NULL): issued, closed (by the end of
-- D), closed_on_time (closed_at <= deadline), closed_late, open_overdue (not closed by the end of D and deadline
-- before it, as in KPI orders_open_overdue), open_in_time, on_time_pct (closed on time / closed).
with

orders_on_day as (
    -- the orders of the window as they stood at the end of D (queries/macros/records_on_day.sql): the records
    -- behind each part of a bar are the rows of orders_records_issued in that state
    select * from orders_on_day($as_of::date, $region_code::varchar, $days::integer)
),

final as (
    select grouping(task_force) = 1 as is_total,
           task_force,
           count(*) as issued,
           count(closed_at) as closed,
           count(*) filter (where order_state = 'closed_on_time') as closed_on_time,
           count(*) filter (where order_state = 'closed_late') as closed_late,
           count(*) filter (where order_state = 'open_overdue') as open_overdue,
           count(*) filter (where order_state = 'open_in_time') as open_in_time,
           round(100.0 * count(*) filter (where order_state = 'closed_on_time') / nullif(count(closed_at), 0), 1)
               as on_time_pct
    from orders_on_day
    group by grouping sets ((task_force), ())
    order by is_total, task_force
)

select * from final

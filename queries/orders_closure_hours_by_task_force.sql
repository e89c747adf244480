-- orders_closure_hours_by_task_force: how long orders took from issue to closure, by task force: the
-- distribution of hours for the orders issued in the window (as in orders_by_task_force) and closed by the end of D.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param days int optional: window length in days (issued D-days+1 .. D); empty = every order issued by the end of D
-- Row: one task force with closed orders: closed, min_hours, q1_hours, median_hours, q3_hours, max_hours,
-- mean_hours (issued -> closed), median_allowed_hours (issued -> deadline).
with

closed_orders as (
    select task_force,
           date_diff('minute', issued_at, closed_at) / 60.0 as hours,
           date_diff('minute', issued_at, deadline) / 60.0 as allowed_hours
    from orders
    where issued_at < $as_of::date + 1
      and ($days is null or issued_at >= $as_of::date - ($days - 1))
      and closed_at < $as_of::date + 1
      and in_scope(region_code, $region_code)
),

final as (
    select task_force,
           count(*) as closed,
           round(min(hours), 1) as min_hours,
           round(quantile_cont(hours, 0.25), 1) as q1_hours,
           round(median(hours), 1) as median_hours,
           round(quantile_cont(hours, 0.75), 1) as q3_hours,
           round(max(hours), 1) as max_hours,
           round(avg(hours), 1) as mean_hours,
           round(median(allowed_hours), 1) as median_allowed_hours
    from closed_orders
    group by task_force
    order by task_force
)

select * from final

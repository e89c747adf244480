-- test_capacity_daily: testing capacity and its use per day up to D, over the laboratories in scope.
-- param as_of date: the as-of day D; days after it are left out
-- param region_code str optional: scope region; empty = the whole city (every laboratory, also those with no region)
-- Row: one day: date, labs, capacity_tubes, tubes_tested, use_pct (tubes tested / capacity),
-- capacity_persons_per_day (tubes x pool size), turnaround_hours (mean weighted by tubes tested; the plain
-- mean where no lab gives tubes tested), turnaround_hours_max, sampling_points, staff.
with

capacity as (
    select *
    from test_capacity
    where date <= $as_of and in_scope(region_code, $region_code)
),

final as (
    select
        date,
        count(*) as labs,
        sum(capacity_tubes) as capacity_tubes,
        sum(tubes_tested) as tubes_tested,
        round(100.0 * sum(tubes_tested) / nullif(sum(capacity_tubes), 0), 1) as use_pct,
        sum(capacity_tubes * coalesce(pool_size, 1)) as capacity_persons_per_day,
        round(coalesce(
            sum(turnaround_hours * tubes_tested) / nullif(sum(tubes_tested) filter (where turnaround_hours is not null), 0),
            avg(turnaround_hours)), 1) as turnaround_hours,
        max(turnaround_hours) as turnaround_hours_max,
        sum(sampling_points) as sampling_points,
        sum(staff) as staff
    from capacity
    group by date
    order by date
)

select * from final

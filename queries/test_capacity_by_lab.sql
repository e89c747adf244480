-- test_capacity_by_lab: the laboratories in scope on D with their capacity, use and turnaround, and their use over the 7 days to D.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one laboratory that reported on D: lab_id, lab_name, lab_type, region_code, region_name (where it is),
-- capacity_tubes, pool_size, capacity_persons_per_day, tubes_tested, use_pct, use_pct_7d (tubes tested / capacity
-- over D-6..D), turnaround_hours, sampling_points, staff. Busiest first.
with

capacity as (
    select *
    from test_capacity
    where date between $as_of - 6 and $as_of and in_scope(region_code, $region_code)
),

week as (
    select lab_id, round(100.0 * sum(tubes_tested) / nullif(sum(capacity_tubes), 0), 1) as use_pct_7d
    from capacity
    group by lab_id
),

final as (
    select
        c.lab_id, c.lab_name, c.lab_type, c.region_code, r.name as region_name,
        c.capacity_tubes, coalesce(c.pool_size, 1) as pool_size,
        c.capacity_tubes * coalesce(c.pool_size, 1) as capacity_persons_per_day,
        c.tubes_tested,
        round(100.0 * c.tubes_tested / nullif(c.capacity_tubes, 0), 1) as use_pct,
        w.use_pct_7d,
        c.turnaround_hours, c.sampling_points, c.staff
    from capacity c
    join week w using (lab_id)
    left join regions r on r.region_code = c.region_code
    where c.date = $as_of
    order by use_pct desc nulls last, c.lab_id
)

select * from final

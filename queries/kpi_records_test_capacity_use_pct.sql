-- kpi_records_test_capacity_use_pct: the laboratory rows on D behind KPIs test_capacity_use_pct and days_to_test_everyone.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one laboratory on D.
with

final as (
    select date, lab_id, lab_name, lab_type, region_code, capacity_tubes, pool_size,
           capacity_tubes * coalesce(pool_size, 1) as capacity_persons_per_day,
           tubes_tested, round(100.0 * tubes_tested / nullif(capacity_tubes, 0), 1) as use_pct,
           turnaround_hours, sampling_points, staff
    from test_capacity
    where date = $as_of and in_scope(region_code, $region_code)
    order by lab_id
)

select * from final

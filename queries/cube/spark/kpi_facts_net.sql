-- Spark: the view kpi_facts_net of queries/macros/kpi_facts.sql, the same facts; only the gap between two
-- publicity days is datediff() (in Spark a date minus a date is an interval, not a number of days).
select 'grid_complete_pct' as kpi, region_code as record_id, region_code, cast(null as date) as first_day,
       cast(null as date) as stop_day,
       cast(case when coalesce(has_guide and has_system_owner and has_materials and has_medical_support
                               and has_isolation_transfer, false) then 1 else 0 end as bigint) as num,
       cast(1 as bigint) as den
from grid_units
union all
select 'villages_without_grid_owner', v.region_code, v.region_code, null, null, 1, null
from regions v
where v.level = 'village' and not exists (select 1 from grid_units g where g.region_code = v.region_code)
union all
select 'sentinel_visits_today', r.site_id, s.region_code, r.date, date_add(r.date, 1), cast(r.visits as bigint), null
from sentinel_reports r join sentinel_sites s using (site_id)
union all
select 'publicity_coverage_7d_pct', region_code, region_code, null, null, 0, 1
from regions where level = 'village'
union all
select 'publicity_coverage_7d_pct', village, village, first_day, stop_day, 1, 0
from (
    select village, min(date) as first_day, date_add(max(date), 7) as stop_day
    from (
        select village, date,
               sum(case when prev is null or datediff(date, prev) > 7 then 1 else 0 end)
                   over (partition by village order by date) as run
        from (
            select village, date, lag(date) over (partition by village order by date) as prev
            from (select distinct village_code(p.region_code) as village, p.date
                  from publicity p join regions v on v.region_code = village_code(p.region_code) and v.level = 'village')
        )
    )
    group by village, run
)

-- facts_reporting: the facts of the reporting KPIs (数据上报) for every day $d_first .. $d_last, from the stored
-- macro reporting_status (queries/macros/quality_reporting.sql), checked at $check_time (a report whose deadline is
-- later is pending: sitrep/cube.py stores the earliest such deadline, after which the cube is checked again).
-- Filled into the table kpi_facts_reporting; the columns are those of a fact (queries/macros/kpi_facts.sql).
-- param d_first date: the first day of the cube
-- param d_last date: the last day of the cube
-- param check_time timestamp: when the reports are checked
-- param settings quality: reporting settings; default data/quality_rules.toml ($SITREP_QUALITY)
with

reports as (
    select stream || ':' || unit_id as record_id, region_code, date, status
    from reporting_status($settings, $d_first::date, $d_last::date, null, $check_time::timestamp)
),

final as (
    -- received of the reports due (pending ones are not due yet)
    select 'reports_complete_pct' as kpi, record_id, region_code, date as first_day, date + 1 as stop_day,
           (status in ('on_time', 'late', 'unknown'))::bigint as num, (status <> 'pending')::bigint as den
    from reports
    union all
    -- on time of the received reports whose timeliness is known
    select 'reports_on_time_pct', record_id, region_code, date, date + 1,
           (status = 'on_time')::bigint, (status in ('on_time', 'late'))::bigint
    from reports
    union all
    -- due and not in by the deadline
    select 'reports_missing', record_id, region_code, date, date + 1, 1, null
    from reports
    where status = 'missing'
)

select * from final

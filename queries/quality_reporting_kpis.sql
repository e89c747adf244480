-- quality_reporting_kpis: the reporting KPIs on the as-of day, in scope, checked now (the
-- classification of quality_reporting_units: the macro reporting_status, queries/macros/quality_reporting.sql).
--   reports_complete_pct  received of the reports expected on the day (pending ones not counted), %
--   reports_on_time_pct   on time of the received reports whose timeliness is known, %
--                         (empty when none is known: e.g. a replayed history such as the demo)
--   reports_missing       reports expected on the day that did not come in by their deadline
-- param as_of date: the report day
-- param region_code str optional: scope (NULL = the whole city)
-- param settings quality: the [reporting] settings; default data/quality_rules.toml ($SITREP_QUALITY)
-- Row: kpi, value.
with

classified as (
    select * from reporting_status($settings, $as_of, $as_of, $region_code, current_localtimestamp())
),

counts as (
    select count(*) filter (where status <> 'pending') as due,
           count(*) filter (where status in ('on_time', 'late', 'unknown')) as received,
           count(*) filter (where status = 'on_time') as on_time,
           count(*) filter (where status = 'late') as late,
           count(*) filter (where status = 'missing') as missing
    from classified
),

final as (
    select 'reports_complete_pct' as kpi, round(100.0 * received / nullif(due, 0), 1)::double as value from counts
    union all
    select 'reports_on_time_pct', round(100.0 * on_time / nullif(on_time + late, 0), 1)::double from counts
    union all
    select 'reports_missing', missing::double from counts
)

select * from final

-- quality_reporting_kpis: the reporting KPIs on the as-of day, in scope, checked now, one row per KPI
-- (the macro reporting_kpis_on_day of queries/macros/quality_reporting.sql; kpis.sql gives the same
-- values, and the classification is the one of quality_reporting_units).
--   reports_complete_pct  received of the reports expected on the day (pending ones not counted), %
--   reports_on_time_pct   on time of the received reports whose timeliness is known, %
--                         (empty when none is known: e.g. a replayed history such as the demo)
--   reports_missing       reports expected on the day that did not come in by their deadline
-- param as_of date: the report day
-- param region_code str optional: scope (NULL = the whole city)
-- param settings quality: the [reporting] settings; default data/quality_rules.toml ($SITREP_QUALITY)
-- Row: kpi, value.
with

wide as (
    select * from reporting_kpis_on_day($settings, $as_of, $region_code, current_localtimestamp())
),

final as (
    select kpi, value
    from wide unpivot include nulls (value for kpi in (reports_complete_pct, reports_on_time_pct, reports_missing))
)

select * from final

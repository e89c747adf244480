-- quality_reporting_records: the reports due on the as-of day, in scope, with their status: the
-- records behind the reporting KPIs of quality_reporting_kpis (the same classification, the macro
-- reporting_status of queries/macros/quality_reporting.sql, checked now). Missing and late reports first.
-- param as_of date: the report day
-- param region_code str optional: scope (NULL = the whole city)
-- param settings quality: the [reporting] settings; default data/quality_rules.toml ($SITREP_QUALITY)
-- Row: one report due: stream, unit (id and name), region, township, day, deadline, status
-- (on_time, late, unknown, missing, pending), the first import that wrote it (id, time).
with

classified as (
    select * from reporting_status($settings, $as_of, $as_of, $region_code, current_localtimestamp())
),

final as (
    select c.stream, c.unit_id, c.unit_name, c.region_code, c.township_code, t.name as township_name,
           c.date, c.deadline, c.status, c.first_import_id as import_id, c.first_imported_at as imported_at
    from classified c
    left join regions t on t.region_code = c.township_code
)

select * from final
order by case status when 'missing' then 0 when 'late' then 1 when 'pending' then 2 when 'unknown' then 3 else 4 end,
         stream, township_code, unit_id

-- quality_reporting_units: every report expected from a reporting unit (sentinel site, laboratory,
-- warehouse, village, duty shift) on a day of the period, and whether and when it came in. A report
-- is on time when an import that wrote it happened by its deadline (the day's 00:00 + deadline_hours);
-- after it, late through a daily import, unknown through history loads only (see
-- data/quality_rules.toml [reporting]); missing when nothing came in and the deadline has passed,
-- pending while it has not. The classification is the macro reporting_status
-- (queries/macros/quality_reporting.sql); quality_reporting_daily counts these rows by township and day.
-- param as_of date: the last report day
-- param from_date date: the first report day
-- param region_code str optional: scope; city-level units (duty roster, city reserve, labs without a region) only at city scope
-- param settings quality: the [reporting] settings; default data/quality_rules.toml ($SITREP_QUALITY)
-- param now timestamp: when the check runs (a report before its deadline is pending)
-- param status str optional: only reports with this status (on_time, late, unknown, missing, pending)
-- Row: one expected report: stream, unit (id and name), its region, township, report day, deadline,
-- status, the first import that wrote it (id, time, file) and how many rows came in for it.
with

classified as (
    select * from reporting_status($settings, $from_date, $as_of, $region_code, $now)
),

final as (
    select c.stream, c.unit_id, c.unit_name, c.region_code, c.township_code, t.name as township_name,
           c.date, c.deadline, c.status, c.rows_in,
           c.first_import_id as import_id, c.first_imported_at as imported_at, i.file_name
    from classified c
    left join regions t on t.region_code = c.township_code
    left join import_log i on i.import_id = c.first_import_id
    where $status is null or c.status = $status
)

select * from final
order by date desc, stream, township_code, unit_id

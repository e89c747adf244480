-- quality_reporting_daily: report completeness and timeliness by stream, township and day: the
-- reports expected, received (on time, late, of unknown timeliness), missing and pending. The
-- records behind each count are quality_reporting_units (same parameters, same classification:
-- the macro reporting_status, queries/macros/quality_reporting.sql).
-- A report is on time when an import that wrote it happened by its deadline (the day's 00:00 +
-- deadline_hours); after it, late through a daily import, unknown through history loads only (see
-- data/quality_rules.toml [reporting]); missing when nothing came in and the deadline has passed.
-- param as_of date: the last report day
-- param from_date date: the first report day
-- param region_code str optional: scope; city-level units (duty roster, city reserve, labs without a region) only at city scope
-- param settings quality: the [reporting] settings; default data/quality_rules.toml ($SITREP_QUALITY)
-- param now timestamp: when the check runs (a report before its deadline is pending)
-- Row: one stream x township (the city itself for city-level units) x day with reports expected:
-- expected, received, on_time, late, unknown, missing, pending, complete_pct (received of expected
-- less pending), on_time_pct (on time of those received whose timeliness is known).
with

classified as (
    select * from reporting_status($settings, $from_date, $as_of, $region_code, $now)
),

final as (
    select c.stream, c.township_code, t.name as township_name, c.date,
           count(*) as expected,
           count(*) filter (where c.status in ('on_time', 'late', 'unknown')) as received,
           count(*) filter (where c.status = 'on_time') as on_time,
           count(*) filter (where c.status = 'late') as late,
           count(*) filter (where c.status = 'unknown') as unknown,
           count(*) filter (where c.status = 'missing') as missing,
           count(*) filter (where c.status = 'pending') as pending,
           round(100.0 * count(*) filter (where c.status in ('on_time', 'late', 'unknown'))
                 / nullif(count(*) filter (where c.status <> 'pending'), 0), 1) as complete_pct,
           round(100.0 * count(*) filter (where c.status = 'on_time')
                 / nullif(count(*) filter (where c.status in ('on_time', 'late')), 0), 1) as on_time_pct
    from classified c
    left join regions t on t.region_code = c.township_code
    group by c.stream, c.township_code, t.name, c.date
)

select * from final
order by stream, township_code, date

-- Reporting completeness and timeliness (数据上报): every report expected from a reporting unit
-- (sentinel site, laboratory, warehouse, village, duty shift) on each day from_day .. as_of, in
-- scope, classified, as a table macro stored in every database by sitrep.db.ensure_schema. The
-- named queries quality_reporting_{units,daily,records,kpis} select from it.
-- Arguments: settings_json is the bound parameter of type `quality` (data/quality_rules.toml
-- [reporting]: {"history_min_days": n, "streams": [...]}, sitrep.quality.config.Config.reporting_json);
-- from_day, as_of the first and last report day; scope a region code or NULL; check_time when the
-- check runs (a report whose deadline is after it is pending).
-- status: on_time when an import that wrote it happened by its deadline (the day's 00:00 +
-- deadline_hours); after it, late through a daily import, unknown through history loads only;
-- missing when nothing came in and the deadline has passed, pending while it has not.
-- Row: stream, unit_id, unit_name, region_code, township_code, date, deadline, rows_in,
-- first_import_id, first_imported_at, status.
CREATE OR REPLACE MACRO reporting_status(settings_json, from_day, as_of, scope, check_time) AS TABLE
with

config as (
    select json_extract_string(settings_json, '$.streams') as streams,
           json_extract(settings_json, '$.history_min_days')::integer as history_min_days
),

settings as (
    select unnest(from_json((select streams from config), '[{"stream":"VARCHAR","every_days":"INTEGER","anchor":"DATE","window_days":"INTEGER","deadline_hours":"INTEGER","units":["VARCHAR"]}]'), recursive := true)
),

city as (
    select min(region_code) as city_code from regions where level = 'city'
),

-- the counties whose headquarters keep a duty roster: the database's one county (county NULL), or each county of a
-- lake of many (duty_roster_county gives each row's county there)
counties as (
    select case when count(*) over () > 1 then left(region_code, 6) end as county, region_code as county_code
    from regions where level in ('city', 'county')
),

imports as (
    select import_id, imported_at, file_name from import_log
),

-- what came in: one row per unit, report day and import (reserves: one per item)
report_rows as (
    select 'sentinel_reports' as stream, site_id as unit_id, date, _import_id as import_id from sentinel_reports
    union all
    select 'test_capacity', lab_id, date, _import_id from test_capacity
    union all
    select 'reserves', warehouse_id, date, _import_id from reserves
    union all
    select 'publicity', region_code, date, _import_id from publicity
    union all
    select 'duty_roster', coalesce(county || ':', '') || shift, date, _import_id from duty_roster_county
),

-- who reports: master data where there is some, else whoever has reported (from their first report)
units as (
    select 'sentinel_reports' as stream, site_id as unit_id, site_name as unit_name, region_code,
           null::date as first_day
    from sentinel_sites
    union all
    select 'test_capacity', lab_id, arg_max(lab_name, date), arg_max(region_code, date), min(date)
    from test_capacity group by lab_id
    union all
    select 'reserves', warehouse_id, arg_max(warehouse_name, date), arg_max(region_code, date), min(date)
    from reserves group by warehouse_id
    union all
    select 'publicity', region_code, name, region_code, null::date
    from regions where level = 'village'
    union all
    select 'duty_roster', coalesce(c.county || ':', '') || s.shift, s.shift, c.county_code, null::date
    from (select unnest(units) as shift from settings where stream = 'duty_roster') s
    cross join counties c
),

-- how many report days each import wrote, per stream: many = a history load
import_spans as (
    select stream, import_id, count(distinct date) as report_days
    from report_rows
    group by all
),

lookback as (
    select max(coalesce(window_days, 1)) as days from settings
),

-- one row per unit and day that has rows: the earliest import, and whether only history loads wrote it
arrivals as (
    select r.stream, r.unit_id, r.date,
           count(*) as n_rows,
           min(i.imported_at) as first_imported_at,
           arg_min(r.import_id, i.imported_at) as first_import_id,
           bool_and(coalesce(s.report_days >= (select history_min_days from config), false)) as history_only
    from report_rows r
    left join imports i on i.import_id = r.import_id
    left join import_spans s on s.stream = r.stream and s.import_id = r.import_id
    where r.date between from_day - (select days from lookback) + 1 and as_of
    group by all
),

days as (
    select unnest(generate_series(from_day, as_of, interval 1 day))::date as day
),

expected as (
    select u.stream, u.unit_id, u.unit_name,
           coalesce(u.region_code, c.city_code) as region_code,
           d.day,
           coalesce(s.window_days, 1) as window_days,
           d.day + to_hours(s.deadline_hours) as deadline
    from units u
    join settings s on s.stream = u.stream
    cross join days d
    cross join city c
    where (u.first_day is null or d.day >= u.first_day)
      and (coalesce(s.every_days, 1) = 1
           or ((date_diff('day', coalesce(s.anchor, as_of), d.day) % s.every_days) + s.every_days)
              % s.every_days = 0)
      and in_scope(coalesce(u.region_code, c.city_code), scope)
),

matched as (
    select e.stream, e.unit_id, e.day,
           coalesce(sum(a.n_rows), 0)::bigint as rows_in,
           min(a.first_imported_at) as first_imported_at,
           arg_min(a.first_import_id, a.first_imported_at) as first_import_id,
           bool_and(a.history_only) as history_only
    from expected e
    left join arrivals a
      on a.stream = e.stream and a.unit_id = e.unit_id
     and a.date between e.day - e.window_days + 1 and e.day
    group by all
),

classified as (
    select e.stream, e.unit_id, e.unit_name, e.region_code, township_code(e.region_code) as township_code,
           e.day as date, e.deadline, m.rows_in, m.first_import_id, m.first_imported_at,
           case
               when m.rows_in = 0 and e.deadline > check_time then 'pending'
               when m.rows_in = 0 then 'missing'
               when m.first_imported_at <= e.deadline then 'on_time'
               when m.first_imported_at is null or m.history_only then 'unknown'
               else 'late'
           end as status
    from expected e
    join matched m on m.stream = e.stream and m.unit_id = e.unit_id and m.day = e.day
)

select * from classified;

-- The reporting KPIs of the catalogue on one day, in scope, as one row (kpis.sql and
-- quality_reporting_kpis.sql read it):
--   reports_complete_pct  received of the reports expected on the day (pending ones not counted), %
--   reports_on_time_pct   on time of the received reports whose timeliness is known, %
--   reports_missing       reports expected on the day that did not come in by their deadline
CREATE OR REPLACE MACRO reporting_kpis_on_day(settings_json, as_of, scope, check_time) AS TABLE
with

counts as (
    select count(*) filter (where status <> 'pending') as due,
           count(*) filter (where status in ('on_time', 'late', 'unknown')) as received,
           count(*) filter (where status = 'on_time') as on_time,
           count(*) filter (where status = 'late') as late,
           count(*) filter (where status = 'missing') as missing
    from reporting_status(settings_json, as_of, as_of, scope, check_time)
),

final as (
    select round(100.0 * received / nullif(due, 0), 1)::double as reports_complete_pct,
           round(100.0 * on_time / nullif(on_time + late, 0), 1)::double as reports_on_time_pct,
           missing::double as reports_missing
    from counts
)

select * from final;

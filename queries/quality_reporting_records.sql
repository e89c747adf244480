-- quality_reporting_records: the reports due on the as-of day, in scope, with their status: the
-- records behind the reporting KPIs of quality_reporting_kpis (same classification and the same
-- copy of the data/quality_rules.toml [reporting] settings in the config CTE; a test checks they
-- agree). Missing and late reports first.
-- param as_of date: the report day
-- param region_code str optional: scope (NULL = the whole city)
-- Row: one report due: stream, unit (id and name), region, township, day, deadline, status
-- (on_time, late, unknown, missing, pending), the first import that wrote it (id, time).
with

config as (
    select '[{"stream":"sentinel_reports","every_days":1,"anchor":null,"window_days":1,"deadline_hours":34,"units":null},{"stream":"test_capacity","every_days":1,"anchor":null,"window_days":1,"deadline_hours":34,"units":null},{"stream":"reserves","every_days":7,"anchor":"2022-03-31","window_days":1,"deadline_hours":34,"units":null},{"stream":"publicity","every_days":1,"anchor":null,"window_days":7,"deadline_hours":34,"units":null},{"stream":"duty_roster","every_days":1,"anchor":null,"window_days":1,"deadline_hours":34,"units":["day","night"]}]' as streams,
           7 as history_min_days,
           current_localtimestamp() as now
),

settings as (
    select unnest(from_json((select streams from config), '[{"stream":"VARCHAR","every_days":"INTEGER","anchor":"DATE","window_days":"INTEGER","deadline_hours":"INTEGER","units":["VARCHAR"]}]'), recursive := true)
),

city as (
    select min(region_code) as city_code from regions where level = 'city'
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
    select 'duty_roster', shift, date, _import_id from duty_roster
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
    select 'duty_roster', shift, shift, null, null::date
    from (select unnest(units) as shift from settings where stream = 'duty_roster')
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
    where r.date between $as_of - (select days from lookback) + 1 and $as_of
    group by all
),

days as (
    select $as_of::date as day
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
           or ((date_diff('day', coalesce(s.anchor, $as_of), d.day) % s.every_days) + s.every_days)
              % s.every_days = 0)
      and in_scope(coalesce(u.region_code, c.city_code), $region_code)
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
               when m.rows_in = 0 and e.deadline > (select now from config) then 'pending'
               when m.rows_in = 0 then 'missing'
               when m.first_imported_at <= e.deadline then 'on_time'
               when m.first_imported_at is null or m.history_only then 'unknown'
               else 'late'
           end as status
    from expected e
    join matched m on m.stream = e.stream and m.unit_id = e.unit_id and m.day = e.day
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

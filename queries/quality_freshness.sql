-- quality_freshness: for every table of the data contract, its newest import and how old it is
-- (from now), and its newest data on or before the as-of day and how far that lags behind the
-- day; stale when the import is older than the table's max_age_hours, or never happened;
-- lagging when the data lags more than max_lag_days (data/quality_rules.toml [freshness]).
-- param as_of date: the as-of day the data lag is measured from
-- param now timestamp: the time the import age is measured from
-- param limits str: the freshness limits as JSON (sitrep.quality.config.Config.limits_json)
-- Row: one table: table_name, rows, imports, last import (id, time, file, user), import_age_hours,
-- newest_date (on or before the as-of day), latest_date (any), data_lag_days, the limits, stale, lagging.
with

limits as (
    select unnest(from_json($limits, '[{"table_name":"VARCHAR","max_age_hours":"DOUBLE","max_lag_days":"INTEGER"}]'), recursive := true)
),

imports as (
    select table_name, import_id, imported_at, file_name, user_name
    from import_log
    where status in ('loaded', 'partial')
),

last_import as (
    select table_name, count(*) as imports, max(imported_at) as last_imported_at,
           max(import_id) as last_import_id,  -- import ids grow with time
           arg_max(file_name, import_id) as last_file_name,
           arg_max(user_name, import_id) as last_user_name
    from imports
    group by table_name
),

-- each table's date column (the day a row is about); tables without one have no data lag
data_dates as (
    select 'regions' as table_name, count(*) as n_rows, null::date as newest_date, null::date as latest_date from regions
    union all select 'cases', count(*), max(report_date) filter (where report_date <= $as_of), max(report_date) from cases
    union all select 'contacts', count(*), max(identified_date) filter (where identified_date <= $as_of), max(identified_date) from contacts
    union all select 'returnees', count(*), max(arrival_date) filter (where arrival_date <= $as_of), max(arrival_date) from returnees
    union all select 'tests', count(*), max(sample_date) filter (where sample_date <= $as_of), max(sample_date) from tests
    union all select 'test_capacity', count(*), max(date) filter (where date <= $as_of), max(date) from test_capacity
    union all select 'reserves', count(*), max(date) filter (where date <= $as_of), max(date) from reserves
    union all select 'funds', count(*), max(date) filter (where date <= $as_of), max(date) from funds
    union all select 'grid_units', count(*), max(checked_date) filter (where checked_date <= $as_of), max(checked_date) from grid_units
    union all select 'sentinel_sites', count(*), null, null from sentinel_sites
    union all select 'sentinel_reports', count(*), max(date) filter (where date <= $as_of), max(date) from sentinel_reports
    union all select 'publicity', count(*), max(date) filter (where date <= $as_of), max(date) from publicity
    union all select 'orders', count(*), max(issued_at::date) filter (where issued_at::date <= $as_of), max(issued_at::date) from orders
    union all select 'duty_roster', count(*), max(date) filter (where date <= $as_of), max(date) from duty_roster
    union all select 'supervision', count(*), max(found_date) filter (where found_date <= $as_of), max(found_date) from supervision
    union all select 'vaccinations', count(*), max(date) filter (where date <= $as_of), max(date) from vaccinations
),

final as (
    select d.table_name, d.n_rows as rows, coalesce(i.imports, 0) as imports,
           i.last_import_id, i.last_imported_at, i.last_file_name, i.last_user_name,
           round(date_diff('minute', i.last_imported_at, $now) / 60.0, 1) as import_age_hours,
           d.newest_date, d.latest_date,
           date_diff('day', d.newest_date, $as_of) as data_lag_days,
           l.max_age_hours, l.max_lag_days,
           coalesce(l.max_age_hours is not null
                    and (i.last_imported_at is null
                         or date_diff('minute', i.last_imported_at, $now) > l.max_age_hours * 60), false) as stale,
           coalesce(l.max_lag_days is not null
                    and (d.newest_date is null or date_diff('day', d.newest_date, $as_of) > l.max_lag_days), false)
               as lagging
    from data_dates d
    left join last_import i on i.table_name = d.table_name
    left join limits l on l.table_name = d.table_name
)

select * from final

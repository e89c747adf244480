-- table_counts: rows and date coverage of every table of the data contract (and the boundaries), with their imports.
-- Row: one table, in the contract's load order: position, table_name, row_count, date_column (the column the
-- coverage is of; NULL for tables with no date), first_date, last_date, imports (files loaded or partly loaded
-- into it), last_import (when the newest of them was imported).
-- (tests/test_page_data.py checks that every contract table is listed here.)
with

counts as (
    select 1 as position, 'regions' as table_name, count(*) as row_count,
           null::varchar as date_column, null::date as first_date, null::date as last_date from regions
    union all select 2, 'boundaries', count(*), null, null, null from boundaries
    union all select 3, 'cases', count(*), 'report_date', min(report_date), max(report_date) from cases
    union all select 4, 'contacts', count(*), 'identified_date', min(identified_date), max(identified_date) from contacts
    union all select 5, 'returnees', count(*), 'arrival_date', min(arrival_date), max(arrival_date) from returnees
    union all select 6, 'tests', count(*), 'sample_date', min(sample_date), max(sample_date) from tests
    union all select 7, 'test_capacity', count(*), 'date', min(date), max(date) from test_capacity
    union all select 8, 'reserves', count(*), 'date', min(date), max(date) from reserves
    union all select 9, 'funds', count(*), 'date', min(date), max(date) from funds
    union all select 10, 'grid_units', count(*), 'checked_date', min(checked_date), max(checked_date) from grid_units
    union all select 11, 'sentinel_sites', count(*), null, null, null from sentinel_sites
    union all select 12, 'sentinel_reports', count(*), 'date', min(date), max(date) from sentinel_reports
    union all select 13, 'publicity', count(*), 'date', min(date), max(date) from publicity
    union all select 14, 'orders', count(*), 'issued_at', min(issued_at)::date, max(issued_at)::date from orders
    union all select 15, 'duty_roster', count(*), 'date', min(date), max(date) from duty_roster
    union all select 16, 'supervision', count(*), 'found_date', min(found_date), max(found_date) from supervision
    union all select 17, 'vaccinations', count(*), 'date', min(date), max(date) from vaccinations
),

imports as (
    select table_name,
           count(*) filter (where status in ('loaded', 'partial')) as imports,
           max(imported_at) filter (where status in ('loaded', 'partial')) as last_import
    from import_log
    group by table_name
),

final as (
    select c.position, c.table_name, c.row_count, c.date_column, c.first_date, c.last_date,
           coalesce(i.imports, 0) as imports, i.last_import
    from counts c
    left join imports i using (table_name)
    order by c.position
)

select * from final

-- data_date_range: the first and last day the daily data covers (the as-of picker's bounds;
-- the last day is the default as-of date). Daily reports, cases and arrivals count.
-- Row: one row: min_date, max_date (today when the database is empty).
with

days as (
    select min(date) as lo, max(date) as hi from sentinel_reports
    union all select min(date), max(date) from test_capacity
    union all select min(date), max(date) from duty_roster
    union all select min(report_date), max(report_date) from cases
    union all select min(arrival_date), max(arrival_date) from returnees
),

final as (
    select coalesce(min(lo), current_date) as min_date, coalesce(max(hi), current_date) as max_date
    from days
)

select * from final

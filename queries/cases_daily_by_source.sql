-- cases_daily_by_source: the epidemic curve: cases reported per day by category and source, up to the as-of day.
-- param as_of date: last day shown
-- param region_code str optional: scope region; empty = the whole city
-- Row: one (report_date, category, source) with cases > 0.
with

cases_in_scope as (
    select report_date, category, source
    from cases
    where report_date <= $as_of and in_scope(region_code, $region_code)
),

final as (
    select report_date, category, source, count(*) as cases
    from cases_in_scope
    group by all
    order by report_date, category, source
)

select * from final

-- cases_daily_by_source_category: the epidemic curve by report date or by onset date: cases per day by source
-- and category, for cases reported up to D (a case reported after D is not known on D, whatever its onset).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param date_basis str optional: 'report' (default) or 'onset'
-- Row: one (day, source, category) with cases > 0; day is NULL for the cases with no onset date when
-- date_basis = 'onset' (asymptomatic infections have none).
with

cases_known as (
    select case when $date_basis = 'onset' then onset_date else report_date end as day, source, category
    from cases
    where report_date <= $as_of and in_scope(region_code, $region_code)
),

final as (
    select day, source, category, count(*) as cases
    from cases_known
    group by all
    order by day nulls last, source, category
)

select * from final

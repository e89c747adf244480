-- kpi_records_cases_confirmed_cumulative: the cases behind KPI cases_confirmed_cumulative (confirmed, reported by D).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one case.
with

final as (
    select case_id, report_date, onset_date, category, source, found_by, severity, status, discharge_date, region_code, cluster_id
    from cases
    where category = 'confirmed' and report_date <= $as_of and in_scope(region_code, $region_code)
    order by report_date, case_id
)

select * from final

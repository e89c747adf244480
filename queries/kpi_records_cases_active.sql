-- kpi_records_cases_active: the cases behind KPI cases_active (reported by D, not discharged or dead by D).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one case.
with

final as (
    select case_id, report_date, onset_date, category, source, severity, status, discharge_date, region_code, cluster_id
    from cases
    where category in ('confirmed', 'asymptomatic') and report_date <= $as_of
      and not coalesce(status in ('discharged', 'died') and discharge_date <= $as_of, false)
      and in_scope(region_code, $region_code)
    order by report_date, case_id
)

select * from final

-- kpi_records_cases_active: the cases behind KPI cases_active (reported by D, not discharged or dead by D). The records are the KPI's facts that count on D (queries/macros/kpi_facts.sql): their number is the KPI's value. States are as of the end of D (a later discharge, release, closing or rectification is not shown).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one case.
with

final as (
    -- the cases as they stood at the end of D (queries/macros/records_on_day.sql)
    select case_id, report_date, onset_date, category, source, severity, status, discharge_date, region_code,
           cluster_id
    from cases_on_day($as_of::date) c
    semi join kpi_facts_on_day('cases_active', $as_of::date, $region_code::varchar) f on f.record_id = c.case_id
    order by report_date, case_id
)

select * from final

-- kpi_records_cases_confirmed_cumulative: the cases behind KPI cases_confirmed_cumulative (confirmed, reported by D). The records are the KPI's facts that count on D (queries/macros/kpi_facts.sql): their number is the KPI's value. States are as of the end of D (a later discharge, release, closing or rectification is not shown).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one case.
with

final as (
    -- the cases as they stood at the end of D (queries/macros/records_on_day.sql)
    select *
    from cases_on_day($as_of::date) c
    semi join kpi_facts_on_day('cases_confirmed_cumulative', $as_of::date, $region_code::varchar) f on f.record_id = c.case_id
    order by report_date, case_id
)

select * from final

-- kpi_records_supervision_open_overdue: supervision issues behind KPI supervision_open_overdue. The records are the KPI's facts that count on D (queries/macros/kpi_facts.sql): their number is the KPI's value. States are as of the end of D (a later discharge, release, closing or rectification is not shown).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one issue.
with

final as (
    select issue_id, found_date, region_code, task_force, severity, description, due_date,
           case when rectified_date <= $as_of then rectified_date end as rectified_date,
           $as_of - due_date as days_overdue
    from supervision
    semi join kpi_facts_on_day('supervision_open_overdue', $as_of::date, $region_code::varchar) f on f.record_id = supervision.issue_id
    order by due_date, issue_id
)

select * from final

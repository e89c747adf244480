-- kpi_records_supervision_open_overdue: supervision issues behind KPI supervision_open_overdue.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one issue.
with

final as (
    select issue_id, found_date, region_code, task_force, severity, description, due_date, rectified_date,
           $as_of - due_date as days_overdue
    from supervision
    where found_date <= $as_of and due_date < $as_of
      and (rectified_date is null or rectified_date > $as_of)
      and in_scope(region_code, $region_code)
    order by due_date, issue_id
)

select * from final

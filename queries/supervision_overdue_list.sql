-- supervision_overdue_list: supervision problems past their due date and not rectified by the end of D (the records
-- behind KPI supervision_open_overdue), with the region's names. Longest overdue first.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one problem: issue_id, found_date, township, region (name of the problem's region), task_force, severity,
-- description, due_date, days_overdue (D - due_date), region_code.
with

final as (
    select s.issue_id, s.found_date, t.name as township, r.name as region, s.task_force, s.severity,
           s.description, s.due_date, $as_of - s.due_date as days_overdue, s.region_code
    from supervision s
    left join regions r on r.region_code = s.region_code
    left join regions t on t.region_code = township_code(s.region_code)
    where s.found_date <= $as_of and s.due_date < $as_of
      and (s.rectified_date is null or s.rectified_date > $as_of)
      and in_scope(s.region_code, $region_code)
    order by s.due_date, s.issue_id
)

select * from final

-- supervision_records_found: the supervision problems found by D in scope, as they stood at the end of D (a later
-- rectification is not shown; verified only once rectified, as supervision_funnel counts it): the records behind a
-- stage of the supervision funnel, which sitrep.drill picks out by rectified or verified.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one problem.
with

final as (
    select issue_id, found_date, region_code, task_force, severity, description, due_date,
           case when rectified_date <= $as_of then rectified_date end as rectified_date,
           coalesce(rectified_date <= $as_of, false) as rectified,
           coalesce(rectified_date <= $as_of and verified, false) as verified
    from supervision
    where found_date <= $as_of and in_scope(region_code, $region_code)
    order by found_date, issue_id
)

select * from final

-- Records as they stood at the end of a day d, as table macros stored in every database by
-- sitrep.db.ensure_schema: one place says what "as of the end of d" means for a table, and both the numbers a
-- chart draws and the records behind its marks (sitrep.drill) read it, so they cannot disagree.
--   cases_on_day(d)                 every case reported by d; a discharge or death after d not shown (the case
--                                   reads hospitalised). Scope is the caller's (in_scope or the KPI facts).
--   orders_on_day(d, scope, days)   the orders issued in the days days up to d (every one issued by d when days
--                                   is NULL) in scope; a closing after d not shown; closed, and order_state:
--                                   closed_on_time, closed_late, open_overdue (deadline before the end of d),
--                                   open_in_time.
CREATE OR REPLACE MACRO cases_on_day(d) AS TABLE
select case_id, report_date, onset_date, category, source, found_by, severity,
       case when status in ('discharged', 'died') and discharge_date > d then 'hospitalised' else status end as status,
       case when discharge_date <= d then discharge_date end as discharge_date,
       region_code, cluster_id
from cases
where report_date <= d;

CREATE OR REPLACE MACRO orders_on_day(d, scope, days) AS TABLE
with

orders_in_window as (
    select order_id, issued_at, task_force, region_code, subject, deadline,
           case when closed_at < d + 1 then closed_at end as closed_at
    from orders
    where issued_at < d + 1
      and (days is null or issued_at >= d - (days - 1))
      and in_scope(region_code, scope)
),

final as (
    select *, closed_at is not null as closed,
           case when closed_at <= deadline then 'closed_on_time'
                when closed_at > deadline then 'closed_late'
                when deadline < d + 1 then 'open_overdue'
                else 'open_in_time' end as order_state
    from orders_in_window
)

select * from final;

-- supervision_funnel: supervision problems found -> rectified -> verified as of the end of D, in scope.
-- The verified flag has no date: a problem counts as verified when it is rectified by D and flagged verified.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one row: found (found_date <= D), rectified (rectified_date <= D), verified, rectified_on_time
-- (rectified_date <= due_date), open_in_time (not rectified, due D or later), open_overdue (not rectified, due
-- before D, as in KPI supervision_open_overdue).
with

issues as (
    select due_date, verified,
           case when rectified_date <= $as_of then rectified_date end as rectified_date
    from supervision
    where found_date <= $as_of and in_scope(region_code, $region_code)
),

final as (
    select count(*) as found,
           count(rectified_date) as rectified,
           count(*) filter (where rectified_date is not null and verified) as verified,
           count(*) filter (where rectified_date <= due_date) as rectified_on_time,
           count(*) filter (where rectified_date is null and due_date >= $as_of) as open_in_time,
           count(*) filter (where rectified_date is null and due_date < $as_of) as open_overdue
    from issues
)

select * from final

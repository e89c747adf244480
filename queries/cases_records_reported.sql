-- cases_records_reported: every case reported by D in scope, as it stood at the end of D (a later discharge is
-- not shown; the macro cases_on_day, queries/macros/records_on_day.sql): the records behind a mark of a case chart
-- (the epidemic curve's bar, a way of finding cases, a node of a transmission tree), which sitrep.drill picks out
-- by day, source, category, found_by or case_id.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one case.
with

final as (
    select *
    from cases_on_day($as_of::date)
    where in_scope(region_code, $region_code)
    order by report_date, case_id
)

select * from final

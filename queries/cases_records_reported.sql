-- cases_records_reported: every case reported by D in scope, as it stood at the end of D (a later discharge is
-- not shown): the records behind a mark of a case chart (the epidemic curve's bar, a way of finding cases, a
-- node of a transmission tree), which sitrep.drill picks out by day, source, category, found_by or case_id.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one case.
with

final as (
    select case_id, report_date, onset_date, category, source, found_by, severity,
           case when status in ('discharged', 'died') and discharge_date > $as_of then 'hospitalised' else status end as status,
           case when discharge_date <= $as_of then discharge_date end as discharge_date,
           region_code, cluster_id
    from cases
    where report_date <= $as_of and in_scope(region_code, $region_code)
    order by report_date, case_id
)

select * from final

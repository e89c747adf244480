-- kpi_records_sentinel_visits_today: sentinel reports on D at sites in scope, behind KPI sentinel_visits_today.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one site's report on D.
with

final as (
    select rep.date, rep.site_id, s.site_name, s.site_type, s.region_code, rep.visits, rep.fever, rep.flagged
    from sentinel_reports rep
    join sentinel_sites s using (site_id)
    where rep.date = $as_of and in_scope(s.region_code, $region_code)
    order by rep.visits desc, rep.site_id
)

select * from final

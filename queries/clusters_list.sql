-- clusters_list: the clusters (cases sharing a cluster_id) with at least one case reported up to D in scope.
-- A cluster counts all its cases reported up to D, also those outside the scope (a chain crosses borders).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one cluster: cluster_id, cases, confirmed, asymptomatic, cases_in_scope, active (not discharged or dead by
-- D), first_report, last_report, townships (names, 、-separated). Latest first.
with

members as (
    select c.cluster_id, c.case_id, c.category, c.report_date, c.region_code,
           in_scope(c.region_code, $region_code) as in_scope,
           not coalesce(c.status in ('discharged', 'died') and c.discharge_date <= $as_of, false) as active
    from cases c
    where c.cluster_id is not null and c.cluster_id <> '' and c.report_date <= $as_of
),

final as (
    select m.cluster_id,
           count(*) as cases,
           count(*) filter (where m.category = 'confirmed') as confirmed,
           count(*) filter (where m.category = 'asymptomatic') as asymptomatic,
           count(*) filter (where m.in_scope) as cases_in_scope,
           count(*) filter (where m.active and m.category in ('confirmed', 'asymptomatic')) as active,
           min(m.report_date) as first_report,
           max(m.report_date) as last_report,
           string_agg(distinct t.name, '、' order by t.name) as townships
    from members m
    left join regions t on t.region_code = township_code(m.region_code)
    group by m.cluster_id
    having count(*) filter (where m.in_scope) > 0
    order by last_report desc, cluster_id
)

select * from final

-- clusters_chain: who infected whom in one cluster, as known at the end of D: its cases reported up to D, each
-- with its infector and its generation (0 = a case whose infector is unknown or not in the cluster by D).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (marks the cases in scope); empty = the whole city
-- param cluster_id str: the cluster
-- Row: one case: case_id, infector_case_id (NULL when not a case of the cluster reported by D), generation (NULL only
-- for a case on an infector loop), category, source, found_by, severity, report_date, onset_date, township,
-- village, status_on_day (hospitalised / discharged / died as of D), in_scope. Ordered by generation, report date.
with recursive

members as (
    select c.*
    from cases c
    where c.cluster_id = $cluster_id and c.report_date <= $as_of
),

links as (
    select m.case_id,
           case when m.infector_case_id in (select case_id from members) and m.infector_case_id <> m.case_id
                then m.infector_case_id end as parent
    from members m
),

generations(case_id, generation, path) as (
    select case_id, 0, [case_id] from links where parent is null
    union all
    select l.case_id, g.generation + 1, list_append(g.path, l.case_id)
    from links l
    join generations g on l.parent = g.case_id
    where not list_contains(g.path, l.case_id)
),

final as (
    select m.case_id, l.parent as infector_case_id, min(g.generation) as generation,
           m.category, m.source, m.found_by, m.severity, m.report_date, m.onset_date,
           t.name as township, v.name as village,
           case when m.status in ('discharged', 'died') and m.discharge_date <= $as_of then m.status
                else 'hospitalised' end as status_on_day,
           in_scope(m.region_code, $region_code) as in_scope
    from members m
    join links l using (case_id)
    left join generations g using (case_id)
    left join regions t on t.region_code = township_code(m.region_code)
    left join regions v on v.region_code = village_code(m.region_code)
    group by all
    order by generation nulls last, m.report_date, m.case_id
)

select * from final

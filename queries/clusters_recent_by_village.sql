-- clusters_recent_by_village: the clusters (one cluster_id) with at least min_cases cases of the given sources
-- and categories reported up to D, the latest of them within recent_days days up to D, with a case in scope; for
-- the severity model's cluster rule (sitrep.severity). A cluster counts all its cases, also those outside the
-- scope (a chain crosses borders).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param sources str: case sources, comma-separated codes (e.g. 'local')
-- param categories str: case categories, comma-separated codes
-- param min_cases int: the fewest linked cases that make a cluster (2)
-- param recent_days int: the latest case reported within this many days up to D (D counts as day 1)
-- Row: one (cluster, village) in scope: cluster_id, cluster_cases, new_cases (reported on D), first_report,
-- last_report, village_code, village, township_code, township, cases (of the cluster in that village).
with

members as (
    select c.cluster_id, c.report_date, c.region_code,
           case when length(c.region_code) >= 12 and right(left(c.region_code, 12), 3) <> '000'
                then village_code(c.region_code) end as village_code,
           township_code(c.region_code) as township_code
    from cases c
    where c.cluster_id is not null and c.cluster_id <> ''
      and c.report_date <= $as_of::date
      and list_contains(string_split($sources, ','), c.source)
      and list_contains(string_split($categories, ','), c.category)
),

clusters as (
    select cluster_id, count(*) as cluster_cases,
           count(*) filter (where report_date = $as_of::date) as new_cases,
           min(report_date) as first_report, max(report_date) as last_report
    from members
    group by cluster_id
    having count(*) >= $min_cases and max(report_date) > $as_of::date - $recent_days::integer
),

final as (
    select k.cluster_id, k.cluster_cases, k.new_cases, k.first_report, k.last_report,
           m.village_code, v.name as village, m.township_code, county_prefix(m.township_code) || t.name as township, count(*) as cases
    from clusters k
    join members m using (cluster_id)
    left join regions v on v.region_code = m.village_code
    left join regions t on t.region_code = m.township_code
    where in_scope(m.region_code, $region_code)
    group by all
    order by k.last_report desc, k.cluster_id, cases desc, m.village_code
)

select * from final

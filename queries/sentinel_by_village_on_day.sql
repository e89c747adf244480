-- sentinel_by_village_on_day: visits and fever reported on D by the sentinel sites of each village in scope,
-- for the village fill under the site map.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one village with at least one sentinel site: region_code, sites, sites_reporting, visits, fever
-- (NULL when none of its sites reported on D).
with

sites as (
    select site_id, village_code(region_code) as region_code
    from sentinel_sites
    where in_scope(region_code, $region_code)
),

final as (
    select s.region_code, count(*) as sites, count(r.site_id) as sites_reporting,
           sum(r.visits)::bigint as visits, sum(r.fever)::bigint as fever
    from sites s
    left join sentinel_reports r on r.site_id = s.site_id and r.date = $as_of::date
    group by s.region_code
    order by s.region_code
)

select * from final

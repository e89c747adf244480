-- sentinel_sites_on_day: every sentinel site in scope with its report on D and its visits over D-6 .. D,
-- for the site map. A site with no position sits at its village's centre.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one site: site_id, site_name, site_type, region_code, place (name of its village, or township), lon, lat,
-- visits, fever, flagged (NULL when the site did not report on D), visits_7d.
with

sites as (
    select s.*, v.name as place, v.lon as village_lon, v.lat as village_lat
    from sentinel_sites s
    left join regions v on v.region_code = village_code(s.region_code)
    where in_scope(s.region_code, $region_code)
),

week as (
    select site_id, sum(visits)::bigint as visits_7d
    from sentinel_reports
    where date between $as_of::date - 6 and $as_of::date
    group by site_id
),

final as (
    select s.site_id, s.site_name, s.site_type, s.region_code, s.place,
           coalesce(s.lon, s.village_lon) as lon, coalesce(s.lat, s.village_lat) as lat,
           r.visits, r.fever, r.flagged, coalesce(w.visits_7d, 0) as visits_7d
    from sites s
    left join sentinel_reports r on r.site_id = s.site_id and r.date = $as_of::date
    left join week w on w.site_id = s.site_id
    order by s.site_type, s.site_id
)

select * from final

-- sentinel_daily_by_site_type: visits and fever reported by the sentinel sites in scope, per day and site
-- type, over the 8 weeks up to D (D-55 .. D).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one day x one site type that has a site in scope: date, site_type, visits, fever (NULL when no site
-- of the type reported that day, so a line shows a gap rather than a false zero), sites_reporting.
with

days as (
    select unnest(generate_series($as_of::date - 55, $as_of::date, interval 1 day))::date as date
),

sites as (
    select site_id, site_type from sentinel_sites where in_scope(region_code, $region_code)
),

reports as (
    select r.date, s.site_type, sum(r.visits)::bigint as visits, sum(r.fever)::bigint as fever,
           count(*) as sites_reporting
    from sentinel_reports r
    join sites s using (site_id)
    where r.date between $as_of::date - 55 and $as_of::date
    group by r.date, s.site_type
),

final as (
    select d.date, t.site_type, r.visits, r.fever, coalesce(r.sites_reporting, 0) as sites_reporting
    from days d
    cross join (select distinct site_type from sites) t
    left join reports r on r.date = d.date and r.site_type = t.site_type
    order by t.site_type, d.date
)

select * from final

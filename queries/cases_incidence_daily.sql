-- cases_incidence_daily: the incidence Rt and the growth rate are computed from: local and imported cases per
-- day in scope, for the confirmed cases and asymptomatic infections reported up to D (suspected cases are left out).
-- param as_of date: the as-of day D (the last day of the series)
-- param region_code str optional: scope region; empty = the whole city
-- param date_basis str optional: 'onset' (default: a case's onset date when known, else its report date) or 'report'
-- Row: one day from the first case's day to D, every day present (zeros included): date, local (source local),
-- imported (source overseas or domestic_imported). No rows when no case is known by D.
with

cases_known as (
    select case when coalesce($date_basis, 'onset') = 'onset' then coalesce(onset_date, report_date)
                else report_date end as date,
           source
    from cases
    where report_date <= $as_of and category in ('confirmed', 'asymptomatic')
      and in_scope(region_code, $region_code)
),

days as (
    select unnest(generate_series(min(date), $as_of::date, interval 1 day))::date as date
    from cases_known
    having count(*) > 0
),

by_day as (
    select date,
           count(*) filter (where source = 'local') as local,
           count(*) filter (where source in ('overseas', 'domestic_imported')) as imported
    from cases_known
    group by date
),

final as (
    select d.date, coalesce(b.local, 0)::bigint as local, coalesce(b.imported, 0)::bigint as imported
    from days d
    left join by_day b using (date)
    order by d.date
)

select * from final

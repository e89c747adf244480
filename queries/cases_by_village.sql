-- cases_by_village: confirmed cases and asymptomatic infections in every village in scope as of the end of D
-- (a case in a group counts in its village). Every village in scope has a row, with zeros.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one village: region_code, village, township, cases_cumulative (reported up to D), cases_active (reported
-- and not discharged or dead by D, as in KPI cases_active), cases_14d (reported D-13 .. D).
with

cases_known as (
    select village_code(region_code) as region_code, report_date,
           not coalesce(status in ('discharged', 'died') and discharge_date <= $as_of, false) as active
    from cases
    where report_date <= $as_of and category in ('confirmed', 'asymptomatic')
      and in_scope(region_code, $region_code)
),

by_village as (
    select region_code,
           count(*) as cases_cumulative,
           count(*) filter (where active) as cases_active,
           count(*) filter (where report_date > $as_of::date - 14) as cases_14d
    from cases_known
    group by region_code
),

final as (
    select v.region_code, v.name as village, t.name as township,
           coalesce(c.cases_cumulative, 0) as cases_cumulative,
           coalesce(c.cases_active, 0) as cases_active,
           coalesce(c.cases_14d, 0) as cases_14d
    from regions v
    left join regions t on t.region_code = v.parent_code
    left join by_village c on c.region_code = v.region_code
    where v.level = 'village' and in_scope(v.region_code, $region_code)
    order by v.region_code
)

select * from final

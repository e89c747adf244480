-- cases_points: where the cases reported up to D live, for the case map: one point per location (members of one
-- household share coordinates); cases with no coordinates are left out.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one location: lon, lat, cases, active (not discharged or dead by D), case_ids (、-separated, by report date),
-- first_report, last_report, village, township.
with

cases_known as (
    select c.case_id, c.lon, c.lat, c.report_date, c.region_code,
           not coalesce(c.status in ('discharged', 'died') and c.discharge_date <= $as_of, false) as active
    from cases c
    where c.report_date <= $as_of and c.lon is not null and c.lat is not null
      and c.category in ('confirmed', 'asymptomatic')
      and in_scope(c.region_code, $region_code)
),

final as (
    select k.lon, k.lat, count(*) as cases, count(*) filter (where k.active) as active,
           string_agg(k.case_id, '、' order by k.report_date, k.case_id) as case_ids,
           min(k.report_date) as first_report, max(k.report_date) as last_report,
           min(v.name) as village, min(t.name) as township
    from cases_known k
    left join regions v on v.region_code = village_code(k.region_code)
    left join regions t on t.region_code = township_code(k.region_code)
    group by k.lon, k.lat
    order by first_report, case_ids
)

select * from final

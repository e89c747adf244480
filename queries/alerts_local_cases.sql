-- alerts_local_cases: the cases that raise an alert each (the single-case trigger of data/alerts.toml [cases]):
-- every case of the listed sources and categories reported in date_from .. D, in scope.
-- param as_of date: the as-of day D
-- param date_from date: the first report day
-- param region_code str optional: scope region; empty = the whole city
-- param sources str: the case sources that raise an alert, comma-separated codes (e.g. 'local')
-- param categories str: the case categories that raise an alert, comma-separated codes (e.g. 'confirmed,asymptomatic')
-- Row: one case: case_id, report_date, onset_date, category, source, found_by, cluster_id, infector_case_id,
-- region_code (the case's village or other region), region_name, township_code, township_name.
with

cases_listed as (
    select c.*
    from cases c
    where c.report_date between $date_from and $as_of
      and list_contains(string_split($sources, ','), c.source)
      and list_contains(string_split($categories, ','), c.category)
      and in_scope(c.region_code, $region_code)
),

final as (
    select c.case_id, c.report_date, c.onset_date, c.category, c.source, c.found_by, c.cluster_id, c.infector_case_id,
           c.region_code, r.name as region_name, township_code(c.region_code) as township_code, county_prefix(c.region_code) || t.name as township_name
    from cases_listed c
    left join regions r on r.region_code = c.region_code
    left join regions t on t.region_code = township_code(c.region_code)
    order by c.report_date, c.region_code, c.case_id
)

select * from final

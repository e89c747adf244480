-- cases_local_last: the last report day of a case of the given sources and categories up to D in scope, for
-- "距末例本土病例天数" and "连续N天无新增本土病例".
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param sources str: case sources, comma-separated codes (e.g. 'local')
-- param categories str: case categories, comma-separated codes (e.g. 'confirmed,asymptomatic')
-- Row: exactly one: last_report (NULL when there was none), cases (reported up to D).
with

listed as (
    select c.report_date
    from cases c
    where c.report_date <= $as_of::date
      and list_contains(string_split($sources, ','), c.source)
      and list_contains(string_split($categories, ','), c.category)
      and in_scope(c.region_code, $region_code)
),

final as (
    select max(report_date) as last_report, count(*) as cases
    from listed
)

select * from final

-- cases_new_by_village: the cases reported on D in scope, per source, category and village, for the severity
-- model's case rules (sitrep.severity) and the headline ("新增本土确诊病例1例（白沙镇沙头村）").
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one (source, category, village): village_code (the case's village; a case recorded at a group counts in
-- its village; NULL when the case has only a township), village, township_code, township, cases.
with

reported as (
    select c.source, c.category,
           case when length(c.region_code) >= 12 and right(left(c.region_code, 12), 3) <> '000'
                then village_code(c.region_code) end as village_code,
           township_code(c.region_code) as township_code
    from cases c
    where c.report_date = $as_of::date
      and in_scope(c.region_code, $region_code)
),

final as (
    select r.source, r.category, r.village_code, v.name as village, r.township_code, county_prefix(r.township_code) || t.name as township,
           count(*) as cases
    from reported r
    left join regions v on v.region_code = r.village_code
    left join regions t on t.region_code = r.township_code
    group by all
    order by r.township_code, r.village_code nulls first, r.source, r.category
)

select * from final

-- publicity_coverage_by_village: publicity in every village in scope over the last $days days up to D
-- (D-days+1 .. D); a village with no activity in the window is a blind spot (盲区).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- param days int: length of the window in days (7, 14 or 30 on the page)
-- Row: one village: region_code, village (name), township, population, activities, reach, channels (distinct channels
-- used), covered (any activity in the window), last_date (last activity on or before D, any time; NULL if
-- never), days_since_last (D - last_date). Blind spots first, longest silent first.
with

window_rows as (
    select village_code(region_code) as region_code, channel, activities, reach
    from publicity
    where date between $as_of::date - ($days - 1) and $as_of::date
      and in_scope(region_code, $region_code)
),

in_window as (
    select region_code, sum(activities)::bigint as activities, sum(reach)::bigint as reach,
           count(distinct channel) as channels
    from window_rows
    group by region_code
),

last_activity as (
    select village_code(region_code) as region_code, max(date) as last_date
    from publicity
    where date <= $as_of::date and in_scope(region_code, $region_code)
    group by 1
),

final as (
    select v.region_code, v.name as village, t.name as township, v.population,
           coalesce(w.activities, 0) as activities, coalesce(w.reach, 0) as reach,
           coalesce(w.channels, 0) as channels,
           coalesce(w.activities, 0) > 0 as covered,
           l.last_date,
           $as_of::date - l.last_date as days_since_last
    from regions v
    left join regions t on t.region_code = v.parent_code
    left join in_window w on w.region_code = v.region_code
    left join last_activity l on l.region_code = v.region_code
    where v.level = 'village' and in_scope(v.region_code, $region_code)
    order by covered, l.last_date nulls first, v.region_code
)

select * from final

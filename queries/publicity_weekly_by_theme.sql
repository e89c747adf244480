-- publicity_weekly_by_theme: publicity activities in scope per week and theme over the 26 weeks up to D.
-- Weeks end on D (the last bar is D-6 .. D); a week that starts before the first publicity record is left
-- out, so every bar is a full week.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one week x theme with activity: week_start, week_end, theme (NULL when not given), activities, reach.
with

rows_in_range as (
    select date, theme, activities, reach,
           (($as_of::date - date) // 7)::integer as weeks_back
    from publicity
    where date between $as_of::date - 181 and $as_of::date
      and in_scope(region_code, $region_code)
),

final as (
    select ($as_of::date - 7 * weeks_back - 6)::date as week_start, ($as_of::date - 7 * weeks_back)::date as week_end,
           theme, sum(activities)::bigint as activities, sum(reach)::bigint as reach
    from rows_in_range
    group by weeks_back, theme
    having week_start >= (select min(date) from publicity)
    order by week_start, theme nulls last
)

select * from final

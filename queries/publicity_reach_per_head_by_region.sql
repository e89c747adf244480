-- publicity_reach_per_head_by_region: people reached per resident over the last $days days up to D, for
-- each region one level below the scope (townships for the city, villages for a township, the village
-- itself for a village). Reach counts contacts, so one person reached twice counts twice.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- param days int: length of the window in days
-- Row: one region: region_code, name, level, population, activities, reach, reach_per_head (NULL when the
-- population is unknown), scope_reach_per_head (all the regions shown together). Highest reach per head first.
with

regions_shown as (
    select region_code, name, level, population from regions_one_level_below($region_code::varchar)
),

child_level as (
    select any_value(level) as level from regions_shown
),

reached as (
    select case c.level when 'township' then township_code(p.region_code) else village_code(p.region_code) end
               as region_code,
           sum(p.activities)::bigint as activities, sum(p.reach)::bigint as reach
    from publicity p, child_level c
    where p.date between $as_of::date - ($days - 1) and $as_of::date
      and in_scope(p.region_code, $region_code)
    group by 1
),

final as (
    select r.region_code, r.name, r.level, r.population,
           coalesce(p.activities, 0) as activities, coalesce(p.reach, 0) as reach,
           round(coalesce(p.reach, 0) / nullif(r.population, 0), 2) as reach_per_head,
           round(sum(coalesce(p.reach, 0)) over () / nullif(sum(r.population) over (), 0), 2) as scope_reach_per_head
    from regions_shown r
    left join reached p using (region_code)
    order by reach_per_head desc nulls last, r.region_code
)

select * from final

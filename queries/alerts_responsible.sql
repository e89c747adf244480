-- alerts_responsible: who answers for an alert at each place: the grid unit's responsible person of a township (a
-- city leader) or a village (a township cadre), and for the city itself (each county of a lake) the headquarters'
-- leader on day duty on D (the roster has no phone).
-- param as_of date: the as-of day D (whose duty leader answers for the city)
-- param region_code str optional: scope region; empty = the whole city (the city's row comes only with it)
-- Row: one place: region_code, region_name, level ('city' or 'county', 'township' or 'village'), township_code (NULL
-- for the city), responsible_person (NULL when the place has no grid unit or D no duty row), phone, responsible_level
-- (the grid's level code, or 'duty_leader').
with

places as (
    select region_code, name as region_name, level,
           case when level_rank(level) > 3 then township_code(region_code) end as township_code
    from regions
    where level_rank(level) between 3 and 5
      and (in_scope(region_code, $region_code) or (level_rank(level) = 3 and $region_code is null))
),

duty as (
    select county, leader from duty_roster_county where date = $as_of and shift = 'day'
),

final as (
    select p.region_code, p.region_name, p.level, p.township_code,
           case when level_rank(p.level) = 3
                then (select min(leader) from duty d where d.county is null or d.county = left(p.region_code, 6))
                else g.responsible_person end as responsible_person,
           case when level_rank(p.level) > 3 then g.phone end as phone,
           case when level_rank(p.level) = 3 then 'duty_leader' else g.responsible_level end as responsible_level
    from places p
    left join grid_units g on g.region_code = p.region_code
    order by p.region_code
)

select * from final

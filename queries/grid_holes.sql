-- grid_holes: where the four-level grid has holes and who answers for each: grid units in scope that miss
-- at least one of the five haves, and villages in scope with no grid unit at all (answered for by their
-- township's grid unit). The grid register is a current snapshot, so it takes no as-of day.
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one hole: region_code, township, village (the village a village or group unit lies in; NULL for a
-- township), region_name, level (of the region), hole ('no_unit' | 'missing_haves'),
-- missing (list of the five-have column names missing; empty for no_unit), responsible_person, phone,
-- responsible_level, checked_date. Villages with no unit first, then units missing the most.
with

units as (
    select g.*, r.name as region_name, r.level,
           list_filter([
               case when not coalesce(g.has_guide, false) then 'has_guide' end,
               case when not coalesce(g.has_system_owner, false) then 'has_system_owner' end,
               case when not coalesce(g.has_materials, false) then 'has_materials' end,
               case when not coalesce(g.has_medical_support, false) then 'has_medical_support' end,
               case when not coalesce(g.has_isolation_transfer, false) then 'has_isolation_transfer' end
           ], lambda x: x is not null) as missing
    from grid_units g
    left join regions r using (region_code)
    where in_scope(g.region_code, $region_code)
),

units_with_holes as (
    select region_code, region_name, level, 'missing_haves' as hole, missing,
           responsible_person, phone, responsible_level, checked_date
    from units
    where len(missing) > 0
),

villages_without_unit as (
    -- the township's grid unit answers for a village that has none
    select v.region_code, v.name as region_name, v.level, 'no_unit' as hole, []::varchar[] as missing,
           tg.responsible_person, tg.phone, tg.responsible_level, null::date as checked_date
    from regions v
    left join grid_units tg on tg.region_code = township_code(v.region_code)
    where v.level = 'village' and in_scope(v.region_code, $region_code)
      and not exists (select 1 from grid_units g where g.region_code = v.region_code)
),

final as (
    select h.region_code, t.name as township, v.name as village, h.region_name, h.level, h.hole, h.missing,
           h.responsible_person, h.phone, h.responsible_level, h.checked_date
    from (select * from villages_without_unit union all select * from units_with_holes) h
    left join regions t on t.region_code = township_code(h.region_code)
    left join regions v on v.region_code = village_code(h.region_code) and v.level = 'village'
    order by h.hole = 'missing_haves', len(h.missing) desc, h.region_code
)

select * from final

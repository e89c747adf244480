-- grid_owner_by_region: who is responsible for each township and village (the four-level grid),
-- to say who answers for an item that needs a decision.
-- param region_code str optional: scope region; empty = the whole city
-- Row: one grid unit at township or village level: region_code, region_name, level, responsible_person, phone, responsible_level.
with

final as (
    select g.region_code, r.name as region_name, r.level, g.responsible_person, g.phone, g.responsible_level
    from grid_units g
    join regions r using (region_code)
    where r.level in ('township', 'village') and in_scope(g.region_code, $region_code)
    order by g.region_code
)

select * from final

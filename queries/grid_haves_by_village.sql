-- grid_haves_by_village: how many of the "five haves" (五有) each village's grid unit has, for the grid map.
-- The grid register is a current snapshot (one row per unit, not dated), so it takes no as-of day.
-- A NULL five-have flag counts as missing.
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one village in scope: region_code, name, township, haves (0-5; NULL when the village has no grid unit), has_unit.
with

villages as (
    select v.region_code, v.name, t.name as township
    from regions v
    left join regions t on t.region_code = v.parent_code
    where v.level = 'village' and in_scope(v.region_code, $region_code)
),

units as (
    select region_code,
           coalesce(has_guide, false)::int + coalesce(has_system_owner, false)::int
           + coalesce(has_materials, false)::int + coalesce(has_medical_support, false)::int
           + coalesce(has_isolation_transfer, false)::int as haves
    from grid_units
),

final as (
    select v.region_code, v.name, v.township, u.haves, u.region_code is not null as has_unit
    from villages v
    left join units u using (region_code)
    order by v.region_code
)

select * from final

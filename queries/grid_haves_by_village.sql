-- grid_haves_by_village: how many of the "five haves" (五有) each village's grid has throughout, for the grid
-- map: a have counts when the village's own unit and every group unit in the village have it, so a hole
-- anywhere in the village shows. The grid register is a current snapshot (one row per unit, not dated), so it
-- takes no as-of day. A NULL five-have flag counts as missing.
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one village in scope: region_code, name, township, haves (0-5; NULL when the village has no grid unit
-- of its own), has_unit, units (the village's unit and its group units), units_with_holes.
with

villages as (
    select v.region_code, v.name, t.name as township
    from regions v
    left join regions t on t.region_code = v.parent_code
    where v.level = 'village' and in_scope(v.region_code, $region_code)
),

units as (
    select village_code(region_code) as village, region_code,
           coalesce(has_guide, false) as guide, coalesce(has_system_owner, false) as system_owner,
           coalesce(has_materials, false) as materials, coalesce(has_medical_support, false) as medical_support,
           coalesce(has_isolation_transfer, false) as isolation_transfer
    from grid_units
    where length(region_code) >= 12 and in_scope(region_code, $region_code)
),

by_village as (
    select village,
           bool_or(region_code = village) as has_unit,
           bool_and(guide)::int + bool_and(system_owner)::int + bool_and(materials)::int
           + bool_and(medical_support)::int + bool_and(isolation_transfer)::int as haves,
           count(*) as units,
           count(*) filter (where not (guide and system_owner and materials and medical_support
                                       and isolation_transfer)) as units_with_holes
    from units
    group by village
),

final as (
    select v.region_code, v.name, v.township,
           case when u.has_unit then u.haves end as haves,
           coalesce(u.has_unit, false) as has_unit,
           coalesce(u.units, 0) as units,
           coalesce(u.units_with_holes, 0) as units_with_holes
    from villages v
    left join by_village u on u.village = v.region_code
    order by v.region_code
)

select * from final

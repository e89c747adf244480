-- grid_haves_missing: for each of the five haves (五有), how many grid units in scope miss it.
-- The grid register is a current snapshot, so it takes no as-of day. A NULL flag counts as missing.
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one of the five haves, in the speech's order: have (grid_units column name), units_missing,
-- units (grid units in scope).
with

haves(have, ord) as (
    values ('has_guide', 1), ('has_system_owner', 2), ('has_materials', 3),
           ('has_medical_support', 4), ('has_isolation_transfer', 5)
),

units as (
    select * from grid_units where in_scope(region_code, $region_code)
),

final as (
    select h.have,
           count(u.region_code) filter (where not coalesce(case h.have
               when 'has_guide' then u.has_guide
               when 'has_system_owner' then u.has_system_owner
               when 'has_materials' then u.has_materials
               when 'has_medical_support' then u.has_medical_support
               when 'has_isolation_transfer' then u.has_isolation_transfer end, false)) as units_missing,
           count(u.region_code) as units
    from haves h
    left join units u on true
    group by h.have, h.ord
    order by h.ord
)

select * from final

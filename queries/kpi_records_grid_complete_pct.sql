-- kpi_records_grid_complete_pct: grid units in scope and their five haves (units with a hole first), behind KPI grid_complete_pct. The grid is not dated: as_of is taken for a common signature.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one grid unit.
with

params as (
    select $as_of::date as d
),

final as (
    select g.region_code, r.name as region_name, r.level, g.responsible_person, g.phone, g.responsible_level,
           g.has_guide, g.has_system_owner, g.has_materials, g.has_medical_support, g.has_isolation_transfer,
           coalesce(g.has_guide and g.has_system_owner and g.has_materials
                    and g.has_medical_support and g.has_isolation_transfer, false) as complete,
           g.checked_date
    from grid_units g
    left join regions r using (region_code), params
    where in_scope(g.region_code, $region_code)
    order by complete, g.region_code
)

select * from final

-- grid_units_by_level: the four-level grid (市级领导包乡镇、乡镇干部包村、村干部包组、组干部包户):
-- grid units in scope by the level of their responsible person, and how many have all five haves.
-- The grid register is a current snapshot, so it takes no as-of day.
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one level (all four, in order; units with no level last if any): responsible_level, units,
-- units_complete, units_with_holes, regions (regions in scope of the level it covers: townships, villages,
-- groups; NULL for group cadres, who cover households).
with

levels(responsible_level, ord, covers) as (
    values ('city_leader', 1, 'township'), ('township_cadre', 2, 'village'), ('village_cadre', 3, 'group'),
           ('group_cadre', 4, null)
),

regions_by_level as (
    select level, count(*) as regions
    from regions
    where in_scope(region_code, $region_code)
    group by level
),

units as (
    select responsible_level,
           coalesce(has_guide and has_system_owner and has_materials and has_medical_support
                    and has_isolation_transfer, false) as complete
    from grid_units
    where in_scope(region_code, $region_code)
),

counted as (
    select responsible_level, count(*) as units, count(*) filter (where complete) as units_complete
    from units
    group by responsible_level
),

final as (
    select coalesce(l.responsible_level, c.responsible_level) as responsible_level,
           coalesce(c.units, 0) as units,
           coalesce(c.units_complete, 0) as units_complete,
           coalesce(c.units - c.units_complete, 0) as units_with_holes,
           case when l.covers is not null then coalesce(r.regions, 0) end as regions
    from levels l
    full join counted c on c.responsible_level = l.responsible_level
    left join regions_by_level r on r.level = l.covers
    order by coalesce(l.ord, 99)
)

select * from final

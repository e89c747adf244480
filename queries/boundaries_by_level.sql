-- boundaries_by_level: polygons of the regions of one level within a scope, for maps.
-- param level str: township or village; county (a county-level city too) or prefecture over a lake
-- param region_code str optional: scope region; empty = the whole city
-- Row: one region: region_code, name, geometry (GeoJSON geometry as text), lon, lat (centroid from regions).
with

final as (
    select b.region_code, r.name, b.geometry, r.lon, r.lat
    from boundaries b
    join regions r using (region_code)
    where level_rank(r.level) = level_rank($level) and in_scope(b.region_code, $region_code)
    order by b.region_code
)

select * from final

-- kpis_by_region: every KPI of the catalogue on day $as_of for each region one level below the scope (counties of a
-- lake's prefecture, townships of the city, villages of a township; a village scope: the village itself), from the KPI cube (sitrep/cube.py).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole (root_region(): the city, or a lake's prefecture or province)
-- Row: one (region, KPI): region_code, name, kpi, value (DOUBLE or NULL), in region code and catalogue order.
with

scope as (
    select coalesce($region_code::varchar, root_region()) as code
),

children as (
    select r.region_code, r.name
    from regions r, scope s
    where (r.parent_code = s.code and level_rank(r.level) between 2 and 5)
       or (r.region_code = s.code and r.level = 'village')
),

final as (
    select ch.region_code, ch.name, k.kpi, c.value
    from children ch
    cross join (select * from kpi_cube_kinds() where catalogue) k
    left join kpi_cube c on c.region_code = ch.region_code and c.kpi = k.kpi and c.day = $as_of::date
    order by ch.region_code, k.pos
)

select * from final

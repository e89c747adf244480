-- kpis: every KPI of the catalogue (data/kpis.toml) as of the end of day $as_of, in scope, read from the KPI cube
-- (the table kpi_cube, computed at import by sitrep/cube.py from the definitions in queries/macros/kpi_facts.sql).
-- param as_of date: the as-of day D; everything is as of the end of that day
-- param region_code str optional: scope region (city, township or village code); empty = the whole (root_region(): the city, or a lake's prefecture or province)
-- Row: one KPI: kpi (catalogue key), value (DOUBLE; NULL when it cannot be computed, e.g. no capacity row on D, and
-- for a day outside the data or a scope that is not a place of the cube).
with

place as (
    select coalesce($region_code::varchar, root_region()) as code
),

final as (
    select k.kpi, c.value
    from (select * from kpi_cube_kinds() where catalogue) k
    left join kpi_cube c on c.kpi = k.kpi and c.region_code = (select code from place) and c.day = $as_of::date
    order by k.pos
)

select * from final

-- alerts_kpi_daily: every catalogue KPI per place (the city and each township) and day, from the KPI cube (the
-- table kpi_cube, sitrep/cube.py): the history behind a KPI alert's "since when" and its chart (sitrep/alerts).
-- funds_execution_pct does not depend on the place (funds carry no region): it is given for the city only.
-- param as_of date: the last day
-- param date_from date: the first day
-- param region_code str optional: scope: empty or the city = the city and every township; a township = that township; a village or group = its township
-- Row: one (place, day, KPI): place_code, place_level ('city', a lake's 'county', or 'township'), date, kpi, value (DOUBLE; NULL when
-- it cannot be computed, e.g. no capacity row that day). Days outside the data have no rows.
with

scope as (
    -- the township the scope lies in; NULL for the city
    select case when r.level = 'township' then r.region_code
                when r.level in ('village', 'group') then township_code(r.region_code) end as township
    from (select $region_code::varchar as code) s
    left join regions r on r.region_code = s.code
),

places as (
    select r.region_code as place_code, r.level as place_level
    from regions r, scope s
    where (level_rank(r.level) = 3 and s.township is null and in_scope(r.region_code, $region_code))
       or (r.level = 'township' and ((s.township is null and in_scope(r.region_code, $region_code::varchar))
                                     or r.region_code = s.township))
),

final as (
    select p.place_code, p.place_level, c.day as date, c.kpi, c.value
    from kpi_cube c
    join places p on p.place_code = c.region_code
    semi join kpi_cube_kinds() k on k.kpi = c.kpi and k.catalogue
    where c.day between $date_from::date and $as_of::date
      and (c.kpi <> 'funds_execution_pct' or level_rank(p.place_level) = 3)
    order by p.place_level, p.place_code, c.kpi, c.day
)

select * from final

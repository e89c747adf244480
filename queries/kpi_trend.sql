-- kpi_trend: one KPI (or every KPI) at one place over the days $date_from .. $as_of, from the KPI cube
-- (sitrep/cube.py): sparklines and "worse since yesterday" without recomputing anything.
-- param as_of date: the last day
-- param date_from date: the first day
-- param region_code str optional: the place (city, township or village code); empty = the whole (root_region(): the city, or a lake's prefecture or province)
-- param kpi str optional: a catalogue KPI key; empty = every KPI
-- Row: one (KPI, day): kpi, date, value (DOUBLE or NULL), in catalogue order then by day.
with

place as (
    select coalesce($region_code::varchar, root_region()) as code
),

final as (
    select c.kpi, c.day as date, c.value
    from kpi_cube c
    join kpi_cube_kinds() k on k.kpi = c.kpi and k.catalogue
    where c.region_code = (select code from place)
      and c.day between $date_from::date and $as_of::date
      and ($kpi::varchar is null or c.kpi = $kpi::varchar)
    order by k.pos, c.day
)

select * from final

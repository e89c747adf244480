-- returnees_stage_by_region: returnees by the stage they are in on day $as_of, for each region one level below
-- the scope (townships for the city, villages for a township, the village itself for a village): stacked bars.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one region x one stage (central_quarantine, home_quarantine, home_monitoring, released), zeros included:
-- region_code, name, level, stage, stage_order, persons. Stages as in returnees_stage_by_township (the same
-- numbers for the townships): the stage on D comes from the rule's schedule from measure_start; released =
-- measure_end on or before D (cumulative); not yet started, no-measure and positive returnees are left out.
-- The counts are the KPI cube's measures returnee_stage:<stage> (queries/cube/facts_control.sql, sitrep/cube.py).
with

regions_shown as (
    select region_code, name, level from regions_one_level_below($region_code::varchar)
),

stages as (
    select * from (values
        (1, 'central_quarantine'), (2, 'home_quarantine'), (3, 'home_monitoring'), (4, 'released')
    ) as s(stage_order, stage)
),

final as (
    select r.region_code, r.name, r.level, s.stage, s.stage_order, coalesce(c.value, 0)::bigint as persons
    from regions_shown r
    cross join stages s
    left join kpi_cube c on c.region_code = r.region_code and c.kpi = 'returnee_stage:' || s.stage
                        and c.day = $as_of::date
    order by r.region_code, s.stage_order
)

select * from final

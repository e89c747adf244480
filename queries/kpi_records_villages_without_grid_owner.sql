-- kpi_records_villages_without_grid_owner: villages in scope with no grid unit row, behind KPI villages_without_grid_owner. The grid is not dated: as_of is taken for a common signature.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one village.
with

params as (
    select $as_of::date as d
),

final as (
    select v.region_code, v.name as village, t.name as township, v.population
    from regions v
    left join regions t on t.region_code = v.parent_code, params
    where v.level = 'village' and in_scope(v.region_code, $region_code)
      and not exists (select 1 from grid_units g where g.region_code = v.region_code)
    order by v.region_code
)

select * from final

-- kpi_records_villages_without_grid_owner: villages in scope with no grid unit row, behind KPI villages_without_grid_owner. The grid is not dated: as_of is taken for a common signature. The records are the KPI's facts that count on D (queries/macros/kpi_facts.sql): their number is the KPI's value.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one village.
with

final as (
    select v.region_code, v.name as village, t.name as township, v.population
    from regions v
    semi join kpi_facts_on_day('villages_without_grid_owner', $as_of::date, $region_code::varchar) f
         on f.record_id = v.region_code
    left join regions t on t.region_code = v.parent_code
    order by v.region_code
)

select * from final

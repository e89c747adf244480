-- kpi_records_returnees_under_measure: the people behind KPI returnees_under_measure. Personal data is masked by the caller.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one person.
with

final as (
    select person_id, name, id_number, phone, origin_category, origin_risk, arrival_date, region_code,
           measure, measure_start, measure_end, status
    from returnees
    where measure is not null and measure <> 'none'
      and measure_start <= $as_of and (measure_end is null or measure_end > $as_of)
      and status is distinct from 'moved_out'
      and in_scope(region_code, $region_code)
    order by measure_start, person_id
)

select * from final

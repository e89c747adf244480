-- kpi_records_returnees_registered: the returnees behind KPI returnees_registered (arrived by D). Personal data is masked by the caller.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one person.
with

final as (
    select person_id, name, id_number, phone, origin_category, origin_area, origin_risk, arrival_date, region_code,
           measure, measure_start, measure_end, status
    from returnees
    where arrival_date <= $as_of and in_scope(region_code, $region_code)
    order by arrival_date, person_id
)

select * from final

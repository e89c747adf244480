-- kpi_records_returnees_registered: the returnees behind KPI returnees_registered (arrived by D). Personal data is masked by the caller. The records are the KPI's facts that count on D (queries/macros/kpi_facts.sql): their number is the KPI's value. States are as of the end of D (a later discharge, release, closing or rectification is not shown).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one person.
with

final as (
    select person_id, name, id_number, phone, origin_category, origin_area, origin_risk, arrival_date, region_code,
           measure, measure_start,
           case when measure_end <= $as_of then measure_end end as measure_end,
           case when status = 'released' and (measure_end is null or measure_end > $as_of) then 'managed' else status end as status
    from returnees
    semi join kpi_facts_on_day('returnees_registered', $as_of::date, $region_code::varchar) f on f.record_id = returnees.person_id
    order by arrival_date, person_id
)

select * from final

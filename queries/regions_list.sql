-- regions_list: the city, its townships and villages (groups left out), for pickers and labels.
-- Row: one region: region_code, name, level, parent_code, population.
with

final as (
    select region_code, name, level, parent_code, population
    from regions
    where level in ('city', 'township', 'village')
    order by region_code
)

select * from final

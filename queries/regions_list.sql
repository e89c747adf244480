-- regions_list: every region but groups (province, prefecture, counties, the city, townships, villages), for pickers
-- and labels; root marks the region the whole scope stands for (root_region()).
-- Row: one region: region_code, name, level, parent_code, population, root (BOOLEAN).
with

final as (
    select region_code, name, level, parent_code, population, region_code = root_region() as root
    from regions
    where level_rank(level) <= 5
    order by region_code
)

select * from final

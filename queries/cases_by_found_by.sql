-- cases_by_found_by: how the cases reported up to D were found, by source.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one (found_by, source) with cases > 0; found_by NULL = not recorded. Suspected cases are left out.
with

final as (
    select found_by, source, count(*) as cases
    from cases
    where report_date <= $as_of and category in ('confirmed', 'asymptomatic')
      and in_scope(region_code, $region_code)
    group by all
    order by found_by nulls last, source
)

select * from final

-- kpi_records_vaccination_full_pct: doses by township, age group and dose up to D, behind KPI vaccination_full_pct.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one (region, age group, dose).
with

final as (
    select v.region_code, r.name as township, v.age_group, v.dose, sum(v.doses) as doses, max(v.date) as last_date
    from vaccinations v
    left join regions r using (region_code)
    where v.date <= $as_of and in_scope(v.region_code, $region_code)
    group by all
    order by v.region_code, v.age_group, v.dose
)

select * from final

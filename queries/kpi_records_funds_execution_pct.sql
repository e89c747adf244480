-- kpi_records_funds_execution_pct: the latest cumulative row of each (source, purpose) dated <= D, behind KPI funds_execution_pct (funds are city-wide: the scope does not apply).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one (source, purpose).
with

params as (
    -- funds carry no region; the parameter is taken so every KPI's records share one signature
    select $as_of::date as d, $region_code::varchar as scope
),

latest as (
    select f.*
    from funds f, params p
    where f.date <= p.d
    qualify row_number() over (partition by f.source, f.purpose order by f.date desc) = 1
),

final as (
    select date, source, purpose, allocated, disbursed, spent,
           round(100.0 * spent / nullif(allocated, 0), 1) as execution_pct
    from latest
    order by source, purpose
)

select * from final

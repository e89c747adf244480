-- funds_by_source_purpose: the funds ledger on D: each (source, purpose) with its latest cumulative row dated <= D, with subtotals by source and by purpose and the grand total. Funds are city-wide (no scope).
-- param as_of date: the as-of day D
-- Row: one line of the ledger: source, purpose (NULL in a subtotal or total over them), is_source_total,
-- is_purpose_total, is_total, as_of_date (the latest row's date; the newest in a subtotal), allocated, disbursed,
-- spent (万元), disbursed_pct (disbursed / allocated), execution_pct (spent / allocated), unspent (allocated - spent).
with

latest as (
    -- rows are cumulative: each (source, purpose) counts with its latest row dated <= D
    select *
    from funds
    where date <= $as_of
    qualify row_number() over (partition by source, purpose order by date desc) = 1
),

final as (
    select
        source, purpose,
        grouping(source) = 0 and grouping(purpose) = 1 as is_source_total,
        grouping(source) = 1 and grouping(purpose) = 0 as is_purpose_total,
        grouping(source) = 1 and grouping(purpose) = 1 as is_total,
        max(date) as as_of_date,
        round(sum(allocated), 2) as allocated,
        round(sum(disbursed), 2) as disbursed,
        round(sum(spent), 2) as spent,
        round(100.0 * sum(disbursed) / nullif(sum(allocated), 0), 1) as disbursed_pct,
        round(100.0 * sum(spent) / nullif(sum(allocated), 0), 1) as execution_pct,
        round(sum(allocated) - coalesce(sum(spent), 0), 2) as unspent
    from latest
    group by grouping sets ((source, purpose), (source), (purpose), ())
    order by grouping(source), source, grouping(purpose), purpose
)

select * from final

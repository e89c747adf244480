-- returnees_daily_by_category: arrivals per day by returnee category (the Spring Festival wave), from the first
-- arrival in the data up to day $as_of, in scope.
-- param as_of date: the as-of day D (the last day of the series)
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- Row: one day x one category (in_province, out_of_province, overseas, nonlocal_staying, in the contract's order),
-- zeros included: day, origin_category, category_order, arrivals. The first day is the city's first arrival
-- (the same for every scope); moved-out people count on the day they arrived.
with

days as (
    select unnest(generate_series(min(arrival_date), $as_of::date, interval 1 day))::date as day
    from returnees
),

categories as (
    select * from (values
        (1, 'in_province'), (2, 'out_of_province'), (3, 'overseas'), (4, 'nonlocal_staying')
    ) as c(category_order, origin_category)
),

arrivals as (
    select arrival_date as day, origin_category, count(*) as arrivals
    from returnees
    where arrival_date <= $as_of::date and in_scope(region_code, $region_code)
    group by all
),

final as (
    select d.day, c.origin_category, c.category_order, coalesce(a.arrivals, 0) as arrivals
    from days d
    cross join categories c
    left join arrivals a on a.day = d.day and a.origin_category = c.origin_category
    order by d.day, c.category_order
)

select * from final

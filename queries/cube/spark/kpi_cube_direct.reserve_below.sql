-- Spark has no ASOF join: each snapshot holds from its date until the next one of the same place, which is what
-- the ASOF LEFT JOIN of queries/macros/kpi_facts.sql takes (the latest snapshot dated on or before the day).
select pd.place, pd.day, 'reserve_items_below_target' as kpi, coalesce(s.below, 0) as value
from place_days pd
left join (
    select place, date, below, lead(date) over (partition by place order by date) as next_date
    from reserve_snapshots
) s on s.place = pd.place and pd.day >= s.date and (s.next_date is null or pd.day < s.next_date)

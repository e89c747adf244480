-- publicity_records_in_window: the publicity records in scope dated in the $days days up to D (D-days+1 .. D): the
-- records behind a mark of the publicity charts (a channel over the page's window, a theme's part of a week),
-- which sitrep.drill picks out by channel or theme.
-- param as_of date: the as-of day D (the window's last day)
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- param days int: length of the window in days
-- Row: one publicity record (a village's or a township's activities through one channel on one day).
with

final as (
    select date, region_code, channel, theme, activities, reach
    from publicity
    where date between $as_of::date - ($days - 1) and $as_of::date
      and in_scope(region_code, $region_code)
    order by date, region_code, channel
)

select * from final

-- duty_roster_calendar: the headquarters' 24-hour duty, every day and shift of the last $weeks calendar weeks
-- (Monday to Sunday) up to D, staffed or not. The roster is the headquarters' own: it has no region.
-- param as_of date: the as-of day D (last day shown)
-- param weeks int: number of calendar weeks shown, the last one holding D
-- Row: one (day, shift) from the Monday $weeks-1 weeks before D's week to D: week_start (Monday), weekday
-- (1 = Monday .. 7), leader, staff_count, events, staffed (a roster row with staff_count > 0, or with no count;
-- NULL before the roster's first day: not missing, not recorded yet).
with

days as (
    select cast(d as date) as day
    from range((date_trunc('week', $as_of::date) - to_weeks($weeks - 1))::timestamp,
               ($as_of::date + 1)::timestamp, interval 1 day) t(d)
),

shifts as (
    select * from (values ('day', 1), ('night', 2)) s(shift, shift_order)
),

final as (
    select d.day, s.shift,
           cast(date_trunc('week', d.day) as date) as week_start,
           isodow(d.day) as weekday,
           r.leader, r.staff_count, r.events,
           case when d.day >= (select min(date) from duty_roster)
                then r.date is not null and coalesce(r.staff_count, 1) > 0 end as staffed
    from days d
    cross join shifts s
    left join duty_roster r on r.date = d.day and r.shift = s.shift
    order by d.day, s.shift_order
)

select * from final

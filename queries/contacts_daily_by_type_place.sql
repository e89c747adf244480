-- contacts_daily_by_type_place: contacts traced per day and contacts in quarantine at the end of each day, by
-- contact type (close / secondary) and place (central / home), from the first contact in scope up to D.
-- param as_of date: the as-of day D (last day)
-- param region_code str optional: scope region; empty = the whole city
-- Row: one (day, contact_type, quarantine_place) for every day and every type x place present in scope:
-- identified (identified_date = day), in_quarantine (quarantine_start <= day, not released by day, as in KPI
-- contacts_in_quarantine). quarantine_place 'unknown' = not recorded.
with

contacts_in_scope as (
    select contact_type, coalesce(quarantine_place, 'unknown') as quarantine_place,
           identified_date, quarantine_start, release_date
    from contacts
    where identified_date <= $as_of and in_scope(region_code, $region_code)
),

days as (
    select cast(d as date) as day
    from range((select least(min(identified_date), min(quarantine_start)) from contacts_in_scope)::timestamp,
               ($as_of::date + 1)::timestamp, interval 1 day) t(d)
),

groups as (
    select distinct contact_type, quarantine_place from contacts_in_scope
),

final as (
    select d.day, g.contact_type, g.quarantine_place,
           count(c.identified_date) filter (where c.identified_date = d.day) as identified,
           count(c.identified_date) filter (
               where c.quarantine_start <= d.day and (c.release_date is null or c.release_date > d.day)
           ) as in_quarantine
    from days d
    cross join groups g
    left join contacts_in_scope c
      on c.contact_type = g.contact_type and c.quarantine_place = g.quarantine_place
    group by all
    order by d.day, g.contact_type, g.quarantine_place
)

select * from final

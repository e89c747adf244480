-- publicity_by_channel: the channel mix (流动宣传车, 有线电视, 村村响, ...) in scope over the last $days days
-- up to D (D-days+1 .. D).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- param days int: length of the window in days
-- Row: one channel (every channel of the contract, in its order, zero when unused): channel, activities,
-- reach, villages (distinct villages reached through it).
with

channels(channel, ord) as (
    values ('vehicle', 1), ('cable_tv', 2), ('village_broadcast', 3), ('loudspeaker', 4),
           ('bulletin_board', 5), ('poster', 6), ('leaflet', 7), ('sms', 8), ('wechat', 9)
),

used as (
    select channel, sum(activities)::bigint as activities, sum(reach)::bigint as reach,
           count(distinct village_code(region_code)) as villages
    from publicity
    where date between $as_of::date - ($days - 1) and $as_of::date
      and in_scope(region_code, $region_code)
    group by channel
),

final as (
    select c.channel, coalesce(u.activities, 0) as activities, coalesce(u.reach, 0) as reach,
           coalesce(u.villages, 0) as villages
    from channels c
    left join used u using (channel)
    order by c.ord
)

select * from final

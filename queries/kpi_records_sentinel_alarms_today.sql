-- kpi_records_sentinel_alarms_today: the sentinel series (township x site type) behind KPI sentinel_alarms_today:
-- every series in scope with its EARS C2 on D, alarms first.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- Row: one (township, site type) series: visits on D, baseline mean and sd (D-9..D-3), c2, alarm.
with

c2 as (
    select * from sentinel_c2_on_day($as_of::date, $region_code::varchar)
),

final as (
    select c.township_code, r.name as township, c.site_type, c.y as visits, round(c.mean, 1) as baseline_mean,
           round(c.sd, 2) as baseline_sd, round(c.c2, 2) as c2, c.c2_alarm as alarm
    from c2 c
    left join regions r on r.region_code = c.township_code
    order by c.c2_alarm desc, c.c2 desc
)

select * from final

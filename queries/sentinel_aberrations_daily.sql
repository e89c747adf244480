-- sentinel_aberrations_daily: EARS C1, C2, C3 and the moving percentile (CIDARS) on the daily series of visits (or
-- fever) per (township, site type) of the sentinel sites in scope, with alarm flags. Method: sitrep/warning/ears.py;
-- the method parameters come from data/early_warning.toml (sitrep.warning.ears.aberrations binds them).
-- param as_of date optional: the last day of the series (default: the last report date); later reports are ignored
-- param region_code str optional: scope region: only sites in it count; empty = the whole city
-- param metric str optional: 'visits' (default) or 'fever'
-- param date_from date optional: first day returned (the statistics still use the days before it)
-- param baseline_days int: days in the C1/C2 baseline (7)
-- param guard_days int: days between the C2 baseline and the day judged (2)
-- param min_sigma float: floor of the baseline standard deviation (0.5)
-- param c1_threshold float: C1 alarm when C1 >= this (3)
-- param c2_threshold float: C2 alarm when C2 >= this (3)
-- param c3_threshold float: C3 alarm when C3 >= this (2)
-- param mp_window_days int: days summed by the moving percentile (7)
-- param mp_baseline_windows int: earlier windows the percentile is taken over (8)
-- param mp_percentile float: the percentile, 0..100 (80)
-- Row: one (township, site type, day) from the series' first report to the last day (a day with no report counts
-- 0): township_code, township, site_type, date, y (the day's sum), c1_mean, c1_sd, c1, c2_mean, c2_sd, c2, c3,
-- mp_sum (the latest mp_window_days), mp_threshold, and c1_alarm, c2_alarm, c3_alarm, mp_alarm, any_alarm. A
-- statistic is NULL (and its alarm false) when its baseline does not lie wholly within the series.
with

params as (
    select coalesce($as_of::date, (select max(date) from sentinel_reports)) as last_day,
           coalesce($metric::varchar, 'visits') as metric
),

sites as (
    select site_id, site_type, township_code(region_code) as township_code
    from sentinel_sites
    where in_scope(region_code, $region_code)
),

reports as (
    -- a fever series starts with the first report that gives a fever count
    select s.township_code, s.site_type, r.date,
           sum(case when p.metric = 'fever' then r.fever else r.visits end) as y
    from sentinel_reports r
    join sites s using (site_id)
    cross join params p
    where r.date <= p.last_day
    group by all
    having sum(case when p.metric = 'fever' then r.fever else r.visits end) is not null
),

series as (
    select township_code, site_type, min(date) as first_date
    from reports
    group by all
),

series_days as (
    select s.township_code, s.site_type,
           unnest(generate_series(s.first_date, p.last_day, interval 1 day))::date as date
    from series s
    cross join params p
),

daily as (
    select d.township_code, d.site_type, d.date, coalesce(r.y, 0)::bigint as y
    from series_days d
    left join reports r using (township_code, site_type, date)
),

windowed as (
    -- one row per day with no gap, so ROWS frames are days
    select *,
           avg(y) over c1_base as c1_mean, stddev_samp(y) over c1_base as c1_sd, count(*) over c1_base as c1_n,
           avg(y) over c2_base as c2_mean, stddev_samp(y) over c2_base as c2_sd, count(*) over c2_base as c2_n,
           sum(y) over mp_span as mp_sum, count(*) over mp_span as mp_n
    from daily
    window
        series as (partition by township_code, site_type order by date),
        c1_base as (series rows between $baseline_days preceding and 1 preceding),
        c2_base as (series rows between $baseline_days + $guard_days preceding and $guard_days + 1 preceding),
        mp_span as (series rows between $mp_window_days - 1 preceding and current row)
),

ears as (
    select township_code, site_type, date, y,
           case when c1_n = $baseline_days then c1_mean end as c1_mean,
           case when c1_n = $baseline_days then c1_sd end as c1_sd,
           case when c1_n = $baseline_days then (y - c1_mean) / greatest(c1_sd, $min_sigma) end as c1,
           case when c2_n = $baseline_days then c2_mean end as c2_mean,
           case when c2_n = $baseline_days then c2_sd end as c2_sd,
           case when c2_n = $baseline_days then (y - c2_mean) / greatest(c2_sd, $min_sigma) end as c2,
           case when mp_n = $mp_window_days then mp_sum end as mp_sum
    from windowed
),

with_c3 as (
    select *,
           case when count(c2) over c3_span = 3 then sum(greatest(c2 - 1, 0)) over c3_span end as c3
    from ears
    window c3_span as (partition by township_code, site_type order by date rows between 2 preceding and current row)
),

mp_baseline as (
    -- the sums of the windows ending mp_window_days, 2 x mp_window_days, ... days before
    select a.township_code, a.site_type, a.date,
           case when count(b.mp_sum) = $mp_baseline_windows
                then quantile_cont(b.mp_sum, $mp_percentile / 100) end as mp_threshold
    from ears a
    cross join range(1, $mp_baseline_windows + 1) k(k)
    left join ears b
      on b.township_code = a.township_code and b.site_type = a.site_type
     and b.date = a.date - (k.k * $mp_window_days)::integer
    group by all
),

final as (
    select c.township_code, county_prefix(c.township_code) || t.name as township, c.site_type, c.date, c.y,
           c.c1_mean, c.c1_sd, c.c1, c.c2_mean, c.c2_sd, c.c2, c.c3,
           c.mp_sum, m.mp_threshold,
           coalesce(c.c1 >= $c1_threshold, false) as c1_alarm,
           coalesce(c.c2 >= $c2_threshold, false) as c2_alarm,
           coalesce(c.c3 >= $c3_threshold, false) as c3_alarm,
           coalesce(c.mp_sum > m.mp_threshold, false) as mp_alarm,
           c1_alarm or c2_alarm or c3_alarm or mp_alarm as any_alarm
    from with_c3 c
    join mp_baseline m using (township_code, site_type, date)
    left join regions t on t.region_code = c.township_code
    where c.date >= coalesce($date_from::date, c.date)
    order by c.township_code, c.site_type, c.date
)

select * from final

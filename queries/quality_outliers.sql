-- quality_outliers: unusual values in the daily numeric series, each point judged against the
-- same series over its trailing window (the window_days days before it, not the point itself):
--   modified z = 0.6745 * (x - median) / MAD (MAD = median absolute deviation from the median);
--   MAD = 0: z = (x - median) / (1.253314 * MeanAD) (mean absolute deviation, as EUROSTAT/IBM);
--   MeanAD = 0 too (the whole window one value): z is empty and any x different from it is flagged.
-- Flagged when |z| >= threshold and |x - median| >= min_deviation with at least min_points points
-- in the window, or when x is outside the series' hard bounds [min_value, max_value].
-- Series: sentinel_visits (per site), lab_tubes_tested (per lab), reserve_on_hand and
-- reserve_daily_use (per warehouse and item). Settings: data/quality_rules.toml [outliers].
-- param as_of date: the last day judged
-- param from_date date: the first day judged (earlier days still form the windows)
-- param region_code str optional: scope (units without a region only at city scope)
-- param series str: the series settings as JSON (sitrep.quality.config.Config.series_json)
-- Consecutive flagged points of a unit in the same direction form one episode (an entry error is
-- one point; a level shift stays out of its window for a while).
-- Row: one episode: series, unit (id, name), region and township, first and last day, points in it,
-- then at its first day the value, the window's median, MAD, mean absolute deviation and size and
-- z; the largest |z|, the reason (z, below_min, above_max) and direction (z_high, z_low, ...).
with

settings as (
    select unnest(from_json($series, '[{"series":"VARCHAR","window_days":"INTEGER","min_points":"INTEGER","threshold":"DOUBLE","min_deviation":"DOUBLE","min_value":"DOUBLE","max_value":"DOUBLE"}]'), recursive := true)
),

city as (
    select min(region_code) as city_code from regions where level = 'city'
),

sites as (
    select site_id, site_name, region_code from sentinel_sites
),

lookback as (
    select max(window_days) as days from settings
),

points as (
    select 'sentinel_visits' as series, r.site_id as unit_id, s.site_name as unit_name, s.region_code,
           r.date, r.visits::double as x
    from sentinel_reports r
    left join sites s on s.site_id = r.site_id
    where r.visits is not null
    union all
    select 'lab_tubes_tested', lab_id, lab_name, region_code, date, tubes_tested::double
    from test_capacity where tubes_tested is not null
    union all
    select 'reserve_on_hand', warehouse_id || '/' || item_code, concat_ws(' ', warehouse_name, item_name),
           region_code, date, on_hand
    from reserves where on_hand is not null
    union all
    select 'reserve_daily_use', warehouse_id || '/' || item_code, concat_ws(' ', warehouse_name, item_name),
           region_code, date, daily_use
    from reserves where daily_use is not null
),

in_reach as (
    select p.*, s.window_days, s.min_points, s.threshold, s.min_deviation, s.min_value, s.max_value
    from points p
    join settings s on s.series = p.series
    cross join city c
    where p.date between $from_date - (select days from lookback) and $as_of
      and in_scope(coalesce(p.region_code, c.city_code), $region_code)
),

windows as (
    select *,
           list(x) over (partition by series, unit_id order by date
                         range between to_days(window_days) preceding and interval 1 day preceding) as window_values
    from in_reach
),

medians as (
    select *, len(window_values) as window_n, list_aggregate(window_values, 'median') as median
    from windows
    where date between $from_date and $as_of
),

deviations as (
    select *,
           list_aggregate(list_transform(window_values, lambda v: abs(v - median)), 'median') as mad,
           list_aggregate(list_transform(window_values, lambda v: abs(v - median)), 'avg') as mean_ad
    from medians
),

scored as (
    select *,
           case
               when window_n < min_points then null
               when mad > 0 then 0.6745 * (x - median) / mad
               when mean_ad > 0 then (x - median) / (1.253314 * mean_ad)
           end as z
    from deviations
),

flagged as (
    select *,
           case
               when x < min_value then 'below_min'
               when x > max_value then 'above_max'
               when window_n >= min_points and abs(x - median) >= min_deviation
                    and (abs(z) >= threshold or (z is null and mean_ad = 0 and x <> median)) then 'z'
           end as reason
    from scored
),

-- consecutive flagged points of a unit in the same direction are one episode: a level that
-- shifts stays out of its trailing window for a while, an entry error is one point
episodes as (
    select *, sum(new_episode) over (partition by series, unit_id order by date) as episode
    from (
        select *,
               case when reason is null then null
                    when reason = 'z' then (case when x > median then 'z_high' else 'z_low' end)
                    else reason end as direction,
               case when direction is not null
                         and direction is distinct from lag(direction) over (partition by series, unit_id order by date)
                    then 1 else 0 end as new_episode
        from flagged
    )
),

final as (
    select f.series, f.unit_id, any_value(f.unit_name) as unit_name, any_value(f.region_code) as region_code,
           any_value(township_code(coalesce(f.region_code, c.city_code))) as township_code,
           any_value(t.name) as township_name,
           min(f.date) as date, max(f.date) as last_date, count(*) as points,
           arg_min(f.x, f.date) as value, arg_min(f.median, f.date) as median, arg_min(f.mad, f.date) as mad,
           round(arg_min(f.mean_ad, f.date), 3) as mean_ad, arg_min(f.window_n, f.date) as window_n,
           round(arg_min(f.z, f.date), 2) as z, round(max(abs(f.z)), 2) as max_abs_z,
           any_value(f.reason) as reason, any_value(f.direction) as direction
    from episodes f
    cross join city c
    left join regions t on t.region_code = township_code(coalesce(f.region_code, c.city_code))
    where f.reason is not null
    group by f.series, f.unit_id, f.episode
)

select * from final
order by date desc, series, abs(z) desc nulls first, unit_id

-- Sentinel aberrations on one day: EARS C2 of the daily visits per (township, site type), as a
-- table macro stored in every database by sitrep.db.ensure_schema. kpis.sql (KPI
-- sentinel_alarms_today) and kpi_records_sentinel_alarms_today.sql read it; it is the c2 of
-- sentinel_aberrations_daily.sql with the defaults of data/early_warning.toml (tests/test_ears.py
-- checks that they agree and that these constants are the config's).
-- C2 on D = (y_D - mean) / max(sd, min_sigma) over the baseline D-9..D-3; a day with no report
-- counts 0; a series whose first report is after D-9 has no C2.
CREATE OR REPLACE MACRO sentinel_c2_on_day(as_of, scope) AS TABLE
with
method as (
    -- data/early_warning.toml [ears]: baseline_days, guard_days, min_sigma, c2_threshold
    select 7 as baseline_days, 2 as guard_days, 0.5 as min_sigma, 3.0 as c2_threshold
),
sites as (
    select s.site_id, s.site_type, township_code(s.region_code) as township_code
    from sentinel_sites s
    where in_scope(s.region_code, scope)
),
reports as (
    select s.township_code, s.site_type, r.date, sum(r.visits) as y
    from sentinel_reports r
    join sites s using (site_id)
    where r.date <= as_of::date
    group by s.township_code, s.site_type, r.date
),
series as (
    -- the series whose whole C2 baseline lies within its history
    select township_code, site_type
    from reports
    group by township_code, site_type
    having min(date) <= (select as_of::date - m.baseline_days - m.guard_days from method m)
),
baseline_days as (
    select s.township_code, s.site_type,
           as_of::date - unnest(range(m.guard_days + 1, m.guard_days + m.baseline_days + 1))::integer as date
    from series s, method m
),
baseline as (
    select b.township_code, b.site_type,
           avg(coalesce(r.y, 0)) as mean, stddev_samp(coalesce(r.y, 0)) as sd
    from baseline_days b
    left join reports r using (township_code, site_type, date)
    group by b.township_code, b.site_type
),
final as (
    select b.township_code, b.site_type, coalesce(r.y, 0) as y, b.mean, b.sd,
           (coalesce(r.y, 0) - b.mean) / greatest(b.sd, m.min_sigma) as c2,
           (coalesce(r.y, 0) - b.mean) / greatest(b.sd, m.min_sigma) >= m.c2_threshold as c2_alarm,
           m.c2_threshold
    from baseline b
    cross join method m
    left join reports r on r.township_code = b.township_code and r.site_type = b.site_type
                       and r.date = as_of::date
)
select * from final;

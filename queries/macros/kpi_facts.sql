-- The KPI cube's definitions: every catalogue KPI (data/kpis.toml) once, as facts or as values per place and day.
-- Stored in every database by sitrep.db.ensure_schema; sitrep/cube.py builds the table kpi_cube(region_code, day,
-- kpi, value) from them at every import, and the named queries read that table (kpis, kpis_by_region, kpi_trend,
-- alerts_kpi_daily, returnee_control_kpis) or the facts behind one number (the kpi_records_* queries).
--
-- A fact is one record's part in one additive KPI: kpi, record_id (the record's key), region_code (the record's
-- own region; NULL = none, counted by the city only), first_day and stop_day (the record counts on day d when
-- first_day <= d and (stop_day IS NULL or d < stop_day); first_day NULL = since always), num and den (BIGINT).
-- A KPI's value at a place on a day folds the facts of the records in scope (in_scope(region_code, place)) that
-- count on that day, by the KPI's kind (kpi_cube_kinds): count = sum(num) (0 when none); pct = 100 * sum(num) /
-- sum(den), one decimal, NULL when no fact has a num or sum(den) = 0; pct_population = 100 * sum(num) / the
-- place's population, NULL when no fact. Records counted by a KPI on D are exactly its facts that count on D.
-- The few KPIs that do not add up over places (the latest reserves snapshot in scope, sentinel C2 alarms per
-- series, the city-wide testing capacity and funds) are values per place and day (kpi_cube_direct).
-- Facts that take the quarantine rules or the reporting settings are tables filled by sitrep/cube.py
-- (queries/cube/*.sql); the others are views over the contract tables.

CREATE TABLE IF NOT EXISTS kpi_facts_control (
    kpi VARCHAR, record_id VARCHAR, region_code VARCHAR, first_day DATE, stop_day DATE, num BIGINT, den BIGINT);

CREATE TABLE IF NOT EXISTS kpi_facts_reporting (
    kpi VARCHAR, record_id VARCHAR, region_code VARCHAR, first_day DATE, stop_day DATE, num BIGINT, den BIGINT);

-- cases and contacts
CREATE OR REPLACE VIEW kpi_facts_cases AS
-- confirmed and asymptomatic cases reported on the day
select 'cases_new' as kpi, case_id as record_id, region_code, report_date as first_day, report_date + 1 as stop_day,
       1::bigint as num, null::bigint as den
from cases where category in ('confirmed', 'asymptomatic')
union all
-- confirmed cases reported up to the day
select 'cases_confirmed_cumulative', case_id, region_code, report_date, null, 1, null
from cases where category = 'confirmed'
union all
-- reported and not discharged or dead by the day (a discharge without a date does not end it)
select 'cases_active', case_id, region_code, report_date,
       case when status in ('discharged', 'died') and discharge_date is not null then discharge_date end, 1, null
from cases where category in ('confirmed', 'asymptomatic')
union all
-- quarantine started and not released by the day
select 'contacts_in_quarantine', contact_id, region_code, quarantine_start, release_date, 1, null
from contacts where quarantine_start is not null;

-- one wall: returnees (the precise-control KPIs are in kpi_facts_control)
CREATE OR REPLACE VIEW kpi_facts_returnees AS
select 'returnees_registered' as kpi, person_id as record_id, region_code, arrival_date as first_day,
       null::date as stop_day, 1::bigint as num, null::bigint as den
from returnees
union all
select 'returnees_arrived_today', person_id, region_code, arrival_date, arrival_date + 1, 1, null
from returnees
union all
-- in centralised quarantine, home quarantine or home health monitoring on the day; moved out never counts
select 'returnees_under_measure', person_id, region_code, measure_start, measure_end, 1, null
from returnees
where measure is not null and measure <> 'none' and measure_start is not null and status is distinct from 'moved_out';

-- one ledger: testing capacity used (reserves, funds and the days to test everyone are values, not facts)
CREATE OR REPLACE VIEW kpi_facts_ledger AS
select 'test_capacity_use_pct' as kpi, lab_id as record_id, region_code, date as first_day, date + 1 as stop_day,
       tubes_tested::bigint as num, capacity_tubes::bigint as den
from test_capacity;

-- one net: the grid (a register, not dated: it counts on every day), sentinel visits, publicity
CREATE OR REPLACE VIEW kpi_facts_net AS
-- grid units with all five haves, of the grid units
select 'grid_complete_pct' as kpi, region_code as record_id, region_code, null::date as first_day,
       null::date as stop_day,
       (case when coalesce(has_guide and has_system_owner and has_materials and has_medical_support
                           and has_isolation_transfer, false) then 1 else 0 end)::bigint as num,
       1::bigint as den
from grid_units
union all
-- villages with no grid unit of their own
select 'villages_without_grid_owner', v.region_code, v.region_code, null, null, 1, null
from regions v
where v.level = 'village' and not exists (select 1 from grid_units g where g.region_code = v.region_code)
union all
select 'sentinel_visits_today', r.site_id, s.region_code, r.date, r.date + 1, r.visits::bigint, null
from sentinel_reports r join sentinel_sites s using (site_id)
union all
-- villages reached by publicity in the last 7 days, of the villages: every village is in the denominator, and
-- counts in the numerator on each day of a 7-day run after any publicity in it
select 'publicity_coverage_7d_pct', region_code, region_code, null, null, 0, 1
from regions where level = 'village'
union all
select 'publicity_coverage_7d_pct', village, village, first_day, stop_day, 1, 0
from (
    -- one fact per run of covered days (activity on d covers d .. d + 6): runs found by gaps of more than 7 days
    select village, min(date) as first_day, max(date) + 7 as stop_day
    from (
        select village, date,
               sum(case when prev is null or date - prev > 7 then 1 else 0 end) over (partition by village order by date)
                   as run
        from (
            select village, date, lag(date) over (partition by village order by date) as prev
            from (select distinct village_code(p.region_code) as village, p.date
                  from publicity p join regions v on v.region_code = village_code(p.region_code) and v.level = 'village')
        )
    )
    group by village, run
);

-- Funds with the county they belong to: a database holds one county (county NULL: every place); a lake of many
-- counties (sitrep.lake) puts a view of its own in place of this one, with each row's county.
CREATE OR REPLACE VIEW funds_county AS
select f.*, null::varchar as county from funds f;

-- The duty roster with its county, the same way (the alerts' responsible person at a county is its duty leader).
CREATE OR REPLACE VIEW duty_roster_county AS
select d.*, null::varchar as county from duty_roster d;

-- one chessboard: orders, supervision, vaccination
CREATE OR REPLACE VIEW kpi_facts_command AS
-- issued and past the deadline by the end of the day, not closed by then
select 'orders_open_overdue' as kpi, order_id as record_id, region_code,
       greatest(issued_at::date, deadline::date) as first_day, closed_at::date as stop_day,
       1::bigint as num, null::bigint as den
from orders
union all
-- found, past the rectification deadline (due_date < D), not rectified by the day
select 'supervision_open_overdue', issue_id, region_code, greatest(found_date, due_date + 1), rectified_date, 1, null
from supervision
union all
-- full vaccination doses given up to the day, of the place's population
select 'vaccination_full_pct', null, region_code, date, null, doses::bigint, null
from vaccinations where dose = 'full';

CREATE OR REPLACE VIEW kpi_facts AS
select * from kpi_facts_cases
union all select * from kpi_facts_returnees
union all select * from kpi_facts_ledger
union all select * from kpi_facts_net
union all select * from kpi_facts_command
union all select * from kpi_facts_control
union all select * from kpi_facts_reporting;

-- Every KPI of the cube, in catalogue order, and how its value folds its facts ('direct': a value per place and day);
-- catalogue = false: a measure of the cube that is not a catalogue KPI (the one-wall page's breakdowns, named
-- returnee_*: queries/cube/facts_control.sql).
CREATE OR REPLACE MACRO kpi_cube_kinds() AS TABLE
select * from (values
    (1, 'cases_new', 'count', true),
    (2, 'cases_confirmed_cumulative', 'count', true),
    (3, 'cases_active', 'count', true),
    (4, 'contacts_in_quarantine', 'count', true),
    (5, 'returnees_registered', 'count', true),
    (6, 'returnees_arrived_today', 'count', true),
    (7, 'returnees_under_measure', 'count', true),
    (8, 'returnees_tests_overdue', 'count', true),
    (9, 'returnees_release_overdue', 'count', true),
    (10, 'returnees_misclassified', 'count', true),
    (11, 'returnees_tests_due_tomorrow', 'count', true),
    (12, 'test_capacity_use_pct', 'pct', true),
    (13, 'days_to_test_everyone', 'direct', true),
    (14, 'reserve_items_below_target', 'direct', true),
    (15, 'funds_execution_pct', 'direct', true),
    (16, 'grid_complete_pct', 'pct', true),
    (17, 'villages_without_grid_owner', 'count', true),
    (18, 'sentinel_visits_today', 'count', true),
    (19, 'sentinel_alarms_today', 'direct', true),
    (20, 'publicity_coverage_7d_pct', 'pct', true),
    (21, 'orders_open_overdue', 'count', true),
    (22, 'supervision_open_overdue', 'count', true),
    (23, 'vaccination_full_pct', 'pct_population', true),
    (24, 'reports_complete_pct', 'pct', true),
    (25, 'reports_on_time_pct', 'pct', true),
    (26, 'reports_missing', 'count', true),
    (27, 'returnee_stage:central_quarantine', 'count', false),
    (28, 'returnee_stage:home_quarantine', 'count', false),
    (29, 'returnee_stage:home_monitoring', 'count', false),
    (30, 'returnee_stage:released', 'count', false),
    (31, 'returnee_release_due', 'count', false),
    (32, 'returnee_overdue_tests', 'count', false),
    (33, 'returnee_overdue_any', 'count', false),
    (34, 'returnee_funnel:registered', 'count', false),
    (35, 'returnee_funnel:classified', 'count', false),
    (36, 'returnee_funnel:under_measure', 'count', false),
    (37, 'returnee_funnel:tests_on_schedule', 'count', false),
    (38, 'returnee_funnel:released', 'count', false)
) k(pos, kpi, kind, catalogue);

-- The places of the cube: the city, every township and every village; in a lake of many counties (sitrep.lake)
-- also every county, prefecture and province. The population of a prefecture or province is that of its counties
-- in the store (the KPIs per head count the people whose data are there, not the region's whole population).
CREATE OR REPLACE MACRO kpi_cube_places() AS TABLE
with above as (
    select r.region_code, sum(c.population) as population
    from regions r
    join regions c on c.level in ('county', 'city') and in_scope(c.region_code, r.region_code)
    where r.level in ('province', 'prefecture')
    group by r.region_code
)
select r.region_code, r.level, coalesce(a.population, r.population) as population
from regions r left join above a on a.region_code = r.region_code
where r.level in ('province', 'prefecture', 'county', 'city', 'township', 'village');

-- The days of the cube: those of the as-of picker (queries/data_date_range.sql) and the 31 days after its last day,
-- so that an as-of day shortly after the last import (today, when the data are a few days old) still reads the cube.
CREATE OR REPLACE MACRO kpi_cube_day_range() AS TABLE
with days as (
    select min(date) as lo, max(date) as hi from sentinel_reports
    union all select min(date), max(date) from test_capacity
    union all select min(date), max(date) from duty_roster
    union all select min(report_date), max(report_date) from cases
    union all select min(arrival_date), max(arrival_date) from returnees
)
select coalesce(min(lo), current_date) as d_first, coalesce(max(hi), current_date) + 31 as d_last from days;

-- The facts that count on day d, as the records behind an additive KPI (the kpi_records_* queries join them).
CREATE OR REPLACE MACRO kpi_facts_on_day(kpi_key, d, scope) AS TABLE
select f.*
from kpi_facts f
where f.kpi = kpi_key
  and (f.first_day is null or f.first_day <= d)
  and (f.stop_day is null or d < f.stop_day)
  and in_scope(f.region_code, scope);

-- Additive KPIs (those listed in kpis) for every place and day d_first .. d_last: each fact adds on its first day and takes away on its
-- stop day, and a running sum over the days gives the value (a day's cost follows places x days, not rows).
CREATE OR REPLACE MACRO kpi_cube_additive(d_first, d_last, kpis) AS TABLE
with
kinds as (select * from kpi_cube_kinds() where kind <> 'direct' and list_contains(kpis, kpi)),
grouped as (
    -- the records on the same interval in the same region are one row: tens of times fewer rows to fold
    select kpi, coalesce(region_code, '') as leaf, first_day, stop_day,
           sum(num) as num, sum(den) as den, count(num) as n
    from kpi_facts
    where (first_day is null or first_day <= d_last::date) and list_contains(kpis, kpi)
    group by all
),
clipped as (
    -- a record stopping on or before its first day never counts
    select kpi, leaf,
           greatest(coalesce(first_day, d_first::date), d_first::date) as start_day,
           -- (greatest() skips NULLs: an open interval must stay open)
           case when stop_day is not null then greatest(stop_day, coalesce(first_day, stop_day)) end as stop_day,
           num, den, n
    from grouped
),
events as (
    select kpi, leaf, start_day as day, num, den, n
    from clipped where stop_day is null or stop_day > start_day
    union all
    select kpi, leaf, stop_day, -num, -den, -n
    from clipped where stop_day > start_day and stop_day <= d_last::date
),
leaf_events as (
    select kpi, leaf, day, sum(num) as num, sum(den) as den, sum(n) as n from events group by all
),
leaves as (select distinct leaf from leaf_events),
leaf_places as (
    -- each region a record names counts at every place it lies in (the stored macro in_scope)
    select l.leaf, p.region_code as place
    from leaves l join kpi_cube_places() p on in_scope(nullif(l.leaf, ''), p.region_code)
),
place_events as (
    select e.kpi, lp.place, e.day, sum(e.num) as num, sum(e.den) as den, sum(e.n) as n
    from leaf_events e join leaf_places lp using (leaf)
    group by all
),
days as (
    select unnest(generate_series(d_first::date, d_last::date, interval 1 day))::date as day
),
grid as (
    select p.region_code as place, p.population, d.day, k.kpi, k.kind
    from kpi_cube_places() p cross join days d cross join kinds k
),
running as (
    select g.place, g.population, g.day, g.kpi, g.kind,
           sum(e.num) over w as num, sum(e.den) over w as den, sum(e.n) over w as n
    from grid g
    left join place_events e on e.kpi = g.kpi and e.place = g.place and e.day = g.day
    window w as (partition by g.kpi, g.place order by g.day)
)
select place as region_code, day, kpi,
       (case kind
            when 'count' then coalesce(num, 0)
            when 'pct' then case when n > 0 then round(100.0 * num / nullif(den, 0), 1) end
            when 'pct_population' then case when n > 0 then round(100.0 * num / nullif(population, 0), 1) end
        end)::double as value
from running;

-- The KPIs that do not add up over places (those listed in kpis), for every place and day d_first .. d_last.
CREATE OR REPLACE MACRO kpi_cube_direct(d_first, d_last, kpis) AS TABLE
with
places as (select * from kpi_cube_places()),
city as (select min(region_code) as city_code from regions where level = 'city'),
days as (
    select unnest(generate_series(d_first::date, d_last::date, interval 1 day))::date as day
),
place_days as (select p.region_code as place, p.population, d.day from places p cross join days d),

-- testing capacity in persons a day: every lab counts, whatever the place (labs serve the whole city); in a lake
-- of many counties, a county's labs serve that county (and count at the prefecture and province above it)
capacity_by_county as (
    select date as day, left(region_code, 6) as county, sum(capacity_tubes * coalesce(pool_size, 1)) as persons
    from test_capacity
    where date between d_first::date and d_last::date
    group by all
),
capacity_persons as (
    select pd.place, pd.day, sum(c.persons) as persons
    from place_days pd
    join capacity_by_county c
      on c.day = pd.day
     and (c.county is null or in_scope(c.county || '000000', pd.place) or starts_with(pd.place, c.county))
    group by all
),
days_to_test as (
    select pd.place, pd.day, 'days_to_test_everyone' as kpi, round(pd.population / nullif(c.persons, 0), 2) as value
    from place_days pd left join capacity_persons c using (place, day)
),

-- funds carry no region: the same value at every place of the county (funds_county: in a lake of many counties,
-- each county's funds at its places and the sum at the prefecture and province). Rows are cumulative: each
-- (source, purpose) counts with its latest row dated on or before the day.
funds_latest as (
    select d.day, f.county, f.spent, f.allocated
    from days d
    join funds_county f on f.date <= d.day
    qualify row_number() over (partition by d.day, f.county, f.source, f.purpose order by f.date desc) = 1
),
funds_by_county as (
    select day, county, sum(spent) as spent, sum(allocated) as allocated from funds_latest group by all
),
funds_execution as (
    select pd.place, pd.day, 'funds_execution_pct' as kpi,
           round(100.0 * sum(f.spent) / nullif(sum(f.allocated), 0), 1) as value
    from place_days pd
    left join funds_by_county f
      on f.day = pd.day
     and (f.county is null or in_scope(f.county || '000000', pd.place) or starts_with(pd.place, f.county))
    group by all
),

-- reserves: at each place, the latest snapshot dated on or before the day among the rows in scope; an item is
-- below target when its days of supply (on hand / daily use) are fewer than its target days (30 by default);
-- an item with no use is never below target
reserve_leaves as (
    select distinct coalesce(region_code, '') as leaf from reserves
),
reserve_places as (
    select l.leaf, p.region_code as place
    from reserve_leaves l join places p on in_scope(nullif(l.leaf, ''), p.region_code)
),
reserve_items as (
    select rp.place, r.date, r.item_code,
           sum(r.on_hand) / nullif(sum(r.daily_use), 0) as days_of_supply,
           max(coalesce(r.target_days, 30)) as target_days
    from reserves r
    join reserve_places rp on rp.leaf = coalesce(r.region_code, '')
    where r.date <= d_last::date
    group by all
),
reserve_snapshots as (
    select place, date, count(*) filter (where days_of_supply < target_days) as below
    from reserve_items group by all
),
reserve_below as (
    select pd.place, pd.day, 'reserve_items_below_target' as kpi, coalesce(s.below, 0) as value
    from place_days pd
    asof left join reserve_snapshots s on s.place = pd.place and pd.day >= s.date
),

-- sentinel alarms: EARS C2 of the daily visits per series (township x site type of the sites in scope) with the
-- constants of queries/macros/sentinel_c2.sql; a day with no report counts 0; a series whose first report is after
-- D - 9 has no C2 on D
method as (
    select 7 as baseline_days, 2 as guard_days, 0.5 as min_sigma, 3.0 as c2_threshold
),
site_places as (
    select s.site_id, s.site_type, township_code(s.region_code) as township_code, p.region_code as place
    from sentinel_sites s join places p on in_scope(s.region_code, p.region_code)
),
series_reports as (
    select sp.place, sp.township_code, sp.site_type, r.date, sum(r.visits) as y
    from sentinel_reports r join site_places sp using (site_id)
    where r.date <= d_last::date
    group by all
),
series as (
    select place, township_code, site_type, min(date) as first_date from series_reports group by all
),
series_days as (
    select s.place, s.township_code, s.site_type, s.first_date,
           unnest(generate_series(s.first_date, d_last::date, interval 1 day))::date as day
    from series s
),
series_daily as (
    select d.place, d.township_code, d.site_type, d.first_date, d.day, coalesce(r.y, 0) as y
    from series_days d
    left join series_reports r on r.place = d.place and r.township_code = d.township_code
                               and r.site_type = d.site_type and r.date = d.day
),
c2 as (
    select place, day, first_date, y,
           avg(y) over w as mean, stddev_samp(y) over w as sd
    from series_daily
    window w as (partition by place, township_code, site_type order by day
                 rows between 9 preceding and 3 preceding)
),
alarms as (
    select c.place, c.day, count(*) as n
    from c2 c cross join method m
    where c.day >= d_first::date and c.first_date <= c.day - (m.baseline_days + m.guard_days)
      and (c.y - c.mean) / greatest(c.sd, m.min_sigma) >= m.c2_threshold
    group by all
),
sentinel_alarms as (
    select pd.place, pd.day, 'sentinel_alarms_today' as kpi, coalesce(a.n, 0) as value
    from place_days pd left join alarms a using (place, day)
)

select * from (
    select place as region_code, day, kpi, value::double as value from days_to_test
    union all select place, day, kpi, value::double from funds_execution
    union all select place, day, kpi, value::double from reserve_below
    union all select place, day, kpi, value::double from sentinel_alarms
)
where list_contains(kpis, kpi);

-- The KPIs listed in kpis for every place and day d_first .. d_last: what sitrep/cube.py stores in the table kpi_cube.
CREATE OR REPLACE MACRO kpi_cube_range(d_first, d_last, kpis) AS TABLE
select * from kpi_cube_additive(d_first, d_last, kpis)
union all
select * from kpi_cube_direct(d_first, d_last, kpis);

-- The regions one level below a scope, as the per-region charts show them: the townships of the city (scope NULL
-- or the city), the villages of a township, a village itself; in a lake (sitrep.lake_db) the counties of its
-- prefecture (scope NULL: root_region()) and the prefectures of a province.
CREATE OR REPLACE MACRO regions_one_level_below(scope) AS TABLE
with top as (select coalesce(scope, root_region()) as code)
select r.region_code, r.name, r.level, r.population
from regions r, top
where (r.parent_code = top.code and level_rank(r.level) between 2 and 5)
   or (r.region_code = top.code and r.level = 'village');

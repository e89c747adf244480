-- alerts_kpi_daily: the catalogue KPIs that can raise an alert, per place (the city and each township) and day,
-- in one pass: the history behind a KPI alert's "since when" and its chart (sitrep/alerts.py). Each value is
-- what queries/kpis.sql gives with that place as the scope and that day as D (tests/test_alerts.py checks they
-- agree on every place and day of a hand-built city and on the demo); kpis.sql answers one (place, day) per run,
-- this answers a whole period for every place at once. funds_execution_pct does not depend on the place (funds
-- carry no region): it is given for the city only.
-- param as_of date: the last day
-- param date_from date: the first day
-- param region_code str optional: scope: empty or the city = the city and every township; a township = that township; a village or group = its township
-- param rules rules: quarantine rules for the precise-control KPIs; default data/quarantine_rules.toml
-- Row: one (place, day, KPI): place_code, place_level ('city' or 'township'), date, kpi, value (DOUBLE; NULL when
-- it cannot be computed, e.g. no capacity row that day).
with

params as (
    select $date_from::date as d_first, $as_of::date as d_last
),

scope as (
    -- the township the scope lies in; NULL for the city
    select case when r.level = 'township' then r.region_code
                when r.level in ('village', 'group') then township_code(r.region_code) end as township
    from (select $region_code::varchar as code) s
    left join regions r on r.region_code = s.code
),

places as (
    select r.region_code as place_code, r.level as place_level, r.population
    from regions r, scope s
    where (r.level = 'city' and s.township is null)
       or (r.level = 'township' and (s.township is null or r.region_code = s.township))
),

city as (
    select place_code from places where place_level = 'city'
),

townships as (
    select place_code from places where place_level = 'township'
),

days as (
    select unnest(generate_series(p.d_first, p.d_last, interval 1 day))::date as date
    from params p
),

place_days as (
    select p.place_code, d.date from places p cross join days d
),

-- Every record belongs to its township's place and to the city's place (the city scope takes every row,
-- rows with no region too): two equality joins, cheaper than one join on in_scope().
case_places as (
    select t.place_code, c.* from cases c join townships t on t.place_code = township_code(c.region_code)
    union all
    select k.place_code, c.* from cases c cross join city k
),

order_places as (
    select t.place_code, o.* from orders o join townships t on t.place_code = township_code(o.region_code)
    union all
    select k.place_code, o.* from orders o cross join city k
),

supervision_places as (
    select t.place_code, s.* from supervision s join townships t on t.place_code = township_code(s.region_code)
    union all
    select k.place_code, s.* from supervision s cross join city k
),

capacity_places as (
    select t.place_code, c.* from test_capacity c join townships t on t.place_code = township_code(c.region_code)
    union all
    select k.place_code, c.* from test_capacity c cross join city k
),

reserve_places as (
    select t.place_code, r.* from reserves r join townships t on t.place_code = township_code(r.region_code)
    union all
    select k.place_code, r.* from reserves r cross join city k
),

grid_places as (
    select t.place_code, g.* from grid_units g join townships t on t.place_code = township_code(g.region_code)
    union all
    select k.place_code, g.* from grid_units g cross join city k
),

village_places as (
    select t.place_code, v.region_code from regions v join townships t on t.place_code = township_code(v.region_code)
    where v.level = 'village'
    union all
    select k.place_code, v.region_code from regions v cross join city k where v.level = 'village'
),

vaccination_places as (
    select t.place_code, v.* from vaccinations v join townships t on t.place_code = township_code(v.region_code)
    union all
    select k.place_code, v.* from vaccinations v cross join city k
),

-- Counts of records in a state over an interval of days: a record counts on day d when first_day <= d and
-- (stop_day is NULL or d < stop_day). ------------------------------------------------------------------------
returnee_people as (
    -- the schedule of every returnee in scope as of the last day (stored macros of
    -- queries/macros/returnee_control.sql). For a day d before it: released means measure_end <= d; a test is
    -- overdue on d when d > test day + 1 and no sample was taken in test day - 1 .. test day + 1, and those
    -- samples all lie before d, so "done" as of the last day is "done" as of d.
    select person_id, region_code, arrival_date, measure_end, positive, misclassified, release_due
    from returnee_rule($rules, (select d_last from params), (select township from scope))
),

returnee_first_overdue as (
    select person_id, min(test_date) + 2 as first_overdue_day
    from returnee_test($rules, (select d_last from params), (select township from scope))
    where stage_no is not null and test_date is not null and owed and not done
    group by person_id
),

returnee_intervals as (
    select 'returnees_tests_overdue' as kpi, p.region_code, greatest(o.first_overdue_day, p.arrival_date) as first_day,
           p.measure_end as stop_day
    from returnee_people p
    join returnee_first_overdue o using (person_id)
    where not p.positive
    union all
    select 'returnees_release_overdue', region_code, greatest(release_due + 1, arrival_date), measure_end
    from returnee_people
    where release_due is not null and not positive
    union all
    select 'returnees_misclassified', region_code, arrival_date, null
    from returnee_people
    where misclassified
),

intervals as (
    select 'cases_active' as kpi, place_code, report_date as first_day,
           case when status in ('discharged', 'died') and discharge_date is not null
                then greatest(discharge_date, report_date) end as stop_day
    from case_places
    where category in ('confirmed', 'asymptomatic')
    union all
    -- issued_at < D + 1 and deadline < D + 1 and (closed_at is NULL or closed_at >= D + 1)
    select 'orders_open_overdue', place_code, greatest(issued_at::date, deadline::date), closed_at::date
    from order_places
    union all
    -- found_date <= D and due_date < D and (rectified_date is NULL or rectified_date > D)
    select 'supervision_open_overdue', place_code, greatest(found_date, due_date + 1), rectified_date
    from supervision_places
    union all
    select i.kpi, t.place_code, i.first_day, i.stop_day
    from returnee_intervals i join townships t on t.place_code = township_code(i.region_code)
    union all
    select i.kpi, k.place_code, i.first_day, i.stop_day
    from returnee_intervals i cross join city k
),

interval_events as (
    -- +1 on the first day, -1 on the stop day; days before the period land on its first day
    select kpi, place_code, greatest(first_day, p.d_first) as date, 1 as delta
    from intervals, params p
    where first_day <= p.d_last and (stop_day is null or stop_day > first_day)
    union all
    select kpi, place_code, greatest(stop_day, p.d_first), -1
    from intervals, params p
    where first_day <= p.d_last and stop_day > first_day and stop_day <= p.d_last
),

interval_kpis as (
    select k.kpi, pd.place_code, pd.date,
           sum(coalesce(e.delta, 0)) over (partition by k.kpi, pd.place_code order by pd.date) as value
    from place_days pd
    cross join (values ('cases_active'), ('orders_open_overdue'), ('supervision_open_overdue'),
                       ('returnees_tests_overdue'), ('returnees_release_overdue'), ('returnees_misclassified')) k(kpi)
    left join (select kpi, place_code, date, sum(delta) as delta from interval_events group by all) e
           on e.kpi = k.kpi and e.place_code = pd.place_code and e.date = pd.date
),

-- one ledger: testing capacity, reserves, funds -----------------------------------------------------------------
capacity_use as (
    select place_code, date, round(100.0 * sum(tubes_tested) / nullif(sum(capacity_tubes), 0), 1) as value
    from capacity_places, params p
    where date between p.d_first and p.d_last
    group by all
),

capacity_persons as (
    -- labs serve the whole city: every lab counts, whatever the place
    select date, sum(capacity_tubes * coalesce(pool_size, 1)) as persons
    from test_capacity, params p
    where date between p.d_first and p.d_last
    group by all
),

days_to_test as (
    select pd.place_code, pd.date, round(pl.population / nullif(c.persons, 0), 2) as value
    from place_days pd
    join places pl using (place_code)
    left join capacity_persons c using (date)
),

reserve_items as (
    select place_code, date, item_code,
           sum(on_hand) / nullif(sum(daily_use), 0) as days_of_supply,
           max(coalesce(target_days, 30)) as target_days
    from reserve_places, params p
    where date <= p.d_last
    group by all
),

reserve_snapshots as (
    -- an item with no use (days_of_supply NULL) is never below target
    select place_code, date, count(*) filter (where days_of_supply < target_days) as below
    from reserve_items
    group by all
),

reserve_below as (
    -- the latest reserves date on or before the day, at that place
    select pd.place_code, pd.date, coalesce(s.below, 0) as value
    from place_days pd
    asof left join reserve_snapshots s on s.place_code = pd.place_code and pd.date >= s.date
),

funds_latest as (
    -- rows are cumulative: each (source, purpose) counts with its latest row dated <= the day
    select d.date as day, f.spent, f.allocated
    from days d
    join funds f on f.date <= d.date
    qualify row_number() over (partition by d.date, f.source, f.purpose order by f.date desc) = 1
),

funds_execution as (
    select k.place_code, d.date, round(100.0 * sum(f.spent) / nullif(sum(f.allocated), 0), 1) as value
    from days d
    cross join city k
    left join funds_latest f on f.day = d.date
    group by all
),

-- one net: the grid (a register, not dated) --------------------------------------------------------------------
grid_complete as (
    select place_code,
           round(100.0 * avg(case when coalesce(has_guide and has_system_owner and has_materials
                                                and has_medical_support and has_isolation_transfer, false)
                                  then 1 else 0 end), 1) as value
    from grid_places
    group by all
),

villages_without_owner as (
    select v.place_code, count(*) filter (where g.region_code is null) as value
    from village_places v
    left join grid_units g on g.region_code = v.region_code
    group by all
),

grid_kpis as (
    select pd.place_code, pd.date, c.value as grid_complete_pct, coalesce(o.value, 0) as villages_without_grid_owner
    from place_days pd
    left join grid_complete c using (place_code)
    left join villages_without_owner o using (place_code)
),

-- one flag: villages reached by publicity in the last 7 days ----------------------------------------------------
village_days_covered as (
    -- a village is covered on day d when it has publicity on d - 6 .. d
    select distinct village_code(pub.region_code) as region_code, (pub.date + k.k::integer) as date
    from publicity pub
    cross join range(0, 7) k(k), params p
    where pub.date between p.d_first - 6 and p.d_last
),

publicity_coverage as (
    select pd.place_code, pd.date,
           round(100.0 * count(c.region_code) / nullif(count(v.region_code), 0), 1) as value
    from place_days pd
    left join village_places v using (place_code)
    left join village_days_covered c on c.region_code = v.region_code and c.date = pd.date
    group by all
),

-- one chessboard: vaccination --------------------------------------------------------------------------------
vaccination_daily as (
    select place_code, greatest(date, p.d_first) as date, sum(doses) as doses, count(*) as n
    from vaccination_places, params p
    where dose = 'full' and date <= p.d_last
    group by all
),

vaccination_full as (
    select pd.place_code, pd.date,
           case when sum(coalesce(v.n, 0)) over w > 0
                then round(100.0 * sum(v.doses) over w / nullif(pl.population, 0), 1) end as value
    from place_days pd
    join places pl using (place_code)
    left join vaccination_daily v using (place_code, date)
    window w as (partition by pd.place_code order by pd.date)
),

long as (
    select kpi, place_code, date, value::double as value from interval_kpis
    union all select 'test_capacity_use_pct', pd.place_code, pd.date, c.value::double
              from place_days pd left join capacity_use c using (place_code, date)
    union all select 'days_to_test_everyone', place_code, date, value::double from days_to_test
    union all select 'reserve_items_below_target', place_code, date, value::double from reserve_below
    union all select 'funds_execution_pct', place_code, date, value::double from funds_execution
    union all select 'grid_complete_pct', place_code, date, grid_complete_pct::double from grid_kpis
    union all select 'villages_without_grid_owner', place_code, date, villages_without_grid_owner::double from grid_kpis
    union all select 'publicity_coverage_7d_pct', place_code, date, value::double from publicity_coverage
    union all select 'vaccination_full_pct', place_code, date, value::double from vaccination_full
),

final as (
    select l.place_code, pl.place_level, l.date, l.kpi, l.value
    from long l
    join places pl using (place_code)
    order by pl.place_level, l.place_code, l.kpi, l.date
)

select * from final

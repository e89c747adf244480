-- kpis: every KPI of the catalogue (data/kpis.toml) as of the end of day $as_of, in scope.
-- param as_of date: the as-of day D; everything is as of the end of that day
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- param rules rules: quarantine rules for the precise-control KPIs; default data/quarantine_rules.toml
-- param settings quality: reporting settings for the reporting KPIs; default data/quality_rules.toml ($SITREP_QUALITY)
-- Row: one KPI: kpi (catalogue key), value (DOUBLE; NULL when it cannot be computed, e.g. no capacity row on D).
-- "In scope" is the stored macro in_scope(): the record's region is the scope region or lies
-- below it; the city scope takes every row, including rows with no region.

with

params as (
    select $as_of::date as d, $region_code::varchar as scope
),

scope_region as (
    -- the scope's own row: the given code, else the city row
    select r.region_code, r.population
    from regions r, params p
    where r.region_code = coalesce(p.scope, (select min(region_code) from regions where level = 'city'))
),

villages_in_scope as (
    select r.region_code
    from regions r, params p
    where r.level = 'village' and in_scope(r.region_code, p.scope)
),

-- cases --------------------------------------------------------------------------------
cases_in_scope as (
    select c.* from cases c, params p where in_scope(c.region_code, p.scope)
),

case_kpis as (
    select
        count(*) filter (where category in ('confirmed', 'asymptomatic') and report_date = p.d) as cases_new,
        count(*) filter (where category = 'confirmed' and report_date <= p.d) as cases_confirmed_cumulative,
        count(*) filter (
            where category in ('confirmed', 'asymptomatic') and report_date <= p.d
            and not coalesce(status in ('discharged', 'died') and discharge_date <= p.d, false)
        ) as cases_active
    from cases_in_scope, params p
),

contact_kpis as (
    select count(*) as contacts_in_quarantine
    from contacts c, params p
    where in_scope(c.region_code, p.scope)
      and c.quarantine_start <= p.d
      and (c.release_date is null or c.release_date > p.d)
),

-- one wall: returnees -------------------------------------------------------------------
returnee_kpis as (
    select
        count(*) filter (where arrival_date <= p.d) as returnees_registered,
        count(*) filter (where arrival_date = p.d) as returnees_arrived_today,
        count(*) filter (
            where measure is not null and measure <> 'none'
            and measure_start <= p.d
            and (measure_end is null or measure_end > p.d)
            and status is distinct from 'moved_out'
        ) as returnees_under_measure
    from returnees r, params p
    where in_scope(r.region_code, p.scope)
),

returnee_control_kpis as (
    -- precise control (精准管控): schedules from the stored macro returnee_status()
    -- (queries/macros/returnee_control.sql, rules in sitrep/rules.py); same counts as
    -- queries/returnee_control_kpis.sql
    select
        count(*) filter (where tests_overdue > 0) as returnees_tests_overdue,
        count(*) filter (where release_overdue) as returnees_release_overdue,
        count(*) filter (where misclassified) as returnees_misclassified,
        count(*) filter (where tests_due_tomorrow > 0) as returnees_tests_due_tomorrow
    from returnee_status($rules, $as_of::date, $region_code::varchar)
),

-- one ledger: testing capacity, reserves, funds ----------------------------------------
capacity_today as (
    select t.* from test_capacity t, params p where t.date = p.d
),

capacity_kpis as (
    select
        (select round(100.0 * sum(tubes_tested) / nullif(sum(capacity_tubes), 0), 1)
         from capacity_today c, params p where in_scope(c.region_code, p.scope)) as test_capacity_use_pct,
        -- labs serve the whole city: every lab counts, whatever the scope
        (select round((select population from scope_region)
                      / nullif(sum(capacity_tubes * coalesce(pool_size, 1)), 0), 2)
         from capacity_today) as days_to_test_everyone
),

reserves_in_scope as (
    select r.* from reserves r, params p where in_scope(r.region_code, p.scope) and r.date <= p.d
),

reserve_items as (
    select item_code,
           sum(on_hand) / nullif(sum(daily_use), 0) as days_of_supply,
           max(coalesce(target_days, 30)) as target_days
    from reserves_in_scope
    where date = (select max(date) from reserves_in_scope)
    group by item_code
),

reserve_kpis as (
    -- an item with no use (days_of_supply NULL) is never below target
    select count(*) filter (where days_of_supply < target_days) as reserve_items_below_target
    from reserve_items
),

funds_latest as (
    -- rows are cumulative: each (source, purpose) counts with its latest row dated <= D
    select f.*
    from funds f, params p
    where f.date <= p.d
    qualify row_number() over (partition by f.source, f.purpose order by f.date desc) = 1
),

funds_kpis as (
    select round(100.0 * sum(spent) / nullif(sum(allocated), 0), 1) as funds_execution_pct
    from funds_latest
),

-- one net: grid, sentinels -------------------------------------------------------------
grid_kpis as (
    select
        (select round(100.0 * avg(case when coalesce(has_guide and has_system_owner and has_materials
                                                      and has_medical_support and has_isolation_transfer, false)
                                       then 1 else 0 end), 1)
         from grid_units g, params p where in_scope(g.region_code, p.scope)) as grid_complete_pct,
        (select count(*) from villages_in_scope v
         where not exists (select 1 from grid_units g where g.region_code = v.region_code)) as villages_without_grid_owner
),

sentinel_alarm_kpis as (
    -- EARS C2 alarms on D: the stored macro sentinel_c2_on_day() (queries/macros/sentinel_c2.sql)
    select count(*) filter (where c2_alarm) as sentinel_alarms_today
    from sentinel_c2_on_day($as_of::date, $region_code::varchar)
),

sentinel_kpis as (
    select coalesce(sum(rep.visits), 0) as sentinel_visits_today
    from sentinel_reports rep
    join sentinel_sites s using (site_id), params p
    where rep.date = p.d and in_scope(s.region_code, p.scope)
),

-- one flag: publicity -----------------------------------------------------------------
publicity_kpis as (
    select round(100.0 * count(*) filter (where exists (
               select 1 from publicity pub, params p
               where village_code(pub.region_code) = v.region_code
                 and pub.date between p.d - 6 and p.d))
           / nullif(count(*), 0), 1) as publicity_coverage_7d_pct
    from villages_in_scope v
),

-- one chessboard: orders, supervision, vaccination --------------------------------------
command_kpis as (
    select
        (select count(*) from orders o, params p
         where in_scope(o.region_code, p.scope)
           and o.issued_at < p.d + 1
           and o.deadline < p.d + 1
           and (o.closed_at is null or o.closed_at >= p.d + 1)) as orders_open_overdue,
        (select count(*) from supervision s, params p
         where in_scope(s.region_code, p.scope)
           and s.found_date <= p.d
           and s.due_date < p.d
           and (s.rectified_date is null or s.rectified_date > p.d)) as supervision_open_overdue,
        (select round(100.0 * sum(doses) / nullif((select population from scope_region), 0), 1)
         from vaccinations v, params p
         where v.dose = 'full' and v.date <= p.d and in_scope(v.region_code, p.scope)) as vaccination_full_pct
),

reporting_kpis as (
    -- data reporting (数据上报) checked now: the stored macro reporting_kpis_on_day()
    -- (queries/macros/quality_reporting.sql); same values as queries/quality_reporting_kpis.sql
    select * from reporting_kpis_on_day($settings, $as_of::date, $region_code::varchar, current_localtimestamp())
),

wide as (
    select columns(*)::double from case_kpis, contact_kpis, returnee_kpis, returnee_control_kpis, capacity_kpis, reserve_kpis, funds_kpis,
                  grid_kpis, sentinel_kpis, sentinel_alarm_kpis, publicity_kpis, command_kpis, reporting_kpis
),

final as (
    -- one row per KPI; NULLs kept (a KPI that cannot be computed is still listed)
    select kpi, value
    from wide unpivot include nulls (value for kpi in (
        cases_new, cases_confirmed_cumulative, cases_active, contacts_in_quarantine,
        returnees_registered, returnees_arrived_today, returnees_under_measure,
        returnees_tests_overdue, returnees_release_overdue, returnees_misclassified, returnees_tests_due_tomorrow,
        test_capacity_use_pct, days_to_test_everyone, reserve_items_below_target, funds_execution_pct,
        grid_complete_pct, villages_without_grid_owner, sentinel_visits_today, sentinel_alarms_today,
        publicity_coverage_7d_pct,
        orders_open_overdue, supervision_open_overdue, vaccination_full_pct,
        reports_complete_pct, reports_on_time_pct, reports_missing
    ))
)

select * from final

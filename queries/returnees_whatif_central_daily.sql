-- returnees_whatif_central_daily: what-if for quarantine hotel capacity: returnees in central quarantine on each
-- day from $as_of on, under the rules in force and under alternative rules.
-- param as_of date: the as-of day D (the first day of the series)
-- param region_code str optional: scope region; empty = the whole city
-- param horizon_days int optional: number of days from D (default 28)
-- param rules rules: the rules in force; default data/quarantine_rules.toml
-- param alt_rules rules: the alternative rules; default data/quarantine_rules.toml
-- Row: one day: day, central_current, central_alternative, central_difference (alternative - current).
-- The people are those under a measure on D (as in returnees_whatif_release_shift); each is counted on the days
-- a central_quarantine stage of their schedule covers. A projection from the schedules: later arrivals are not
-- known, and a returnee past the end of the schedule (release overdue) counts in neither.
with

people as (
    select person_id
    from returnee_rule($rules, $as_of::date, $region_code::varchar)
    where measure is not null and measure <> 'none' and measure_start <= $as_of::date and not released
),

days as (
    select unnest(generate_series($as_of::date, $as_of::date + coalesce($horizon_days::integer, 28) - 1,
                                  interval 1 day))::date as day
),

current_central as (
    select s.stage_start, s.stage_next
    from returnee_stage($rules, $as_of::date, $region_code::varchar) s
    semi join people p using (person_id)
    where s.stage_measure = 'central_quarantine' and s.stage_next > $as_of::date
),

alternative_central as (
    select s.stage_start, s.stage_next
    from returnee_stage($alt_rules, $as_of::date, $region_code::varchar) s
    semi join people p using (person_id)
    where s.stage_measure = 'central_quarantine' and s.stage_next > $as_of::date
),

current_daily as (
    select d.day, count(*) as persons
    from days d join current_central c on d.day >= c.stage_start and d.day < c.stage_next
    group by d.day
),

alternative_daily as (
    select d.day, count(*) as persons
    from days d join alternative_central a on d.day >= a.stage_start and d.day < a.stage_next
    group by d.day
),

final as (
    select
        d.day,
        coalesce(c.persons, 0) as central_current,
        coalesce(a.persons, 0) as central_alternative,
        coalesce(a.persons, 0) - coalesce(c.persons, 0) as central_difference
    from days d
    left join current_daily c using (day)
    left join alternative_daily a using (day)
    order by d.day
)

select * from final

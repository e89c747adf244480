-- Precise control (精准管控): each returnee's schedule under the quarantine rules, as table macros.
-- Stored in every database by sitrep.db.ensure_schema (this folder is not a named query); the
-- named queries returnee_* / returnees_* select from them. The rules argument is the bound
-- parameter of type `rules` (sitrep.rules.Rules.as_param()); as_of is the day D; scope is a
-- region code or NULL (the stored macro in_scope()). Semantics: sitrep/rules.py's docstring.
-- Only returnees who arrived on or before D and have not moved out are taken.

-- One row per (rule set, origin risk, stage); an origin risk with no measure is stage 0, measure none.
CREATE OR REPLACE MACRO quarantine_rule_rows(rules) AS TABLE
with unnested as (
    select unnest(rules::STRUCT(rule_set VARCHAR, effective_from DATE, origin_risk VARCHAR, stage_no INTEGER,
                                measure VARCHAR, stage_days INTEGER, test_days INTEGER[])[]) as r
),
flat as (
    select r.rule_set, r.effective_from, r.origin_risk, r.stage_no, r.measure, r.stage_days,
           coalesce(r.test_days, []) as test_days
    from unnested
),
final as (
    select
        *,
        -- days of the stages before this one: the stage starts on measure_start + offset_days
        (sum(stage_days) over (partition by rule_set, origin_risk order by stage_no) - stage_days)::integer as offset_days,
        (sum(stage_days) over (partition by rule_set, origin_risk))::integer as total_days
    from flat
)
select * from final;

-- One row per returnee in scope: the rule set in force at arrival and what it asks.
CREATE OR REPLACE MACRO returnee_rule(rules, as_of, scope) AS TABLE
with rule_rows as (
    select * from quarantine_rule_rows(rules)
),
risk_rules as (
    select rule_set, effective_from, origin_risk, arg_min(measure, stage_no) as rule_measure,
           max(total_days) as rule_days
    from rule_rows
    group by rule_set, effective_from, origin_risk
),
arrival_days as (
    select unnest(generate_series(min(arrival_date), least(max(arrival_date), as_of), interval 1 day))::date as day
    from returnees
),
day_rules as (
    -- the rule in force on each arrival day (the latest effective_from on or before it), per origin risk:
    -- a calendar of a few hundred days, so that people join it by equality (much faster than an ASOF join)
    select d.day, k.rule_set, k.origin_risk, k.rule_measure, k.rule_days
    from arrival_days d
    join risk_rules k on k.effective_from <= d.day
    qualify k.effective_from = max(k.effective_from) over (partition by d.day)
),
people as (
    -- only the columns the schedule needs (personal data is joined by the queries that show it)
    select r.person_id, r.region_code, r.origin_category, r.origin_risk, r.arrival_date,
           r.measure, r.measure_start, r.measure_end, r.status
    from returnees r
    where in_scope(r.region_code, scope)
      and r.arrival_date <= as_of
      and r.status is distinct from 'moved_out'
),
judged as (
    select
        p.*,
        k.rule_set,
        k.rule_measure,
        k.rule_days,
        coalesce(p.measure <> k.rule_measure, false) as misclassified,
        -- a schedule is owed for a recorded measure with a start, when the rule has stages
        coalesce(p.measure <> 'none' and p.measure_start is not null and k.rule_days > 0, false) as scheduled,
        coalesce(p.measure_end <= as_of, false) as released,
        -- a positive returnee is in the case pathway (hospital): their tests and release are not chased
        coalesce(p.status = 'positive', false) as positive
    from people p
    left join day_rules k on k.day = p.arrival_date and k.origin_risk = p.origin_risk
),
final as (
    select
        *,
        case when scheduled then measure_start + rule_days end as release_due,
        coalesce(released and measure_end < release_due, false) as released_early,
        coalesce(not released and not positive and release_due < as_of, false) as release_overdue
    from judged
)
select * from final;

-- One row per stage of each scheduled returnee, and one row with stage_no NULL for every other returnee
-- (so that returnee_status needs one pass; take `where stage_no is not null` for the stages alone).
CREATE OR REPLACE MACRO returnee_stage(rules, as_of, scope) AS TABLE
with people as (
    select * from returnee_rule(rules, as_of, scope)
),
rule_rows as (
    select * from quarantine_rule_rows(rules) where stage_no >= 1
),
final as (
    select
        p.*,
        g.stage_no,
        g.measure as stage_measure,
        g.stage_days,
        coalesce(g.test_days, []) as test_days,
        p.measure_start + g.offset_days as stage_start,
        p.measure_start + g.offset_days + g.stage_days as stage_next,  -- the first day after the stage
        g.offset_days + g.stage_days = g.total_days as last_stage
    from people p
    left join rule_rows g on p.scheduled and g.rule_set = p.rule_set and g.origin_risk = p.origin_risk
)
select * from final;

-- One row per scheduled test of each scheduled returnee with its state on D, and one row with test_day NULL for
-- every stage without tests and every returnee without stages (take `where test_day is not null` for the tests).
CREATE OR REPLACE MACRO returnee_test(rules, as_of, scope) AS TABLE
with people as (
    select * from returnee_rule(rules, as_of, scope)
),
rule_tests as (
    -- the test days of each stage of the rules (a few dozen rows; a stage without tests keeps one NULL row)
    select
        rule_set, origin_risk, stage_no, measure, stage_days, offset_days, total_days,
        unnest(if(len(test_days) = 0, [NULL::INTEGER], test_days)) as test_day,
        unnest(range(1, greatest(len(test_days), 1) + 1)) as test_seq
    from quarantine_rule_rows(rules)
    where stage_no >= 1
),
samples as (
    -- only the tests of the returnees in scope: a township's worklist reads its own tests, not the city's
    select t.person_id, list(t.sample_date) as sample_dates
    from tests t
    semi join people p on p.person_id = t.person_id
    where t.sample_date <= as_of
    group by t.person_id
),
planned as (
    select
        p.*,
        g.stage_no,
        g.measure as stage_measure,
        g.stage_days,
        p.measure_start + g.offset_days as stage_start,
        p.measure_start + g.offset_days + g.stage_days as stage_next,  -- the first day after the stage
        g.offset_days + g.stage_days = g.total_days as last_stage,
        g.test_day,
        g.test_seq,
        p.measure_start + g.offset_days + g.test_day - 1 as test_date
    from people p
    left join rule_tests g on p.scheduled and g.rule_set = p.rule_set and g.origin_risk = p.origin_risk
),
checked as (
    select
        d.*,
        -- tests on or after the actual release are not owed
        coalesce(d.measure_end is null or d.test_date < d.measure_end, false) as owed,
        -- done: a sample on s-1, s or s+1 (on or before D)
        coalesce(list_has_any(s.sample_dates, [d.test_date - 1, d.test_date, d.test_date + 1]), false) as done
    from planned d
    left join samples s on s.person_id = d.person_id and d.test_date is not null
),
final as (
    select
        *,
        -- overdue: the window s-1..s+1 has passed; for a released (or positive) returnee the test is missed,
        -- not chased
        owed and not done and test_date + 1 < as_of and not (released or positive) as overdue,
        owed and not done and test_date + 1 < as_of and (released or positive) as missed
    from checked
)
select * from final;

-- One row per returnee in scope: rule, stage on D, overdue tests and release.
CREATE OR REPLACE MACRO returnee_status(rules, as_of, scope) AS TABLE
with people as (
    select * from returnee_rule(rules, as_of, scope)
),
plan as (
    -- a second expansion of returnee_rule is cheaper than materialising the wide plan for two consumers
    select person_id, positive, stage_no, stage_measure, stage_start, stage_next, last_stage, test_date, owed, done,
           overdue, missed
    from returnee_test(rules, as_of, scope)
    where stage_no is not null
),
summary as (
    select
        person_id,
        count(*) filter (where overdue) as tests_overdue,
        count(*) filter (where missed) as tests_missed,
        min(test_date) filter (where overdue) as first_overdue_test,
        count(*) filter (where owed and not done and not positive and test_date = as_of + 1) as tests_due_tomorrow,
        min(test_date) filter (where owed and not done and test_date >= as_of) as next_test,
        -- the stage containing D; after the last stage, unreleased returnees stay in it
        max(stage_no) filter (where as_of >= stage_start and (as_of < stage_next or last_stage)) as stage_no_on_day,
        arg_max(stage_measure, stage_no) filter (where as_of >= stage_start and (as_of < stage_next or last_stage))
            as stage_measure_on_day
    from plan
    group by person_id
),
final as (
    select
        p.*,
        coalesce(t.tests_overdue, 0) as tests_overdue,
        coalesce(t.tests_missed, 0) as tests_missed,
        t.first_overdue_test,
        coalesce(t.tests_due_tomorrow, 0) as tests_due_tomorrow,
        t.next_test,
        t.stage_no_on_day,
        case
            when p.measure is null then 'unclassified'
            when p.measure = 'none' then 'no_measure'
            when p.released then 'released'
            when p.positive then 'positive'
            when p.measure_start is null or p.measure_start > as_of then 'not_started'
            when p.scheduled then t.stage_measure_on_day
            else p.measure  -- a measure the rule does not ask for: as recorded
        end as stage_on_day
    from people p
    left join summary t using (person_id)
)
select * from final;

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
rule_sets as (
    select distinct rule_set, effective_from from rule_rows
),
risk_rules as (
    select rule_set, origin_risk, arg_min(measure, stage_no) as rule_measure, max(total_days) as rule_days
    from rule_rows
    group by rule_set, origin_risk
),
people as (
    -- only the columns the schedule needs: wide rows make the ASOF join slow (personal data is joined later)
    select r.person_id, r.region_code, r.origin_category, r.origin_risk, r.arrival_date,
           r.measure, r.measure_start, r.measure_end, r.status
    from returnees r
    where in_scope(r.region_code, scope)
      and r.arrival_date <= as_of
      and r.status is distinct from 'moved_out'
),
people_rule_set as (
    -- the latest rule set whose effective_from is on or before arrival
    select p.*, s.rule_set
    from people p
    asof left join rule_sets s on p.arrival_date >= s.effective_from
),
judged as (
    select
        p.*,
        k.rule_measure,
        k.rule_days,
        coalesce(p.measure <> k.rule_measure, false) as misclassified,
        -- a schedule is owed for a recorded measure with a start, when the rule has stages
        coalesce(p.measure <> 'none' and p.measure_start is not null and k.rule_days > 0, false) as scheduled,
        coalesce(p.measure_end <= as_of, false) as released
    from people_rule_set p
    left join risk_rules k using (rule_set, origin_risk)
),
final as (
    select
        *,
        case when scheduled then measure_start + rule_days end as release_due,
        coalesce(released and measure_end < release_due, false) as released_early,
        coalesce(not released and release_due < as_of, false) as release_overdue
    from judged
)
select * from final;

-- One row per stage of each scheduled returnee.
CREATE OR REPLACE MACRO returnee_stage(rules, as_of, scope) AS TABLE
with people as (
    select * from returnee_rule(rules, as_of, scope) where scheduled
),
rule_rows as (
    select * from quarantine_rule_rows(rules) where stage_no >= 1
),
final as (
    select
        p.person_id, p.region_code, p.measure_start, p.measure_end, p.released, p.release_due,
        g.stage_no,
        g.measure as stage_measure,
        g.stage_days,
        g.test_days,
        p.measure_start + g.offset_days as stage_start,
        p.measure_start + g.offset_days + g.stage_days as stage_next,  -- the first day after the stage
        g.offset_days + g.stage_days = g.total_days as last_stage
    from people p
    join rule_rows g on g.rule_set = p.rule_set and g.origin_risk = p.origin_risk
)
select * from final;

-- One row per scheduled test of each scheduled returnee, with its state on D.
CREATE OR REPLACE MACRO returnee_test(rules, as_of, scope) AS TABLE
with stage_tests as (
    select s.* exclude (test_days), unnest(s.test_days) as test_day
    from returnee_stage(rules, as_of, scope) s
),
dated as (
    select
        *,
        stage_start + test_day - 1 as test_date,
        -- tests on or after the actual release are not owed
        measure_end is null or stage_start + test_day - 1 < measure_end as owed
    from stage_tests
),
checked as (
    select
        d.*,
        exists (
            select 1 from tests t
            where t.person_id = d.person_id
              and t.sample_date between d.test_date - 1 and d.test_date + 1
              and t.sample_date <= as_of
        ) as done
    from dated d
),
final as (
    select
        *,
        -- overdue: the window s-1..s+1 has passed; for a released returnee the test is missed, not chased
        owed and not done and test_date + 1 < as_of and not released as overdue,
        owed and not done and test_date + 1 < as_of and released as missed
    from checked
)
select * from final;

-- One row per returnee in scope: rule, stage on D, overdue tests and release.
CREATE OR REPLACE MACRO returnee_status(rules, as_of, scope) AS TABLE
with people as (
    select * from returnee_rule(rules, as_of, scope)
),
test_summary as (
    select
        person_id,
        count(*) filter (where overdue) as tests_overdue,
        count(*) filter (where missed) as tests_missed,
        min(test_date) filter (where overdue) as first_overdue_test,
        count(*) filter (where owed and not done and test_date = as_of + 1) as tests_due_tomorrow,
        min(test_date) filter (where owed and not done and test_date >= as_of) as next_test
    from returnee_test(rules, as_of, scope)
    group by person_id
),
stage_on_day as (
    -- the stage containing D; after the last stage, unreleased returnees stay in it
    select person_id, stage_no, stage_measure
    from returnee_stage(rules, as_of, scope)
    where as_of >= stage_start and (as_of < stage_next or last_stage)
),
final as (
    select
        p.*,
        coalesce(t.tests_overdue, 0) as tests_overdue,
        coalesce(t.tests_missed, 0) as tests_missed,
        t.first_overdue_test,
        coalesce(t.tests_due_tomorrow, 0) as tests_due_tomorrow,
        t.next_test,
        s.stage_no as stage_no_on_day,
        case
            when p.measure is null then 'unclassified'
            when p.measure = 'none' then 'no_measure'
            when p.released then 'released'
            when p.measure_start is null or p.measure_start > as_of then 'not_started'
            when p.scheduled then s.stage_measure
            else p.measure  -- a measure the rule does not ask for: as recorded
        end as stage_on_day
    from people p
    left join test_summary t using (person_id)
    left join stage_on_day s using (person_id)
)
select * from final;

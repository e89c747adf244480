-- returnees_whatif_release_shift: what-if for returnees under a measure on day $as_of: how their expected release
-- day R would move under alternative rules (another rule set, or days edited in a form).
-- param as_of date: the as-of day D
-- param region_code str optional: scope region; empty = the whole city
-- param rules rules: the rules in force; default data/quarantine_rules.toml
-- param alt_rules rules: the alternative rules (sitrep.rules.Rules, e.g. rules.only(name) or rules.with_stages(...));
-- default data/quarantine_rules.toml (then nothing moves)
-- Row: one origin risk x one shift: origin_risk, release_shift_days (alternative R - current R; negative = earlier),
-- direction (earlier, same, later), persons, persons_due_by_day (of them, alternative R on or before D: could be
-- released at once). Under a measure on D: a measure other than none started on or before D and not released.
-- Each R is measure_start + the total days of the stages the rule set in force at arrival gives (0 without stages).
with

current_rule as (
    select * from returnee_rule($rules, $as_of::date, $region_code::varchar)
    where measure is not null and measure <> 'none' and measure_start <= $as_of::date and not released
),

alternative_rule as (
    select person_id, rule_days
    from returnee_rule($alt_rules, $as_of::date, $region_code::varchar)
),

shifted as (
    select
        c.origin_risk,
        (coalesce(a.rule_days, 0) - coalesce(c.rule_days, 0))::integer as release_shift_days,
        c.measure_start + coalesce(a.rule_days, 0) as alternative_release_due
    from current_rule c
    left join alternative_rule a using (person_id)
),

final as (
    select
        origin_risk,
        release_shift_days,
        case when release_shift_days < 0 then 'earlier' when release_shift_days > 0 then 'later' else 'same' end
            as direction,
        count(*) as persons,
        count(*) filter (where alternative_release_due <= $as_of::date) as persons_due_by_day
    from shifted
    group by all
    order by origin_risk, release_shift_days
)

select * from final

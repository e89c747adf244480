-- returnees_measure_by_origin_risk: from origin risk to the measure recorded, as of day $as_of (a Sankey), with the
-- measure the rule in force at arrival asks for, so that misclassified flows stand out.
-- param as_of date: the as-of day D
-- param region_code str optional: scope region (city, township or village code); empty = the whole city
-- param rules rules: quarantine rules; default data/quarantine_rules.toml
-- Row: one origin risk x recorded measure x rule measure: origin_risk, measure (recorded; 'unclassified' when
-- none is recorded yet), rule_measure (the rule's first stage, 'none' for no stage; NULL for an arrival before
-- the first rule set), misclassified (as in the KPI returnees_misclassified), persons. Returnees who arrived on or
-- before D and did not move out (the funnel's "registered"). Ordered by origin risk and measure, contract order.
with

returnee_rule as (
    select * from returnee_rule($rules, $as_of::date, $region_code::varchar)
),

risk_order as (
    select * from (values (1, 'overseas'), (2, 'high'), (3, 'medium'), (4, 'low'), (5, 'none'))
        as r(risk_order, origin_risk)
),

measure_order as (
    select * from (values
        (1, 'central_quarantine'), (2, 'home_quarantine'), (3, 'home_monitoring'), (4, 'none'), (5, 'unclassified')
    ) as m(measure_order, measure)
),

flows as (
    select origin_risk, coalesce(measure, 'unclassified') as measure, rule_measure, misclassified,
           count(*) as persons
    from returnee_rule
    group by all
),

final as (
    select f.origin_risk, f.measure, f.rule_measure, f.misclassified, f.persons
    from flows f
    left join risk_order r using (origin_risk)
    left join measure_order m using (measure)
    order by r.risk_order, m.measure_order, f.rule_measure, f.misclassified
)

select * from final

-- Spark: the quarantine rules come as JSON (sitrep.cube_job binds list parameters as JSON), not as a list of
-- structs; one row per element, as DuckDB's unnest(rules::STRUCT(...)[]) of queries/macros/returnee_control.sql.
select explode(from_json(rules, 'array<struct<rule_set:string, effective_from:date, origin_risk:string, stage_no:int, measure:string, stage_days:int, test_days:array<int>>>')) as r

-- Spark: DuckDB unnests the test days and their numbers (range(1, n + 1)) side by side; posexplode gives both.
-- A stage without tests keeps one row with test_day NULL and test_seq 1, as in queries/macros/returnee_control.sql.
select rule_set, origin_risk, stage_no, measure, stage_days, offset_days, total_days,
       t.test_day, t.pos + 1 as test_seq
from quarantine_rule_rows(rules)
lateral view posexplode(if(size(test_days) = 0, array(cast(null as int)), test_days)) t as pos, test_day
where stage_no >= 1

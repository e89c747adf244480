-- Spark: the streams of the reporting settings (JSON), one row per stream with its fields as columns, as DuckDB's
-- unnest(from_json(...), recursive := true) of queries/macros/quality_reporting.sql.
select inline(from_json((select streams from config), 'array<struct<stream:string, every_days:int, anchor:date, window_days:int, deadline_hours:int, units:array<string>>>'))

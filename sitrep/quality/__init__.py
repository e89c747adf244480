"""The data quality centre: can a number be trusted, and why does a township's figure look wrong?

Checks (settings and rules in data/quality_rules.toml, checked on load; SQL in queries/quality_*.sql):

- reporting completeness and timeliness of the daily reports (sentinel reports, testing
  capacity, reserves, publicity, duty roster) per unit, township and day, from the import log
  (:func:`reporting_daily`, :func:`reporting_units`, :func:`reporting_kpis`);
- duplicate persons among returnees, as pairs side by side (:func:`duplicates`);
- outliers in daily series by the modified z-score over a trailing window (:func:`outliers`);
- consistency rules as data: SQL returning the offending rows (:func:`run_rules`);
- freshness of every table, the KPIs it makes stale, and a trust status per pillar
  (:func:`freshness`, :func:`stale_kpis`, :func:`trust_by_pillar`).

``python -m sitrep check`` prints the report (:func:`cli_check`); :func:`bench_quality` times it.
"""

from sitrep.quality.checks import (
    RuleResult,
    counts_by_township,
    duplicates,
    freshness,
    is_city_scope,
    now_hour,
    now_minute,
    outliers,
    period_start,
    reporting_daily,
    reporting_kpis,
    reporting_summary,
    reporting_units,
    rules_summary,
    run_rule,
    run_rules,
)
from sitrep.quality.config import Config, QualityConfigError, Rule, load_config, parse_config
from sitrep.quality.report import bench_quality, build_report, cli_check, default_as_of, report_text
from sitrep.quality.trust import stale_kpis, stale_tables, trust_by_pillar

__all__ = [
    "Config", "QualityConfigError", "Rule", "RuleResult", "bench_quality", "build_report", "cli_check",
    "counts_by_township", "default_as_of", "duplicates", "freshness", "is_city_scope", "load_config",
    "now_hour", "now_minute", "outliers", "parse_config", "period_start", "report_text", "reporting_daily",
    "reporting_kpis", "reporting_summary", "reporting_units", "rules_summary", "run_rule", "run_rules",
    "stale_kpis", "stale_tables", "trust_by_pillar",
]

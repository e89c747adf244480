"""Whether a number can be trusted: which KPIs read stale tables, and a per-pillar trust
status (fresh, complete, no critical rule broken) for the overview's trust indicator.

- A table is **stale** when its newest import is older than its ``max_age_hours`` (or it was
  never imported), and **lagging** when its newest data on or before the as-of day is more
  than ``max_lag_days`` before it (data/quality_rules.toml [freshness]). A KPI is marked when
  a table it reads (the catalogue's ``tables``) is stale (or lagging, given an as-of day).
- A pillar is **fresh** when no KPI of it is marked; **complete** when the report streams
  that feed it ([reporting.streams.*] pillar) received at least ``complete_pct_ok`` % of the
  reports due on the as-of day in scope (a pillar with no stream is complete);
  **critical_ok** when no critical rule of it ([[rule]] pillar) is broken in scope.
- **findings**: the outlier episodes of the last ``days`` days (the quality tab's default
  period) in a series read from one of the pillar's tables, and the suspected duplicate
  pairs of returnees when the pillar reads that table: nobody has resolved them, so the
  numbers built on those tables are in doubt.
- status: ``bad`` when not fresh or a critical rule is broken; ``warn`` when reports are
  incomplete, a major rule is broken, or there are findings; else ``ok``.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from sitrep import catalogue
from sitrep import db as dbm
from sitrep.quality import checks
from sitrep.quality.config import Config, load_config


def stale_tables(db: dbm.Database, now: datetime | None = None, *, as_of: date | None = None,
                 config: Config | None = None) -> set[str]:
    """Tables whose newest import is too old (and, given as_of, whose data lags the day)."""
    fresh = checks.freshness(db, as_of or (now or datetime.now()).date(), now, config=config)
    marked = fresh["stale"] | (fresh["lagging"] if as_of is not None else False)
    return set(fresh.loc[marked, "table_name"])


def stale_kpis(db: dbm.Database, now: datetime | None = None, *, as_of: date | None = None,
               config: Config | None = None) -> set[str]:
    """Keys of the catalogue's KPIs that read a stale table (or, given as_of, a lagging one)."""
    tables = stale_tables(db, now, as_of=as_of, config=config)
    return {k.key for k in catalogue.load() if tables & set(k.tables)}


# The table each outlier series is read from (queries/quality_outliers.sql) and the table the
# duplicate pairs come from (queries/quality_duplicate_persons.sql).
OUTLIER_TABLES = {"sentinel_visits": "sentinel_reports", "lab_tubes_tested": "test_capacity",
                  "reserve_on_hand": "reserves", "reserve_daily_use": "reserves"}
DUPLICATES_TABLE = "returnees"
FINDINGS_DAYS = 28


def trust_by_pillar(db: dbm.Database, as_of: date, region_code: str | None = None, *,
                    now: datetime | None = None, config: Config | None = None,
                    days: int = FINDINGS_DAYS) -> dict[str, dict]:
    """{pillar: {"fresh", "complete", "critical_ok", "status", and why: "stale_tables",
    "complete_pct", "broken_rules" (name -> rows), "failed_rules", "outliers" (episodes in the last
    `days` days in the pillar's tables), "duplicates" (suspected duplicate pairs in its tables)}}
    for every pillar of the catalogue."""
    config = config or load_config()
    episodes = checks.outliers(db, as_of, checks.period_start(as_of, days), region_code, config=config)
    outliers_by_table = episodes["series"].map(OUTLIER_TABLES).value_counts().to_dict() if len(episodes) else {}
    duplicate_pairs = len(checks.duplicates(db, region_code, config=config))
    tables = stale_tables(db, now, as_of=as_of, config=config)
    daily = checks.reporting_daily(db, as_of, as_of, region_code, config=config, now=now)
    pillar_of_stream = {s.name: s.pillar for s in config.streams}
    daily = daily.assign(pillar=daily["stream"].map(pillar_of_stream))
    by_pillar = checks.reporting_summary(daily, ["pillar"]).set_index("pillar") if not daily.empty else None
    results = checks.run_rules(db, as_of, region_code, config=config)

    out = {}
    for pillar in catalogue.PILLARS:
        kpi_tables = {t for k in catalogue.for_pillar(pillar) for t in k.tables}
        stale = sorted(kpi_tables & tables)
        pct = None
        if by_pillar is not None and pillar in by_pillar.index:
            v = by_pillar.loc[pillar, "complete_pct"]
            pct = None if pd.isna(v) else float(v)
        complete = pct is None or pct >= config.complete_pct_ok
        broken = {r.rule.name: r.count for r in results if r.rule.pillar == pillar and r.broken}
        critical = [r for r in results if r.rule.pillar == pillar and r.broken and r.rule.severity == "critical"]
        major = [r for r in results if r.rule.pillar == pillar and r.broken and r.rule.severity == "major"]
        failed = [r.rule.name for r in results if r.rule.pillar == pillar and r.error]
        outliers = int(sum(n for table, n in outliers_by_table.items() if table in kpi_tables))
        duplicates = duplicate_pairs if DUPLICATES_TABLE in kpi_tables else 0
        fresh = not stale
        critical_ok = not critical
        if not fresh or not critical_ok:
            status = "bad"
        elif not complete or major or failed or outliers or duplicates:
            status = "warn"
        else:
            status = "ok"
        out[pillar] = {"fresh": fresh, "complete": complete, "critical_ok": critical_ok, "status": status,
                       "stale_tables": stale, "complete_pct": pct, "broken_rules": broken, "failed_rules": failed,
                       "outliers": outliers, "duplicates": duplicates}
    return out

"""The quality checks as data functions: each takes a Database and plain parameters and
returns a DataFrame (or a dict), so the CLI, the Data page and the tests share them.

Everything set-based runs in the named queries ``queries/quality_*.sql``; the consistency
rules run their own SQL from data/quality_rules.toml (read-only connection, bound $as_of).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from sitrep import db as dbm
from sitrep.quality.config import Config, Rule, load_config

# Columns of the per-township count tables.
TOWNSHIP_COLUMNS = ["township_code", "township_name"]


def now_hour(now: datetime | None = None) -> datetime:
    """Now, to the hour: deadlines are whole hours, and a stable value keeps query caches warm."""
    now = now or datetime.now()
    return now.replace(minute=0, second=0, microsecond=0)


def now_minute(now: datetime | None = None) -> datetime:
    """Now, up to the next whole minute: an import that just happened is never in the future."""
    now = now or datetime.now()
    if now.second or now.microsecond:
        now = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return now


def period_start(as_of: date, days: int) -> date:
    """The first day of the `days`-day period ending on as_of."""
    return as_of - timedelta(days=max(days, 1) - 1)


def is_city_scope(region_code: str | None) -> bool:
    """True for the whole city (None or the city's own code), as the in_scope macro decides."""
    return region_code is None or len(re.sub(r"(000)+$", "", region_code)) <= 6


# ---------------------------------------------------------------- reporting


def reporting_params(as_of: date, from_date: date, region_code: str | None, config: Config,
                     now: datetime | None) -> dict:
    return {"as_of": as_of, "from_date": from_date, "region_code": region_code,
            "settings": config, "now": now_hour(now)}


def reporting_daily(db: dbm.Database, as_of: date, from_date: date, region_code: str | None = None, *,
                    config: Config | None = None, now: datetime | None = None) -> pd.DataFrame:
    """Reports expected, received, on time, late, unknown, missing, pending by stream x township x day."""
    config = config or load_config()
    return db.query("quality_reporting_daily", **reporting_params(as_of, from_date, region_code, config, now))


def reporting_units(db: dbm.Database, as_of: date, from_date: date, region_code: str | None = None,
                    status: str | None = None, *, config: Config | None = None,
                    now: datetime | None = None) -> pd.DataFrame:
    """Every expected report (unit x day) with its status: the records behind reporting_daily."""
    config = config or load_config()
    return db.query("quality_reporting_units", status=status,
                    **reporting_params(as_of, from_date, region_code, config, now))


def reporting_summary(daily: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """reporting_daily's counts summed by `by` (e.g. ["stream"] or the township columns), with
    complete_pct (received of expected less pending) and on_time_pct (on time of known)."""
    counts = ["expected", "received", "on_time", "late", "unknown", "missing", "pending"]
    if daily.empty:
        return pd.DataFrame(columns=[*by, *counts, "complete_pct", "on_time_pct"])
    out = daily.groupby(by, dropna=False, as_index=False)[counts].sum()
    due = out["expected"] - out["pending"]
    out["complete_pct"] = (100.0 * out["received"] / due.where(due > 0)).round(1)
    known = out["on_time"] + out["late"]
    out["on_time_pct"] = (100.0 * out["on_time"] / known.where(known > 0)).round(1)
    return out


def reporting_kpis(db: dbm.Database, as_of: date, region_code: str | None = None, *,
                   config: Config | None = None) -> dict[str, float | None]:
    """The catalogue's reporting KPIs on the as-of day (queries/quality_reporting_kpis.sql), checked now."""
    df = db.query("quality_reporting_kpis", as_of=as_of, region_code=region_code, settings=config)
    return {k: (None if pd.isna(v) else float(v)) for k, v in zip(df["kpi"], df["value"])}


# ---------------------------------------------------------------- duplicates and outliers


def duplicates(db: dbm.Database, region_code: str | None = None, *, config: Config | None = None) -> pd.DataFrame:
    """Pairs of returnee records that are probably one person (kind: id_number, name_phone, name_birth)."""
    config = config or load_config()
    return db.query("quality_duplicate_persons", region_code=region_code, max_id_distance=config.max_id_distance)


def outliers(db: dbm.Database, as_of: date, from_date: date, region_code: str | None = None, *,
             config: Config | None = None) -> pd.DataFrame:
    """Outlier episodes (modified z-score over a trailing window, hard bounds) that start or run
    in from_date .. as_of."""
    config = config or load_config()
    return db.query("quality_outliers", as_of=as_of, from_date=from_date, region_code=region_code,
                    series=config.series_json())


# ---------------------------------------------------------------- consistency rules


@dataclass
class RuleResult:
    rule: Rule
    rows: pd.DataFrame
    error: str | None = None

    @property
    def count(self) -> int:
        return 0 if self.error else len(self.rows)

    @property
    def broken(self) -> bool:
        return self.count > 0


def _rule_columns(db: dbm.Database, rule: Rule, params: dict) -> list[str]:
    described = db.sql(f"DESCRIBE SELECT * FROM (\n{rule.sql}\n) AS offending", params)
    return list(described["column_name"])


def run_rule(db: dbm.Database, rule: Rule, as_of: date, region_code: str | None = None) -> RuleResult:
    """The rows that break one rule, in scope when the rule returns region_code (a rule whose rows
    have no place shows at city scope only). Adds township_code/township_name when it can."""
    params = {"as_of": as_of} if "as_of" in rule.params else {}
    try:
        columns = _rule_columns(db, rule, params)
        if "region_code" in columns:
            sql = (f"SELECT o.*, township_code(o.region_code) AS township_code, t.name AS township_name\n"
                   f"FROM (\n{rule.sql}\n) AS o\n"
                   f"LEFT JOIN regions t ON t.region_code = township_code(o.region_code)\n"
                   f"WHERE in_scope(o.region_code, $region_code)")
            rows = db.sql(sql, {**params, "region_code": region_code})
        else:
            rows = db.sql(f"SELECT * FROM (\n{rule.sql}\n) AS o", params)
            if not is_city_scope(region_code):
                rows = rows.iloc[0:0]
    except dbm.Error as e:
        return RuleResult(rule, pd.DataFrame(), f"{type(e).__name__}: {e}")
    return RuleResult(rule, rows)


def run_rules(db: dbm.Database, as_of: date, region_code: str | None = None, *, config: Config | None = None,
              names: list[str] | None = None) -> list[RuleResult]:
    """Run every rule (or the named ones), in the file's order."""
    config = config or load_config()
    rules = [r for r in config.rules if names is None or r.name in names]
    return [run_rule(db, r, as_of, region_code) for r in rules]


def rules_summary(results: list[RuleResult], lang: str = "zh") -> pd.DataFrame:
    """One row per rule: name, severity, pillar, message, count, error."""
    return pd.DataFrame([
        {"rule": r.rule.name, "severity": r.rule.severity, "pillar": r.rule.pillar,
         "message": r.rule.message(lang), "count": r.count, "error": r.error or ""}
        for r in results
    ], columns=["rule", "severity", "pillar", "message", "count", "error"])


# ---------------------------------------------------------------- freshness


def freshness(db: dbm.Database, as_of: date, now: datetime | None = None, *,
              config: Config | None = None) -> pd.DataFrame:
    """Per contract table: newest import and its age, newest data and its lag, stale, lagging."""
    config = config or load_config()
    return db.query("quality_freshness", as_of=as_of, now=now_minute(now), limits=config.limits_json())


# ---------------------------------------------------------------- counts by township


def counts_by_township(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """How many issues of each check fall in each township: frames maps a check name to its list
    (with township_code/township_name columns; duplicates count in the township of each record).
    The lists are the checks' results (a few hundred rows), not raw data."""
    parts = []
    for name, df in frames.items():
        if df is None or df.empty:
            continue
        if "township_code_a" in df.columns:  # duplicate pairs: each side's township (once per pair)
            sides = pd.concat([
                df[["township_code_a", "township_a"]].set_axis(TOWNSHIP_COLUMNS, axis=1).assign(pair=range(len(df))),
                df[["township_code_b", "township_b"]].set_axis(TOWNSHIP_COLUMNS, axis=1).assign(pair=range(len(df))),
            ]).drop_duplicates()
            part = sides.groupby(TOWNSHIP_COLUMNS, dropna=False).size()
        elif "township_code" in df.columns:
            part = df.groupby(TOWNSHIP_COLUMNS, dropna=False).size()
        else:
            continue
        parts.append(part.rename(name))
    if not parts:
        return pd.DataFrame(columns=[*TOWNSHIP_COLUMNS, *frames])
    out = pd.concat(parts, axis=1).fillna(0).astype(int).reset_index()
    for name in frames:
        if name not in out.columns:
            out[name] = 0
    return out.sort_values("township_code", kind="stable").reset_index(drop=True)

"""The quality report: every check run once for an as-of day and scope, as a dict (JSON) or
as text, for ``python -m sitrep check``; and the benchmark of all checks."""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime
from typing import Any

import pandas as pd

from sitrep.errors import UsageError
from sitrep import db as dbm
from sitrep import i18n
from sitrep.quality import checks, trust
from sitrep.quality.config import Config, QualityConfigError, load_config

DEFAULT_DAYS = 28


def default_as_of(db: dbm.Database) -> date:
    """The last day the daily data covers (the dashboard's default as-of day)."""
    v = db.query("data_date_range")["max_date"].iloc[0]
    return pd.Timestamp(v).date()


def build_report(db: dbm.Database, as_of: date, region_code: str | None = None, *, days: int = DEFAULT_DAYS,
                 config: Config | None = None, now: datetime | None = None, lang: str = "zh") -> dict[str, Any]:
    """Every check for the as-of day (reports and outliers over the `days` days up to it)."""
    config = config or load_config()
    now = now or datetime.now()
    start = checks.period_start(as_of, days)
    fresh = checks.freshness(db, as_of, now, config=config)
    daily = checks.reporting_daily(db, as_of, start, region_code, config=config, now=now)
    today = daily[daily["date"] == pd.Timestamp(as_of)] if not daily.empty else daily
    dups = checks.duplicates(db, region_code, config=config)
    outs = checks.outliers(db, as_of, start, region_code, config=config)
    results = checks.run_rules(db, as_of, region_code, config=config)
    kpis = checks.reporting_kpis(db, as_of, region_code, config=config)
    stale = sorted(trust.stale_kpis(db, now, as_of=as_of, config=config))
    critical = [r.rule.name for r in results if r.broken and r.rule.severity == "critical"]
    return {
        "as_of": as_of.isoformat(),
        "region_code": region_code,
        "period": {"from": start.isoformat(), "to": as_of.isoformat(), "days": days},
        "checked_at": now.replace(microsecond=0).isoformat(sep=" "),
        "freshness": _records(fresh[["table_name", "rows", "last_imported_at", "import_age_hours", "newest_date",
                                     "data_lag_days", "max_age_hours", "max_lag_days", "stale", "lagging"]]),
        "stale_kpis": stale,
        "reporting": {
            "kpis": kpis,
            "as_of_by_stream": _records(checks.reporting_summary(today, ["stream"])),
            "period_by_stream": _records(checks.reporting_summary(daily, ["stream"])),
        },
        "duplicates": {"pairs": len(dups), "by_kind": _counts(dups, "kind")},
        "outliers": {"episodes": len(outs), "by_series": _counts(outs, "series")},
        "rules": [
            {"rule": r.rule.name, "severity": r.rule.severity, "pillar": r.rule.pillar,
             "message": r.rule.message(lang), "count": r.count, "error": r.error}
            for r in results
        ],
        "critical_broken": critical,
        "rules_failed": [r.rule.name for r in results if r.error],
    }


def _counts(df: pd.DataFrame, column: str) -> dict[str, int]:
    if df.empty:
        return {}
    return {str(k): int(v) for k, v in df[column].value_counts(sort=False).sort_index().items()}


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False))


# ---------------------------------------------------------------- text


def report_text(rep: dict[str, Any], lang: str = "zh", place: str | None = None) -> str:
    """The report as the lines the CLI prints."""
    def t(key: str, **values) -> str:
        return i18n.t(f"quality.{key}", lang, **values)

    def pct(v) -> str:
        return "—" if v is None or (isinstance(v, float) and v != v) else f"{v:.1f}%"

    lines = [t("cli.title", place=place or t("cli.whole_city"), as_of=rep["as_of"], days=rep["period"]["days"])]

    fresh = rep["freshness"]
    stale = [f for f in fresh if f["stale"]]
    lagging = [f for f in fresh if f["lagging"]]
    lines.append(t("cli.freshness", tables=len(fresh), stale=len(stale), lagging=len(lagging)))
    for f in fresh:
        if f["stale"] or f["lagging"]:
            flag = t("cli.stale") if f["stale"] else t("cli.lagging")
            lines.append("  " + t("cli.freshness_row", flag=flag, table=i18n.table_label(f["table_name"], lang),
                                  imported=(f["last_imported_at"] or "—")[:16].replace("T", " "),
                                  age="—" if f["import_age_hours"] is None else f"{f['import_age_hours']:.1f}",
                                  newest=(f["newest_date"] or "—")[:10],
                                  lag="—" if f["data_lag_days"] is None else f["data_lag_days"]))
    if rep["stale_kpis"]:
        lines.append("  " + t("cli.stale_kpis", kpis=", ".join(rep["stale_kpis"])))

    k = rep["reporting"]["kpis"]
    today = rep["reporting"]["as_of_by_stream"]
    expected = sum(r["expected"] - r["pending"] for r in today)
    received = sum(r["received"] for r in today)
    lines.append(t("cli.reporting", expected=expected, received=received, complete=pct(k.get("reports_complete_pct")),
                   missing=int(k.get("reports_missing") or 0), on_time=pct(k.get("reports_on_time_pct"))))
    for r in rep["reporting"]["period_by_stream"]:
        lines.append("  " + t("cli.reporting_row", stream=t(f"stream.{r['stream']}"), expected=r["expected"],
                              received=r["received"], complete=pct(r["complete_pct"]), missing=r["missing"],
                              on_time=r["on_time"], late=r["late"], unknown=r["unknown"]))

    d = rep["duplicates"]
    kinds = ", ".join(f"{t(f'kind.{kind}')} {n}" for kind, n in d["by_kind"].items()) or "—"
    lines.append(t("cli.duplicates", n=d["pairs"], kinds=kinds))

    o = rep["outliers"]
    series = ", ".join(f"{t(f'series.{s}')} {n}" for s, n in o["by_series"].items()) or "—"
    lines.append(t("cli.outliers", n=o["episodes"], series=series))

    rules = rep["rules"]
    broken = [r for r in rules if r["count"]]
    lines.append(t("cli.rules", n=len(rules), broken=len(broken),
                   critical=sum(r["severity"] == "critical" for r in broken)))
    for r in rules:
        if r["count"] or r["error"]:
            lines.append("  " + t("cli.rule_row", severity=t(f"severity.{r['severity']}"), rule=r["rule"],
                                  n=r["count"], message=r["message"] if not r["error"] else r["error"]))
    if rep["critical_broken"] or rep["rules_failed"]:
        lines.append(t("cli.verdict_bad", critical=len(rep["critical_broken"]), failed=len(rep["rules_failed"])))
    else:
        lines.append(t("cli.verdict_ok"))
    return "\n".join(lines)


def cli_check(args) -> int:
    """`python -m sitrep check`: print the quality report; exit 1 when a critical rule is broken
    (or a rule could not run), so that a scheduled job can alert on it."""
    database = dbm.Database(args.db)
    if not database.exists():
        raise UsageError(f"no database at {database.path}")
    try:
        config = load_config(getattr(args, "config", None))
    except QualityConfigError as e:
        raise UsageError(str(e)) from None
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else default_as_of(database)
    except ValueError:
        raise UsageError(f"--as-of takes a date like 2022-03-31, got {args.as_of!r}") from None
    if getattr(args, "bench", False):
        figures = bench_quality(database, as_of=as_of, config=config)
        print(json.dumps(figures, indent=2))
        return 0
    region = getattr(args, "region", None)
    place = None
    if region:
        found = database.sql("SELECT name FROM regions WHERE region_code = $c", {"c": region})
        if found.empty:
            raise UsageError(f"--region: no region {region!r}")
        place = str(found["name"].iloc[0])
    rep = build_report(database, as_of, region, days=args.days, config=config, lang=args.lang)
    if args.json:
        sys.stdout.write(json.dumps(rep, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        print(report_text(rep, args.lang, place))
    return 1 if rep["critical_broken"] or rep["rules_failed"] else 0


# ---------------------------------------------------------------- benchmark


def bench_quality(db: dbm.Database, *, as_of: date | None = None, days: int = DEFAULT_DAYS,
                  config: Config | None = None) -> dict[str, dict[str, float]]:
    """Seconds each check takes on db at city scope (reports and outliers over `days` days, and
    outliers over the whole period), and all of them together: {"wall_s": {...}, "cpu_s": {...}}.
    CPU seconds (this process, all DuckDB threads) tell the cost when other work shares the machine."""
    config = config or load_config()
    as_of = as_of or default_as_of(db)
    start = checks.period_start(as_of, days)
    first = pd.Timestamp(db.query("data_date_range")["min_date"].iloc[0]).date()
    steps = {
        "freshness": lambda: checks.freshness(db, as_of, config=config),
        "reporting_daily": lambda: checks.reporting_daily(db, as_of, start, config=config),
        "reporting_units": lambda: checks.reporting_units(db, as_of, start, config=config),
        "reporting_kpis": lambda: checks.reporting_kpis(db, as_of),
        "duplicates": lambda: checks.duplicates(db, config=config),
        "outliers": lambda: checks.outliers(db, as_of, start, config=config),
        "outliers_whole_period": lambda: checks.outliers(db, as_of, first, config=config),
        "rules": lambda: checks.run_rules(db, as_of, config=config),
        "trust_by_pillar": lambda: trust.trust_by_pillar(db, as_of, config=config),
    }
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for name, step in steps.items():
        w, c = time.perf_counter(), time.process_time()
        step()
        wall[name] = round(time.perf_counter() - w, 3)
        cpu[name] = round(time.process_time() - c, 3)
    wall["all"] = round(time.perf_counter() - wall0, 3)
    cpu["all"] = round(time.process_time() - cpu0, 3)
    return {"wall_s": wall, "cpu_s": cpu}

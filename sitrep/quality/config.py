"""The quality configuration (data/quality_rules.toml): load it, check every key, and hand
its settings to the named queries as JSON parameters.

Mistakes raise :class:`QualityConfigError` naming the file, the section or rule, and the key.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sitrep import catalogue, contract

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CONFIG = ROOT / "data" / "quality_rules.toml"

# The report streams and outlier series the SQL knows how to build (queries/quality_*.sql).
STREAMS = ("sentinel_reports", "test_capacity", "reserves", "publicity", "duty_roster")
SERIES = ("sentinel_visits", "lab_tubes_tested", "reserve_on_hand", "reserve_daily_use")
SEVERITIES = ("minor", "major", "critical")
# Parameters a rule's SQL may use.
RULE_PARAMS = ("as_of",)

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_RE = re.compile(r"\$([A-Za-z_]\w*)")


class QualityConfigError(ValueError):
    """The quality configuration has a mistake (the message names where)."""


@dataclass(frozen=True)
class Stream:
    name: str
    pillar: str
    every_days: int = 1
    anchor: date | None = None
    window_days: int = 1
    deadline_hours: int = 34
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class Series:
    name: str
    window_days: int
    min_points: int
    threshold: float
    min_deviation: float = 0.0
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Limit:
    table: str
    max_age_hours: float | None = None
    max_lag_days: int | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    pillar: str
    zh: str
    en: str
    tables: tuple[str, ...]
    sql: str

    def message(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(sorted(set(_PARAM_RE.findall(self.sql))))


@dataclass(frozen=True)
class Config:
    path: Path
    deadline_hours: int
    history_min_days: int
    complete_pct_ok: float
    streams: tuple[Stream, ...]
    max_id_distance: int
    series: tuple[Series, ...]
    limits: tuple[Limit, ...]
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def streams_json(self) -> str:
        """The report streams as the JSON the quality_reporting_* queries take ($streams)."""
        return json.dumps([
            {"stream": s.name, "every_days": s.every_days, "anchor": s.anchor.isoformat() if s.anchor else None,
             "window_days": s.window_days, "deadline_hours": s.deadline_hours, "units": list(s.units) or None}
            for s in self.streams
        ], ensure_ascii=False, separators=(",", ":"))

    def reporting_json(self) -> str:
        """The [reporting] settings the reporting_status macro takes (a `quality` query parameter)."""
        return json.dumps({"history_min_days": self.history_min_days, "streams": json.loads(self.streams_json())},
                          ensure_ascii=False, separators=(",", ":"))

    def series_json(self) -> str:
        """The outlier series as the JSON quality_outliers takes ($series)."""
        return json.dumps([
            {"series": s.name, "window_days": s.window_days, "min_points": s.min_points, "threshold": s.threshold,
             "min_deviation": s.min_deviation, "min_value": s.min, "max_value": s.max}
            for s in self.series
        ], separators=(",", ":"))

    def limits_json(self) -> str:
        """The freshness limits as the JSON quality_freshness takes ($limits)."""
        return json.dumps([
            {"table_name": x.table, "max_age_hours": x.max_age_hours, "max_lag_days": x.max_lag_days}
            for x in self.limits
        ], separators=(",", ":"))

    def rule(self, name: str) -> Rule:
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def stream(self, name: str) -> Stream:
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(name)


def config_path(path: str | os.PathLike | None = None) -> Path:
    """The given path, else $SITREP_QUALITY, else data/quality_rules.toml."""
    if path:
        return Path(path)
    env = os.environ.get("SITREP_QUALITY")
    return Path(env) if env else DEFAULT_CONFIG


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and check the quality configuration (cached until the file changes)."""
    p = config_path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except FileNotFoundError:
        raise QualityConfigError(f"{p}: no such file") from None
    return _load(str(p), mtime)


@lru_cache(maxsize=8)
def _load(path: str, mtime: int) -> Config:
    p = Path(path)
    try:
        with open(p, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise QualityConfigError(f"{p.name}: not valid TOML: {e}") from None
    return parse_config(raw, p)


# ---------------------------------------------------------------- checking


class _Where:
    """Reads one TOML table, naming it in every error."""

    def __init__(self, file: str, where: str, node: Any):
        if not isinstance(node, dict):
            raise QualityConfigError(f"{file}: {where} must be a table, got {type(node).__name__}")
        self.file, self.where, self.node = file, where, node
        self.used: set[str] = set()

    def error(self, key: str | None, what: str) -> QualityConfigError:
        place = f"{self.where}, key {key}" if key else self.where
        return QualityConfigError(f"{self.file}: {place}: {what}")

    def get(self, key: str, kind: str, *, required: bool = False, default: Any = None) -> Any:
        self.used.add(key)
        if key not in self.node:
            if required:
                raise self.error(key, "missing")
            return default
        v = self.node[key]
        ok = {
            "int": isinstance(v, int) and not isinstance(v, bool),
            "number": isinstance(v, (int, float)) and not isinstance(v, bool),
            "str": isinstance(v, str),
            "date": isinstance(v, date),
            "strs": isinstance(v, list) and all(isinstance(x, str) for x in v),
        }[kind]
        if not ok:
            names = {"int": "a whole number", "number": "a number", "str": "text", "date": "a date (2022-03-31)",
                     "strs": "a list of text"}
            raise self.error(key, f"must be {names[kind]}, got {v!r}")
        return v

    def positive(self, key: str, default: int | None = None, *, required: bool = False) -> int | None:
        v = self.get(key, "int", required=required, default=default)
        if v is not None and v < 1:
            raise self.error(key, f"must be 1 or more, got {v}")
        return v

    def no_extra(self) -> None:
        extra = sorted(set(self.node) - self.used)
        if extra:
            raise self.error(None, f"unknown key(s) {', '.join(extra)}")


def parse_config(raw: dict, path: Path = DEFAULT_CONFIG) -> Config:
    """Check a parsed configuration; raise QualityConfigError naming the place of a mistake."""
    file = path.name
    top = _Where(file, "top level", raw)
    for key in ("reporting", "duplicates", "outliers", "freshness", "rule"):
        top.used.add(key)
    top.no_extra()

    rep = _Where(file, "[reporting]", raw.get("reporting", {}))
    deadline = rep.get("deadline_hours", "int", required=True)
    if deadline < 0:
        raise rep.error("deadline_hours", f"must be 0 or more, got {deadline}")
    history_min_days = rep.positive("history_min_days", required=True)
    complete_pct_ok = float(rep.get("complete_pct_ok", "number", default=95.0))
    if not 0 <= complete_pct_ok <= 100:
        raise rep.error("complete_pct_ok", f"must be between 0 and 100, got {complete_pct_ok}")
    rep.used.add("streams")
    rep.no_extra()
    streams_raw = _Where(file, "[reporting.streams]", rep.node.get("streams", {}))
    streams = []
    for name, node in streams_raw.node.items():
        where = _Where(file, f"[reporting.streams.{name}]", node)
        if name not in STREAMS:
            raise where.error(None, f"unknown report stream; the streams are {', '.join(STREAMS)}")
        pillar = _pillar(where)
        every = where.positive("every_days", 1)
        anchor = where.get("anchor", "date")
        if every > 1 and anchor is None:
            raise where.error("anchor", "needed when every_days is more than 1 (a date that is a reporting day)")
        window = where.positive("window_days", 1)
        own_deadline = where.get("deadline_hours", "int", default=deadline)
        units = tuple(where.get("units", "strs", default=[]))
        if name == "duty_roster":
            shifts = {e[0] for e in contract.TABLES_BY_NAME["duty_roster"].column("shift").enum}
            if not units:
                raise where.error("units", "missing: list the shifts expected every day, e.g. [\"day\", \"night\"]")
            bad = [u for u in units if u not in shifts]
            if bad:
                raise where.error("units", f"unknown shift(s) {', '.join(bad)}; shifts are {', '.join(sorted(shifts))}")
        elif units:
            raise where.error("units", "only duty_roster takes units")
        where.no_extra()
        streams.append(Stream(name, pillar, every, anchor, window, own_deadline, units))

    dup = _Where(file, "[duplicates]", raw.get("duplicates", {}))
    max_id_distance = dup.get("max_id_distance", "int", default=2)
    if not 0 <= max_id_distance <= 17:
        raise dup.error("max_id_distance", f"must be between 0 and 17, got {max_id_distance}")
    dup.no_extra()

    out = _Where(file, "[outliers]", raw.get("outliers", {}))
    out.used.add("series")
    out.no_extra()
    series_raw = _Where(file, "[outliers.series]", out.node.get("series", {}))
    series = []
    for name, node in series_raw.node.items():
        where = _Where(file, f"[outliers.series.{name}]", node)
        if name not in SERIES:
            raise where.error(None, f"unknown series; the series are {', '.join(SERIES)}")
        window = where.positive("window_days", required=True)
        min_points = where.positive("min_points", required=True)
        if min_points > window:
            raise where.error("min_points", f"cannot be more than window_days ({window})")
        threshold = float(where.get("threshold", "number", default=3.5))
        if threshold <= 0:
            raise where.error("threshold", f"must be more than 0, got {threshold}")
        min_dev = float(where.get("min_deviation", "number", default=0))
        if min_dev < 0:
            raise where.error("min_deviation", f"must be 0 or more, got {min_dev}")
        lo, hi = where.get("min", "number"), where.get("max", "number")
        if lo is not None and hi is not None and lo > hi:
            raise where.error("max", f"is below min ({hi} < {lo})")
        where.no_extra()
        series.append(Series(name, window, min_points, threshold, min_dev,
                             None if lo is None else float(lo), None if hi is None else float(hi)))

    fresh = _Where(file, "[freshness]", raw.get("freshness", {}))
    fresh.used.add("tables")
    fresh.no_extra()
    tables_raw = _Where(file, "[freshness.tables]", fresh.node.get("tables", {}))
    limits = []
    for name, node in tables_raw.node.items():
        where = _Where(file, f"[freshness.tables.{name}]", node)
        if name not in contract.TABLES_BY_NAME:
            raise where.error(None, "not a table of the data contract")
        age = where.get("max_age_hours", "number")
        if age is not None and age <= 0:
            raise where.error("max_age_hours", f"must be more than 0, got {age}")
        lag = where.get("max_lag_days", "int")
        if lag is not None and lag < 0:
            raise where.error("max_lag_days", f"must be 0 or more, got {lag}")
        where.no_extra()
        limits.append(Limit(name, None if age is None else float(age), lag))

    rules_raw = raw.get("rule", [])
    if not isinstance(rules_raw, list):
        raise QualityConfigError(f"{file}: rule must be an array of tables ([[rule]])")
    rules, seen = [], set()
    for i, node in enumerate(rules_raw, start=1):
        label = node.get("name", "?") if isinstance(node, dict) else "?"
        where = _Where(file, f"rule #{i} ({label})", node)
        name = where.get("name", "str", required=True)
        if not _NAME_RE.match(name):
            raise where.error("name", f"must be lower case letters, digits and _, starting with a letter: {name!r}")
        if name in seen:
            raise where.error("name", f"duplicate rule name {name!r}")
        seen.add(name)
        severity = where.get("severity", "str", required=True)
        if severity not in SEVERITIES:
            raise where.error("severity", f"must be one of {', '.join(SEVERITIES)}, got {severity!r}")
        pillar = _pillar(where)
        zh = where.get("zh", "str", required=True).strip()
        en = where.get("en", "str", required=True).strip()
        if not zh or not en:
            raise where.error("zh" if not zh else "en", "is empty")
        tables = tuple(where.get("tables", "strs", required=True))
        unknown = [t for t in tables if t not in contract.TABLES_BY_NAME]
        if unknown:
            raise where.error("tables", f"not table(s) of the data contract: {', '.join(unknown)}")
        sql = _check_sql(where, where.get("sql", "str", required=True))
        where.no_extra()
        rules.append(Rule(name, severity, pillar, zh, en, tables, sql))

    return Config(path, deadline, history_min_days, complete_pct_ok, tuple(streams), max_id_distance,
                  tuple(series), tuple(limits), tuple(rules))


def _pillar(where: _Where) -> str:
    pillar = where.get("pillar", "str", required=True)
    if pillar not in catalogue.PILLARS:
        raise where.error("pillar", f"must be one of {', '.join(catalogue.PILLARS)}, got {pillar!r}")
    return pillar


def _check_sql(where: _Where, sql: str) -> str:
    """One read-only statement: SELECT or WITH ... SELECT, no second statement, known params."""
    body = _strip_comments(sql).strip().rstrip(";").strip()
    if not body:
        raise where.error("sql", "is empty")
    first = body.split(None, 1)[0].lower()
    if first not in ("select", "with", "from"):
        raise where.error("sql", f"must be one SELECT (or WITH ... SELECT) statement; it starts with {first!r}")
    if ";" in body:
        raise where.error("sql", "must be one statement (found ';' inside it)")
    unknown = sorted(set(_PARAM_RE.findall(body)) - set(RULE_PARAMS))
    if unknown:
        raise where.error("sql", f"uses unknown parameter(s) {', '.join('$' + u for u in unknown)}; "
                                 f"a rule may use {', '.join('$' + p for p in RULE_PARAMS)}")
    return body


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] if "--" in line and "'" not in line else line
                     for line in sql.splitlines())

"""Load and check the alert settings (``data/alerts.toml``): which signals raise an alert and how long an alert
stays listed. Every key is required and an unknown key is an error, so a typo cannot fall back to a default
unnoticed. The meaning of each key is documented in the file itself.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from sitrep import catalogue, contract, tomlfile
from sitrep.warning.ears import METRICS, STATISTICS

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CONFIG = ROOT / "data" / "alerts.toml"

# The catalogue KPIs whose daily history queries/alerts_kpi_daily.sql computes (a KPI alert needs the days
# before D for its "since when"). A catalogue KPI with thresholds must be here or in [kpi] exclude.
# Every catalogue KPI has a daily history in the KPI cube (queries/alerts_kpi_daily.sql reads it).
KPI_HISTORY = tuple(k.key for k in catalogue.load())


class AlertConfigError(ValueError):
    """An alert settings file that cannot be used, with the reason."""


@dataclass(frozen=True)
class AlertConfig:
    metric: str
    statistics: tuple[str, ...]
    min_run_days: int
    case_sources: tuple[str, ...]
    case_categories: tuple[str, ...]
    kpi_exclude: tuple[str, ...]
    keep_days: int
    sentinel_chart_days: int
    case_chart_days: int
    kpi_chart_days: int

    def alert_kpis(self) -> tuple[str, ...]:
        """The catalogue KPIs that raise an alert while red, in catalogue order."""
        return tuple(k.key for k in catalogue.load() if k.red is not None and k.key not in self.kpi_exclude)


def default_config_path() -> Path:
    """$SITREP_ALERTS, else data/alerts.toml."""
    env = os.environ.get("SITREP_ALERTS")
    return Path(env) if env else DEFAULT_CONFIG


def load_alert_config(path: str | os.PathLike | None = None) -> AlertConfig:
    """The settings in ``path`` (default: :func:`default_config_path`)."""
    p = Path(path) if path else default_config_path()
    return config_from_dict(tomlfile.read(p, "alert settings", AlertConfigError), str(p))


_KEYS = {
    "sentinel": ("metric", "statistics", "min_run_days"),
    "cases": ("sources", "categories"),
    "kpi": ("exclude",),
    "list": ("keep_days", "sentinel_chart_days", "case_chart_days", "kpi_chart_days"),
}


def config_from_dict(data: Mapping[str, Any], source: str = "<config>") -> AlertConfig:
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise AlertConfigError(f"{source}: unknown section(s) {', '.join(unknown)}")
    for section, keys in _KEYS.items():
        raw = data.get(section)
        if not isinstance(raw, Mapping):
            raise AlertConfigError(f"{source}: missing section [{section}]")
        extra = sorted(set(raw) - set(keys))
        if extra:
            raise AlertConfigError(f"{source}: [{section}] unknown key(s) {', '.join(extra)}")
        missing = [k for k in keys if k not in raw]
        if missing:
            raise AlertConfigError(f"{source}: [{section}] missing key {missing[0]}")

    def codes(section: str, key: str, allowed, what: str, empty_ok: bool = False) -> tuple[str, ...]:
        v = data[section][key]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v) or (not v and not empty_ok):
            raise AlertConfigError(f"{source}: [{section}] {key} must be a list of {what}")
        bad = [x for x in v if x not in allowed]
        if bad:
            raise AlertConfigError(f"{source}: [{section}] {key}: unknown {', '.join(map(repr, bad))}; "
                                   f"known: {', '.join(allowed)}")
        return tuple(v)

    def days(section: str, key: str, least: int) -> int:
        v = data[section][key]
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise AlertConfigError(f"{source}: [{section}] {key} = {v!r} must be an integer >= {least}")
        return v

    metric = data["sentinel"]["metric"]
    if metric not in METRICS:
        raise AlertConfigError(f"{source}: [sentinel] metric = {metric!r} must be one of {', '.join(METRICS)}")
    cases_table = contract.TABLES_BY_NAME["cases"]
    sources = [e[0] for e in cases_table.column("source").enum]
    categories = [e[0] for e in cases_table.column("category").enum]
    thresholded = [k.key for k in catalogue.load() if k.red is not None]
    cfg = AlertConfig(
        metric=metric,
        statistics=codes("sentinel", "statistics", STATISTICS, "statistics (c1, c2, c3, mp)"),
        min_run_days=days("sentinel", "min_run_days", 1),
        case_sources=codes("cases", "sources", sources, "case source codes", empty_ok=True),
        case_categories=codes("cases", "categories", categories, "case category codes", empty_ok=True),
        kpi_exclude=codes("kpi", "exclude", thresholded, "catalogue KPIs with thresholds", empty_ok=True),
        keep_days=days("list", "keep_days", 1),
        sentinel_chart_days=days("list", "sentinel_chart_days", 7),
        case_chart_days=days("list", "case_chart_days", 7),
        kpi_chart_days=days("list", "kpi_chart_days", 7),
    )
    unsupported = [k for k in cfg.alert_kpis() if k not in KPI_HISTORY]
    if unsupported:
        raise AlertConfigError(
            f"{source}: [kpi] the catalogue KPI(s) {', '.join(unsupported)} have thresholds but no daily history "
            f"in the KPI cube (queries/macros/kpi_facts.sql): add them there or to exclude")
    return cfg


# ------------------------------------------------------------------ saving (the Data page's alert settings)


def config_dict(cfg: AlertConfig) -> dict[str, dict[str, Any]]:
    """``cfg`` as the sections and keys of the settings file."""
    return {
        "sentinel": {"metric": cfg.metric, "statistics": list(cfg.statistics), "min_run_days": cfg.min_run_days},
        "cases": {"sources": list(cfg.case_sources), "categories": list(cfg.case_categories)},
        "kpi": {"exclude": list(cfg.kpi_exclude)},
        "list": {"keep_days": cfg.keep_days, "sentinel_chart_days": cfg.sentinel_chart_days,
                 "case_chart_days": cfg.case_chart_days, "kpi_chart_days": cfg.kpi_chart_days},
    }


def changes(old: AlertConfig, new: AlertConfig) -> dict[str, list]:
    """``{"section.key": [old value, new value]}`` for every key that differs."""
    a, b = config_dict(old), config_dict(new)
    return {f"{s}.{k}": [a[s][k], b[s][k]] for s in _KEYS for k in _KEYS[s] if a[s][k] != b[s][k]}


def save_alert_config(data: Mapping[str, Mapping[str, Any]], path: str | os.PathLike | None = None, *,
                      header: str = "# Alert settings; the meaning of each key: README.md, Configuration.") \
        -> AlertConfig:
    """Check ``data`` (:func:`config_from_dict`; an :class:`AlertConfigError` writes nothing), then write
    it to ``path`` (default :func:`default_config_path`) at once: a new file beside it, renamed over it, so a
    reader sees the old settings or the new ones, never half of them. The file's comments are kept."""
    p = Path(path) if path else default_config_path()
    cfg = config_from_dict(data, p.name)
    try:
        old = p.read_text(encoding="utf-8")
        before = p.stat()
    except FileNotFoundError:
        old, before = "", None
    tomlfile.write_atomic(p, tomlfile.updated(old, config_dict(cfg), header), before=before)
    return cfg

"""Alerts of early warning ("one net": any sign of trouble moves the whole city at once): what is unusual, where,
since when, who answers for it, and whether someone has responded.

- :mod:`sitrep.alerts.engine`: the alert list as of a day (sentinel aberrations, local cases, red KPIs), each
  alert's identity and the series behind its explanation.
- :mod:`sitrep.alerts.config`: the settings (data/alerts.toml).
- The response state (acknowledged, closed, by whom, when) is kept by :mod:`sitrep.alert_responses`.
"""

from sitrep.alerts.config import KPI_HISTORY, AlertConfig, AlertConfigError, load_alert_config
from sitrep.alerts.engine import (
    COLUMNS, KINDS, Signals, alert_id, attach_status, bench_alerts, case_series, compute_alerts, compute_signals,
    in_scope, kpi_series, sentinel_series, title,
)

__all__ = [
    "COLUMNS", "KINDS", "KPI_HISTORY", "AlertConfig", "AlertConfigError", "Signals", "alert_id", "attach_status",
    "bench_alerts", "case_series", "compute_alerts", "compute_signals", "in_scope", "kpi_series",
    "load_alert_config", "sentinel_series", "title",
]

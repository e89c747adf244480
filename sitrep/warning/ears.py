"""Sentinel aberration detection: EARS C1, C2, C3 (Hutwagner et al. 2003; CDC) and the
moving percentile of China's CIDARS, on the daily series of the sentinel sites.

The computation is set-based SQL (``queries/sentinel_aberrations_daily.sql``); this module
binds the method parameters from ``data/early_warning.toml`` and checks arguments.

Definitions (defaults in brackets; y_t = the day's sum over the sites of a series):

- Series: visits (or fever) summed per (township, site type), the township being the
  site's region code's first 9 digits + '000'. From the series' first report on, a day
  with no report counts as 0; the series runs to the as-of day (default: the last report).
  Only sites in the scope region count.
- C1 on day t: baseline t-7..t-1 [baseline_days 7]; m its mean, s its sample standard
  deviation (n-1), s' = max(s, min_sigma [0.5]); C1 = (y_t - m) / s'. Alarm: C1 >= 3.
- C2: the same with the baseline t-9..t-3 (a guard band of [guard_days 2] days). Alarm: C2 >= 3.
- C3 on day t = sum over i = t-2..t of max(0, C2_i - 1), only when C2 exists on all three
  days. Alarm: C3 >= 2.
- Moving percentile: the sum of the latest 7 days [window_days] against the P-th percentile
  [80, linear interpolation as quantile_cont / numpy's default] of the sums of the 8
  [baseline_windows] earlier windows ending t-7, t-14, ..., t-56. Alarm: sum > percentile.
- A statistic exists only when its whole baseline lies within the series (from its first
  report on); otherwise it is NULL and raises no alarm.

KPI ``sentinel_alarms_today``: the number of (township, site type) visit series in scope
with a C2 alarm on the as-of day (``queries/kpis.sql`` through the stored macro
sentinel_c2_on_day() of ``queries/macros/sentinel_c2.sql``).
"""

from __future__ import annotations

import time
from datetime import date

import pandas as pd

from sitrep.warning.config import WarningConfig, load_config

METRICS = ("visits", "fever")
STATISTICS = ("c1", "c2", "c3", "mp")


def aberrations(db, *, as_of: date | str | None = None, region_code: str | None = None,
                metric: str = "visits", date_from: date | str | None = None,
                config: WarningConfig | None = None) -> pd.DataFrame:
    """Every day of every (township, site type) series in scope up to ``as_of`` with its
    statistics and alarm flags (columns: see queries/sentinel_aberrations_daily.sql).

    ``as_of`` None: up to the last report date. ``date_from``: only days from it on are
    returned (the statistics still use the earlier days). ``config``: method parameters
    (default: data/early_warning.toml).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    cfg = config or load_config()
    return db.query("sentinel_aberrations_daily", as_of=as_of, region_code=region_code, metric=metric,
                    date_from=date_from, **cfg.aberration_params())


def alarm_days(aberrations_df: pd.DataFrame, statistics=("c2",)) -> pd.DataFrame:
    """The days each site type was in alarm somewhere in scope: rows of :func:`aberrations` (or of
    queries/sentinel_aberrations_daily.sql) with any of the ``statistics`` alarm flags set (the alert
    settings' [sentinel] statistics), as one row per (site_type, date) with the townships in alarm
    (columns: site_type, date, townships)."""
    cols = [f"{s}_alarm" for s in statistics]
    if aberrations_df.empty:
        return pd.DataFrame({"site_type": pd.Series(dtype=str), "date": pd.Series(dtype="datetime64[us]"),
                             "townships": pd.Series(dtype="int64")})
    hit = aberrations_df[aberrations_df[cols].fillna(False).astype(bool).any(axis=1)]
    return (hit.groupby(["site_type", "date"], as_index=False).agg(townships=("township_code", "nunique"))
            .sort_values(["site_type", "date"]).reset_index(drop=True))


def alarms_on(db, *, as_of: date | str, region_code: str | None = None, metric: str = "visits",
              config: WarningConfig | None = None) -> pd.DataFrame:
    """The series with any alarm on ``as_of``: the rows of :func:`aberrations` for that day."""
    df = aberrations(db, as_of=as_of, region_code=region_code, metric=metric, date_from=as_of, config=config)
    return df[df["any_alarm"]].reset_index(drop=True)


def sentinel_alarms_today(db, *, as_of: date | str, region_code: str | None = None) -> int:
    """KPI sentinel_alarms_today: visit series in scope with a C2 alarm on ``as_of``."""
    c2 = db.query("kpi_records_sentinel_alarms_today", as_of=as_of, region_code=region_code)
    return int(c2["alarm"].sum())


def bench_alarms(db, *, repeat: int = 3) -> dict[str, float | int]:
    """Time computing every statistic and alarm of the whole period, city-wide, for visits
    (best of ``repeat`` runs, seconds) and count what it found."""
    best = float("inf")
    df = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        df = aberrations(db)
        best = min(best, time.perf_counter() - t0)
    days = df["date"].nunique() if len(df) else 0
    return {
        "seconds": round(best, 3),
        "rows": len(df),
        "series": len(df.drop_duplicates(["township_code", "site_type"])) if len(df) else 0,
        "days": int(days),
        **{f"{s}_alarms": int(df[f"{s}_alarm"].sum()) for s in STATISTICS},
    }

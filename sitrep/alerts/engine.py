"""The alert list as of a day D: what is unusual, where, since when, and who answers for it.

Three kinds (settings in data/alerts.toml):

- ``sentinel``: a (township, site type) sentinel series in alarm (sitrep.warning.ears; the statistics that
  count and the consecutive days needed are settings). Place: the township.
- ``case``: every case of the listed sources and categories (local cases), on its report day. Place: the
  case's village.
- ``kpi``: a catalogue KPI with thresholds (data/kpis.toml) that is red, evaluated with the city and with each
  township as the scope (queries/alerts_kpi_daily.sql, which agrees with queries/kpis.sql). Place: the city or
  the township.

An alert is a run of consecutive alarm (or red) days up to D. ``start_day`` is the run's first day ("since
when"), ``last_day`` its last day up to D (``active`` when that is D). An alert is listed on D while its last
day is within the last ``keep_days`` days. Its identity, :func:`alert_id`, is kind + place + series + start day:
the same data give the same id after a re-import or a rebuilt demo, so the response state (sitrep.alert_responses)
attaches to it.

Scope: alerts whose place lies in the scope; at a village's scope also its township's alerts (sentinel series
and KPIs are watched per township, and the village is part of it). Sentinel and KPI alerts are always computed
per township, whatever the scope, so an alert is the same alert at every scope.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from sitrep import catalogue, i18n
from sitrep import regions as region_tree
from sitrep.alerts.config import AlertConfig, load_alert_config
from sitrep.warning import ears
from sitrep.warning.config import WarningConfig, load_config as load_warning_config

KINDS = ("sentinel", "case", "kpi")

COLUMNS = (
    "alert_id", "kind", "place_code", "place_level", "place_name", "township_code", "township_name", "series",
    "start_day", "last_day", "raised_day", "run_days", "active",
    # what was observed on the last day, against what
    "value", "baseline", "spread", "threshold", "statistic", "statistic_threshold",
    # kind-specific detail
    "site_type", "kpi", "case_id", "category", "found_by", "onset_date", "cluster_id",
    "responsible_person", "phone", "responsible_level",
)


TEXT_COLUMNS = ("alert_id", "kind", "place_code", "place_level", "place_name", "township_code", "township_name",
                "series", "site_type", "kpi", "case_id", "category", "found_by", "cluster_id",
                "responsible_person", "phone", "responsible_level")


NUMBER_COLUMNS = ("value", "baseline", "spread", "threshold", "statistic", "statistic_threshold")


def _empty() -> pd.DataFrame:
    types = {c: "float64" for c in NUMBER_COLUMNS} | {"run_days": "int64", "active": "bool"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "object")) for c in COLUMNS})


def alert_id(kind: str, place_code: str, series: str, start_day: date) -> str:
    """The stable identity of an alert: ``kind:place:series:start day``."""
    return f"{kind}:{place_code}:{series}:{pd.Timestamp(start_day).date().isoformat()}"


def _as_date(d) -> date:
    return pd.Timestamp(d).date()


def scope_level(code: str | None) -> str:
    """city / township / village / group, from the 12 (or 15) digit statistical code; a county (of a lake) and
    the regions above it are of the city's kind."""
    if not code or re.fullmatch(r"\d{6}0{6}", code):
        return "city"
    if len(code) > 12:
        return "group"
    return "township" if code.endswith("000") else "village"


def township_of(code: str | None) -> str | None:
    """The township a scope lies in (None for the city, a county or above)."""
    return None if scope_level(code) == "city" else code[:9] + "000"


def in_scope(place_code: str, scope: str | None) -> bool:
    """Whether an alert at ``place_code`` is listed at ``scope`` (see the module docstring): everything in the
    scope (a county of a lake: that county's places), and for a village or group also its township's alerts."""
    if not scope:
        return True
    if place_code.startswith(region_tree.scope_prefix(scope)):
        return True
    return scope_level(scope) in ("village", "group") and place_code == township_of(scope)


def _runs(df: pd.DataFrame, keys: list[str], flag: str) -> pd.DataFrame:
    """The runs of consecutive days with ``flag`` set, per ``keys`` (every day present, in order): keys,
    start_day, last_day, run_days."""
    df = df.sort_values(keys + ["date"])
    f = df[flag].to_numpy(dtype=bool)
    same = np.ones(len(df), dtype=bool)
    for k in keys:
        v = df[k].to_numpy()
        same[1:] &= v[1:] == v[:-1]
    same[0] = False
    prev = np.concatenate([[False], f[:-1]]) & same
    run = np.cumsum(f & ~prev)
    on = df.loc[f].assign(_run=run[f])
    if on.empty:
        return pd.DataFrame(columns=keys + ["start_day", "last_day", "run_days"])
    out = on.groupby(keys + ["_run"], sort=False).agg(start_day=("date", "min"), last_day=("date", "max"),
                                                      run_days=("date", "size")).reset_index()
    return out.drop(columns="_run")


def _red(values: pd.Series, kpi: catalogue.Kpi) -> pd.Series:
    """Whether each value is red on the catalogue (vectorised Kpi.status(v) == 'red')."""
    v = pd.to_numeric(values, errors="coerce")
    if kpi.red is None:
        return pd.Series(False, index=values.index)
    return (v < kpi.red) if kpi.up_is_good else (v >= kpi.red)


# ---------------------------------------------------------------- signals


@dataclass(frozen=True)
class Signals:
    """The day-by-day signals the sentinel and KPI alerts are found in, from ``date_from`` to ``until``:
    sentinel statistics per (township, site type) (sitrep.warning.ears.aberrations) and the alertable KPIs per
    place (queries/alerts_kpi_daily.sql), for the whole city or one township (``anchor``).

    Both are as-of-consistent: a day's row depends only on data dated up to that day (a statistic looks back,
    a KPI counts what had happened by the end of its day), so the signals up to a later day, cut at D, are the
    signals up to D (tests/test_alerts.py checks it). One computation up to the last data day therefore serves
    every as-of day and every scope: the dashboard caches it per database version."""
    until: date
    date_from: date
    anchor: str | None
    aberrations: pd.DataFrame
    kpis: pd.DataFrame

    def covers(self, as_of: date, anchor: str | None) -> bool:
        return self.date_from <= as_of <= self.until and (self.anchor is None or self.anchor == anchor)


def compute_signals(db, *, until: date | str | None = None, date_from: date | str | None = None,
                    anchor: str | None = None, config: AlertConfig | None = None,
                    warning: WarningConfig | None = None, rules=None) -> Signals:
    """The signals up to ``until`` (default: the last day of the daily data) from ``date_from`` (default: its
    first day: how far back a red run is followed) for the whole city, or the township ``anchor``."""
    config = config or load_alert_config()
    warning = warning or load_warning_config()
    bounds = db.query("data_date_range")
    until = _as_date(until if until is not None else bounds["max_date"].iloc[0])
    date_from = min(_as_date(date_from if date_from is not None else bounds["min_date"].iloc[0]), until)
    ab = ears.aberrations(db, as_of=until, region_code=anchor, metric=config.metric, config=warning)
    ab["date"] = pd.to_datetime(ab["date"]).dt.date
    ab["alarm"] = ab[[f"{s}_alarm" for s in config.statistics]].any(axis=1) if len(ab) else pd.Series(dtype=bool)
    ab["upper"] = ab["c2_mean"] + warning.ears.c2_threshold * np.maximum(ab["c2_sd"].astype(float),
                                                                         warning.ears.min_sigma)
    kpis = db.query("alerts_kpi_daily", as_of=until, date_from=date_from, region_code=anchor)
    kpis["date"] = pd.to_datetime(kpis["date"]).dt.date
    return Signals(until, date_from, anchor, ab, kpis)


# ---------------------------------------------------------------- the three kinds


def sentinel_alerts(signals: Signals, *, as_of: date, config: AlertConfig, warning: WarningConfig) -> pd.DataFrame:
    """Sentinel runs listed on D."""
    df = signals.aberrations[signals.aberrations["date"] <= as_of]
    if df.empty:
        return pd.DataFrame()
    runs = _runs(df, ["township_code", "site_type"], "alarm")
    first_listed = as_of - timedelta(days=config.keep_days - 1)
    runs = runs[(runs["run_days"] >= config.min_run_days) & (runs["last_day"] >= first_listed)]
    if runs.empty:
        return pd.DataFrame()
    last = runs.merge(df, left_on=["township_code", "site_type", "last_day"],
                      right_on=["township_code", "site_type", "date"])
    e = warning.ears
    return pd.DataFrame({
        "kind": "sentinel",
        "place_code": last["township_code"],
        "place_level": "township",
        "township_code": last["township_code"],
        "series": config.metric + "." + last["site_type"],
        "start_day": last["start_day"], "last_day": last["last_day"], "run_days": last["run_days"],
        "raised_day": [d + timedelta(days=config.min_run_days - 1) for d in last["start_day"]],
        "value": last["y"].astype(float),
        "baseline": last["c2_mean"].astype(float),
        "spread": last["c2_sd"].astype(float),
        # the count at which C2 alarms: baseline mean + threshold x max(sd, min_sigma)
        "threshold": last["upper"].astype(float),
        "statistic": last["c2"].astype(float),
        "statistic_threshold": e.c2_threshold,
        "site_type": last["site_type"],
    })


def case_alerts(db, *, as_of: date, scope: str | None, config: AlertConfig) -> pd.DataFrame:
    """One alert per listed case reported in the last keep_days days."""
    if not config.case_sources or not config.case_categories:
        return pd.DataFrame()
    cases = db.query("alerts_local_cases", as_of=as_of, date_from=as_of - timedelta(days=config.keep_days - 1),
                     region_code=scope, sources=",".join(config.case_sources),
                     categories=",".join(config.case_categories))
    if cases.empty:
        return pd.DataFrame()
    day = pd.to_datetime(cases["report_date"]).dt.date
    return pd.DataFrame({
        "kind": "case",
        "place_code": cases["region_code"],
        "place_level": "village",
        "township_code": cases["township_code"],
        "series": cases["case_id"],
        "start_day": day, "last_day": day, "raised_day": day, "run_days": 1,
        "value": 1.0, "baseline": 0.0, "threshold": 1.0,
        "case_id": cases["case_id"], "category": cases["category"], "found_by": cases["found_by"],
        "onset_date": pd.to_datetime(cases["onset_date"]).dt.date, "cluster_id": cases["cluster_id"],
    })


def kpi_alerts(signals: Signals, *, as_of: date, config: AlertConfig) -> pd.DataFrame:
    """Runs of red days of the alertable KPIs, per place, listed on D."""
    wanted = config.alert_kpis()
    hist = signals.kpis[(signals.kpis["date"] <= as_of) & signals.kpis["kpi"].isin(wanted)].copy()
    if hist.empty:
        return pd.DataFrame()
    cat = catalogue.by_key()
    hist["red"] = False
    for key in wanted:
        rows = hist["kpi"] == key
        hist.loc[rows, "red"] = _red(hist.loc[rows, "value"], cat[key])
    runs = _runs(hist, ["place_code", "place_level", "kpi"], "red")
    runs = runs[runs["last_day"] >= as_of - timedelta(days=config.keep_days - 1)]
    if runs.empty:
        return pd.DataFrame()
    last = runs.merge(hist, left_on=["place_code", "place_level", "kpi", "last_day"],
                      right_on=["place_code", "place_level", "kpi", "date"])
    return pd.DataFrame({
        "kind": "kpi",
        "place_code": last["place_code"],
        "place_level": last["place_level"],
        "township_code": last["place_code"].where(last["place_level"] == "township"),
        "series": last["kpi"],
        "start_day": last["start_day"], "last_day": last["last_day"], "raised_day": last["start_day"],
        "run_days": last["run_days"],
        "value": last["value"],
        "baseline": [cat[k].amber for k in last["kpi"]],
        "threshold": [cat[k].red for k in last["kpi"]],
        "kpi": last["kpi"],
    })


# ---------------------------------------------------------------- the list


def compute_alerts(db, *, as_of: date | str, region_code: str | None = None, config: AlertConfig | None = None,
                   warning: WarningConfig | None = None, rules=None, signals: Signals | None = None) -> pd.DataFrame:
    """Every alert listed on ``as_of`` at ``region_code`` (None: the whole city), one row each with the
    columns of :data:`COLUMNS`, newest first. ``signals``: precomputed :class:`Signals` covering the day and the
    scope (default: computed up to ``as_of``). No response state here: see :func:`attach_status`."""
    as_of = _as_date(as_of)
    config = config or load_alert_config()
    warning = warning or load_warning_config()
    scope = region_code or None
    anchor = township_of(scope)
    if signals is None or not signals.covers(as_of, anchor):
        signals = compute_signals(db, until=as_of, anchor=anchor, config=config, warning=warning, rules=rules)
    parts = [
        sentinel_alerts(signals, as_of=as_of, config=config, warning=warning),
        case_alerts(db, as_of=as_of, scope=scope, config=config),
        kpi_alerts(signals, as_of=as_of, config=config),
    ]
    parts = [p for p in parts if not p.empty]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["place_code"])
    df = df[[in_scope(p, scope) for p in df["place_code"]]].copy()
    if df.empty:
        return _empty()
    df["active"] = df["last_day"] == as_of

    places = db.query("alerts_responsible", as_of=as_of).set_index("region_code")
    # a case recorded at a group answers to its village's grid unit
    owner_code = [c if c in places.index else (c[:12] if c[:12] in places.index else township_of(c))
                  for c in df["place_code"]]
    owners = places.reindex(owner_code)
    own_name = places["region_name"].reindex(df["place_code"]).to_numpy()
    df["place_name"] = np.where(pd.isna(own_name), owners["region_name"].to_numpy(), own_name)
    df["township_name"] = places["region_name"].reindex(df["township_code"]).to_numpy()
    for col in ("responsible_person", "phone", "responsible_level"):
        df[col] = owners[col].to_numpy()
    df["alert_id"] = [alert_id(k, p, s, d) for k, p, s, d in
                      zip(df["kind"], df["place_code"], df["series"], df["start_day"])]
    kind_order = {k: i for i, k in enumerate(KINDS)}
    df = (df.assign(_k=df["kind"].map(kind_order))
          .sort_values(["raised_day", "_k", "place_code", "series"], ascending=[False, True, True, True])
          .drop(columns="_k"))
    df = df.reindex(columns=list(COLUMNS)).reset_index(drop=True)
    for col in TEXT_COLUMNS:  # the same types whichever kinds are present
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


STATUS_ORDER = {"open": 0, "acknowledged": 1, "closed": 2}


def attach_status(alerts: pd.DataFrame, statuses: pd.DataFrame) -> pd.DataFrame:
    """The alerts with their response state (sitrep.alert_responses.StateStore.statuses), open first, then
    acknowledged, then closed; within each, active before ended, newest first."""
    cols = ["alert_id", "status", "first_seen_at", "acknowledged_at", "acknowledged_by", "acknowledge_note",
            "closed_at", "closed_by", "close_note"]
    out = alerts.merge(statuses.reindex(columns=cols), on="alert_id", how="left")
    out["status"] = out["status"].fillna("open")
    out = (out.assign(_s=out["status"].map(STATUS_ORDER), _a=~out["active"].astype(bool))
           .sort_values(["_s", "_a", "raised_day"], ascending=[True, True, False], kind="stable")
           .drop(columns=["_s", "_a"]))
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- words


def title(alert, lang: str) -> str:
    """One line that says what is unusual and where, in ``lang``."""
    kind = alert["kind"]
    if kind == "sentinel":
        metric = i18n.t(f"alerts.metric.{alert['series'].split('.', 1)[0]}", lang)
        return i18n.t("alerts.title.sentinel", lang, place=alert["place_name"], metric=metric,
                      site_type=i18n.enum_label("sentinel_sites", "site_type", alert["site_type"], lang),
                      days=int(alert["run_days"]))
    if kind == "case":
        return i18n.t("alerts.title.case", lang, place=alert["place_name"], case_id=alert["case_id"],
                      category=i18n.enum_label("cases", "category", alert["category"], lang))
    kpi = catalogue.by_key()[alert["kpi"]]
    value = None if pd.isna(alert["value"]) else float(alert["value"])
    return i18n.t("alerts.title.kpi", lang, place=alert["place_name"], kpi=kpi.name(lang),
                  value=kpi.format(value, lang))


# ---------------------------------------------------------------- the series behind an explanation


def sentinel_series(signals: Signals, alert, *, as_of: date | str, days: int) -> pd.DataFrame:
    """The alert's sentinel series over the last ``days`` days up to D: date, y, c2_mean, c2_sd, c2, upper (the
    count at which C2 alarms), alarm (an alarm day by the configured statistics)."""
    as_of = _as_date(as_of)
    ab = signals.aberrations
    df = ab[(ab["township_code"] == alert["township_code"]) & (ab["site_type"] == alert["site_type"])
            & (ab["date"] <= as_of) & (ab["date"] > as_of - timedelta(days=days))]
    return df[["date", "y", "c2_mean", "c2_sd", "c2", "upper", "alarm"]].reset_index(drop=True)


def kpi_series(signals: Signals, alert, *, as_of: date | str, days: int) -> pd.DataFrame:
    """The alert's KPI at its place over the last ``days`` days up to D: date, value."""
    as_of = _as_date(as_of)
    k = signals.kpis
    df = k[(k["place_code"] == alert["place_code"]) & (k["kpi"] == alert["kpi"]) & (k["date"] <= as_of)
           & (k["date"] > as_of - timedelta(days=days))]
    return df[["date", "value"]].reset_index(drop=True)


def case_series(db, alert, *, as_of: date | str, config: AlertConfig | None = None) -> pd.DataFrame:
    """Local cases per report day in the alert's township over the last case_chart_days up to D: date, cases
    (every day, zeros included)."""
    as_of = _as_date(as_of)
    config = config or load_alert_config()
    start = as_of - timedelta(days=config.case_chart_days - 1)
    inc = db.query("cases_incidence_daily", as_of=as_of, region_code=alert["township_code"], date_basis="report")
    inc["date"] = pd.to_datetime(inc["date"]).dt.date
    imported = [s for s in config.case_sources if s != "local"]
    inc["cases"] = (inc["local"] if "local" in config.case_sources else 0) + (inc["imported"] if imported else 0)
    days = pd.DataFrame({"date": [start + timedelta(days=i) for i in range(config.case_chart_days)]})
    out = days.merge(inc[["date", "cases"]], on="date", how="left")
    out["cases"] = out["cases"].fillna(0).astype(int)
    return out


# ---------------------------------------------------------------- benchmark


def bench_alerts(db, *, as_of: date | str | None = None, repeat: int = 3) -> dict:
    """Time the alert list of one day for the whole city (default day: the last day of the data), best of
    ``repeat``, in seconds: ``cold`` computes the signals up to that day too (the first list after an import),
    ``warm`` reuses signals computed once (every later day and scope on the dashboard); and count what it
    found, by kind."""
    if as_of is None:
        as_of = db.query("data_date_range")["max_date"].iloc[0]
    cold = warm = float("inf")
    df = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        signals = compute_signals(db, until=as_of)
        t1 = time.perf_counter()
        df = compute_alerts(db, as_of=as_of, signals=signals)
        t2 = time.perf_counter()
        cold, warm = min(cold, t2 - t0), min(warm, t2 - t1)
    return {"as_of": _as_date(as_of).isoformat(), "cold_seconds": round(cold, 3), "warm_seconds": round(warm, 3),
            "alerts": len(df), **{f"{k}_alerts": int((df["kind"] == k).sum()) for k in KINDS}}

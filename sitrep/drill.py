"""The records behind a chart's marks: for each chart, by the key the page gives ``sitrep.ui.widgets.chart``, the
records query its marks stand for and how a clicked mark maps to that query's day and to a filter on its rows.

A click gives a point: its x and y, and what the figure builder put in its trace's ``meta`` (codes, not labels:
``{"source": "local"}`` for a whole trace, or a list with one code per point, ``{"have": ["has_guide", ...]}``).
A chart's ``mark`` function turns the point into a :class:`Mark` - the day the records are as of and
{column: codes} the rows must match - which the URL carries (:func:`to_params`, :func:`from_params`), so an
address reopens a mark's records. Plain data and functions; the dialog is ``sitrep.ui.widgets.records_dialog``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

CHART_PARAM, DAY_PARAM, FILTER_PARAM, QUERY_PARAM = "records", "records_day", "records_filter", "records_params"
URL_PARAMS = (CHART_PARAM, DAY_PARAM, FILTER_PARAM, QUERY_PARAM)


@dataclass(frozen=True)
class Mark:
    """One mark's records: the chart, the day they are as of (None: the view's day), the codes each filtered
    column must hold (an empty code: no value recorded) and the records query's other parameters (the page's
    window: ``days``)."""
    chart: str
    day: date | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    params: tuple[tuple[str, str], ...] = ()

    @property
    def filters(self) -> dict[str, tuple[str, ...]]:
        return dict(self.where)


@dataclass(frozen=True)
class Drill:
    """What one chart's marks stand for. ``records``: a named query taking as_of and region_code; ``tables``:
    the contract tables its columns come from (headers and labels, sitrep.records); ``what``: the string naming
    its rows; ``mark``: (point, widget values) -> (day or None, {column: codes}[, {parameter: value}]), None
    where a point is no mark (a text label, a target line); ``widgets``: the page's widget keys ``mark`` reads
    (e.g. the curve's basis); ``params``: the records query's parameters besides as_of and region_code that a
    mark may set, each a whole number of days (the URL may set no other)."""
    records: str
    tables: tuple[str, ...]
    what: str
    mark: Callable[[dict, Mapping], tuple | None]
    widgets: tuple[str, ...] = field(default=())
    params: tuple[str, ...] = field(default=())


def point_fields(point: dict, meta) -> dict:
    """The clicked point's x and y with its trace's meta: scalars as they are, lists indexed by the point."""
    out = {"x": point.get("x"), "y": point.get("y")}
    if isinstance(meta, Mapping):
        i = point.get("point_index", point.get("point_number"))
        for k, v in meta.items():
            if isinstance(v, (list, tuple)):
                if isinstance(i, int) and 0 <= i < len(v):
                    out[k] = v[i]
            else:
                out[k] = v
    return out


def day_of(v) -> date | None:
    """A date axis's value ('2022-01-12' or '2022-01-12 00:00:00' or a timestamp) as a date."""
    if v is None or v == "":
        return None
    try:
        return pd.Timestamp(str(v)[:10] if isinstance(v, str) else v).date()
    except (ValueError, TypeError):
        return None


def _code(v) -> str:
    return "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)


def _needs(p: dict, *keys: str) -> bool:
    return all(k in p for k in keys)


# -- the marks of each chart ----------------------------------------------------------------------------------

def _case_curve(p, state):
    """A bar of the epidemic curve by source and category: the cases of that source and category reported (by
    report date: the records as of that day) or fallen ill (by onset: as of the view's day) on that day."""
    day = day_of(p.get("x"))
    if day is None or not _needs(p, "source", "category"):
        return None
    where = {"source": (p["source"],), "category": (p["category"],)}
    if state.get("cases_basis") == "onset":
        return None, {"onset_date": (day.isoformat(),), **where}
    return day, {"report_date": (day.isoformat(),), **where}


def _overview_curve(p, state):
    day = day_of(p.get("x"))
    if day is None or not _needs(p, "source"):
        return None
    return day, {"report_date": (day.isoformat(),), "source": (p["source"],)}


def _found_by(p, state):
    if not _needs(p, "found_by", "source"):
        return None
    # as counted: confirmed and asymptomatic cases (queries/cases_by_found_by.sql leaves suspected ones out)
    return None, {"found_by": (_code(p["found_by"]),), "source": (p["source"],),
                  "category": ("confirmed", "asymptomatic")}


def _tree_case(p, state):
    return (None, {"case_id": (p["case_id"],)}) if p.get("case_id") else None


def _contacts(p, state):
    """Top: the contacts of that type and place in quarantine at the end of the day; bottom: those traced that
    day. Both as of the day."""
    day = day_of(p.get("x"))
    if day is None or not _needs(p, "contact_type", "quarantine_place", "series"):
        return None
    where = {"contact_type": (p["contact_type"],), "quarantine_place": (_code(p["quarantine_place"]),)}
    if p["series"] == "identified":
        return day, {"identified_date": (day.isoformat(),), **where}
    return day, {"in_quarantine": ("true",), **where}


def _arrivals(p, state):
    day = day_of(p.get("x"))
    return (day, {"origin_category": (p["origin_category"],)}) if day and "origin_category" in p else None


def _haves(p, state):
    return (None, {p["have"]: ("false", "")}) if p.get("have") else None


def _levels(p, state):
    if not _needs(p, "responsible_level", "complete"):
        return None
    return None, {"responsible_level": (p["responsible_level"],), "complete": (_code(p["complete"]),)}


def _sentinel(p, state):
    day = day_of(p.get("x"))
    return (day, {"site_type": (p["site_type"],)}) if day and "site_type" in p else None


def _labs_on_day(p, state):
    day = day_of(p.get("x"))
    return (day, {}) if day else None


def _reserve_item(p, state):
    if not p.get("item_code"):
        return None
    where = {"item_code": (p["item_code"],)}
    if p.get("warehouse_id"):  # a warehouse's dot: that warehouse's row
        where["warehouse_id"] = (p["warehouse_id"],)
    return None, where


def _funds_purpose(p, state):
    return (None, {"purpose": (p["purpose"],)}) if p.get("purpose") else None


def _window(state: Mapping, key: str) -> dict:
    """The page's window of days as the records query's ``days`` (0 or none: every day up to D)."""
    days = state.get(key)
    return {"days": int(days)} if days else {}


def _orders_part(p, state):
    """A task force's part of its bar: its orders in that state at the end of D, issued in the page's window."""
    if not _needs(p, "task_force", "order_state"):
        return None
    return None, {"task_force": (p["task_force"],), "order_state": (p["order_state"],)}, _window(state, "command_days")


ORDER_STAGES = {"issued": {}, "closed": {"closed": ("true",)}, "closed_on_time": {"order_state": ("closed_on_time",)}}


def _orders_stage(p, state):
    stage = ORDER_STAGES.get(p.get("stage"))
    return None if stage is None else (None, stage, _window(state, "command_days"))


ISSUE_STAGES = {"found": {}, "rectified": {"rectified": ("true",)}, "verified": {"verified": ("true",)}}


def _issues_stage(p, state):
    stage = ISSUE_STAGES.get(p.get("stage"))
    return None if stage is None else (None, stage)


def _channel(p, state):
    """A channel's bar: its records in the page's window (7, 14 or 30 days up to D)."""
    if not p.get("channel"):
        return None
    return None, {"channel": (p["channel"],)}, {"days": int(state.get("publicity_days") or 7)}


def _theme_week(p, state):
    """A theme's part of a week's bar (the x is the week's last day): its records in those 7 days."""
    day = day_of(p.get("x"))
    if day is None or "theme" not in p:
        return None
    return day, {"theme": (_code(p["theme"]),)}, {"days": 7}


CASES = ("cases",)
DRILLS: dict[str, Drill] = {
    "cases_curve": Drill("cases_records_reported", CASES, "drill.what.cases", _case_curve, widgets=("cases_basis",)),
    "overview_curve": Drill("cases_records_reported", CASES, "drill.what.cases", _overview_curve),
    "cases_found_by": Drill("cases_records_reported", CASES, "drill.what.cases", _found_by),
    "cases_tree": Drill("cases_records_reported", CASES, "drill.what.cases", _tree_case),
    "cases_contacts": Drill("contacts_records_traced", ("contacts",), "drill.what.contacts", _contacts),
    "screening_arrivals": Drill("kpi_records_returnees_arrived_today", ("returnees",), "drill.what.arrivals",
                                _arrivals),
    "monitoring_haves": Drill("kpi_records_grid_complete_pct", ("grid_units", "regions"), "drill.what.grid_units",
                              _haves),
    "monitoring_levels": Drill("kpi_records_grid_complete_pct", ("grid_units", "regions"), "drill.what.grid_units",
                               _levels),
    "monitoring_sentinel_lines": Drill("kpi_records_sentinel_visits_today", ("sentinel_reports", "sentinel_sites"),
                                       "drill.what.sentinel_reports", _sentinel),
    "prep_capacity_trend": Drill("kpi_records_test_capacity_use_pct", ("test_capacity",), "drill.what.labs",
                                 _labs_on_day),
    "prep_supply_bullets": Drill("reserves_by_warehouse_item", ("reserves",), "drill.what.reserves", _reserve_item),
    "prep_funds_purpose": Drill("kpi_records_funds_execution_pct", ("funds",), "drill.what.funds", _funds_purpose),
    "command_task_forces": Drill("orders_records_issued", ("orders",), "drill.what.orders", _orders_part,
                                 widgets=("command_days",), params=("days",)),
    "command_funnel": Drill("orders_records_issued", ("orders",), "drill.what.orders", _orders_stage,
                            widgets=("command_days",), params=("days",)),
    "command_supervision": Drill("supervision_records_found", ("supervision",), "drill.what.issues", _issues_stage),
    "publicity_channels": Drill("publicity_records_in_window", ("publicity",), "drill.what.publicity", _channel,
                                widgets=("publicity_days",), params=("days",)),
    "publicity_themes": Drill("publicity_records_in_window", ("publicity",), "drill.what.publicity", _theme_week,
                              params=("days",)),
}

# Charts whose marks are not records, with why (tests/test_drill.py fails on a chart key in neither list).
NO_RECORDS: dict[str, str] = {
    "prep_gauge_use": "a gauge: one share of capacity, its records are the KPI card's",
    "prep_gauge_days": "a gauge: a ratio of population to capacity, its records are the KPI card's",
    "prep_gauge_funds": "a gauge: one execution rate, its records are the KPI card's",
    "command_gauges": "gauges: vaccination shares by age group (doses over population), not rows",
    "cases_rt": "Rt and its interval are estimates, not records",
    "screening_shift": "what-if: releases moved by another rule, a projection, not records",
    "screening_central": "what-if: people in central quarantine under another rule, a projection",
    "screening_schedule": "one person's planned stages and tests; the person is the worklist row above it",
    "screening_sankey": "a Sankey diagram: plotly selects no points on its links, so Streamlit reports no click",
    "screening_funnel": "KPI-cube counts of the management steps, stored per region and interval without the "
                        "persons (queries/cube/facts_control.sql folds them for size); the worklist lists the persons",
    "explorer_chart": "the analyst's own query: its rows are the table beside the chart",
    "alerts_chart": "one alert's signal against its baseline; the alert's facts are listed beside it",
    "data_quality_heatmap": "share of units reporting on time per day; the reporting tab lists the units",
    "data_quality_by_township_chart": "issues by township: a bar per township sets the scope",
    "screening_categories": "a bar per region: a click sets the scope (cross-filtering)",
    "screening_stages": "a bar per region: a click sets the scope (cross-filtering)",
    "publicity_reach": "a bar per region: a click sets the scope (cross-filtering)",
    "command_duty": "a cell is one roster row (day, shift), all of it in the cell's hover; the roster is city-wide",
    "command_closure": "hours to close by task force (a box plot of a distribution)",
}


def mark(chart: str, point: dict, meta, state: Mapping | None = None) -> Mark | None:
    """The records behind a clicked point of a chart (None: the chart has no records, or the point is no mark)."""
    drill = DRILLS.get(chart)
    if drill is None:
        return None
    got = drill.mark(point_fields(point, meta), state or {})
    if got is None:
        return None
    day, where, params = (*got, {})[:3]
    return Mark(chart, day, tuple((k, tuple(_code(v) for v in vs)) for k, vs in where.items()),
                tuple((k, _code(v)) for k, v in params.items()))


def to_params(m: Mark) -> dict[str, str]:
    """The URL's parameters for a mark (``records=cases_curve&records_day=2022-01-12&records_filter=
    report_date:2022-01-12,source:local``)."""
    out = {CHART_PARAM: m.chart}
    if m.day is not None:
        out[DAY_PARAM] = m.day.isoformat()
    if m.where:
        out[FILTER_PARAM] = ",".join(f"{k}:{'|'.join(vs)}" for k, vs in m.where)
    if m.params:
        out[QUERY_PARAM] = ",".join(f"{k}:{v}" for k, v in m.params)
    return out


def from_params(params: Mapping) -> Mark | None:
    """The mark a URL names, or None (not a chart, a day that is no date, a filter that does not parse)."""
    chart = params.get(CHART_PARAM)
    if chart not in DRILLS:
        return None
    day = None
    if params.get(DAY_PARAM):
        try:
            day = date.fromisoformat(str(params[DAY_PARAM]))
        except ValueError:
            return None
    where, query = _pairs(params.get(FILTER_PARAM)), _pairs(params.get(QUERY_PARAM))
    if where is None or query is None or not {k for k, _ in query} <= set(DRILLS[chart].params):
        return None
    if not all(v.isdigit() and 0 < int(v) <= 3660 for _, v in query):  # a window of days
        return None
    return Mark(chart, day, tuple((k, tuple(v.split("|"))) for k, v in where),
                tuple((k, v) for k, v in query))


def _pairs(text) -> list[tuple[str, str]] | None:
    """``a:1,b:x|y`` as [(a, 1), (b, x|y)]; None when it does not parse."""
    out = []
    for part in filter(None, str(text or "").split(",")):
        name, sep, value = part.partition(":")
        if not sep or not name.isidentifier():
            return None
        out.append((name, value))
    return out


def _matches(s: pd.Series, codes: tuple[str, ...]) -> pd.Series:
    """Rows whose value is one of the codes (dates compared as days, flags as true/false, '' = no value)."""
    empty = s.isna() | (s.astype(str) == "") if s.dtype == object else s.isna()
    hit = empty if "" in codes else pd.Series(False, index=s.index)
    wanted = [c for c in codes if c != ""]
    if not wanted:
        return hit
    if pd.api.types.is_datetime64_any_dtype(s):
        days = {day_of(c) for c in wanted}
        return hit | s.dt.date.isin(days)
    if pd.api.types.is_bool_dtype(s) or (s.dtype == object and s.dropna().map(lambda v: isinstance(v, bool)).all()
                                          and len(s.dropna())):
        return hit | s.map(lambda v: not pd.isna(v) and _code(bool(v)) in wanted)
    return hit | s.map(lambda v: not pd.isna(v) and _code(v) in wanted)


def select(df: pd.DataFrame, m: Mark) -> pd.DataFrame | None:
    """The rows of a mark's records query that the mark stands for (None: it filters on a column the records do
    not have - an address that was edited by hand)."""
    keep = pd.Series(True, index=df.index)
    for column, codes in m.where:
        if column not in df.columns:
            return None
        keep &= _matches(df[column], codes)
    return df[keep].reset_index(drop=True)

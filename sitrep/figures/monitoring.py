"""Figure and map-layer builders for the monitoring page ("one net"): the five haves, the
four-level grid, sentinel series by site type and sentinel site points."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sitrep import i18n
from sitrep.figures import FONT, STATUS_COLOURS, _finish, area_strings, nice_step, status_colour
from sitrep.maps import HIGHLIGHT, LegendItem

FIVE_HAVES = ("has_guide", "has_system_owner", "has_materials", "has_medical_support", "has_isolation_transfer")
LEVELS = ("city_leader", "township_cadre", "village_cadre", "group_cadre")
SITE_TYPES = ("fever_clinic", "pharmacy", "village_clinic", "school", "market", "cold_chain", "service_window")
# One colour per site type on the map and in the small multiples (Okabe-Ito; vermillion is kept for alarms).
SITE_TYPE_COLOURS = {
    "fever_clinic": (204, 121, 167), "pharmacy": (0, 114, 178), "village_clinic": (0, 158, 115),
    "school": (230, 159, 0), "market": (86, 180, 233), "cold_chain": (128, 128, 128), "service_window": (240, 228, 66),
}
# Five-haves score classes: all five (green), one missing (yellow), more (purples). Vermillion stays free for
# the map's highlight, villages with no grid unit at all.
SCORE_COLOURS = {5: (0, 158, 115), 4: (240, 228, 66), 3: (204, 121, 167), "low": (110, 40, 120)}
SCORE_WORDS = {5: "all", 4: "one", 3: "two", "low": "low"}  # score class -> its string (monitoring.score.*)
HOLES = ("no_unit", "missing_haves")


@dataclass(frozen=True)
class MonitoringLabels:
    """The words of the monitoring charts, map points and tables in one language: the contract's enumerations
    (code -> label) and the monitoring strings (sitrep/strings/monitoring.*.toml). ``of(lang)`` builds them; a
    field left out shows codes."""
    have: Mapping[str, str] = field(default_factory=dict)
    score: Mapping = field(default_factory=lambda: {k: str(k) for k in SCORE_COLOURS})  # 5, 4, 3, "low"
    level: Mapping[str, str] = field(default_factory=dict)  # the grid's four levels of responsibility
    units_complete: str = ""
    units_with_holes: str = ""
    hole: Mapping[str, str] = field(default_factory=dict)
    region_level: Mapping[str, str] = field(default_factory=dict)
    responsible_level: Mapping[str, str] = field(default_factory=dict)
    list_sep: str = "、"
    site_type: Mapping[str, str] = field(default_factory=dict)
    no_report: str = ""
    flagged: str = ""
    alarm_day: str = ""

    @classmethod
    def of(cls, lang: str) -> "MonitoringLabels":
        t = area_strings("monitoring", lang)

        return cls(have={h: t(f"have.{h}") for h in FIVE_HAVES},
                   score={k: t(f"score.{w}") for k, w in SCORE_WORDS.items()},
                   level={lv: t(f"level.{lv}") for lv in LEVELS}, units_complete=t("units_complete"),
                   units_with_holes=t("units_with_holes"), hole={h: t(f"hole.{h}") for h in HOLES},
                   region_level=i18n.enum_labels("regions", "level", lang),
                   responsible_level=i18n.enum_labels("grid_units", "responsible_level", lang),
                   list_sep=t("list_sep"), site_type=i18n.enum_labels("sentinel_sites", "site_type", lang),
                   no_report=t("no_report"), flagged=t("flagged"), alarm_day=t("alarm_day"))


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def score_classes(labels: MonitoringLabels) -> dict:
    """Map classes for the five-haves score: {score: LegendItem}, 0-2 sharing one class."""
    items = {k: LegendItem(SCORE_COLOURS[k], labels.score[k]) for k in (5, 4, 3, "low")}
    return {5: items[5], 4: items[4], 3: items[3], 2: items["low"], 1: items["low"], 0: items["low"]}


def haves_missing_bar(df: pd.DataFrame, labels: MonitoringLabels, *, title: str | None = None,
                      height: int = 300, dark: bool = False) -> go.Figure:
    """Grid units missing each of the five haves (df: have, units_missing, units), in the speech's order,
    labelled with the count and the share of units."""
    have_labels = labels.have
    df = df.set_index("have").reindex(list(FIVE_HAVES)).fillna(0).reset_index()
    share = [m / u if u else 0 for m, u in zip(df["units_missing"], df["units"])]
    fig = go.Figure(go.Bar(
        x=df["units_missing"], y=[have_labels.get(h, h) for h in df["have"]], orientation="h",
        marker_color=[STATUS_COLOURS["amber"] if m else STATUS_COLOURS["ok"] for m in df["units_missing"]],
        text=[f"{int(m):,} ({s:.1%})" for m, s in zip(df["units_missing"], share)], textposition="outside",
        cliponaxis=False, hovertemplate="%{y}: %{x:,}<extra></extra>",
        meta={"have": list(df["have"])},  # the code behind a mark (sitrep.drill)
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(rangemode="tozero", tickformat=",d", range=[0, max(1, df["units_missing"].max()) * 1.3],
                     dtick=nice_step(df["units_missing"].max(), 4))
    fig.update_layout(showlegend=False, bargap=0.35)
    return _finish(fig, title, height, dark)


def grid_levels_bar(df: pd.DataFrame, labels: MonitoringLabels, *, title: str | None = None, height: int = 300,
                    dark: bool = False) -> go.Figure:
    """The four-level grid: units per level, stacked all-five-haves / with a hole, labelled
    "units / regions to cover" (df: responsible_level, units, units_complete, units_with_holes, regions)."""
    level_labels, complete_label, holes_label = labels.level, labels.units_complete, labels.units_with_holes
    df = df[df["responsible_level"].notna()].set_index("responsible_level").reindex(list(LEVELS)).reset_index()
    df[["units", "units_complete", "units_with_holes"]] = df[["units", "units_complete", "units_with_holes"]].fillna(0)
    names = [level_labels.get(lv, lv) for lv in df["responsible_level"]]
    levels = list(df["responsible_level"])  # the codes behind the marks (sitrep.drill)
    fig = go.Figure()
    fig.add_bar(x=df["units_complete"], y=names, orientation="h", name=complete_label,
                marker_color=STATUS_COLOURS["ok"], meta={"responsible_level": levels, "complete": True},
                hovertemplate="%{y}: %{x:,}<extra>" + complete_label + "</extra>")
    fig.add_bar(x=df["units_with_holes"], y=names, orientation="h", name=holes_label,
                marker_color=STATUS_COLOURS["amber"], meta={"responsible_level": levels, "complete": False},
                hovertemplate="%{y}: %{x:,}<extra>" + holes_label + "</extra>")
    totals = df["units"].astype(float)
    texts = [f"{int(u):,}" if pd.isna(r) else f"{int(u):,} / {int(r):,}" for u, r in zip(df["units"], df["regions"])]
    fig.add_scatter(x=totals, y=names, mode="text", text=texts, textposition="middle right", showlegend=False,
                    hoverinfo="skip", cliponaxis=False)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(rangemode="tozero", tickformat=",d", range=[0, max(1.0, totals.max()) * 1.35],
                     dtick=nice_step(totals.max(), 4))
    fig.update_layout(barmode="stack", bargap=0.35, legend=dict(y=-0.12, yanchor="top", traceorder="normal"))
    return _finish(fig, title, height, dark)


def sentinel_small_multiples(df: pd.DataFrame, labels: MonitoringLabels, *, measure: str, start=None, end=None,
                             columns: int = 2, title: str | None = None, height: int | None = None,
                             dark: bool = False, alarms: pd.DataFrame | None = None) -> go.Figure:
    """One small line chart per site type with its own y scale (a market sees hundreds of visits a day,
    a school a handful), shared dates (df: date, site_type, visits, fever). A gap is a day with no report.
    alarms (site_type, date; sitrep.warning.ears.alarm_days): the alarm days, marked on each line with a
    red square (hover: the alarm-day word)."""
    type_labels, alarm_label = labels.site_type, labels.alarm_day
    types = [t for t in SITE_TYPES if t in set(df["site_type"])] + \
        sorted(set(df["site_type"]) - set(SITE_TYPES))
    rows = max(1, math.ceil(len(types) / columns))
    fig = make_subplots(rows=rows, cols=columns, shared_xaxes=True, vertical_spacing=0.09, horizontal_spacing=0.08,
                        subplot_titles=[type_labels.get(t, t) for t in types] or [""])
    for i, t in enumerate(types):
        part = df[df["site_type"] == t].sort_values("date")
        colour = _hex(SITE_TYPE_COLOURS.get(t, (0, 114, 178)))
        fig.add_scatter(x=part["date"], y=part[measure], mode="lines", name=type_labels.get(t, t),
                        line=dict(color=colour, width=2), connectgaps=False, showlegend=False, meta={"site_type": t},
                        hovertemplate="%{x|%Y-%m-%d}: %{y:,}<extra>" + type_labels.get(t, t) + "</extra>",
                        row=i // columns + 1, col=i % columns + 1)
        if alarms is not None and not alarms.empty:
            days = set(pd.to_datetime(alarms.loc[alarms["site_type"] == t, "date"]).dt.normalize())
            hit = part[pd.to_datetime(part["date"]).dt.normalize().isin(days)]
            if len(hit):
                fig.add_scatter(x=hit["date"], y=hit[measure].fillna(0), mode="markers", name=alarm_label,
                                meta={"site_type": t},
                                marker=dict(symbol="square", size=11 if dark else 8, color=status_colour("red", dark),
                                            line=dict(width=1.5, color="#ffffff" if dark else "#222222")),
                                showlegend=False,
                                hovertemplate="%{x|%Y-%m-%d}: %{y:,}<extra>" + alarm_label + "</extra>",
                                row=i // columns + 1, col=i % columns + 1)
    fig.update_yaxes(rangemode="tozero", tickformat=",d", nticks=4)
    # few date ticks, never turned on their side: a small multiple is narrow (on the projector's three
    # columns at 18 px only two fit), and its dates are shared with its neighbours, so only the
    # lowest chart of each column writes them, clear of the titles of the charts below
    fig.update_xaxes(tickformat="%m-%d", nticks=(2 if dark else 4) if columns >= 3 else 5, tickangle=0,
                     showticklabels=False)
    for i in range(len(types)):
        if i + columns >= len(types):
            fig.update_xaxes(showticklabels=True, row=i // columns + 1, col=i % columns + 1)
    if start is not None and end is not None:
        fig.update_xaxes(range=[pd.Timestamp(start), pd.Timestamp(end)])
    fig.update_annotations(font=dict(size=15, family=FONT))
    fig.update_layout(showlegend=False, margin=dict(l=10, r=10, t=80 if title else 30, b=10))
    return _finish(fig, title, height or 160 * rows + 80, dark)


def site_points(df: pd.DataFrame, labels: MonitoringLabels, *, measure: str) -> pd.DataFrame:
    """Sentinel sites as map points (lon, lat, name, value_text, flag, colour) from sentinel_sites_on_day;
    sites with no position anywhere are left out."""
    type_labels, no_report, flagged = labels.site_type, labels.no_report, labels.flagged
    df = df[df["lon"].notna() & df["lat"].notna()]
    return pd.DataFrame({
        "lon": df["lon"].astype(float), "lat": df["lat"].astype(float),
        "name": [f"{n}({type_labels.get(t, t)})" for n, t in zip(df["site_name"], df["site_type"])],
        "value_text": [no_report if pd.isna(v) else f"{int(v):,}" for v in df[measure]],
        "flag": [flagged if f is True else "" for f in df["flagged"].astype(object)],
        "colour": [list(SITE_TYPE_COLOURS.get(t, HIGHLIGHT)) + [235] for t in df["site_type"]],
    })


def site_type_legend(types, labels: MonitoringLabels) -> list[LegendItem]:
    """Legend items of the site types shown on the map, in the contract's order."""
    present = set(types)
    return [LegendItem(SITE_TYPE_COLOURS[t], labels.site_type.get(t, t)) for t in SITE_TYPES if t in present]


def holes_table(df: pd.DataFrame, labels: MonitoringLabels) -> pd.DataFrame:
    """grid_holes with codes turned into words, for display: a group is named with its village ("上村 · 二组"),
    the phone column keeps its name so the table widget masks it."""
    have_labels, hole_labels, sep = labels.have, labels.hole, labels.list_sep
    level_labels, responsible_labels = labels.region_level, labels.responsible_level
    out = df.copy()
    out["region_name"] = [f"{v} · {n}" if lv == "group" and isinstance(v, str) else n
                          for v, n, lv in zip(out["village"], out["region_name"], out["level"])]
    out["hole"] = out["hole"].map(lambda h: hole_labels.get(h, h))
    out["missing"] = out["missing"].map(lambda codes: sep.join(have_labels.get(c, c) for c in list(codes)))
    out["level"] = out["level"].map(lambda lv: level_labels.get(lv, lv))
    out["responsible_level"] = out["responsible_level"].map(
        lambda lv: responsible_labels.get(lv, "") if isinstance(lv, str) else "")
    out["checked_date"] = pd.to_datetime(out["checked_date"]).dt.date
    return out[["township", "region_name", "level", "hole", "missing", "responsible_person", "phone",
                "responsible_level", "checked_date", "region_code"]]


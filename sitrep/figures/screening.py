"""Figure builders for the screening and control page ("one wall"): returnees by category and region, arrivals
per day, the stage each returnee is in, origin risk to measure, one returnee's schedule and the what-if of
another quarantine rule; and the worklist as the township officers read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sitrep import i18n
from sitrep.figures import FONT, PALETTE, STATUS_COLOURS, _finish, area_strings, nice_step
from sitrep.maps import LegendItem

CATEGORIES = ("in_province", "out_of_province", "overseas", "nonlocal_staying")
CATEGORY_COLOURS = {"in_province": PALETTE[0], "out_of_province": PALETTE[1], "overseas": PALETTE[5],
                    "nonlocal_staying": PALETTE[2]}
# The stage on D, strictest first; released is cumulative and drawn apart.
ACTIVE_STAGES = ("central_quarantine", "home_quarantine", "home_monitoring")
STAGE_COLOURS = {"central_quarantine": "#0072B2", "home_quarantine": "#56B4E9", "home_monitoring": "#009E73",
                 "released": "#999999"}
ORIGIN_RISKS = ("overseas", "high", "medium", "low", "none")
RISK_COLOURS = {"overseas": "#CC79A7", "high": "#E69F00", "medium": "#F0E442", "low": "#56B4E9", "none": "#999999"}
MEASURES = ("central_quarantine", "home_quarantine", "home_monitoring", "none", "unclassified")
MEASURE_COLOURS = {**STAGE_COLOURS, "none": "#BBBBBB", "unclassified": "#666666"}
# Red is kept for what needs action (misclassified flows, overdue tests).
ALARM = STATUS_COLOURS["red"]
WORKLIST_ITEMS = ("test_due_tomorrow", "test_overdue", "release_due", "release_overdue", "misclassified")
# States of the events of returnee_schedule (stages, tests, release), one label each.
SCHEDULE_STATUSES = ("done", "current", "upcoming", "not_owed", "overdue", "missed", "open", "released_on_time",
                     "released_early", "released_late", "positive", "due")
NO_OVERDUE_COLOUR = (237, 248, 233)
TEST_STATUS_COLOURS = {"done": STATUS_COLOURS["ok"], "overdue": ALARM, "missed": "#666666",
                       "open": STATUS_COLOURS["amber"], "upcoming": "#FFFFFF", "not_owed": "#DDDDDD"}
# A returnee's stage on the day as the page names it (screening.stage.*).
STAGES = ("central_quarantine", "home_quarantine", "home_monitoring", "released", "positive", "not_started",
          "no_measure", "unclassified")
SCHEDULE_ROWS = ("stage", "test", "release")


@dataclass(frozen=True)
class ScreeningLabels:
    """The words of the screening charts and tables in one language: the contract's enumerations (code -> label)
    and the screening strings (sitrep/strings/screening.*.toml). ``of(lang)`` builds them; a field left out shows
    codes."""
    category: Mapping[str, str] = field(default_factory=dict)
    risk: Mapping[str, str] = field(default_factory=dict)
    measure: Mapping[str, str] = field(default_factory=dict)  # "unclassified" included
    stage: Mapping[str, str] = field(default_factory=dict)
    stage_under: str = ""
    stage_released: str = ""
    misclassified: str = ""
    sankey_rule: str = "{measure}"  # takes {measure}
    overdue_none: str = ""
    item: Mapping[str, str] = field(default_factory=dict)
    status: Mapping[str, str] = field(default_factory=dict)
    schedule_row: Mapping[str, str] = field(default_factory=lambda: {r: r for r in SCHEDULE_ROWS})
    schedule_today: str = "{date}"  # takes {date}
    shift_axis: str = ""
    persons: str = ""
    shift_none: str = ""
    central_current: str = ""
    central_alternative: str = ""

    @classmethod
    def of(cls, lang: str) -> "ScreeningLabels":
        t = area_strings("screening", lang)

        def enums(column: str) -> dict[str, str]:
            return i18n.enum_labels("returnees", column, lang)

        return cls(category=enums("origin_category"), risk=enums("origin_risk"),
                   measure={**enums("measure"), "unclassified": t("stage.unclassified")},
                   stage={k: t(f"stage.{k}") for k in STAGES}, stage_under=t("stage_under"),
                   stage_released=t("stage_released"), misclassified=t("misclassified"), sankey_rule=t("sankey_rule"),
                   overdue_none=t("overdue_none"), item={k: t(f"item.{k}") for k in WORKLIST_ITEMS},
                   status={k: t(f"status.{k}") for k in SCHEDULE_STATUSES},
                   schedule_row={r: t(f"schedule_row.{r}") for r in SCHEDULE_ROWS}, schedule_today=t("schedule_today"),
                   shift_axis=t("shift_axis"), persons=t("persons"), shift_none=t("shift_none"),
                   central_current=t("central_current"), central_alternative=t("central_alternative"))


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return "rgba({},{},{},{})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)), alpha)


# Legends go under the plot: above it they collide with the title.
BELOW = dict(orientation="h", y=-0.06, yanchor="top", x=0, traceorder="normal")


def _bar_height(n: int) -> int:
    return max(260, 26 * n + 110)


def category_bars(df: pd.DataFrame, labels: ScreeningLabels, *, title: str | None = None,
                  height: int | None = None, dark: bool = False) -> go.Figure:
    """Returnees registered per region stacked by category, most first, total at the end of each bar
    (df: name, in_province, out_of_province, overseas, nonlocal_staying, registered)."""
    df = df.sort_values("registered", ascending=False, kind="stable")
    fig = go.Figure()
    for cat in CATEGORIES:
        label = labels.category.get(cat, cat)
        fig.add_bar(x=df[cat], y=df["name"], orientation="h", name=label, marker_color=CATEGORY_COLOURS[cat],
                    hovertemplate="%{y}: %{x:,}<extra>" + label + "</extra>")
    fig.add_scatter(x=df["registered"], y=df["name"], mode="text", text=[f"{int(v):,}" for v in df["registered"]],
                    textposition="middle right", showlegend=False, hoverinfo="skip", cliponaxis=False)
    top = float(df["registered"].max()) if not df.empty else 0.0
    fig.update_xaxes(rangemode="tozero", tickformat=",d", range=[0, max(1.0, top) * 1.15], dtick=nice_step(top))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(barmode="stack", bargap=0.25, legend=BELOW)
    return _finish(fig, title, height or _bar_height(len(df)) + 30, dark)


def arrivals_daily(df: pd.DataFrame, labels: ScreeningLabels, *, title: str | None = None,
                   height: int = 300, dark: bool = False) -> go.Figure:
    """Arrivals per day stacked by category (df: day, origin_category, arrivals)."""
    fig = go.Figure()
    for cat in CATEGORIES:
        part = df[df["origin_category"] == cat]
        label = labels.category.get(cat, cat)
        fig.add_bar(x=part["day"], y=part["arrivals"], name=label, marker_color=CATEGORY_COLOURS[cat],
                    meta={"origin_category": cat},  # the code behind a mark (sitrep.drill)
                    hovertemplate="%{x|%Y-%m-%d}: %{y:,}<extra>" + label + "</extra>")
    fig.update_layout(barmode="stack", bargap=0.1, legend=dict(BELOW, y=-0.15))
    fig.update_xaxes(type="date", tickformat="%m-%d")
    top = float(df.groupby("day")["arrivals"].sum().max()) if not df.empty else 1.0  # the stacks' height
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=nice_step(top))
    return _finish(fig, title, height, dark)


def stage_bars(df: pd.DataFrame, labels: ScreeningLabels, *, title: str | None = None, height: int | None = None,
               dark: bool = False) -> go.Figure:
    """The stage returnees are in on the day, per region: the three measures stacked on the left, the
    released (cumulative, far larger) on their own axis on the right; regions with
    the most people under a measure first (df: region_code, name, stage, persons)."""
    stage_labels, under_label, released_label = labels.stage, labels.stage_under, labels.stage_released
    # one row per region and stage from SQL: laid out wide, one column per stage
    wide = df.pivot(index="region_code", columns="stage", values="persons") \
        .reindex(columns=[*ACTIVE_STAGES, "released"]).fillna(0)
    wide["under"] = wide[list(ACTIVE_STAGES)].sum(axis=1)
    wide = wide.sort_values(["under", "released"], ascending=False, kind="stable")
    region_names = dict(zip(df["region_code"], df["name"]))
    names = [region_names[c] for c in wide.index]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.68, 0.32], horizontal_spacing=0.03,
                        subplot_titles=[under_label, released_label])
    for stage in ACTIVE_STAGES:
        label = stage_labels.get(stage, stage)
        fig.add_bar(x=wide[stage], y=names, orientation="h", name=label, marker_color=STAGE_COLOURS[stage],
                    hovertemplate="%{y}: %{x:,}<extra>" + label + "</extra>", row=1, col=1)
    fig.add_scatter(x=wide["under"], y=names, mode="text", text=[f"{int(v):,}" for v in wide["under"]],
                    textposition="middle right", showlegend=False, hoverinfo="skip", cliponaxis=False, row=1, col=1)
    label = stage_labels.get("released", "released")
    fig.add_bar(x=wide["released"], y=names, orientation="h", name=label, marker_color=STAGE_COLOURS["released"],
                text=[f"{int(v):,}" for v in wide["released"]], textposition="outside", cliponaxis=False,
                hovertemplate="%{y}: %{x:,}<extra>" + label + "</extra>", row=1, col=2)
    fig.update_xaxes(rangemode="tozero", tickformat=",d")
    for col, column, room in ((1, "under", 1.2), (2, "released", 1.3)):
        top = float(wide[column].max() if names else 0)
        fig.update_xaxes(range=[0, max(1.0, top) * room], dtick=nice_step(top, 4), row=1, col=col)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_annotations(font=dict(size=15, family=FONT))
    fig.update_layout(barmode="stack", bargap=0.25, legend=BELOW,
                      margin=dict(l=10, r=10, t=60, b=10))
    return _finish(fig, title, height or _bar_height(len(names)) + 30, dark)


def origin_measure_sankey(df: pd.DataFrame, labels: ScreeningLabels, *, title: str | None = None, height: int = 400,
                          dark: bool = False) -> go.Figure:
    """Origin risk (left) to the measure recorded (right); misclassified flows in red
    (df: origin_risk, measure, rule_measure, misclassified, persons)."""
    risk_labels, measure_labels = labels.risk, labels.measure
    misclassified_label, rule_label = labels.misclassified, labels.sankey_rule
    df = df[df["persons"] > 0]
    risks = [r for r in ORIGIN_RISKS if r in set(df["origin_risk"])] + \
        sorted(set(df["origin_risk"].dropna()) - set(ORIGIN_RISKS))
    measures = [m for m in MEASURES if m in set(df["measure"])] + sorted(set(df["measure"].dropna()) - set(MEASURES))
    left = {r: i for i, r in enumerate(risks)}
    right = {m: len(risks) + i for i, m in enumerate(measures)}
    totals_left = df.groupby("origin_risk")["persons"].sum()
    totals_right = df.groupby("measure")["persons"].sum()
    node_labels = [f"{risk_labels.get(r, r)} {int(totals_left[r]):,}" for r in risks] + \
        [f"{measure_labels.get(m, m)} {int(totals_right[m]):,}" for m in measures]
    colours = [RISK_COLOURS.get(r, PALETTE[7]) for r in risks] + [MEASURE_COLOURS.get(m, PALETTE[7]) for m in measures]
    link_text = [
        (misclassified_label + " · " if bad else "")
        + rule_label.format(measure=measure_labels.get(rule, rule) if isinstance(rule, str) else "—")
        for rule, bad in zip(df["rule_measure"], df["misclassified"])
    ]
    fig = go.Figure(go.Sankey(
        arrangement="fixed",
        node=dict(label=node_labels, color=colours, pad=24, thickness=18, line=dict(color="#888", width=0.5),
                  hovertemplate="%{label}<extra></extra>"),
        link=dict(source=[left[r] for r in df["origin_risk"]], target=[right[m] for m in df["measure"]],
                  value=df["persons"].tolist(),
                  color=[_rgba(ALARM, 0.75) if bad else _rgba("#999999", 0.3) for bad in df["misclassified"]],
                  customdata=link_text,
                  hovertemplate="%{source.label} → %{target.label}: %{value:,}<br>%{customdata}<extra></extra>"),
        textfont=dict(family=FONT, size=14, color="#222" if not dark else "#f0f0f0"),
    ))
    return _finish(fig, title, height, dark)


def overdue_classes(labels: ScreeningLabels) -> dict:
    """Map classes for the overdue map: villages with nothing overdue pale green; the others are highlighted."""
    return {0: LegendItem(NO_OVERDUE_COLOUR, labels.overdue_none)}


def shift_summary(df: pd.DataFrame) -> dict[str, int]:
    """From the release-shift rows (a handful, already counted in SQL): persons under a measure, of them
    released earlier, the same day, later; the person-days of quarantine saved (earlier) and added (later); persons who could be released
    at once."""
    def persons(direction):
        return int(df.loc[df["direction"] == direction, "persons"].sum())

    days = df["release_shift_days"] * df["persons"]
    return {"persons": int(df["persons"].sum()),
            "earlier": persons("earlier"), "same": persons("same"), "later": persons("later"),
            "days_saved": int(-days[days < 0].sum()), "days_added": int(days[days > 0].sum()),
            "due_by_day": int(df.loc[df["direction"] == "earlier", "persons_due_by_day"].sum())}


def release_shift_bar(df: pd.DataFrame, labels: ScreeningLabels, *, title: str | None = None, height: int = 340,
                      dark: bool = False) -> go.Figure:
    """People under a measure on the day whose release would move under the alternative rules, by how many days
    (negative = earlier), stacked by origin risk (df: origin_risk, release_shift_days, persons). The unchanged
    (usually most people) are left out so that the moves can be read; with no move at all the chart says so."""
    risk_labels, axis_label, persons_label = labels.risk, labels.shift_axis, labels.persons
    no_change_label = labels.shift_none
    moved = df[df["release_shift_days"] != 0]
    fig = go.Figure()
    for risk in [r for r in ORIGIN_RISKS if r in set(moved["origin_risk"])]:
        part = moved[moved["origin_risk"] == risk]
        label = risk_labels.get(risk, risk)
        fig.add_bar(x=part["release_shift_days"], y=part["persons"], name=label, marker_color=RISK_COLOURS[risk],
                    width=0.8, showlegend=True, hovertemplate="%{x:+d}: %{y:,}<extra>" + label + "</extra>")
    fig.add_vline(x=0, line=dict(color="#444" if not dark else "#ddd", width=1, dash="dot"))
    if moved.empty:
        fig.add_annotation(x=0, y=0.5, yref="paper", text=no_change_label, showarrow=False, font=dict(size=18))
    shifts = moved["release_shift_days"] if not moved.empty else pd.Series([0])
    lo, hi = min(int(shifts.min()), -1), max(int(shifts.max()), 1)
    top = float(moved.groupby("release_shift_days")["persons"].sum().max()) if not moved.empty else 1.0
    fig.update_xaxes(title=axis_label, range=[lo - 0.8, hi + 0.8], dtick=1 if hi - lo <= 20 else None,
                     zeroline=False)
    fig.update_yaxes(title=persons_label, rangemode="tozero", tickformat=",d", range=[0, top * 1.15],
                     dtick=nice_step(top))
    fig.update_layout(barmode="stack", legend=dict(BELOW, y=-0.22))
    return _finish(fig, title, height, dark)


def central_daily_lines(df: pd.DataFrame, labels: ScreeningLabels, *, title: str | None = None, height: int = 340,
                        dark: bool = False) -> go.Figure:
    """People in central quarantine on each day from D on: under the rules in force and the alternative
    (df: day, central_current, central_alternative)."""
    current_label, alternative_label, axis_label = labels.central_current, labels.central_alternative, labels.persons
    fig = go.Figure()
    fig.add_scatter(x=df["day"], y=df["central_current"], name=current_label, mode="lines+markers",
                    line=dict(color=PALETTE[0], width=3, shape="hv"), marker=dict(size=5),
                    hovertemplate="%{x|%m-%d}: %{y:,}<extra>" + current_label + "</extra>")
    fig.add_scatter(x=df["day"], y=df["central_alternative"], name=alternative_label, mode="lines+markers",
                    line=dict(color=PALETTE[1], width=3, dash="dash", shape="hv"), marker=dict(size=5),
                    hovertemplate="%{x|%m-%d}: %{y:,}<extra>" + alternative_label + "</extra>")
    top = max([1, *df["central_current"].tolist(), *df["central_alternative"].tolist()])
    fig.update_xaxes(type="date", tickformat="%m-%d")
    fig.update_yaxes(title=axis_label, rangemode="tozero", tickformat=",d", range=[0, top * 1.15],
                     dtick=nice_step(top))
    fig.update_layout(hovermode="x unified", legend=dict(BELOW, y=-0.12))
    return _finish(fig, title, height, dark)


def schedule_timeline(df: pd.DataFrame, labels: ScreeningLabels, *, as_of, as_of_text: str = "",
                      title: str | None = None, height: int = 260, dark: bool = False) -> go.Figure:
    """One returnee's schedule (df: rows of returnee_schedule for one person): stages as bars, scheduled tests
    as dots coloured by their state, the expected release day, and the as-of day as a line (labelled with
    as_of_text, the day in the reader's words)."""
    measure_labels, status_labels, row_labels = labels.measure, labels.status, labels.schedule_row
    today_label = labels.schedule_today.format(date=as_of_text)
    fig = go.Figure()
    day = pd.Timedelta(days=1)
    stages = df[df["event"] == "stage"]
    for r in stages.itertuples(index=False):
        start, end = pd.Timestamp(r.event_date), pd.Timestamp(r.end_date) + day
        label = measure_labels.get(r.measure, r.measure)
        fig.add_scatter(x=[start, end], y=[row_labels["stage"]] * 2, mode="lines",
                        line=dict(color=STAGE_COLOURS.get(r.measure, PALETTE[7]), width=22), name=label,
                        hovertemplate=f"{label}: {start:%m-%d} – {end - day:%m-%d} · "
                                      f"{status_labels.get(r.status, r.status)}<extra></extra>")
        fig.add_annotation(x=start + (end - start) / 2, y=row_labels["stage"], text=label, showarrow=False,
                           font=dict(color="#fff", size=13))
    tests = df[df["event"] == "test"]
    for status, part in tests.groupby("status", sort=False):
        label = status_labels.get(status, status)
        fig.add_scatter(x=pd.to_datetime(part["event_date"]) + day / 2, y=[row_labels["test"]] * len(part),
                        mode="markers", name=label,
                        marker=dict(size=16, color=TEST_STATUS_COLOURS.get(status, PALETTE[7]),
                                    line=dict(color="#333", width=1.5),
                                    symbol="x" if status == "missed" else "circle"),
                        hovertemplate="%{x|%m-%d}: " + label + "<extra></extra>")
    release = df[df["event"] == "release"]
    for r in release.itertuples(index=False):
        label = status_labels.get(r.status, r.status)
        colour = ALARM if r.status == "overdue" else STATUS_COLOURS["ok"] if r.status.startswith("released") \
            else PALETTE[0]
        fig.add_scatter(x=[pd.Timestamp(r.event_date)], y=[row_labels["release"]], mode="markers+text",
                        marker=dict(size=18, symbol="diamond", color=colour, line=dict(color="#333", width=1)),
                        text=[f"{pd.Timestamp(r.event_date):%m-%d} {label}"], textposition="middle right",
                        name=label, showlegend=False, hovertemplate="%{x|%m-%d}: " + label + "<extra></extra>")
    d = pd.Timestamp(as_of) + day  # the end of D
    fig.add_vline(x=d, line=dict(color=ALARM, width=2, dash="dash"))
    fig.add_annotation(x=d, y=1, yref="paper", yanchor="bottom", text=today_label, showarrow=False,
                       font=dict(color=ALARM))
    fig.update_yaxes(type="category", categoryorder="array",
                     categoryarray=[row_labels["release"], row_labels["test"], row_labels["stage"]])
    # room on the right for the release label
    days = pd.to_datetime(pd.concat([df["event_date"], df["end_date"]]).dropna())
    first = min([*days, d - day]) - day
    last = max([*days, d]) + 4 * day
    fig.update_xaxes(type="date", tickformat="%m-%d", dtick=2 * 86_400_000, range=[first, last])
    fig.update_layout(showlegend=True, legend=dict(y=-0.15, yanchor="top"), margin=dict(l=10, r=10, t=50, b=10))
    return _finish(fig, title, height, dark)


def worklist_table(df: pd.DataFrame, labels: ScreeningLabels) -> pd.DataFrame:
    """The worklist as the officers read it: labels for the codes, dates as YYYY-MM-DD text, the personal
    columns under their own names (name, id_number, phone, responsible_phone) so that masking finds them."""
    item_labels, risk_labels, measure_labels, stage_labels = labels.item, labels.risk, labels.measure, labels.stage
    df = df.reset_index(drop=True)
    # blanks read as blanks (not "None") on screen and in the downloads
    def dates(col):
        return [v.strftime("%Y-%m-%d") if pd.notna(v) else "" for v in pd.to_datetime(df[col])]

    def label(col, words):
        return [words.get(v, v) if isinstance(v, str) else "" for v in df[col]]

    def text(col):
        return [v if isinstance(v, str) else "" for v in df[col]]

    out = pd.DataFrame({
        "item": label("item", item_labels),
        "due_date": dates("due_date"),
        "days_overdue": ["" if pd.isna(v) else str(int(v)) for v in df["days_overdue"]],
        "township": text("township"),
        "village": text("village"),
        "person_id": text("person_id"),
        "name": text("name"),
        "id_number": text("id_number"),
        "phone": text("phone"),
        "origin_risk": label("origin_risk", risk_labels),
        "arrival_date": dates("arrival_date"),
        "measure": label("measure", measure_labels),
        "rule_measure": label("rule_measure", measure_labels),
        "stage_on_day": label("stage_on_day", stage_labels),
        "release_due": dates("release_due"),
        "next_test": dates("next_test"),
        "responsible_person": text("responsible_person"),
        "responsible_phone": text("responsible_phone"),
    })
    return out

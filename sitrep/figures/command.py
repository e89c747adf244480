"""Figure builders for the command page ("one chessboard"): orders by task force, closure time, the duty
roster calendar, the supervision funnel and vaccination coverage by age group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from sitrep import i18n
from sitrep.figures import (FONT, PALETTE, STATUS_COLOURS, STATUS_COLOURS_DARK, _finish, area_strings, funnel,
                            nice_step, text_colour_on)
from sitrep.figures.cases import display_table  # noqa: F401  (display_table: this page's tables)

TASK_FORCES = ("information", "cold_chain", "vaccine", "epi_investigation", "transfer", "materials", "publicity")
# An order issued is closed on time, closed late, open within its deadline or open past it: the four
# parts of one stacked bar per task force, whose height is the orders issued.
ORDER_SEGMENTS = ("closed_on_time", "closed_late", "open_in_time", "open_overdue")
ORDER_MEASURES = ("issued", *ORDER_SEGMENTS)
ORDER_COLOURS = {"closed_on_time": STATUS_COLOURS["ok"], "closed_late": "#0072B2", "open_in_time": "#999999",
                 "open_overdue": STATUS_COLOURS["red"]}
ORDER_COLOURS_DARK = {**ORDER_COLOURS, "closed_late": "#56B4E9", "open_in_time": "#BBBBBB",
                      "open_overdue": STATUS_COLOURS_DARK["red"]}
SHIFTS = ("day", "night")
AGE_GROUPS = ("3-11", "12-17", "18-59", "60+")
MISSING_COLOUR = "#D55E00"
# the stages of an order (issued, closed, the four parts) and of a supervision problem
STAGES = ("issued", "closed", *ORDER_SEGMENTS, "found", "rectified", "verified")
DUTY_MEASURES = ("staff_count", "events")
DUTY_HOVER_KEYS = ("date", "shift", "leader", "staff", "events")


@dataclass(frozen=True)
class CommandLabels:
    """The words of the command charts in one language: the contract's enumerations (code -> label) and the
    command strings (sitrep/strings/command.*.toml). ``of(lang)`` builds them; a field left out shows codes."""
    task_force: Mapping[str, str] = field(default_factory=dict)
    stage: Mapping[str, str] = field(default_factory=lambda: {s: s for s in STAGES})
    closure_hours: str = ""
    closure_allowed: str = ""
    closure_taken: str = ""
    shift: Mapping[str, str] = field(default_factory=dict)
    weekdays: Sequence[str] = ("1", "2", "3", "4", "5", "6", "7")
    duty_measure: Mapping[str, str] = field(default_factory=lambda: {m: m for m in DUTY_MEASURES})
    duty_week: str = "{start}"  # takes {start}
    duty_missing: str = ""
    duty_hover: Mapping[str, str] = field(default_factory=lambda: {k: k for k in DUTY_HOVER_KEYS})
    age_group: Mapping[str, str] = field(default_factory=dict)
    first_dose: str = ""
    booster: str = ""

    @classmethod
    def of(cls, lang: str) -> "CommandLabels":
        t = area_strings("command", lang)

        return cls(task_force=i18n.enum_labels("orders", "task_force", lang),
                   stage={s: t(f"stage.{s}") for s in STAGES}, closure_hours=t("closure_hours"),
                   closure_allowed=t("closure_allowed"), closure_taken=t("closure_taken"),
                   shift=i18n.enum_labels("duty_roster", "shift", lang), weekdays=tuple(t("weekdays").split(",")),
                   duty_measure={m: t(f"duty.{m}") for m in DUTY_MEASURES}, duty_week=t("duty_week"),
                   duty_missing=t("duty_missing"), duty_hover={k: t(f"hover.{k}") for k in DUTY_HOVER_KEYS},
                   age_group=i18n.enum_labels("vaccinations", "age_group", lang), first_dose=t("first_dose"),
                   booster=t("booster"))


def wrap(label: str, width: int = 14) -> str:
    """A long axis label on two lines (at the space nearest the middle); Chinese labels are short."""
    if len(label) <= width or " " not in label:
        return label
    mid = len(label) // 2
    cut = min((i for i, ch in enumerate(label) if ch == " "), key=lambda i: abs(i - mid))
    return label[:cut] + "<br>" + label[cut + 1:]


def orders_funnel(total: pd.Series, labels: CommandLabels, *, title: str | None = None,
                  height: int = 330, dark: bool = False) -> go.Figure:
    """Orders issued -> closed -> closed on time (total: the total row of orders_by_task_force)."""
    stages = ("issued", "closed", "closed_on_time")
    fig = funnel([labels.stage[s] for s in stages], [int(total.get(s, 0) or 0) for s in stages], title=title,
                 height=height, dark=dark)
    # the codes behind the marks (sitrep.drill: a click opens the stage's records)
    return fig.update_traces(textfont=dict(size=16 if not dark else 22), meta={"stage": list(stages)})


def orders_by_task_force(df: pd.DataFrame, labels: CommandLabels, *, title: str | None = None, height: int = 380,
                         dark: bool = False) -> go.Figure:
    """The orders of each of the seven task forces (contract order) as one stacked bar: closed on time,
    closed late, open within the deadline, open past it; the bar's height is the orders issued, written
    above it. One label per bar and the parts' numbers inside them (left out where a part is too thin
    for its number), so no two labels can run together (df: orders_by_task_force; no total row)."""
    task_force_labels, measure_labels = labels.task_force, labels.stage
    rows = df[~df["is_total"].astype(bool)].set_index("task_force")
    order = [t for t in task_force_labels if t in TASK_FORCES] or list(TASK_FORCES)
    rows = rows.reindex(order).fillna(0)
    names = [wrap(task_force_labels.get(t, t)) for t in order]
    colours = ORDER_COLOURS_DARK if dark else ORDER_COLOURS
    fig = go.Figure()
    for m in ORDER_SEGMENTS:
        values = [int(v) for v in rows[m]]
        fig.add_bar(x=names, y=values, name=measure_labels[m], marker_color=colours[m],
                    meta={"task_force": order, "order_state": m},  # the codes behind the marks (sitrep.drill)
                    text=[str(v) if v else "" for v in values], textposition="inside", insidetextanchor="middle",
                    textangle=0, textfont=dict(color=text_colour_on(colours[m])),
                    hovertemplate="%{x}: %{y}<extra>" + measure_labels[m] + "</extra>")
    issued = [int(v) for v in rows["issued"]]
    fig.add_scatter(x=names, y=issued, mode="text", text=[str(v) for v in issued], textposition="top center",
                    textfont=dict(size=22 if dark else 14), showlegend=False, cliponaxis=False,
                    hovertemplate="%{x}: %{y}<extra>" + measure_labels["issued"] + "</extra>")
    fig.update_layout(barmode="stack", bargap=0.35, legend=dict(traceorder="normal"),
                      uniformtext=dict(minsize=16 if dark else 11, mode="hide"))
    peak = max(1.0, float(max(issued) if issued else 0))
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=nice_step(peak), range=[0, peak * 1.2])
    return _finish(fig, title, height, dark)


def closure_hours(df: pd.DataFrame, labels: CommandLabels, *, title: str | None = None, height: int = 380,
                  dark: bool = False) -> go.Figure:
    """Hours from issue to closure by task force as boxes from the quartiles computed in SQL (whiskers from the
    fastest to the slowest order), with the median time allowed (issue -> deadline) as a diamond. Log axis:
    a transfer takes hours, a supply order days. df: orders_closure_hours_by_task_force."""
    task_force_labels = labels.task_force
    hours_label, allowed_label, taken_label = labels.closure_hours, labels.closure_allowed, labels.closure_taken
    order = [t for t in task_force_labels if t in set(df["task_force"])]
    rows = df.set_index("task_force").reindex(order)
    names = [task_force_labels.get(t, t) for t in order]
    fig = go.Figure()
    fig.add_trace(go.Box(
        y=names, q1=list(rows["q1_hours"]), median=list(rows["median_hours"]), q3=list(rows["q3_hours"]),
        lowerfence=list(rows["min_hours"]), upperfence=list(rows["max_hours"]), mean=list(rows["mean_hours"]),
        orientation="h", name=taken_label, marker_color=PALETTE[0], fillcolor="rgba(0,114,178,0.25)",
        boxmean=True, hoverinfo="x+y",
    ))
    fig.add_scatter(x=list(rows["median_allowed_hours"]), y=names, mode="markers", name=allowed_label,
                    marker=dict(symbol="diamond", size=12, color=PALETTE[3], line=dict(color="#fff", width=1)),
                    hovertemplate="%{y}: %{x} h<extra>" + allowed_label + "</extra>")
    slowest = max(1.0, float(rows["max_hours"].max() or 1))
    ticks = [v for v in (1, 2, 4, 8, 12, 24, 48, 72, 168, 336) if v <= slowest * 1.5]
    fig.update_xaxes(type="log", title=hours_label, tickvals=ticks, ticktext=[str(v) for v in ticks])
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(legend=dict(traceorder="normal"))
    return _finish(fig, title, height, dark)


def duty_calendar(df: pd.DataFrame, labels: CommandLabels, *, measure: str, title: str | None = None,
                  dark: bool = False) -> go.Figure:
    """The duty roster as a calendar: one row per week (Monday's date), one column per weekday and shift;
    staffed shifts coloured by `measure` (staff_count or events) with the number written in, missing shifts
    vermillion with the missing word, days after D or before the roster began blank. df: duty_roster_calendar."""
    measure_label, shift_labels, weekday_labels = labels.duty_measure[measure], labels.shift, labels.weekdays
    week_label, missing_label = labels.duty_week, labels.duty_missing
    columns = [(d, s) for d in range(1, 8) for s in SHIFTS]
    xs = [f"{weekday_labels[d - 1]}<br>{shift_labels.get(s, s)}" for d, s in columns]
    weeks = sorted(df["week_start"].unique()) if not df.empty else []
    ys = [week_label.format(start=pd.Timestamp(w).strftime("%m-%d")) for w in weeks]
    cell = {(pd.Timestamp(r.week_start), int(r.weekday), r.shift): r for r in df.itertuples(index=False)}
    z, text, missing, hover = [], [], [], []
    h = labels.duty_hover
    for w in weeks:
        zr, tr, mr, hr = [], [], [], []
        for d, s in columns:
            r = cell.get((pd.Timestamp(w), d, s))
            staffed = None if r is None or pd.isna(r.staffed) else bool(r.staffed)
            value = getattr(r, measure) if staffed else None
            zr.append(None if value is None or pd.isna(value) else float(value))
            tr.append(missing_label if staffed is False else ("" if zr[-1] is None else f"{int(zr[-1])}"))
            mr.append(1 if staffed is False else None)
            if r is None:
                hr.append("")
            else:
                lines = [f"{h['date']}: {pd.Timestamp(r.day).strftime('%Y-%m-%d')}",
                         f"{h['shift']}: {shift_labels.get(r.shift, r.shift)}"]
                if staffed:
                    lines += [f"{h['leader']}: {r.leader}",
                              f"{h['staff']}: {'' if pd.isna(r.staff_count) else int(r.staff_count)}",
                              f"{h['events']}: {'' if pd.isna(r.events) else int(r.events)}"]
                elif staffed is False:
                    lines.append(missing_label)
                hr.append("<br>".join(lines))
        z.append(zr), text.append(tr), missing.append(mr), hover.append(hr)
    fig = go.Figure()
    fig.add_heatmap(x=xs, y=ys, z=z, text=text, texttemplate="%{text}", textfont=dict(size=14),
                    colorscale=[[0, "#eff3ff"], [1, "#08519c"]], zmin=0, zauto=False, xgap=3, ygap=3,
                    hovertext=hover, hoverinfo="text",
                    colorbar=dict(title=dict(text=measure_label, side="right"), thickness=12))
    fig.add_heatmap(x=xs, y=ys, z=missing, text=text, texttemplate="%{text}", colorscale=[[0, MISSING_COLOUR],
                    [1, MISSING_COLOUR]], showscale=False, xgap=3, ygap=3, hovertext=hover, hoverinfo="text",
                    textfont=dict(size=14, color="#fff"))
    fig.update_yaxes(autorange="reversed", type="category", showgrid=False)
    fig.update_xaxes(type="category", side="top", showgrid=False)
    fig.update_layout(margin=dict(l=10, r=10, t=70 if title else 50, b=10))
    return _finish(fig, title, 90 + 40 * max(len(weeks), 1), dark)


def supervision_funnel(row: pd.Series, labels: CommandLabels, *, title: str | None = None,
                       height: int = 300, dark: bool = False) -> go.Figure:
    """Supervision problems found -> rectified -> verified (row: supervision_funnel)."""
    stages = ("found", "rectified", "verified")
    fig = funnel([labels.stage[s] for s in stages], [int(row.get(s, 0) or 0) for s in stages], title=title,
                 height=height, dark=dark)
    return fig.update_traces(textfont=dict(size=16 if not dark else 22), meta={"stage": list(stages)})


def vaccination_gauges(df: pd.DataFrame, labels: CommandLabels, *, status_of, title: str | None = None,
                       height: int = 520, dark: bool = False) -> go.Figure:
    """One gauge per age group, two by two: full-dose coverage (%) as the bar, coloured by status_of(value)
    ('ok' / 'amber' / 'red', the KPI vaccination_full_pct's thresholds), the first-dose coverage as a light
    band behind it, first-dose and booster coverage written under it. df: vaccinations_by_age_group."""
    age_labels, first_label, booster_label = labels.age_group, labels.first_dose, labels.booster
    fig = go.Figure()
    rows = df.set_index("age_group").reindex(list(AGE_GROUPS))
    for i, (age, r) in enumerate(rows.iterrows()):
        full, first, booster = r.get("full_pct"), r.get("first_pct"), r.get("booster_pct")
        top = max(100.0, *(float(v) for v in (full, first) if pd.notna(v)))
        col, row = i % 2, i // 2
        x0, x1 = col / 2 + 0.04, (col + 1) / 2 - 0.04
        y1 = 0.9 - row * 0.52
        fig.add_trace(go.Indicator(
            mode="gauge+number", value=None if pd.isna(full) else float(full),
            number=dict(suffix="%", valueformat=".1f", font=dict(size=34 if not dark else 48)),
            title=dict(text=f"<b>{age_labels.get(age, age)}</b>", font=dict(size=18 if not dark else 26)),
            domain=dict(x=[x0, x1], y=[y1 - 0.32, y1]),
            gauge=dict(axis=dict(range=[0, top], ticksuffix="%", tickvals=[0, 25, 50, 75, 100]),
                       bar=dict(color=STATUS_COLOURS.get(status_of(full), PALETTE[0]), thickness=0.6),
                       steps=[] if pd.isna(first) else [dict(range=[0, float(first)], color="#d9e8f5")]),
        ))
        note = f"{first_label} {_pct(first)} · {booster_label} {_pct(booster)}"
        fig.add_annotation(x=(x0 + x1) / 2, y=y1 - 0.37, xref="paper", yref="paper", text=note, showarrow=False,
                           xanchor="center", yanchor="middle", font=dict(size=15, family=FONT))
    fig.update_layout(margin=dict(l=20, r=20, t=40 if title else 20, b=10))
    return _finish(fig, title, height, dark)


def _pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):.1f}%"

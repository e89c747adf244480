"""Figure builders for preparedness (一本账): KPI gauges with their thresholds, testing
capacity over time, days of supply against target per item, funds by purpose."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sitrep import i18n
from sitrep.catalogue import Kpi
from sitrep.figures import PALETTE, STATUS_COLOURS, _finish, area_strings, gauge, status_colour

# Light bands behind a gauge's bar: where the value is ok, amber, red.
BAND_COLOURS = {"ok": "#e3f4ee", "amber": "#fbecd0", "red": "#f7dccf"}
TARGET_COLOUR = "#222222"
# Warehouse points on the reserves map: deep red when an item is below target (it stays
# visible on a township highlighted in vermillion), blue otherwise.
WAREHOUSE_SHORT = [140, 30, 0, 255]
WAREHOUSE_OK = [0, 114, 178, 255]
FUND_COLOURS = {"allocated": "#BBD7EA", "disbursed": "#56B4E9", "spent": "#0072B2"}
# the words of each chart (preparedness.<key> in the strings); amber_line takes {pct}, date_tick is a d3 date format
CAPACITY_KEYS = ("capacity_tubes", "tubes_tested", "capacity_persons", "turnaround", "panel_tubes", "panel_persons",
                 "panel_turnaround", "use", "amber_line", "date_tick")
SUPPLY_KEYS = ("scope_total", "warehouse", "warehouse_short", "target", "days", "on_hand", "daily_use")
FUNDS_KEYS = ("allocated", "disbursed", "spent", "execution")


@dataclass(frozen=True)
class PreparednessLabels:
    """The words of the preparedness charts and the funds ledger in one language: the contract's enumerations
    (code -> label), the preparedness strings (sitrep/strings/preparedness.*.toml) by chart, and ``lang`` for the
    KPI names and units of the catalogue. ``of(lang)`` builds them."""
    lang: str = i18n.DEFAULT_LANG
    no_data: str = "—"
    capacity: Mapping[str, str] = field(default_factory=lambda: {k: k for k in CAPACITY_KEYS if k != "date_tick"})
    supply: Mapping[str, str] = field(default_factory=lambda: {k: k for k in SUPPLY_KEYS})
    funds: Mapping[str, str] = field(default_factory=lambda: {k: k for k in (*FUNDS_KEYS, "unit")})
    source: Mapping[str, str] = field(default_factory=dict)
    purpose: Mapping[str, str] = field(default_factory=dict)
    subtotal: str = ""
    total: str = ""

    @classmethod
    def of(cls, lang: str) -> "PreparednessLabels":
        t = area_strings("preparedness", lang)

        return cls(lang=lang, no_data=t("no_data"), capacity={k: t(k) for k in CAPACITY_KEYS},
                   supply={k: t(k) for k in SUPPLY_KEYS}, funds={**{k: t(k) for k in FUNDS_KEYS}, "unit": t("unit_wan")},
                   source=i18n.enum_labels("funds", "source", lang), purpose=i18n.enum_labels("funds", "purpose", lang),
                   subtotal=t("subtotal"), total=t("total"))


def kpi_gauge(value: float | None, kpi: Kpi, labels: PreparednessLabels, *, maximum: float | None = None,
              height: int = 230, dark: bool = False) -> go.Figure:
    """A catalogue KPI as a gauge: bands at its amber/red thresholds, the target line at the
    amber threshold (the point where it stops being ok), the bar coloured by status.
    Without a value: an empty figure that says so (a gauge at 0 would read as a real 0)."""
    lang, no_data = labels.lang, labels.no_data
    title = kpi.name(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        fig = go.Figure()
        fig.add_annotation(text=f"{title}<br><b>{no_data}</b>", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper", font=dict(size=18))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return _finish(fig, None, height, dark)
    unit = kpi.unit(lang)
    if maximum is None:
        top = max(kpi.red or 0, kpi.amber or 0)
        maximum = max(top * 2, value * 1.15, 1)
    steps = None
    if kpi.amber is not None and kpi.red is not None:
        if kpi.up_is_good:
            steps = [(0, kpi.red, BAND_COLOURS["red"]), (kpi.red, kpi.amber, BAND_COLOURS["amber"]),
                     (kpi.amber, maximum, BAND_COLOURS["ok"])]
        else:
            steps = [(0, kpi.amber, BAND_COLOURS["ok"]), (kpi.amber, kpi.red, BAND_COLOURS["amber"]),
                     (kpi.red, maximum, BAND_COLOURS["red"])]
    # "%" and a one-character Chinese unit fit beside the number; a word ("days") would run
    # into the arc, and the title already says what is counted
    suffix = unit if unit == "%" or lang == "zh" else ""
    fig = gauge(value, title=title, maximum=maximum, target=kpi.amber, status=kpi.status(value), suffix=suffix,
                height=height, dark=dark, steps=steps)
    fig.update_traces(number=dict(valueformat=f",.{kpi.decimals}f", font=dict(color="#222" if not dark else "#fff")))
    fig.update_layout(margin=dict(l=40, r=40, t=50, b=10))  # room for the last tick label
    return fig


def capacity_trend(daily: pd.DataFrame, labels: PreparednessLabels, *, amber_pct: float, red_pct: float,
                   start=None, end=None, height: int = 470, dark: bool = False) -> go.Figure:
    """Three panels over the days (daily: test_capacity_daily rows): capacity in tubes with
    the tubes tested (bars coloured by the use status) and the amber-threshold line; capacity in
    persons (tubes x pool size); mean turnaround hours."""
    words = {**labels.capacity, "amber_line": labels.capacity["amber_line"].format(pct=f"{amber_pct:g}")}
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.09, row_heights=[0.5, 0.25, 0.25],
                        subplot_titles=(words["panel_tubes"], words["panel_persons"], words["panel_turnaround"]))
    use = daily["use_pct"] if not daily.empty else pd.Series(dtype=float)
    colours = [status_colour("red", dark) if u >= red_pct else status_colour("amber", dark) if u >= amber_pct
               else PALETTE[4]
               for u in use.fillna(0)]
    fig.add_bar(x=daily["date"], y=daily["tubes_tested"], name=words["tubes_tested"], marker_color=colours,
                customdata=use, hovertemplate="%{x|%Y-%m-%d}<br>%{y:,.0f} · " + words["use"] + " %{customdata:.1f}%"
                "<extra></extra>", row=1, col=1)
    fig.add_scatter(x=daily["date"], y=daily["capacity_tubes"], name=words["capacity_tubes"], mode="lines",
                    line=dict(color=TARGET_COLOUR if not dark else "#fff", width=2, shape="hv"),
                    hovertemplate="%{x|%Y-%m-%d}<br>%{y:,.0f}<extra></extra>", row=1, col=1)
    fig.add_scatter(x=daily["date"], y=daily["capacity_tubes"] * amber_pct / 100, name=words["amber_line"],
                    mode="lines", line=dict(color=STATUS_COLOURS["amber"], width=2, dash="dot", shape="hv"),
                    hovertemplate="%{x|%Y-%m-%d}<br>%{y:,.0f}<extra></extra>", row=1, col=1)
    fig.add_scatter(x=daily["date"], y=daily["capacity_persons_per_day"], name=words["capacity_persons"],
                    mode="lines", line=dict(color=PALETTE[2], width=2, shape="hv"), fill="tozeroy",
                    fillcolor="rgba(0,158,115,0.12)", showlegend=False,
                    hovertemplate="%{x|%Y-%m-%d}<br>%{y:,.0f}<extra></extra>", row=2, col=1)
    fig.add_scatter(x=daily["date"], y=daily["turnaround_hours"], name=words["turnaround"], mode="lines",
                    line=dict(color=PALETTE[5], width=2), showlegend=False,
                    hovertemplate="%{x|%Y-%m-%d}<br>%{y:.1f} h<extra></extra>", row=3, col=1)
    fig.update_layout(bargap=0.15)
    for row in (1, 2, 3):
        fig.update_yaxes(rangemode="tozero", tickformat=",.0f" if row < 3 else ",.0f", row=row, col=1)
    if start is not None and end is not None:
        fig.update_xaxes(range=[pd.Timestamp(start) - pd.Timedelta(hours=12),
                                pd.Timestamp(end) + pd.Timedelta(hours=12)])
    if words.get("date_tick"):
        fig.update_xaxes(tickformat=words["date_tick"])
    fig = _finish(fig, None, height, dark)
    fig.update_annotations(font=dict(size=14 if not dark else 20), x=0, xanchor="left")
    fig.update_layout(margin=dict(t=90), legend=dict(y=1.12, yanchor="bottom"))
    return fig


def supply_bullets(items: pd.DataFrame, warehouses: pd.DataFrame, labels: PreparednessLabels, *,
                   height: int | None = None, dark: bool = False) -> go.Figure:
    """Days of supply per item against its target (a bullet bar per item).

    items: reserves_by_item rows (item_name, days_of_supply, target_days, below_target, on_hand,
    daily_use, unit); warehouses: reserves_by_warehouse_item rows (item_name, warehouse_name,
    days_of_supply, target_days, below_target). The bar is the scope's total stock over its total
    use (red below target); a dot per warehouse shows where one store is short; the black tick
    is the target. The axis stops at three times the largest target: longer bars are cut and
    carry their real value inside their end, warehouses beyond it show as a triangle at the edge."""
    words = labels.supply
    items = items[items["days_of_supply"].notna()] if not items.empty else items
    fig = go.Figure()
    if items.empty:
        return _finish(fig, None, height or 300, dark)
    target_max = float(items["target_days"].max())
    x_max = target_max * 3
    names = list(items["item_name"].fillna(items["item_code"]))
    days = items["days_of_supply"].astype(float)
    clipped = days > x_max
    fig.add_bar(
        y=names, x=days.clip(upper=x_max), orientation="h", name=words["scope_total"],
        meta={"item_code": list(items["item_code"])},  # the codes behind the marks (sitrep.drill)
        marker_color=[status_colour("red", dark) if b else PALETTE[0] for b in items["below_target"]],
        # the real value inside the bar's start, clear of the warehouse dots; "›" on a cut bar
        text=[f"{d:,.1f}" + (" ›" if c else "") for d, c in zip(days, clipped)],
        textposition="inside", insidetextanchor="start", textfont=dict(size=14, color="#ffffff"),
        constraintext="none", cliponaxis=False, width=0.6,
        customdata=list(zip(days, items["on_hand"], items["daily_use"], items["unit"].fillna(""))),
        hovertemplate="<b>%{y}</b><br>" + words["days"] + ": %{customdata[0]:,.1f}<br>" + words["on_hand"]
        + ": %{customdata[1]:,.0f} %{customdata[3]}<br>" + words["daily_use"]
        + ": %{customdata[2]:,.1f} %{customdata[3]}<extra>" + words["scope_total"] + "</extra>",
    )
    wh = warehouses[warehouses["days_of_supply"].notna() & warehouses["item_name"].isin(names)] \
        if not warehouses.empty else warehouses
    for short in (False, True):
        part = wh[wh["below_target"] == short] if not wh.empty else wh
        if part.empty:
            continue
        x = part["days_of_supply"].astype(float)
        fig.add_scatter(
            y=part["item_name"], x=x.clip(upper=x_max * 1.04), mode="markers",
            name=words["warehouse_short" if short else "warehouse"],
            meta={k: list(part[k]) for k in ("item_code", "warehouse_id") if k in part.columns},
            marker=dict(size=12 if short else 9, line=dict(width=1.5, color="#ffffff" if not dark else "#111"),
                        color=status_colour("red", dark) if short else ("#BBBBBB" if dark else "#555555"),
                        symbol=["triangle-right" if v > x_max else "circle" for v in x]),
            customdata=list(zip(part["warehouse_name"], x)),
            hovertemplate="<b>%{customdata[0]}</b><br>%{y}: %{customdata[1]:,.1f} " + words["days"]
            + "<extra></extra>",
        )
    fig.add_scatter(
        y=names, x=items["target_days"], mode="markers", name=words["target"],
        marker=dict(symbol="line-ns", size=30, line=dict(width=4, color=TARGET_COLOUR if not dark else "#fff")),
        hovertemplate="%{y}: " + words["target"] + " %{x:.0f}<extra></extra>",
    )
    fig.update_xaxes(range=[0, x_max * 1.08], title_text=words["days"], tickvals=_ticks(x_max, target_max))
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=names)
    fig.update_layout(barmode="overlay", showlegend=True)
    return _finish(fig, None, height or max(300, 46 * len(names) + 90), dark)


def _ticks(x_max: float, target: float) -> list[float]:
    step = target / 2 if target >= 10 else max(1.0, target)
    return [i * step for i in range(int(x_max // step) + 1)]


def funds_by_purpose(df: pd.DataFrame, labels: PreparednessLabels, *, height: int | None = None,
                     dark: bool = False) -> go.Figure:
    """Allocated, disbursed and spent per purpose (df: funds_by_source_purpose purpose-total
    rows: purpose, allocated, disbursed, spent, execution_pct), largest allocation on top, the
    execution rate written after the spent bar."""
    purpose_labels, words = labels.purpose, labels.funds
    fig = go.Figure()
    if df.empty:
        return _finish(fig, None, height or 300, dark)
    df = df.sort_values("allocated", ascending=False)
    names = [purpose_labels.get(p, p) for p in df["purpose"]]
    for col in ("allocated", "disbursed", "spent"):
        fig.add_bar(
            y=names, x=df[col], orientation="h", name=words[col], marker_color=FUND_COLOURS[col],
            meta={"purpose": list(df["purpose"])},  # the codes behind the marks (sitrep.drill)
            text=[f"{words['execution']} {e:.1f}%" if col == "spent" and pd.notna(e) else ""
                  for e in df["execution_pct"]],
            textposition="outside", cliponaxis=False,
            hovertemplate="%{y}<br>" + words[col] + ": %{x:,.2f} " + words["unit"] + "<extra></extra>",
        )
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05, uniformtext=dict(minsize=12, mode="show"))
    fig.update_xaxes(title_text=words["unit"], tickformat=",.0f", range=[0, float(df["allocated"].max()) * 1.25])
    fig.update_yaxes(autorange="reversed")
    return _finish(fig, None, height or max(280, 46 * len(names) + 90), dark)


def funds_ledger(df: pd.DataFrame, labels: PreparednessLabels) -> pd.DataFrame:
    """The funds ledger for display (df: funds_by_source_purpose rows): each source's lines in
    the contract's purpose order, then its subtotal, then the grand total; purpose totals are
    left out (the chart shows them). Codes become labels."""
    source_labels, purpose_labels, subtotal, total = labels.source, labels.purpose, labels.subtotal, labels.total
    cols = ["source", "purpose", "as_of_date", "allocated", "disbursed", "spent", "disbursed_pct", "execution_pct",
            "unspent"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    source_rank = {code: i for i, code in enumerate(source_labels)}
    purpose_rank = {code: i for i, code in enumerate(purpose_labels)}
    parts = []
    lines = df[~df["is_source_total"] & ~df["is_purpose_total"] & ~df["is_total"]]
    for source in sorted(lines["source"].unique(), key=lambda s: source_rank.get(s, len(source_rank))):
        mine = lines[lines["source"] == source].copy()
        mine = mine.sort_values("purpose", key=lambda s: s.map(lambda p: purpose_rank.get(p, len(purpose_rank))))
        mine["purpose"] = mine["purpose"].map(lambda p: purpose_labels.get(p, p))
        sub = df[df["is_source_total"] & (df["source"] == source)].copy()
        sub["purpose"] = subtotal
        part = pd.concat([mine, sub])
        part["source"] = source_labels.get(source, source)
        parts.append(part)
    grand = df[df["is_total"]].copy()
    grand["source"] = total
    grand["purpose"] = ""
    parts.append(grand)
    return pd.concat(parts, ignore_index=True)[cols]


def shortfalls_by_warehouse(stock: pd.DataFrame) -> list[tuple[str, object, list[tuple[str, float, int]]]]:
    """The below-target rows of reserves_by_warehouse_item grouped for a short list: one entry
    per warehouse (the one with the shortest supply first): (warehouse_name, stock_date,
    [(item_name, days_of_supply, target_days), ...] shortest first)."""
    short = stock[stock["below_target"]] if not stock.empty else stock
    out: dict[str, tuple[str, object, list]] = {}
    for r in short.sort_values("days_of_supply", kind="stable").itertuples(index=False):
        entry = out.setdefault(r.warehouse_id, (r.warehouse_name, r.stock_date, []))
        entry[2].append((r.item_name, float(r.days_of_supply), int(r.target_days)))
    return list(out.values())

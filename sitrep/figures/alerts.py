"""Figure builders for early warning: the small chart behind each alert (the series against its threshold band)
and Rt with its 95% interval over time."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from sitrep.figures import PALETTE, STATUS_COLOURS, _finish, nice_step

BAND = "rgba(0, 114, 178, 0.14)"
ALARM = STATUS_COLOURS["red"]
SERIES = PALETTE[0]
RUN = "rgba(213, 94, 0, 0.10)"


def _days(fig: go.Figure, start, end) -> None:
    fig.update_xaxes(type="date", tickformat="%m-%d", range=[pd.Timestamp(start) - pd.Timedelta(hours=12),
                                                             pd.Timestamp(end) + pd.Timedelta(hours=12)])


def _run(fig: go.Figure, start_day, last_day, label: str) -> None:
    """Shade the days of the alert's run."""
    half = pd.Timedelta(hours=12)
    fig.add_vrect(x0=pd.Timestamp(start_day) - half, x1=pd.Timestamp(last_day) + half,
                  fillcolor=RUN, line_width=0, layer="below",
                  annotation_text=label, annotation_position="top right", annotation_font_size=12)


def sentinel_chart(df: pd.DataFrame, *, start_day, last_day, labels: dict[str, str], title: str | None = None,
                   height: int = 300, dark: bool = False) -> go.Figure:
    """The sentinel series (df: date, y, c2_mean, upper, alarm) with the EARS C2 band: the baseline mean and the
    count at which C2 alarms (mean + threshold x sd), alarm days in red, the alert's run shaded.
    labels: y, baseline, upper, alarm, run."""
    fig = go.Figure()
    d = df.sort_values("date")
    x = pd.to_datetime(d["date"])
    fig.add_scatter(x=x, y=d["c2_mean"], mode="lines", line=dict(color=SERIES, width=1, dash="dot"),
                    name=labels["baseline"], hovertemplate="%{x|%m-%d}: %{y:.1f}<extra></extra>")
    fig.add_scatter(x=x, y=d["upper"], mode="lines", line=dict(color=SERIES, width=1), fill="tonexty",
                    fillcolor=BAND, name=labels["upper"], hovertemplate="%{x|%m-%d}: %{y:.1f}<extra></extra>")
    fig.add_scatter(x=x, y=d["y"], mode="lines+markers", line=dict(color="#222" if not dark else "#f0f0f0", width=2),
                    marker=dict(size=5), name=labels["y"], hovertemplate="%{x|%m-%d}: %{y:,}<extra></extra>")
    alarm = d[d["alarm"].astype(bool)]
    fig.add_scatter(x=pd.to_datetime(alarm["date"]), y=alarm["y"], mode="markers",
                    marker=dict(size=11, color=ALARM, symbol="circle"), name=labels["alarm"],
                    hovertemplate="%{x|%m-%d}: %{y:,}<extra></extra>")
    _run(fig, start_day, last_day, labels["run"])
    if len(d):
        _days(fig, d["date"].min(), d["date"].max())
    peak = float(pd.concat([d["y"], d["upper"]]).max()) if len(d) else 0.0
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=nice_step(peak))
    fig.update_layout(legend=dict(orientation="h", y=-0.15, yanchor="top"), hovermode="x unified")
    return _finish(fig, title, height, dark)


def kpi_chart(df: pd.DataFrame, *, amber: float, red: float, up_is_good: bool, start_day, last_day,
              labels: dict[str, str], title: str | None = None, height: int = 300, dark: bool = False) -> go.Figure:
    """A KPI's value by day (df: date, value) against its amber and red bands (the catalogue's thresholds).
    labels: value, amber, red, began (the line where the alert began, when that is in the window)."""
    d = df.sort_values("date")
    values = pd.to_numeric(d["value"], errors="coerce")
    top = max([v for v in (values.max(), amber, red) if v == v and v is not None] or [1.0])
    bottom = min([v for v in (values.min(), amber, red, 0.0) if v == v and v is not None])
    pad = (top - bottom) * 0.12 or 1.0
    lo, hi = bottom - (pad if bottom < 0 else 0), top + pad
    fig = go.Figure()
    # the bands: red beyond the red threshold, amber between amber and red
    red_band = (lo, red) if up_is_good else (red, hi)
    amber_band = (red, amber) if up_is_good else (amber, red)
    bands = [(*red_band, STATUS_COLOURS["red"], labels["red"]), (*amber_band, STATUS_COLOURS["amber"], labels["amber"])]
    for y0, y1, colour, name in bands:
        fig.add_hrect(y0=y0, y1=y1, fillcolor=colour, opacity=0.14, line_width=0, layer="below",
                      annotation_text=name, annotation_position="right", annotation_font_size=12)
    fig.add_scatter(x=pd.to_datetime(d["date"]), y=values, mode="lines+markers",
                    line=dict(color="#222" if not dark else "#f0f0f0", width=2), marker=dict(size=6),
                    name=labels["value"], hovertemplate="%{x|%m-%d}: %{y:,}<extra></extra>")
    if len(d) and pd.Timestamp(start_day) > pd.Timestamp(d["date"].min()):
        # the red band already shows the threshold: a line marks where the alert began
        fig.add_vline(x=pd.Timestamp(start_day) - pd.Timedelta(hours=12), line=dict(color=ALARM, width=1, dash="dot"),
                      annotation_text=labels["began"], annotation_position="top right", annotation_font_size=12)
    if len(d):
        _days(fig, d["date"].min(), d["date"].max())
    fig.update_yaxes(range=[lo, hi])
    fig.update_layout(showlegend=False, margin=dict(l=10, r=60, t=40, b=10))
    return _finish(fig, title, height, dark)


def case_chart(df: pd.DataFrame, *, report_day, labels: dict[str, str], title: str | None = None,
               height: int = 300, dark: bool = False) -> go.Figure:
    """Local cases per report day in the township (df: date, cases), the alert's case day in red, and the
    single-case threshold (one case raises an alert). labels: cases, threshold."""
    d = df.sort_values("date")
    day = pd.Timestamp(report_day)
    colours = [ALARM if pd.Timestamp(x) == day else PALETTE[8] for x in d["date"]]
    fig = go.Figure()
    fig.add_bar(x=pd.to_datetime(d["date"]), y=d["cases"], marker_color=colours, name=labels["cases"],
                hovertemplate="%{x|%m-%d}: %{y}<extra></extra>")
    fig.add_hline(y=1, line=dict(color=ALARM, width=1, dash="dash"), annotation_text=labels["threshold"],
                  annotation_position="top left", annotation_font_size=12)
    if len(d):
        _days(fig, d["date"].min(), d["date"].max())
    peak = int(d["cases"].max()) if len(d) else 1
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=max(1, math.ceil(peak / 5)),
                     range=[0, max(peak, 1) * 1.2])
    fig.update_layout(showlegend=False, bargap=0.2)
    return _finish(fig, title, height, dark)


def rt_chart(df: pd.DataFrame, *, labels: dict[str, str], start=None, end=None, title: str | None = None,
             height: int = 320, dark: bool = False) -> go.Figure:
    """Rt by the last day of each window (df: date_end, median, q025, q975, enough_cases): the median with its
    95% interval, a line at 1, and the windows with too few cases marked along the bottom instead of a number.
    labels: median, interval, one, too_few."""
    d = df.sort_values("date_end")
    x = pd.to_datetime(d["date_end"])
    enough = d["enough_cases"].astype(bool)
    fig = go.Figure()
    fig.add_scatter(x=x, y=d["q025"].where(enough), mode="lines", line=dict(width=0), showlegend=False,
                    hoverinfo="skip", connectgaps=False)
    fig.add_scatter(x=x, y=d["q975"].where(enough), mode="lines", line=dict(width=0), fill="tonexty",
                    fillcolor=BAND, name=labels["interval"], connectgaps=False,
                    hovertemplate="%{x|%m-%d}: %{y:.2f}<extra></extra>")
    fig.add_scatter(x=x, y=d["median"].where(enough), mode="lines+markers", line=dict(color=SERIES, width=2),
                    marker=dict(size=4), name=labels["median"], connectgaps=False,
                    hovertemplate="%{x|%m-%d}: %{y:.2f}<extra></extra>")
    few = d[~enough]
    fig.add_scatter(x=pd.to_datetime(few["date_end"]), y=[0] * len(few), mode="markers",
                    marker=dict(symbol="line-ew-open", size=8, color=PALETTE[8]), name=labels["too_few"],
                    hovertemplate="%{x|%m-%d}: " + labels["too_few"] + "<extra></extra>")
    fig.add_hline(y=1, line=dict(color=ALARM, width=1, dash="dash"), annotation_text=labels["one"],
                  annotation_position="top left", annotation_font_size=12)
    if start is not None and end is not None:
        _days(fig, start, end)
    top = d.loc[enough, "q975"].max() if enough.any() else 2.0
    fig.update_yaxes(rangemode="tozero", range=[0, max(2.0, min(float(top) * 1.1, 8.0))])
    fig.update_layout(legend=dict(orientation="h", y=-0.15, yanchor="top"))
    return _finish(fig, title, height, dark)

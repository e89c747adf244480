"""Plotly figure builders: plain functions that take DataFrames and return go.Figure.

One theme for every chart (CJK fonts, sizes readable when projected, a colour-blind-safe
palette). Page-specific builders live in the modules beside this one; the common shapes
(bars, lines, funnel, gauge) are here.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from sitrep import i18n

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000", "#999999"]
# Red is red (Okabe-Ito's vermillion reads as orange beside amber); the icons (✓ ▲ ■) tell the
# statuses apart for colour-blind readers.
STATUS_COLOURS = {"ok": "#009E73", "amber": "#E69F00", "red": "#D7191C", "none": "#999999"}
# The same on the projector's dark background (sitrep/projection/): each at least 3:1 against it.
SCREEN_BACKGROUND = "#0b1220"
STATUS_COLOURS_DARK = {"ok": "#2FD39F", "amber": "#FFB92E", "red": "#FF4D4D", "none": "#BBBBBB"}
STATUS_ICONS = {"ok": "✓", "amber": "▲", "red": "■", "none": "·"}


def area_strings(area: str, lang: str) -> Callable[[str], str]:
    """The strings of one area in one language by their key (``t("generation")`` is ``cases.generation``):
    how each area's labels object (``CasesLabels.of(lang)`` ...) reads its words."""
    def t(key: str) -> str:
        return i18n.t(f"{area}.{key}", lang)

    return t


def status_colour(status: str, dark: bool = False) -> str:
    """The colour of a status on a light page or on the projector."""
    return (STATUS_COLOURS_DARK if dark else STATUS_COLOURS)[status]


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of '#rrggbb' or 'rgb(r, g, b)' / 'rgba(...)'."""
    c = colour.strip()
    if c.startswith("#"):
        h = c[1:]
        if len(h) == 3:
            h = "".join(ch * 2 for ch in h)
        rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    else:
        rgb = [float(v) for v in c[c.index("(") + 1:c.index(")")].split(",")[:3]]
    lin = [(v / 255) / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_colour_on(fill: str) -> str:
    """Near-black or white, whichever reads better on a fill colour (labels inside bars)."""
    return "#111111" if contrast_ratio("#111111", fill) >= contrast_ratio("#ffffff", fill) else "#ffffff"


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21); 3:1 is the floor for chart lines and large text."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def nice_step(peak: float, ticks: int = 5) -> int:
    """A whole tick step of 1, 2 or 5 x 10^k that puts about `ticks` ticks up to peak. Counts are whole:
    left to itself plotly steps a small count's axis by halves, and ",d" then prints 0, 1, 1, 2."""
    raw = max(float(peak) if peak == peak and peak else 1.0, 1.0) / ticks
    scale = 1
    while True:
        for m in (1, 2, 5):
            if m * scale >= raw:
                return m * scale
        scale *= 10



_TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=14, color="#222"),
        title=dict(font=dict(size=18), x=0, xanchor="left"),
        colorway=PALETTE,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        xaxis=dict(gridcolor="#e5e5e5", zeroline=False),
        yaxis=dict(gridcolor="#e5e5e5", zeroline=False),
        hoverlabel=dict(font=dict(family=FONT)),
    )
)
pio.templates["sitrep"] = _TEMPLATE
# A dark variant for the meeting-room projector: larger text, high contrast.
pio.templates["sitrep_dark"] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=20, color="#f0f0f0"),
        title=dict(font=dict(size=26), x=0, xanchor="left"),
        colorway=["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#FFFFFF"],
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, font=dict(size=18)),
        xaxis=dict(gridcolor="#444", zeroline=False, tickfont=dict(size=18)),
        yaxis=dict(gridcolor="#444", zeroline=False, tickfont=dict(size=18)),
    )
)


def template(dark: bool = False) -> str:
    return "sitrep_dark" if dark else "sitrep"


def _finish(fig: go.Figure, title: str | None, height: int, dark: bool) -> go.Figure:
    fig.update_layout(template=template(dark), title=title, height=height)
    return fig


def bar(df, x: str, y: str, *, color: str | None = None, title: str | None = None, horizontal: bool = False,
        labels: dict | None = None, stacked: bool = True, height: int = 360, dark: bool = False,
        color_order: list | None = None) -> go.Figure:
    """Bars of y by x, one trace per value of color (stacked), in color_order when given."""
    fig = go.Figure()
    groups = [(None, df)] if color is None else [(k, df[df[color] == k]) for k in (color_order or df[color].unique())]
    for name, part in groups:
        xs, ys = (part[y], part[x]) if horizontal else (part[x], part[y])
        fig.add_bar(x=xs, y=ys, name=None if name is None else (labels or {}).get(name, name),
                    orientation="h" if horizontal else "v")
    fig.update_layout(barmode="stack" if stacked else "group", showlegend=color is not None)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return _finish(fig, title, height, dark)


def lines(df, x: str, y: str, *, color: str | None = None, title: str | None = None, labels: dict | None = None,
          height: int = 360, dark: bool = False, mode: str = "lines") -> go.Figure:
    """One line of y over x per value of color."""
    fig = go.Figure()
    groups = [(None, df)] if color is None else [(k, df[df[color] == k]) for k in df[color].unique()]
    for name, part in groups:
        fig.add_scatter(x=part[x], y=part[y], mode=mode,
                        name=None if name is None else (labels or {}).get(name, name))
    fig.update_layout(showlegend=color is not None)
    return _finish(fig, title, height, dark)


def funnel(stages: list[str], values: list[float], *, title: str | None = None, height: int = 360,
           dark: bool = False) -> go.Figure:
    """A funnel of stages (in order) with counts and the share of the first stage."""
    # one hue, darkening down the funnel: no stage should read as an alarm colour
    blues = ["#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef"]
    # the value written out in full (plotly's own format would write 14,649 as "14.649k")
    fig = go.Figure(go.Funnel(y=stages, x=values, texttemplate="%{value:,}<br>%{percentInitial:.1%}",
                              hovertemplate="%{y}: %{value:,} (%{percentInitial:.1%})<extra></extra>",
                              marker=dict(color=[blues[min(i, len(blues) - 1)] for i in range(len(stages))])))
    return _finish(fig, title, height, dark)


def gauge(value: float | None, *, title: str, maximum: float, target: float | None = None,
          status: str = "none", suffix: str = "", height: int = 240, dark: bool = False,
          steps: list[tuple[float, float, str]] | None = None) -> go.Figure:
    """A gauge from 0 to maximum; the bar coloured by status, a line at target."""
    fig = go.Figure(go.Indicator(
        mode="gauge+number",
        value=value if value is not None else 0,
        number=dict(suffix=suffix, font=dict(size=34 if not dark else 48)),
        title=dict(text=title, font=dict(size=16 if not dark else 24)),
        gauge=dict(
            axis=dict(range=[0, maximum]),
            bar=dict(color=STATUS_COLOURS.get(status, PALETTE[0])),
            threshold=None if target is None else dict(line=dict(color="#222" if not dark else "#fff", width=4),
                                                      thickness=0.9, value=target),
            steps=[dict(range=[a, b], color=c) for a, b, c in (steps or [])],
        ),
    ))
    fig.update_layout(margin=dict(l=20, r=20, t=50, b=10))
    return _finish(fig, None, height, dark)


def as_table(fig: go.Figure) -> "pd.DataFrame":
    """The numbers a figure draws, as a table a reader can check and download: one row per category (the x of
    vertical bars and lines, the y of horizontal bars, the labels of a pie or funnel) and one column per series
    (the trace's name); a heatmap gives one row per (y, x) cell. Empty when the figure draws no such numbers
    (a gauge's value is on its card; a network has no table)."""
    series: dict[str, dict] = {}
    cells = []
    for i, tr in enumerate(fig.data):
        name = getattr(tr, "name", None) or (f"{i + 1}" if len(fig.data) > 1 else "value")
        kind = tr.type
        if kind == "heatmap" and tr.z is not None:
            xs = list(tr.x) if tr.x is not None else list(range(len(tr.z[0])))
            ys = list(tr.y) if tr.y is not None else list(range(len(tr.z)))
            cells += [(y, x, v) for y, row in zip(ys, tr.z) for x, v in zip(xs, row)]
            continue
        if kind in ("pie", "funnelarea"):
            cats, vals = tr.labels, tr.values
        elif kind in ("bar", "scatter", "funnel"):
            horizontal = getattr(tr, "orientation", None) == "h"
            cats, vals = (tr.y, tr.x) if horizontal else (tr.x, tr.y)
        else:
            continue
        if cats is None or vals is None:
            continue
        column = series.setdefault(str(name), {})
        for c, v in zip(cats, vals):
            column[c] = v
    if cells:
        return pd.DataFrame(cells, columns=["y", "x", "value"])
    if not series:
        return pd.DataFrame()
    order: list = []
    for column in series.values():
        order += [c for c in column if c not in order]
    out = pd.DataFrame({"category": order, **{n: [col.get(c) for c in order] for n, col in series.items()}})
    if out["category"].map(type).nunique() > 1:  # mixed kinds (a label beside numbers): text for the table
        out["category"] = out["category"].map(lambda c: "" if c is None else str(c))
    iso = out["category"].map(lambda c: isinstance(c, str) and len(c) >= 10 and c[4] == "-" and c[7] == "-")
    dates = (pd.to_datetime(out["category"].astype(str).str[:19], errors="coerce", format="ISO8601")
             if len(out) and iso.all() else None)
    if dates is not None and dates.notna().all() and (dates == dates.dt.normalize()).all():
        out["category"] = dates.dt.date  # a date axis: dates, not timestamps at midnight
    return out


def region_categories(fig: go.Figure, names: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """When a figure draws one bar per region (the category axis holds region names, all of them in ``names``:
    {name: region code} of the regions one level below the view's scope), ("x" or "y": the category axis,
    {name: code}); a click on such a bar sets the scope to that region (sitrep.ui.widgets.chart). None
    otherwise."""
    for tr in fig.data:
        if tr.type != "bar":
            continue
        axis = "y" if getattr(tr, "orientation", None) == "h" else "x"
        cats = getattr(tr, axis)
        if cats is not None and len(cats) and all(isinstance(c, str) and c in names for c in cats):
            return axis, {c: names[c] for c in cats}
    return None

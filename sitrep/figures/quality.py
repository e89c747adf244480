"""Figures of the data quality tab: the township x day completeness calendar and the counts
of issues by township."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sitrep.figures import PALETTE, STATUS_COLOURS, _finish

# Classes of the share of reports that came in, each one colour, so that the legend shows exactly
# the colours of the cells: red below 80%, amber to 95%, yellow to just under 100%, green only
# when all came in (a township that missed one report in twenty must not look done).
# (lower bound in %, colour, legend label)
COMPLETENESS_CLASSES = [(0.0, STATUS_COLOURS["red"], "<80%"), (80.0, STATUS_COLOURS["amber"], "80–95%"),
                        (95.0, "#F0E442", "95–99%"), (100.0, STATUS_COLOURS["ok"], "100%")]


def completeness_class(pct: float) -> float:
    """The class index of a share in % (0 red .. 3 green; NaN when nothing was due)."""
    if pct != pct:
        return float("nan")
    return float(max(i for i, (low, _, _) in enumerate(COMPLETENESS_CLASSES) if pct >= low - 1e-9))


def _class_scale() -> list:
    """A stepped colour scale over the class indices 0..n-1 (z from -0.5 to n-0.5)."""
    n = len(COMPLETENESS_CLASSES)
    scale = []
    for i, (_, colour, _) in enumerate(COMPLETENESS_CLASSES):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def completeness_heatmap(daily: pd.DataFrame, *, title: str | None = None, labels: dict[str, str] | None = None,
                         hover: str = "%{y} · %{x}<br>%{customdata[1]:.1f}%<br>%{customdata[0]}",
                         height: int | None = None,
                         dark: bool = False) -> go.Figure:
    """Township (rows, in code order) x day (columns): the share of the reports due that came in.

    daily: township_code, township_name, date, expected, received, pending (summed over the
    streams shown; rows of several streams are added up here). labels: township_code -> the
    row label (e.g. "市本级" for the city itself). A day with nothing due stays empty (grey).
    Cells are coloured by class (COMPLETENESS_CLASSES) and the legend lists the classes; hover:
    customdata[0] is "received / due", customdata[1] the share in %.
    """
    if daily.empty:
        fig = go.Figure()
        return _finish(fig, title, height or 300, dark)
    sums = (daily.groupby(["township_code", "township_name", "date"], dropna=False, as_index=False)
            [["expected", "received", "pending"]].sum())
    due = sums["expected"] - sums["pending"]
    sums["pct"] = 100.0 * sums["received"] / due.where(due > 0)
    sums["text"] = sums["received"].astype(int).astype(str) + " / " + due.astype(int).astype(str)
    names = {code: (labels or {}).get(code) or name for code, name in zip(sums["township_code"], sums["township_name"])}
    order = sorted(names)
    z = sums.pivot(index="township_code", columns="date", values="pct").reindex(order)
    text = sums.pivot(index="township_code", columns="date", values="text").reindex(order)
    classes = z.map(completeness_class)
    n = len(COMPLETENESS_CLASSES)
    fig = go.Figure(go.Heatmap(
        z=classes.to_numpy(), x=list(z.columns), y=[names[c] for c in z.index],
        customdata=np.dstack([text.to_numpy(dtype=object), z.to_numpy(dtype=object)]),
        zmin=-0.5, zmax=n - 0.5, colorscale=_class_scale(), xgap=1, ygap=1, hoverongaps=False,
        hovertemplate=hover + "<extra></extra>",
        colorbar=dict(thickness=12, tickmode="array", tickvals=list(range(n)),
                      ticktext=[label for _, _, label in COMPLETENESS_CLASSES]),
    ))
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(showgrid=False)
    return _finish(fig, title, height or max(260, 26 * len(order) + 90), dark)


def issues_by_township(counts: pd.DataFrame, checks: dict[str, str], *, title: str | None = None,
                       labels: dict[str, str] | None = None, height: int | None = None,
                       dark: bool = False) -> go.Figure:
    """Stacked horizontal bars: issues of each check (checks: column -> label) per township."""
    fig = go.Figure()
    if not counts.empty:
        names = [(labels or {}).get(c) or n for c, n in zip(counts["township_code"], counts["township_name"])]
        for i, (col, label) in enumerate(checks.items()):
            if col in counts.columns:
                fig.add_bar(y=names, x=counts[col], name=label, orientation="h",
                            marker_color=PALETTE[i % len(PALETTE)])
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    return _finish(fig, title, height or max(260, 24 * len(counts) + 100), dark)

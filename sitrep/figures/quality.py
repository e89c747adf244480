"""Figures of the data quality tab: the township x day completeness calendar and the counts
of issues by township."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sitrep.figures import PALETTE, STATUS_COLOURS, _finish

# Red (80% or less came in) through amber to yellow (99%), green only when all came in: a
# township that missed one report in twenty must not look done.
COMPLETENESS_SCALE = [[0.0, STATUS_COLOURS["red"]], [0.8, STATUS_COLOURS["red"]], [0.9, STATUS_COLOURS["amber"]],
                      [0.995, "#F0E442"], [1.0, STATUS_COLOURS["ok"]]]


def completeness_heatmap(daily: pd.DataFrame, *, title: str | None = None, labels: dict[str, str] | None = None,
                         hover: str = "%{y} · %{x}<br>%{z:.1f}%<br>%{customdata}", height: int | None = None,
                         dark: bool = False) -> go.Figure:
    """Township (rows, in code order) x day (columns): the share of the reports due that came in.

    daily: township_code, township_name, date, expected, received, pending (summed over the
    streams shown; rows of several streams are added up here). labels: township_code -> the
    row label (e.g. "市本级" for the city itself). A day with nothing due stays empty (grey).
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
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=list(z.columns), y=[names[c] for c in z.index], customdata=text.to_numpy(),
        zmin=0, zmax=100, colorscale=COMPLETENESS_SCALE, xgap=1, ygap=1, hoverongaps=False,
        hovertemplate=hover + "<extra></extra>", colorbar=dict(ticksuffix="%", thickness=12),
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

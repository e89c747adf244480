"""Figure builders for cases: the epidemic curve."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sitrep.figures import _finish

SOURCE_ORDER = ["local", "domestic_imported", "overseas"]
SOURCE_COLOURS = {"local": "#D55E00", "domestic_imported": "#E69F00", "overseas": "#0072B2"}


def epi_curve(df: pd.DataFrame, *, source_labels: dict[str, str], title: str | None = None,
              start=None, end=None, height: int = 320, dark: bool = False) -> go.Figure:
    """Cases per report day stacked by source (df: report_date, source, cases)."""
    fig = go.Figure()
    days = df.groupby(["report_date", "source"], as_index=False)["cases"].sum() if not df.empty else df
    for source in SOURCE_ORDER:
        part = days[days["source"] == source] if not days.empty else days
        fig.add_bar(x=part["report_date"] if not part.empty else [], y=part["cases"] if not part.empty else [],
                    name=source_labels.get(source, source), marker_color=SOURCE_COLOURS[source])
    fig.update_layout(barmode="stack", bargap=0.1)
    fig.update_xaxes(type="date")
    if start is not None and end is not None:
        fig.update_xaxes(range=[pd.Timestamp(start) - pd.Timedelta(hours=12), pd.Timestamp(end) + pd.Timedelta(hours=12)])
    peak = int(days.groupby("report_date")["cases"].sum().max()) if not days.empty else 1
    fig.update_yaxes(rangemode="tozero", tickformat=",d", tick0=0, dtick=max(1, -(-peak // 5)))
    return _finish(fig, title, height, dark)

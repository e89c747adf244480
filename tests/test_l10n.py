"""The locale layer (sitrep.l10n): exact strings in both languages, and plotly axes set to them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from sitrep import l10n

D = date(2022, 1, 16)


def test_dates():
    assert (l10n.day(D, "zh"), l10n.day(D, "en")) == ("1月16日", "Jan 16")
    assert (l10n.full_date(D, "zh"), l10n.full_date(D, "en")) == ("2022年1月16日", "Jan 16, 2022")
    assert (l10n.month(D, "zh"), l10n.month(D, "en")) == ("2022年1月", "Jan 2022")
    assert l10n.day(pd.Timestamp("2021-12-05 13:00"), "zh") == "12月5日"
    with pytest.raises(ValueError):
        l10n.day(D, "fr")


@pytest.mark.parametrize("value, zh, en", [
    (14566, "1.46万", "14.6K"),
    (5_471_234, "547万", "5.47M"),
    (312_345_678, "3.12亿", "312M"),
    (999_999, "100万", "1M"),          # rounded before CLDR picks the unit (not "1000K")
    (10_000, "1万", "10K"),
    (9_876, "9,876", "9,876"),         # written in full below ten thousand
    (0, "0", "0"),
    (float("nan"), "—", "—"),
])
def test_compact_numbers(value, zh, en):
    assert (l10n.compact(value, "zh"), l10n.compact(value, "en")) == (zh, en)


def test_numbers_and_percent():
    assert l10n.number(14566, "zh") == "14,566" and l10n.number(3.456, "en", 1) == "3.5"
    assert l10n.percent(87.34, "zh") == "87.3%" and l10n.percent(None, "en") == "—"


def test_date_axis_gets_babel_ticks_not_plotly_english():
    days = pd.date_range("2021-12-01", "2022-03-31")
    fig = go.Figure(go.Bar(x=days, y=[1] * len(days)))
    l10n.localize_figure(fig, "zh")
    ax = fig.layout.xaxis
    assert ax.tickmode == "array"
    assert ax.ticktext == ("2021年12月", "2022年1月", "2月", "3月")
    assert [pd.Timestamp(v).date() for v in ax.tickvals] == [date(2021, 12, 1), date(2022, 1, 1), date(2022, 2, 1),
                                                           date(2022, 3, 1)]
    # a fortnight: every other day, the year under the first tick
    fig = go.Figure(go.Scatter(x=pd.date_range("2022-01-10", "2022-01-20").date, y=list(range(11))))
    l10n.localize_figure(fig, "en")
    assert fig.layout.xaxis.ticktext == ("Jan 10<br>2022", "Jan 12", "Jan 14", "Jan 16", "Jan 18", "Jan 20")
    # seven weeks on a small multiple (nticks 5): Mondays every other week, the year where it changes
    fig = go.Figure(go.Scatter(x=pd.date_range("2021-12-20", "2022-02-06"), y=[0] * 49))
    fig.update_xaxes(nticks=5)
    l10n.localize_figure(fig, "zh")
    assert fig.layout.xaxis.ticktext == ("12月20日<br>2021年", "1月3日<br>2022年", "1月17日", "1月31日")


def test_value_axes_count_in_wan_or_k_and_never_in_si():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[14566, 3000]))
    l10n.localize_figure(fig, "zh")
    y = fig.layout.yaxis
    assert (y.exponentformat, y.separatethousands, y.hoverformat) == ("none", True, ",.2~f")
    assert y.ticktext == ("0", "5,000", "1万", "1.5万") and y.tickvals == (0, 5000, 10000, 15000)
    assert fig.layout.xaxis.tickvals is None  # categories stay as they are
    fig = go.Figure(go.Bar(x=["a", "b"], y=[14566, 3000]))
    l10n.localize_figure(fig, "en")
    assert fig.layout.yaxis.ticktext == ("0", "5,000", "10K", "15K")
    # stacked bars: the axis reaches the sum of a stack; small counts keep plotly's ticks (no SI)
    fig = go.Figure([go.Bar(y=["x", "y"], x=[8000, 100], orientation="h"),
                     go.Bar(y=["x", "y"], x=[7000, 100], orientation="h")])
    fig.update_layout(barmode="stack")
    l10n.localize_figure(fig, "zh")
    assert fig.layout.xaxis.ticktext[-1] == "2万" and fig.layout.yaxis.tickvals is None
    small = l10n.localize_figure(go.Figure(go.Bar(x=["a"], y=[12])), "zh")
    assert small.layout.yaxis.tickvals is None and small.layout.yaxis.exponentformat == "none"


def test_subplots_and_sankey():
    fig = make_subplots(rows=1, cols=2)
    fig.add_scatter(x=pd.date_range("2022-01-01", "2022-01-05"), y=[1, 2, 3, 4, 5], row=1, col=1)
    fig.add_bar(x=[20000, 40000], y=["p", "q"], orientation="h", row=1, col=2)
    l10n.localize_figure(fig, "zh")
    assert fig.layout.xaxis.ticktext[0] == "1月1日<br>2022年"
    assert fig.layout.xaxis2.ticktext[-1] == "5万"
    s = l10n.localize_figure(go.Figure(go.Sankey(node=dict(label=["a", "b"]),
                                                 link=dict(source=[0], target=[1], value=[14566]))), "zh")
    assert s.data[0].valueformat == ",d"


def test_weekly_bars_are_labelled_under_the_bars_latest_first():
    weeks = pd.date_range("2021-12-12", periods=6, freq="7D")  # Sundays, the last 2022-01-16
    fig = l10n.localize_figure(go.Figure(go.Bar(x=weeks, y=[1] * 6)), "zh")
    assert [pd.Timestamp(v) for v in fig.layout.xaxis.tickvals] == list(weeks)
    assert fig.layout.xaxis.ticktext[-1] == "1月16日"
    fig = go.Figure(go.Bar(x=pd.date_range("2021-07-25", periods=26, freq="7D"), y=[1] * 26))
    fig.update_xaxes(nticks=5)
    l10n.localize_figure(fig, "en")
    ticks = [pd.Timestamp(v) for v in fig.layout.xaxis.tickvals]
    assert ticks[-1] == pd.Timestamp("2022-01-16") and len(ticks) == 5 and {(b - a).days for a, b in zip(ticks, ticks[1:])} == {42}

"""The key charts as the projector draws them (dark=True) on the demo city: contrast against the
screen's background, red drawn red, labels that cannot run together, small multiples whose date
labels stay clear of each other, sentinel alarm days marked, a publicity screen with a full row."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from sitrep import figures
from sitrep.briefing.context import Context
from sitrep.briefing.keycharts import SECTIONS, key_charts
from sitrep.db import Database
from sitrep.figures import monitoring as monitoring_fig
from sitrep.warning import ears

DAY = date(2022, 1, 16)  # in the demo outbreak: alarms, red KPIs, cases


@pytest.fixture(scope="module")
def charts(demo_db):
    ctx = Context.make(Database(demo_db).query, as_of=DAY, lang="zh")
    return {s: key_charts(s, ctx, dark=True, height=600) for s in SECTIONS}


def colours_of(trace) -> list[str]:
    """The colours a trace draws with (lines, markers, text), as plain strings."""
    out = []
    line = getattr(trace, "line", None)
    if line is not None and isinstance(line.color, str) and line.width != 0 and trace.mode and "lines" in trace.mode:
        out.append(line.color)
    marker = getattr(trace, "marker", None)
    if marker is not None and trace.type in ("bar", "scatter") and (trace.type == "bar" or "markers" in (trace.mode or "")):
        c = marker.color
        out += [c] if isinstance(c, str) else [v for v in (c or ()) if isinstance(v, str)]
    font = getattr(trace, "textfont", None)
    if trace.type == "scatter" and "text" in (trace.mode or "") and font is not None and isinstance(font.color, str):
        out.append(font.color)
    return [c for c in out if not c.startswith("rgba")]  # translucent bands are fills, not marks


def test_every_mark_on_the_projector_has_3_to_1_contrast(charts):
    low = []
    for section, items in charts.items():
        for chart in items:
            if chart.figure is None:
                continue
            for trace in chart.figure.data:
                for c in colours_of(trace):
                    ratio = figures.contrast_ratio(c, figures.SCREEN_BACKGROUND)
                    if ratio < 3:
                        low.append((chart.key, trace.name, c, round(ratio, 2)))
    assert low == []
    # the cold-chain line (it was dark grey on navy) among them
    cold = figures.contrast_ratio("#%02x%02x%02x" % monitoring_fig.SITE_TYPE_COLOURS["cold_chain"],
                                  figures.SCREEN_BACKGROUND)
    assert cold >= 3 and figures.contrast_ratio("#%02x%02x%02x" % monitoring_fig.SITE_TYPE_COLOURS["cold_chain"],
                                                "#ffffff") >= 3


def test_red_is_red_not_orange():
    for colour in (figures.STATUS_COLOURS["red"], figures.STATUS_COLOURS_DARK["red"]):
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert r >= 200 and g <= 80 and b <= 80, colour  # vermillion #D55E00 (g = 94) read as orange
    assert figures.contrast_ratio(figures.STATUS_COLOURS_DARK["red"], figures.SCREEN_BACKGROUND) >= 3
    assert all(figures.contrast_ratio(c, figures.SCREEN_BACKGROUND) >= 3 for c in figures.STATUS_COLOURS_DARK.values())


def test_orders_bars_carry_one_label_each(charts):
    fig = next(c.figure for c in charts["command"] if c.key == "command_orders")
    bars = [t for t in fig.data if t.type == "bar"]
    assert fig.layout.barmode == "stack" and fig.layout.uniformtext.mode == "hide"
    totals = next(t for t in fig.data if t.type == "scatter")
    # one total above each of the seven bars, equal to its parts
    assert len(totals.x) == len(set(totals.x)) == 7
    assert [sum(b.y[i] for b in bars) for i in range(7)] == list(totals.y)
    assert all(b.textposition == "inside" for b in bars)
    # the numbers inside the parts read against their fill
    for b in bars:
        assert figures.contrast_ratio(b.textfont.color, b.marker.color) >= 3, (b.name, b.marker.color)


def test_sentinel_small_multiples_write_few_dates_under_each_column_only(charts):
    fig = next(c.figure for c in charts["monitoring"] if c.key == "monitoring_sentinel")
    axes = {k: fig.layout[k] for k in fig.layout.to_plotly_json() if k.startswith("xaxis")}
    shown = sorted(k for k, ax in axes.items() if ax.showticklabels)
    # seven site types in three columns: the charts 5, 6 and 7 are the lowest of their columns
    assert shown == ["xaxis5", "xaxis6", "xaxis7"]
    for k in shown:
        assert axes[k].tickangle == 0 and len(axes[k].tickvals) <= 2
        assert all("月" in t for t in axes[k].ticktext)


def test_sentinel_alarm_days_are_marked(demo_db, charts):
    fig = next(c.figure for c in charts["monitoring"] if c.key == "monitoring_sentinel")
    marks = [t for t in fig.data if t.mode == "markers"]
    assert marks and all(t.name == "预警日" and t.marker.color == figures.STATUS_COLOURS_DARK["red"] for t in marks)
    start = pd.Timestamp(DAY) - pd.Timedelta(days=55)
    alarms = ears.alarm_days(ears.aberrations(Database(demo_db), as_of=DAY, date_from=start.date()), ["c2"])
    assert sum(len(t.x) for t in marks) == len(alarms) > 0


def test_alarm_days_by_hand():
    df = pd.DataFrame({
        "township_code": ["T1", "T2", "T1", "T2", "T1"],
        "site_type": ["school", "school", "school", "market", "market"],
        "date": pd.to_datetime(["2022-01-10", "2022-01-10", "2022-01-11", "2022-01-10", "2022-01-12"]),
        "c2_alarm": [True, True, False, False, None], "c3_alarm": [False, False, True, True, False],
    })
    got = ears.alarm_days(df, ["c2"])
    assert got.values.tolist() == [["school", pd.Timestamp("2022-01-10"), 2]]
    got = ears.alarm_days(df, ["c2", "c3"])
    assert [(r.site_type, r.date.day, r.townships) for r in got.itertuples()] == [
        ("market", 10, 1), ("school", 10, 2), ("school", 11, 1)]
    assert ears.alarm_days(df.iloc[0:0], ["c2"]).empty


def test_publicity_screen_has_three_charts(charts):
    assert [c.key for c in charts["publicity"]] == ["publicity_map", "publicity_channels", "publicity_themes"]
    themes = charts["publicity"][2].figure
    assert themes is not None and themes.layout.barmode == "stack"
    # the weekly bars are labelled under themselves, the latest week too
    ticks = [pd.Timestamp(v).date() for v in themes.layout.xaxis.tickvals]
    assert ticks[-1] == DAY

"""The locale layer: dates, numbers and compact numbers as each language writes them, through
Babel (CLDR), and plotly axes set to them.

Chinese: 1月16日, 2022年1月16日, 14,566, 1.46万, 3.12亿. English: Jan 16, Jan 16, 2022, 14,566,
14.6K, 312M. Nothing here formats by hand what CLDR knows; the figure builders stay
language-free and :func:`localize_figure` sets their axes at the point a figure is shown
(sitrep.ui.widgets.chart for the pages, sitrep.briefing.keycharts for the projector and the
briefing), so plotly's own English ("Dec 5 2021") and SI suffixes ("14.566k") never show.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal, format_decimal, format_percent

LOCALES = {"zh": "zh_Hans_CN", "en": "en"}
# Below this a count is written out in full (Chinese has no compact unit under 万).
COMPACT_FROM = 10_000


@lru_cache(maxsize=None)
def _locale(lang: str) -> Locale:
    if lang not in LOCALES:
        raise ValueError(f"unknown language {lang!r}")
    return Locale.parse(LOCALES[lang])


def _as_date(d) -> date:
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    return pd.Timestamp(d).date()


# ---------------------------------------------------------------- dates


def day(d, lang: str) -> str:
    """Day and month: '1月16日' / 'Jan 16'."""
    return format_skeleton("MMMd", _as_date(d), locale=_locale(lang))


def full_date(d, lang: str) -> str:
    """Day, month and year: '2022年1月16日' / 'Jan 16, 2022'."""
    return format_skeleton("yMMMd", _as_date(d), locale=_locale(lang))


def day_with_weekday(d, lang: str) -> str:
    """Day, month, year and weekday: '2022年1月16日周日' / 'Sun, Jan 16, 2022' (a day picker writes a hundred
    of them at every run: kept)."""
    return _day_with_weekday(_as_date(d), lang)


@lru_cache(maxsize=4096)
def _day_with_weekday(d, lang: str) -> str:
    return format_skeleton("yMMMdEEEE" if lang == "zh" else "yMMMdEEE", _as_date(d), locale=_locale(lang))


def month(d, lang: str) -> str:
    """Month and year: '2022年1月' / 'Jan 2022'."""
    return format_skeleton("yMMM", _as_date(d), locale=_locale(lang))


def month_only(d, lang: str) -> str:
    """The month alone: '1月' / 'Jan'."""
    return format_skeleton("MMM", _as_date(d), locale=_locale(lang))


def year(d, lang: str) -> str:
    """The year alone: '2022年' / '2022'."""
    return format_skeleton("y", _as_date(d), locale=_locale(lang))


# ---------------------------------------------------------------- numbers


def number(v, lang: str, decimals: int = 0) -> str:
    """A number with the language's grouping: '14,566', '3.5'; '—' for a missing value."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "—"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(v, format=pattern, locale=_locale(lang))


def percent(v, lang: str, decimals: int = 1) -> str:
    """A percentage given in percent points (87.34 -> '87.3%')."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "—"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return format_percent(float(v) / 100, format=pattern, locale=_locale(lang))


def compact(v, lang: str, significant: int = 3) -> str:
    """A count as people read it: '1.46万' / '14.6K', '547万' / '5.47M', '3.12亿' / '312M' (about
    `significant` digits); written in full below ten thousand ('9,876'); '—' when missing."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "—"
    v = float(v)
    if abs(v) < COMPACT_FROM:
        return number(v, lang, 0 if v == int(v) else 1)
    loc = _locale(lang)
    # round to `significant` digits first, so 999,999 becomes 1M rather than CLDR's "1000K"
    v = round(v, significant - 1 - math.floor(math.log10(abs(v))))
    # the mantissa's whole digits decide how many fraction digits keep `significant` in all
    whole = re.search(r"\d+", format_compact_decimal(v, locale=loc, fraction_digits=0))
    digits = len(whole.group()) if whole else 1
    text = format_compact_decimal(v, locale=loc, fraction_digits=max(0, significant - digits))
    return text


def compact_step(v, lang: str) -> str:
    """A tick value in compact form with no more digits than it has ('1.5万', '20万', '15K')."""
    return compact(v, lang, significant=4) if abs(float(v)) >= COMPACT_FROM else number(v, lang)


# ---------------------------------------------------------------- plotly axes


def _nice_step(span: float, ticks: int) -> float:
    raw = max(span, 1e-9) / max(ticks, 1)
    scale = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * scale >= raw:
            return m * scale
    return 10 * scale


def _is_dateish(values) -> bool:
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        return isinstance(v, (date, datetime, np.datetime64, pd.Timestamp))
    return False


def _values(trace, letter: str):
    v = getattr(trace, letter, None)
    if v is None:
        return []
    if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.datetime64):
        return list(pd.to_datetime(v))
    try:
        return list(v)
    except TypeError:
        return []


def _axis_traces(fig, axis_name: str):
    """The traces drawn on a layout axis ('xaxis2' -> traces with xaxis 'x2')."""
    letter = axis_name[0]
    ref = letter + axis_name[5:]
    out = []
    for tr in fig.data:
        if tr.type in ("pie", "sankey", "indicator", "funnelarea", "table"):
            continue
        if (getattr(tr, f"{letter}axis", None) or letter) == ref:
            out.append(tr)
    return out


def _date_ticks(lo: pd.Timestamp, hi: pd.Timestamp, max_ticks: int) -> tuple[list[pd.Timestamp], str]:
    """Tick days between lo and hi (at most max_ticks): every 1 or 2 days, Mondays every 1 or 2
    weeks, or the first of every 1, 2, 3 or 6 months; and the unit ('day' or 'month')."""
    lo, hi = lo.normalize(), hi.normalize()
    days = (hi - lo).days + 1
    for step in (1, 2):
        if -(-days // step) <= max_ticks:
            return list(pd.date_range(lo, hi, freq=f"{step}D")), "day"
    monday = lo + timedelta(days=(7 - lo.weekday()) % 7)
    for weeks in (1, 2):
        ticks = list(pd.date_range(monday, hi, freq=f"{7 * weeks}D"))
        if len(ticks) <= max_ticks:
            return ticks, "day"
    first = lo if lo.day == 1 else (lo + pd.offsets.MonthBegin(1))
    for months in (1, 2, 3, 6, 12):
        ticks = list(pd.date_range(first, hi, freq=f"{months}MS"))
        if len(ticks) <= max_ticks:
            return ticks, "month"
    return list(pd.date_range(first, hi, freq="12MS")), "month"


def date_ticktext(ticks: list, unit: str, lang: str) -> list[str]:
    """Labels for date ticks: '1月16日' / 'Jan 16', the year under the first tick and under the first
    tick of a new year; month ticks '12月' / 'Dec', '2022年1月' / 'Jan 2022' where the year changes."""
    out, last_year = [], None
    for i, t in enumerate(ticks):
        new_year = t.year != last_year
        if unit == "month":
            out.append(month(t, lang) if new_year else month_only(t, lang))
        else:
            out.append(day(t, lang) + (f"<br>{year(t, lang)}" if new_year else ""))
        last_year = t.year
    return out


def _bar_ticks(traces, letter: str, lo, hi, max_ticks: int) -> list[pd.Timestamp] | None:
    """Weekly (or longer) bars: ticks on the bars themselves, every k-th counted back from the latest,
    so that each label sits under a bar and the latest bar is labelled; None for other axes."""
    if not traces or any(tr.type != "bar" for tr in traces):
        return None
    xs = pd.to_datetime(pd.Series([v for tr in traces for v in _values(tr, letter)]), errors="coerce").dropna()
    xs = sorted(set(x for x in xs.dt.normalize() if lo <= x <= hi))
    gaps = {(b - a).days for a, b in zip(xs, xs[1:])}
    if len(xs) < 2 or len(gaps) != 1 or gaps.pop() < 7:
        return None
    step = -(-len(xs) // max_ticks)
    return sorted(xs[::-1][::step])


def _date_axis(axis, traces, letter: str, lang: str) -> None:
    if axis.range is not None and all(r is not None for r in axis.range):
        lo, hi = (pd.Timestamp(r) for r in axis.range)
        lo, hi = lo.ceil("D"), hi.floor("D")
    else:
        values = pd.to_datetime(pd.Series([v for tr in traces for v in _values(tr, letter)]), errors="coerce")
        values = values.dropna()
        if values.empty:
            return
        lo, hi = values.min(), values.max()
    if hi < lo:
        return
    max_ticks = axis.nticks or 7
    ticks, unit = _bar_ticks(traces, letter, lo.normalize(), hi.normalize(), max_ticks), "day"
    if ticks is None:
        ticks, unit = _date_ticks(lo, hi, max_ticks)
    axis.update(tickmode="array", tickvals=ticks, ticktext=date_ticktext(ticks, unit, lang),
                hoverformat="%Y-%m-%d")


def _value_top(fig, axis, traces, letter: str) -> float | None:
    """The largest value an axis shows: its range's top, else the data's (stacked bars summed)."""
    if axis.range is not None and all(r is not None for r in axis.range):
        return float(max(axis.range))
    stacked = fig.layout.barmode in ("stack", "relative")
    tops: dict = {}
    top = None
    for tr in traces:
        vals = pd.to_numeric(pd.Series(_values(tr, letter)), errors="coerce")
        if vals.empty or vals.isna().all():
            continue
        if tr.type == "bar" and stacked:
            other = "y" if letter == "x" else "x"
            keys = _values(tr, other) or list(range(len(vals)))
            for k, v in zip(keys, vals):
                if v == v and v > 0:
                    tops[k] = tops.get(k, 0.0) + float(v)
        else:
            m = float(vals.max())
            top = m if top is None else max(top, m)
    if tops:
        m = max(tops.values())
        top = m if top is None else max(top, m)
    return top


def _value_axis(fig, axis, traces, letter: str, lang: str) -> None:
    # no SI suffixes anywhere: 15,000 rather than 15k, 14,566 on hover rather than 14.566k
    axis.update(exponentformat="none", separatethousands=True)
    if axis.hoverformat is None:
        axis.update(hoverformat=",.2~f")
    if axis.tickvals is not None or axis.tickmode == "array":
        return
    top = _value_top(fig, axis, traces, letter)
    if top is None or top < COMPACT_FROM:
        return
    step = _nice_step(top, axis.nticks or 5)
    ticks = [i * step for i in range(int(top // step) + 2)]
    axis.update(tickmode="array", tickvals=ticks, ticktext=[compact_step(v, lang) for v in ticks])


def localize_figure(fig, lang: str):
    """Set a figure's axes to the language: date axes get their ticks written by Babel ('1月16日' /
    'Jan 16', never plotly's 'Dec 5 2021'), value axes lose the SI suffixes and count in 万/亿 or
    K/M from ten thousand up; sankey values are written in full. Returns the figure (changed in place)."""
    _locale(lang)
    names = {k for k in fig.layout.to_plotly_json() if re.fullmatch(r"[xy]axis\d*", k)}
    for tr in fig.data:
        for letter in "xy":
            ref = getattr(tr, f"{letter}axis", None) if tr.type not in ("pie", "sankey", "indicator") else None
            if ref:
                names.add(letter + "axis" + ref[1:])
    if any(tr.type in ("bar", "scatter", "scattergl", "heatmap", "histogram", "box") and not tr.xaxis
           for tr in fig.data):
        names |= {"xaxis", "yaxis"}
    for name in sorted(names):
        axis = fig.layout[name]
        if axis.type in ("category", "multicategory", "log"):
            continue
        letter = name[0]
        traces = _axis_traces(fig, name)
        dateish = axis.type == "date" or (axis.type in (None, "-") and any(
            _is_dateish(_values(tr, letter)) for tr in traces))
        if dateish:
            if axis.tickmode != "array" or axis.ticktext is None:
                _date_axis(axis, traces, letter, lang)
        elif traces and all(tr.type in ("bar", "scatter", "scattergl", "histogram", "box") for tr in traces):
            values = [v for tr in traces for v in _values(tr, letter)]
            if values and all(isinstance(v, str) for v in values if v is not None):
                continue  # a category axis by its data
            _value_axis(fig, axis, traces, letter, lang)
    for tr in fig.data:
        if tr.type == "sankey" and tr.valueformat is None:
            tr.update(valueformat=",d")
    return fig

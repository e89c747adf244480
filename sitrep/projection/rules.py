"""The projection mode's rules (会议室大屏), apart from its page (sitrep.projection.page): plain functions.

Which screens there are and how long each stays up (data/screen.toml, with a browser's URL overrides), when
the next is due, whether the newest import is stale, and what a screen shows: the KPI cards (value, status
with its icon and word, change on the day before), the needs-a-decision table, a map legend, the clock's
date line, and chart text floored to the size the back of a room can read. No Streamlit here.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from sitrep import catalogue, i18n
from sitrep.figures import STATUS_ICONS

CONFIG_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "screen.toml"
SCREENS = ("overview", "cases", "command", "monitoring", "screening", "publicity", "preparedness")
MIN_ROTATION_SECONDS = 3
MIN_CHART_FONT_PX = 18


class ScreenConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ScreenConfig:
    screens: tuple[str, ...] = SCREENS
    rotation_seconds: float = 30
    refresh_minutes: float = 5
    stale_import_hours: float = 26
    overview_kpis: tuple[str, ...] = ()
    decision_rows: int = 8

    @property
    def tick_seconds(self) -> float:
        """How often the rotating part reruns while playing: each rotation, and at least every refresh."""
        return min(self.rotation_seconds, self.refresh_minutes * 60)


def load_config(path: Path = CONFIG_FILE) -> ScreenConfig:
    """Read and check data/screen.toml; raise ScreenConfigError naming the key."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    known = set(ScreenConfig.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ScreenConfigError(f"{path.name}: unknown keys {', '.join(unknown)}")
    cfg = ScreenConfig(
        screens=tuple(raw.get("screens", SCREENS)),
        rotation_seconds=float(raw.get("rotation_seconds", 30)),
        refresh_minutes=float(raw.get("refresh_minutes", 5)),
        stale_import_hours=float(raw.get("stale_import_hours", 26)),
        overview_kpis=tuple(raw.get("overview_kpis", ())),
        decision_rows=int(raw.get("decision_rows", 8)),
    )
    bad = [s for s in cfg.screens if s not in SCREENS]
    if bad or not cfg.screens:
        raise ScreenConfigError(f"{path.name}: screens must be some of {', '.join(SCREENS)} (got {bad or 'none'})")
    if cfg.rotation_seconds < MIN_ROTATION_SECONDS:
        raise ScreenConfigError(f"{path.name}: rotation_seconds must be at least {MIN_ROTATION_SECONDS}")
    if cfg.refresh_minutes <= 0 or cfg.stale_import_hours <= 0 or cfg.decision_rows < 1:
        raise ScreenConfigError(f"{path.name}: refresh_minutes, stale_import_hours and decision_rows must be positive")
    cat = catalogue.by_key()
    missing = [k for k in cfg.overview_kpis if k not in cat]
    if missing or len(cfg.overview_kpis) > 8:
        raise ScreenConfigError(f"{path.name}: overview_kpis must be at most 8 keys of data/kpis.toml "
                                f"(unknown: {', '.join(missing) or '-'})")
    return cfg


def with_url(cfg: ScreenConfig, params: dict) -> ScreenConfig:
    """The configuration with one browser's URL overrides: rotate=SECONDS, screens=a,b,c.
    Values that do not fit are ignored (a projector bookmark should still open)."""
    out = cfg
    try:
        seconds = float(params.get("rotate", ""))
        if math.isfinite(seconds) and seconds >= MIN_ROTATION_SECONDS:
            out = replace(out, rotation_seconds=seconds)
    except ValueError:
        pass
    wanted = [s.strip() for s in str(params.get("screens", "")).split(",") if s.strip() in SCREENS]
    if wanted:
        out = replace(out, screens=tuple(dict.fromkeys(wanted)))
    return out


def due(shown_at: float, now: float, seconds: float) -> bool:
    """Has the current screen been up for its time? (half a second early counts: a timer's tick
    may arrive a little before the full interval)"""
    return now - shown_at >= seconds - 0.5


def next_index(index: int, count: int, step: int = 1) -> int:
    return (index + step) % count if count else 0


def is_stale(imported_at, now: datetime, hours: float) -> bool:
    """No import at all, or the newest older than `hours`."""
    if imported_at is None or pd.isna(imported_at):
        return True
    return now - pd.Timestamp(imported_at).to_pydatetime().replace(tzinfo=None) > timedelta(hours=hours)


def delta_text(kpi: catalogue.Kpi, value: float | None, previous: float | None, lang: str) -> str:
    """The change on the day before as a KPI card shows it: "较前日 +7", "与前日持平"."""
    if value is None or previous is None:
        return i18n.t("screen.delta_none", lang)
    diff = value - previous
    if math.isclose(diff, 0, abs_tol=0.5 * 10 ** -kpi.decimals):
        return i18n.t("screen.delta_same", lang)
    arrow = "↑" if diff > 0 else "↓"
    return i18n.t("screen.delta", lang, change=f"{arrow}{abs(diff):,.{kpi.decimals}f}")


# ---------------------------------------------------------------- chart text for the back of the room

_FONT_PATHS = ("font", "title.font", "legend.font", "legend.title.font", "hoverlabel.font")
_AXIS_FONT_PATHS = ("tickfont", "title.font")
_TRACE_FONT_PATHS = ("textfont", "insidetextfont", "outsidetextfont", "number.font", "title.font", "delta.font",
                     "gauge.axis.tickfont", "marker.colorbar.tickfont", "legendgrouptitle.font")


def _floor(obj, path: str, minimum: float) -> None:
    *parents, last = path.split(".")
    node = obj
    for p in parents:
        node = getattr(node, p, None)
        if node is None:
            return
    try:
        size = getattr(node, last).size
    except AttributeError:
        return
    if size is None:
        return
    if isinstance(size, (list, tuple)):
        getattr(node, last).size = [max(s, minimum) if s is not None else s for s in size]
    elif size < minimum:
        getattr(node, last).size = minimum


def floor_fonts(fig: go.Figure, minimum: float = MIN_CHART_FONT_PX) -> go.Figure:
    """Every font size set in the figure raised to at least `minimum` px, and bar labels kept at their
    size (plotly shrinks a label that is wider than its bar; on a projector it must stay readable).
    Sizes left unset come from the theme (sitrep_dark: 18 px and more)."""
    layout = fig.layout
    for path in _FONT_PATHS:
        _floor(layout, path, minimum)
    for name in dir(layout):
        if name.startswith(("xaxis", "yaxis")) and getattr(layout, name, None) is not None:
            for path in _AXIS_FONT_PATHS:
                _floor(getattr(layout, name), path, minimum)
    for ann in layout.annotations or ():
        if ann.font is not None and ann.font.size is not None and ann.font.size < minimum:
            ann.font.size = minimum
    if layout.uniformtext is not None and layout.uniformtext.minsize is not None:
        layout.uniformtext.minsize = max(layout.uniformtext.minsize, minimum)
    for trace in fig.data:
        for path in _TRACE_FONT_PATHS:
            _floor(trace, path, minimum)
        if trace.type in ("bar", "funnel"):
            trace.constraintext = "none"
    return fig



# ---------------------------------------------------------------- what a screen shows

KPI_VALUE_PX = {4: 76, 5: 66, 6: 60, 7: 54, 8: 50}  # by cards in the row: at least 48 px


def _status_icon(status: str) -> str:
    return STATUS_ICONS[status] if status != "none" else ""


def kpi_cards_html(keys: list[str], now: dict, before: dict, lang: str, statuses: dict[str, str] | None = None) -> str:
    """The KPI cards of a screen as HTML: icon (and for red and amber the word), name, value as the catalogue
    formats it, change. ``statuses``: {kpi: status} where the severity model says more than the thresholds."""
    cat = catalogue.by_key()
    statuses = statuses or {}
    size = KPI_VALUE_PX.get(len(keys), 76 if len(keys) < 4 else 50)
    cards = []
    for key in keys:
        kpi = cat[key]
        value, prev = now.get(key), before.get(key)
        status = statuses.get(key) or kpi.status(value)
        icon = _status_icon(status)
        word = i18n.t(f"briefing.status.{status}", lang)
        said = f"<span class=word>{escape(i18n.t(f'severity.status.{status}', lang))}</span>" \
            if status in ("red", "amber") else ""
        cards.append(
            f'<div class="screen-kpi status-{status}" data-kpi="{escape(key)}" title="{escape(word)}">'
            f'<div class="screen-kpi-label">{f"<span class=ico>{icon}</span>" if icon else ""}{said}'
            f"{escape(kpi.name(lang))}</div>"
            f'<div class="screen-kpi-value" style="font-size:{size}px">{escape(kpi.format(value, lang))}</div>'
            f'<div class="screen-kpi-delta">{escape(delta_text(kpi, value, prev, lang))}</div></div>')
    return (f'<div class="screen-kpis" style="grid-template-columns: repeat({len(keys)}, minmax(0, 470px))">'
            + "".join(cards) + "</div>")


def legend_html(items, title: str = "") -> str:
    chips = "".join(f'<span class="item"><span class="chip" style="background:rgb{tuple(i.colour)}"></span>'
                    f"{escape(i.label)}</span>" for i in items)
    return f'<div class="screen-legend"><b>{escape(title)}</b>{chips}</div>'


def decisions_html(rows: list, lang: str, shown: int) -> str:
    """The needs-a-decision list for the room (sitrep.severity.Folded rows, most severe first): icon and word,
    the item, where and how much (one row per item however many places), who answers when it is one place (no
    phone numbers)."""
    def t(key, **v):
        return i18n.t(key, lang, **v)

    if not rows:
        return f'<div class="screen-ok">✓ {escape(t("screen.nothing_red"))}</div>'
    head = "".join(f"<th>{escape(t(f'briefing.col.{c}'))}</th>" for c in ("item", "where", "responsible"))
    body = []
    for f in rows[:shown]:
        who = f.places.iloc[0]["responsible_person"] if f.count == 1 else ""
        body.append(f"<tr class=\"sit-{f.level}\"><td><span class=red-ico>■</span> "
                    f"<b>{escape(t(f'severity.level.{f.level}'))}</b> {escape(f.item)}</td>"
                    f"<td>{escape(f.where_text)}</td><td>{escape('' if who == '—' else str(who))}</td></tr>")
    more = (f'<div class="screen-more">{escape(t("screen.more_items", n=len(rows) - shown))}</div>'
            if len(rows) > shown else "")
    return f'<table class="screen-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{more}'



def clock_date(d: date, lang: str) -> str:
    """The date under the clock: "2022年1月16日 星期日", "Sunday 16 Jan 2022"."""
    weekday = i18n.t("screen.weekdays", lang).split(",")[d.weekday()]
    return f"{d.year}年{d.month}月{d.day}日 {weekday}" if lang == "zh" else f"{weekday} {d.day} {d:%b %Y}"

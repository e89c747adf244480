"""The situation (sitrep.severity) as HTML: the headline box, the 需决策事项 rows (folded, each opening to its
places) and the status chips, for the Overview page (light) and the projection screen (dark).

Plain functions returning HTML strings, one set of status tokens (:data:`TOKENS`: icon, tint, edge) for the
web pages and the projection, so a red item looks the same everywhere: tinted, with its icon and its word -
never colour alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import pandas as pd

from sitrep import i18n
from sitrep.figures import STATUS_COLOURS, STATUS_ICONS
from sitrep.severity import Folded

# status -> (tint on a light page, tint on the dark projection, edge colour)
TOKENS = {
    "red": ("#fbe3d6", "#3a1d14", STATUS_COLOURS["red"]),
    "amber": ("#fdf1d2", "#3a2f12", STATUS_COLOURS["amber"]),
    "ok": ("#e3f4ee", "#12302a", STATUS_COLOURS["ok"]),
    "info": ("#eef1f5", "#1d2a44", STATUS_COLOURS["none"]),
}
ICONS = {**STATUS_ICONS, "info": "●"}


def css(dark: bool = False, scale: float = 1.0) -> str:
    """The classes the builders below use; ``scale`` multiplies the type (the projection reads from afar)."""
    fg = "#f2f5f8" if dark else "#1f2328"
    sub = "#c9d3de" if dark else "#555"
    px = lambda n: f"{n * scale:.0f}px"  # noqa: E731
    tints = "".join(
        f".sit-{s} {{ background: {TOKENS[s][1 if dark else 0]}; border-left: {px(8)} solid {TOKENS[s][2]}; }}"
        f".sit-{s} .sit-ico, .sit-chip.sit-{s} {{ color: {TOKENS[s][2] if not dark else '#ffffff'}; }}"
        for s in TOKENS)
    return f"""
.sit-headline {{ font-size: {px(17)}; line-height: 1.6; color: {fg}; padding: {px(10)} {px(14)};
  border-radius: 6px; margin: 0; }}
.sit-headline b {{ font-weight: 700; }}
.sit-list {{ display: flex; flex-direction: column; gap: {px(6)}; margin: 0; padding: 0; }}
.sit-row {{ border-radius: 6px; padding: {px(6)} {px(10)}; color: {fg}; font-size: {px(15)}; line-height: 1.45; }}
.sit-row summary {{ cursor: pointer; list-style: none; }}
.sit-row summary::-webkit-details-marker {{ display: none; }}
.sit-row summary::after {{ content: " ▾"; color: {sub}; }}
.sit-row[open] summary::after {{ content: " ▴"; }}
.sit-row .sit-ico {{ font-weight: 700; margin-right: {px(4)}; }}
.sit-row .sit-word {{ font-weight: 700; margin-right: {px(6)}; }}
.sit-row .sit-who {{ color: {sub}; font-size: {px(13)}; }}
.sit-row ul {{ margin: {px(4)} 0 {px(2)} {px(18)}; padding: 0; }}
.sit-row li {{ font-size: {px(14)}; }}
.sit-more {{ color: {sub}; font-size: {px(14)}; }}
{tints}
"""


def headline_html(text: str, decisions: int) -> str:
    """The headline in a box tinted red when something needs a decision, else green."""
    status = "red" if decisions else "ok"
    return f'<p class="sit-headline sit-{status}" data-testid="sitrep-headline">{escape(text)}</p>'


def _word(level: str, lang: str) -> str:
    return i18n.t(f"severity.level.{level}", lang)


def decision_rows_html(rows: list[Folded], lang: str, shown: int, *, who: bool = True, open_places: bool = True) -> str:
    """The first ``shown`` folded rows, most severe first: icon and level word, the row's text, who answers (a
    single place), and for a row of several places a <details> that opens to each with its value and who
    answers. ``who=False`` leaves the responsible people out (the projection has no room for them)."""
    out = []
    for f in rows[:shown]:
        head = (f'<span class="sit-ico">{ICONS[f.level]}</span><span class="sit-word">{escape(_word(f.level, lang))}'
                f"</span>{escape(f.text)}")
        detail = ""
        if who and f.count == 1:
            p = f.places.iloc[0]
            detail = f' <span class="sit-who">· {escape(_who(p, lang))}</span>' if _who(p, lang) else ""
        if f.count > 1 and open_places:
            items = "".join(f"<li>{escape(str(p.where))} {escape(p.value_text)}"
                            + (f' <span class="sit-who">· {escape(_who(p, lang))}</span>' if who and _who(p, lang) else "")
                            + "</li>" for p in f.places.itertuples())
            out.append(f'<details class="sit-row sit-{f.level}" data-rule="{escape(f.rule)}"><summary>{head}</summary>'
                       f"<ul>{items}</ul></details>")
        else:
            out.append(f'<div class="sit-row sit-{f.level}" data-rule="{escape(f.rule)}">{head}{detail}</div>')
    more = ""
    if len(rows) > shown:
        more = f'<div class="sit-more">{escape(i18n.t("overview.more_rows", lang, n=len(rows) - shown))}</div>'
    return f'<div class="sit-list">{"".join(out)}{more}</div>'


def _who(place, lang: str) -> str:
    person = place.responsible_person if hasattr(place, "responsible_person") else place["responsible_person"]
    if person is None or (isinstance(person, float) and pd.isna(person)) or person == "—":
        return ""
    return i18n.t("overview.who", lang, person=person)


# ---------------------------------------------------------------- the KPI strip


@dataclass
class Card:
    """One KPI card: key, name, value as shown, status (ok/amber/red/none), help (definition, thresholds, why
    "—", as of when), delta text and whether the change is good, bad or neither."""
    key: str
    name: str
    value_text: str
    status: str
    help: str
    delta: str = ""
    delta_sense: str = "off"  # good / bad / off


def kpi_card(kpi, value, previous, lang: str, status: str | None, help_tail: list[str]) -> Card:
    """A catalogue KPI's card: its status (``status`` where the severity model says more), the change since
    the day before (green when good, red when bad, grey for a KPI without thresholds)."""
    status = status or kpi.status(value)
    delta, sense = "", "off"
    if value is not None and previous is not None and not math.isclose(value, previous):
        diff = value - previous
        delta = f"{'↑' if diff > 0 else '↓'} {diff:+,.{kpi.decimals}f}"
        if kpi.amber is not None:
            sense = "good" if (diff > 0) == kpi.up_is_good else "bad"
    sep = "。" if lang == "zh" else ". "
    parts = [kpi.definition(lang), kpi.thresholds_text(lang), *help_tail]
    return Card(kpi.key, kpi.name(lang), kpi.format(value, lang), status,
                sep.join(p for p in parts if p) + ("。" if lang == "zh" else "."), delta, sense)


def kpi_strip_html(groups: list[tuple[str, list[Card]]], lang: str, min_card_px: int = 128,
                   link=None) -> str:
    """Groups of cards (a title each, e.g. the five pillars) that share a row while they fit and wrap when
    they do not; inside a group the cards wrap too, each at least ``min_card_px`` wide, so that no number and no
    label is ever cut (a long label wraps onto another line). Red and amber cards are tinted, with their icon
    and word before the name; every card has its help text as a tooltip (title)."""
    out = []
    for title, cards in groups:
        n = len(cards)
        body = "".join(_card_html(c, lang, link(c.key) if link else None) for c in cards)
        out.append(f'<section class="kpi-group" style="flex: {n} 1 {n * (min_card_px + 6) + 18}px">'
                   f'<div class="kpi-group-title">{escape(title)}</div><div class="kpi-cards" '
                   f'style="grid-template-columns: repeat(auto-fill, minmax({min_card_px}px, 1fr))">{body}</div></section>')
    return f'<div class="kpi-strip">{"".join(out)}</div>'


def _card_html(c: Card, lang: str, href: str | None = None) -> str:
    """One card; ``href``: where a click on it goes (the records behind the number), or nowhere."""
    status = c.status if c.status in TOKENS else "none"
    ico = f'<span class="kpi-ico">{ICONS[c.status]}</span>' if c.status in ICONS and c.status != "none" else ""
    word = (f'<span class="kpi-word">{escape(i18n.t(f"severity.status.{c.status}", lang))}</span>'
            if c.status in ("red", "amber") else "")
    delta = f'<div class="kpi-delta kpi-{c.delta_sense}">{escape(c.delta)}</div>' if c.delta else ""
    card = (f'<div class="kpi-card sit-{status}" data-kpi="{escape(c.key)}" data-status="{escape(c.status)}" '
            f'title="{escape(c.help)}"><div class="kpi-label">{ico}{word}{escape(c.name)}</div>'
            f'<div class="kpi-value">{escape(c.value_text)}</div>{delta}</div>')
    if href is None:
        return card
    return f'<a class="kpi-link" href="{escape(href)}" target="_self">{card}</a>'


def strip_css(dark: bool = False) -> str:
    fg = "#f2f5f8" if dark else "#1f2328"
    sub = "#c9d3de" if dark else "#57606a"
    edge = "#44536a" if dark else "#d0d7de"
    card_bg = "#16213a" if dark else "#ffffff"
    return f"""
.kpi-strip {{ display: flex; flex-wrap: wrap; gap: 8px; align-items: stretch; }}
.kpi-group {{ border: 1px solid {edge}; border-radius: 8px; padding: 6px 8px 8px; min-width: min(100%, 150px); }}
.kpi-group-title {{ font-weight: 700; font-size: 14px; color: {fg}; margin: 0 0 4px 2px; }}
.kpi-cards {{ display: grid; gap: 6px; }}
.kpi-link {{ text-decoration: none; color: inherit; display: block; }}
.kpi-link .kpi-card {{ cursor: pointer; }}
.kpi-card {{ background: {card_bg}; border: 1px solid {edge}; border-radius: 6px; padding: 5px 8px 6px;
  color: {fg}; cursor: help; min-width: 0; }}
.kpi-card.sit-red, .kpi-card.sit-amber {{ border-width: 2px; border-left-width: 7px; }}
.kpi-card.sit-red {{ border-color: {TOKENS['red'][2]}; }} .kpi-card.sit-amber {{ border-color: {TOKENS['amber'][2]}; }}
.kpi-card.sit-ok, .kpi-card.sit-none {{ border-left: 1px solid {edge}; background: {card_bg}; }}
.kpi-label {{ font-size: 13px; line-height: 1.3; color: {fg}; overflow-wrap: anywhere; }}
.kpi-ico {{ font-weight: 700; margin-right: 3px; }}
.kpi-card.sit-ok .kpi-ico {{ color: {TOKENS['ok'][2]}; }}
.kpi-card.sit-red .kpi-ico, .kpi-card.sit-red .kpi-word {{ color: {'#ff9a5c' if dark else '#a33f00'}; }}
.kpi-card.sit-amber .kpi-ico, .kpi-card.sit-amber .kpi-word {{ color: {'#ffc94d' if dark else '#8a5a00'}; }}
.kpi-word {{ font-weight: 700; margin-right: 4px; }}
.kpi-value {{ font-size: 24px; font-weight: 600; line-height: 1.25; margin-top: 2px; overflow-wrap: anywhere; }}
.kpi-delta {{ font-size: 12px; color: {sub}; }}
.kpi-delta.kpi-good {{ color: {'#2fd39f' if dark else '#0a7a55'}; }} .kpi-delta.kpi-bad {{ color: {'#ff9a5c' if dark else '#b42318'}; }}
"""

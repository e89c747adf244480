"""The daily briefing's content: built once from the data, then written as DOCX, PDF or HTML by the
writers beside this module (which only lay it out).

What goes in: a headline paragraph written from the KPIs ("截至3月31日24时，全市……较前日……"), the
items that need a decision (red KPIs, where, the grid person responsible), then one section for cases
and one per pillar with its KPIs and their change on the day before, what is red there, and the key
charts and maps as PNG images. Personal data: only the masked phone numbers of the officials
responsible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

import pandas as pd

from sitrep import catalogue, decisions, i18n, privacy, severity
from sitrep.briefing import images as img
from sitrep.briefing.context import Context
from sitrep.briefing.keycharts import SECTIONS, KeyChart, key_charts
from sitrep.figures import STATUS_ICONS

# Image size (CSS pixels at scale 2): fits a portrait A4 page's text width.
IMAGE_WIDTH = 960
IMAGE_HEIGHT = 440
MAP_HEIGHT = 560
IMAGE_SCALE = 1.5  # 1440 px across: about 230 dpi over the 16 cm of text width
Progress = Callable[[float, str], None]


@dataclass
class KpiLine:
    key: str
    name: str
    value: float | None
    value_text: str  # as the catalogue formats it (the same text as on the pages)
    previous: float | None
    change_text: str
    status: str  # ok / amber / red / none
    status_text: str  # icon and word: status is never colour alone
    definition: str


@dataclass
class Image:
    key: str
    title: str
    caption: str
    png: bytes | None = None
    note: str | None = None  # shown instead of the image (no data, or no image could be made)


@dataclass
class Section:
    key: str
    title: str
    summary: str
    kpis: list[KpiLine]
    red: pd.DataFrame  # item, where, value_text, responsible_person, phone (masked)
    images: list[Image] = field(default_factory=list)


@dataclass
class Briefing:
    lang: str
    as_of: date
    scope: str | None
    scope_name: str
    title: str
    subtitle: str
    headline: str
    decisions: pd.DataFrame  # item, where, value_text, responsible_person, phone (masked)
    sections: list[Section]
    generated_at: datetime
    imported_at: datetime | None
    images_note: str | None = None  # set when the images could not be made

    def t(self, key: str, **values) -> str:
        return i18n.t(f"briefing.{key}", self.lang, **values)


DECISION_COLUMNS = ["item", "where", "value_text", "responsible_person", "phone"]


def change_text(kpi: catalogue.Kpi, value: float | None, previous: float | None, lang: str) -> str:
    """How the value moved since the day before, in words: "较前日增加2例", "与前日持平", "up 2", ..."""
    def t(key, **v):
        return i18n.t(f"briefing.change.{key}", lang, **v)

    if value is None:
        return "—"
    if previous is None:
        return t("no_previous")
    diff = value - previous
    if math.isclose(diff, 0, abs_tol=0.5 * 10 ** -kpi.decimals):
        return t("same")
    amount = f"{abs(diff):,.{kpi.decimals}f}"
    unit = kpi.unit(lang)
    if unit and lang != "zh" and unit != "%":
        unit = " " + unit
    if unit == "%":
        return t("pct_up" if diff > 0 else "pct_down", d=amount)
    return t("up" if diff > 0 else "down", d=amount, unit=unit)


def status_text(status: str, lang: str) -> str:
    word = i18n.t(f"briefing.status.{status}", lang)
    return f"{STATUS_ICONS[status]} {word}" if status != "none" else word


def kpi_lines(keys: list[str], now: dict, before: dict, lang: str,
              statuses: dict[str, str] | None = None) -> list[KpiLine]:
    """``statuses``: {kpi: status} where the severity model says more than the thresholds (new cases red on a
    local case)."""
    cat = catalogue.by_key()
    statuses = statuses or {}
    lines = []
    for key in keys:
        kpi = cat[key]
        value, prev = now.get(key), before.get(key)
        status = statuses.get(key) or kpi.status(value)
        lines.append(KpiLine(key, kpi.name(lang), value, kpi.format(value, lang), prev,
                             change_text(kpi, value, prev, lang), status, status_text(status, lang),
                             kpi.definition(lang)))
    return lines


def _kpi_phrase(ctx: Context, key: str, now: dict, before: dict, with_change: bool = False) -> str:
    """A KPI's value as the catalogue formats it (and its change), or "—" when the catalogue lacks it."""
    kpi = catalogue.by_key().get(key)
    if kpi is None:
        return "—"
    text = kpi.format(now.get(key), ctx.lang)
    if with_change:
        text = ctx.t("briefing.headline.with_change", value=text,
                     change=change_text(kpi, now.get(key), before.get(key), ctx.lang))
    return text


def headline(ctx: Context, now: dict, before: dict, red: pd.DataFrame, sentence: str) -> str:
    """The opening paragraph, as such briefings are written: the situation's headline sentence (sitrep.severity:
    new local cases and where, imported cases, days since the last local case, what got worse, how many items
    need a decision - the same sentence as the Overview's and the projection's), then the cases and their
    change, the people under control, the other pillars' main figures, and what is red."""
    def k(key, change=False):
        return _kpi_phrase(ctx, key, now, before, change)

    parts = [
        sentence,
        ctx.t("briefing.headline.cases", new=k("cases_new", True), active=k("cases_active"),
              cumulative=k("cases_confirmed_cumulative"), contacts=k("contacts_in_quarantine")),
        ctx.t("briefing.headline.screening", under=k("returnees_under_measure", True),
              arrived=k("returnees_arrived_today"), tests_overdue=k("returnees_tests_overdue"),
              release_overdue=k("returnees_release_overdue")),
        ctx.t("briefing.headline.pillars", orders=k("orders_open_overdue"), vaccination=k("vaccination_full_pct"),
              grid=k("grid_complete_pct"), publicity=k("publicity_coverage_7d_pct"),
              capacity=k("test_capacity_use_pct"), reserves=k("reserve_items_below_target")),
    ]
    if not red.empty:
        sep = ctx.t("briefing.headline.sep")
        groups = []
        for item, rows in red.groupby("item", sort=False):
            places = list(rows["where"])
            shown = sep.join(places[:3])
            groups.append(ctx.t("briefing.headline.red_item", item=item, places=shown) if len(places) <= 3 else
                          ctx.t("briefing.headline.red_item_more", item=item, places=shown, n=len(places)))
        parts.append(ctx.t("briefing.headline.red", items=ctx.t("briefing.headline.list_sep").join(groups)))
    return "".join(parts) if ctx.lang == "zh" else " ".join(parts)


def _masked(df: pd.DataFrame) -> pd.DataFrame:
    out = df[DECISION_COLUMNS].copy()
    out["phone"] = out["phone"].map(privacy.mask_phone)
    return out.reset_index(drop=True)


def build(ctx: Context, *, images: bool = True, progress: Progress | None = None,
          now_time: datetime | None = None) -> Briefing:
    """The briefing for the context's day, scope and language. progress(fraction, message) is called
    as it goes (data 0-45%, charts 45-55%, images 55-100%). images=False leaves the images out (tables
    only; the document says so).

    The browser that draws the images starts first and renders each chart as soon as it is built,
    while the data for the next ones is read."""
    def step(fraction: float, key: str) -> None:
        if progress:
            progress(fraction, ctx.t(f"briefing.progress.{key}"))

    step(0.02, "kpis")
    renderer = img.Renderer(scale=IMAGE_SCALE) if images else None
    try:
        now = decisions.kpi_values(ctx.query, ctx.as_of, ctx.scope)
        before = decisions.kpi_values(ctx.query, ctx.previous, ctx.scope)
        step(0.10, "regions")
        # the same assessment as the Overview and the projection: the red items need a decision
        sit = severity.assess(ctx.query, as_of=ctx.as_of, scope=ctx.scope, lang=ctx.lang, scope_name=ctx.scope_name,
                              regions=ctx.regions, now=now, before=before)
        red = sit.decisions

        sections: list[Section] = []
        targets: dict[int, Image] = {}  # renderer index -> image
        drawable: list[Image] = []
        for i, key in enumerate(SECTIONS):
            step(0.45 + 0.10 * i / len(SECTIONS), "charts")
            lines = kpi_lines([k.key for k in catalogue.for_pillar(key)], now, before, ctx.lang,
                              sit.card_statuses(now))
            counts = {s: sum(1 for line in lines if line.status == s) for s in ("red", "amber")}
            section = Section(key, ctx.t(f"briefing.section.{key}"),
                              ctx.t("briefing.section_summary", n=len(lines), **counts),
                              lines, _masked(red[red["pillar"] == key]))
            for chart in key_charts(key, ctx, dark=False, height=IMAGE_HEIGHT):
                image = Image(chart.key, chart.title, chart.caption, note=chart.empty)
                section.images.append(image)
                figure = None if chart.empty else _figure(ctx, chart, image)
                if figure is not None:
                    drawable.append(image)
                    if renderer is not None:
                        targets[renderer.submit(*figure)] = image
            sections.append(section)

        images_note = None
        if renderer is not None:
            step(0.55, "images")
            done = renderer.finish(lambda n, total: step(0.55 + 0.43 * n / max(total, 1), "images"))
            for index, png in enumerate(done.images):
                targets[index].png = png
            if done.error:
                images_note = ctx.t("briefing.no_images", reason=done.error)
        else:
            images_note = ctx.t("briefing.images_off")
    finally:
        if renderer is not None:
            renderer.finish()  # stops the browser when building failed half way
    if images_note:
        for image in drawable:
            if image.png is None:
                image.note = ctx.t("briefing.image_missing")

    latest = ctx.query("import_latest")
    imported = latest["imported_at"].iloc[0] if not latest.empty else None
    imported = None if imported is None or pd.isna(imported) else pd.Timestamp(imported).to_pydatetime()
    step(1.0, "done")
    return Briefing(
        lang=ctx.lang, as_of=ctx.as_of, scope=ctx.scope, scope_name=ctx.scope_name,
        title=ctx.t("briefing.title"),
        subtitle=ctx.t("briefing.subtitle", scope=ctx.scope_name, date=ctx.date_text(ctx.as_of)),
        headline=headline(ctx, now, before, red, sit.headline),
        decisions=_masked(red), sections=sections,
        generated_at=now_time or datetime.now(), imported_at=imported, images_note=images_note,
    )


def _figure(ctx: Context, chart: KeyChart, image: Image):
    """(figure, width, height) to render for a key chart, or None (and a note) when there is nothing."""
    if chart.map is not None:
        polys, outline, labels = img.map_layers(ctx.query, chart.map, ctx.scope)
        if polys.empty:
            image.note = ctx.t("briefing.chart.no_data")
            return None
        fig = img.static_map(chart.map, polys, outline=outline, labels=labels,
                             no_data_label=ctx.t("common.no_data"), height=MAP_HEIGHT)
        return fig, IMAGE_WIDTH, MAP_HEIGHT
    # on paper there is no hover: tick labels must have room of their own
    fig = chart.figure.update_yaxes(automargin=True).update_xaxes(automargin=True)
    return fig, IMAGE_WIDTH, int(fig.layout.height or IMAGE_HEIGHT)

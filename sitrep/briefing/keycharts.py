"""The key charts and maps of each pillar: what the projection screen shows under a pillar's KPIs and
what the daily briefing prints as images.

Plain functions: each reads named queries through the context's query function and calls the same
figure builders as the pages (sitrep.figures.*), so a chart on the projector, in the briefing and on
the page agree. A map is returned as a :class:`MapSpec` (values by region, labels, colours): the
projector draws it with sitrep.maps.choropleth (pydeck, dark), the briefing as a static plotly
figure (sitrep.briefing.images.static_map).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from sitrep import catalogue, l10n
from sitrep.briefing.context import Context
from sitrep.figures import cases as cases_fig
from sitrep.figures import command as command_fig
from sitrep.figures import monitoring as monitoring_fig
from sitrep.figures import preparedness as preparedness_fig
from sitrep.figures import publicity as publicity_fig
from sitrep.figures import screening as screening_fig
from sitrep.alerts.config import load_alert_config
from sitrep.maps import LegendItem
from sitrep.warning import config as warning_config
from sitrep.warning import ears

SECTIONS = ("cases", "command", "monitoring", "screening", "publicity", "preparedness")
PUBLICITY_DAYS = 7
SENTINEL_DAYS = 56
SENTINEL_COLUMNS = 3


@dataclass
class MapSpec:
    """A choropleth of the regions of `level` in the context's scope (values: region_code, value)."""
    level: str
    values: pd.DataFrame
    value_label: str
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}"
    palette: str = "blues"
    highlight: set[str] = field(default_factory=set)
    highlight_label: str = ""
    classes: dict | None = None
    points: pd.DataFrame | None = None
    point_legend: list[LegendItem] = field(default_factory=list)


@dataclass
class KeyChart:
    key: str
    title: str
    caption: str
    figure: go.Figure | None = None
    map: MapSpec | None = None
    empty: str | None = None  # set when there is nothing to draw: what to say instead


def key_charts(section: str, ctx: Context, *, dark: bool = False, height: int = 420) -> list[KeyChart]:
    """The key charts of one section (a pillar, or "cases") for the context's day and scope, their
    axes in the context's language (sitrep.l10n)."""
    charts = BUILDERS[section](ctx, dark, height)
    for chart in charts:
        if chart.figure is not None:
            l10n.localize_figure(chart.figure, ctx.lang)
    return charts


def _t(ctx: Context, key: str, **values) -> str:
    return ctx.t(f"briefing.chart.{key}", **values)


def _period(ctx: Context, start) -> dict:
    return {"start": ctx.date_text(start), "end": ctx.date_text(ctx.as_of)}


def _cases(ctx: Context, dark: bool, height: int) -> list[KeyChart]:
    # the page's labels in the briefing's words
    labels = replace(cases_fig.CasesLabels.of(ctx.lang), date_format=_t(ctx, "date_ticks"),
                     point_reported=_t(ctx, "case_reported"), point_active=_t(ctx, "case_active"),
                     point_past=_t(ctx, "case_past"))
    curve = ctx.query("cases_daily_by_source_category", **ctx.params, date_basis="report")
    fig = cases_fig.epi_curve_by_category(curve, labels, start=ctx.min_date, end=ctx.as_of, height=height, dark=dark)
    villages = ctx.query("cases_by_village", **ctx.params)
    points = cases_fig.case_points(ctx.query("cases_points", **ctx.params), labels)
    case_map = MapSpec(
        level="village", values=villages.rename(columns={"cases_cumulative": "value"})[["region_code", "value"]],
        value_label=_t(ctx, "cases_map_value"), fmt=lambda v: _t(ctx, "cases_fmt", n=f"{v:,.0f}"),
        palette="oranges", points=points,
        point_legend=[LegendItem(tuple(cases_fig.ACTIVE_POINT[:3]), labels.point_active),
                      LegendItem(tuple(cases_fig.PAST_POINT[:3]), labels.point_past)])
    return [
        KeyChart("cases_curve", _t(ctx, "cases_curve_title"), _t(ctx, "cases_curve_caption", **_period(ctx, ctx.min_date)),
                 figure=fig),
        KeyChart("cases_map", _t(ctx, "cases_map_title"), _t(ctx, "cases_map_caption", end=ctx.date_text(ctx.as_of)),
                 map=case_map),
    ]


def _command(ctx: Context, dark: bool, height: int) -> list[KeyChart]:
    orders = ctx.query("orders_by_task_force", **ctx.params, days=None)
    total = orders[orders["is_total"].astype(bool)]
    charts = []
    title = _t(ctx, "orders_title")
    caption = _t(ctx, "orders_caption", end=ctx.date_text(ctx.as_of))
    if total.empty or not total["issued"].iloc[0]:
        charts.append(KeyChart("command_orders", title, caption, empty=_t(ctx, "no_data")))
    else:
        labels = replace(command_fig.CommandLabels.of(ctx.lang),
                         stage={m: _t(ctx, f"orders_{m}") for m in command_fig.ORDER_MEASURES})
        charts.append(KeyChart("command_orders", title, caption, figure=command_fig.orders_by_task_force(
            orders, labels, height=height, dark=dark)))
    townships = ctx.query("vaccinations_full_by_township", **ctx.params)
    charts.append(KeyChart(
        "command_vaccination", _t(ctx, "vaccination_title"), _t(ctx, "vaccination_caption", end=ctx.date_text(ctx.as_of)),
        map=MapSpec(level="township", values=townships.rename(columns={"full_pct": "value"})[["region_code", "value"]],
                    value_label=_t(ctx, "vaccination_value"), fmt=lambda v: f"{v:.1f}%", palette="greens")))
    return charts


def _monitoring(ctx: Context, dark: bool, height: int) -> list[KeyChart]:
    # the page's labels in the briefing's words
    labels = replace(monitoring_fig.MonitoringLabels.of(ctx.lang), alarm_day=_t(ctx, "sentinel_alarm"),
                     score={k: _t(ctx, f"haves_{k}") for k in (5, 4, 3, "low")})
    grid = ctx.query("grid_haves_by_village", region_code=ctx.scope)
    classes = monitoring_fig.score_classes(labels)
    grid_map = MapSpec(level="village", values=grid.rename(columns={"haves": "value"})[["region_code", "value"]],
                       value_label=_t(ctx, "grid_value"), fmt=lambda v: _t(ctx, "grid_fmt", n=int(v)),
                       classes=classes, highlight=set(grid.loc[~grid["has_unit"].astype(bool), "region_code"]),
                       highlight_label=_t(ctx, "grid_holes"))
    start = max(ctx.as_of - timedelta(days=SENTINEL_DAYS - 1), ctx.min_date)
    series = ctx.query("sentinel_daily_by_site_type", **ctx.params)
    charts = [KeyChart("monitoring_grid", _t(ctx, "grid_title"), _t(ctx, "grid_caption"), map=grid_map)]
    statistics = load_alert_config().statistics  # what makes an alarm day, as for the alerts
    title = _t(ctx, "sentinel_title")
    caption = _t(ctx, "sentinel_caption", **_period(ctx, start), statistics="/".join(s.upper() for s in statistics))
    if series.empty:
        charts.append(KeyChart("monitoring_sentinel", title, caption, empty=_t(ctx, "no_data")))
    else:
        alarms = ears.alarm_days(ctx.query("sentinel_aberrations_daily", **ctx.params, metric="visits",
                                           date_from=start, **warning_config.load_config().aberration_params()),
                                 statistics)
        rows = -(-series["site_type"].nunique() // SENTINEL_COLUMNS)
        charts.append(KeyChart("monitoring_sentinel", title, caption, figure=monitoring_fig.sentinel_small_multiples(
            series, labels, measure="visits", start=start, end=ctx.as_of, columns=SENTINEL_COLUMNS,
            height=max(height, 170 * rows + 60), dark=dark, alarms=alarms)))
    return charts


def _screening(ctx: Context, dark: bool, height: int) -> list[KeyChart]:
    by_region = ctx.query("returnees_category_by_region", **ctx.params)
    level = ctx.child_level
    returnee_map = MapSpec(level=level, values=by_region.rename(columns={"registered": "value"})[["region_code", "value"]],
                           value_label=_t(ctx, "returnees_value"), fmt=lambda v: _t(ctx, "persons_fmt", n=f"{v:,.0f}"))
    stages = ctx.query("returnees_stage_by_region", **ctx.params)
    measures = ctx.enums("returnees", "measure")
    # the page's labels in the briefing's words
    stage = {**{s: measures.get(s, s) for s in screening_fig.ACTIVE_STAGES}, "released": _t(ctx, "released")}
    labels = replace(screening_fig.ScreeningLabels.of(ctx.lang), stage=stage, stage_under=_t(ctx, "under_measure"),
                     stage_released=_t(ctx, "released"))
    level_name = _t(ctx, f"level_{level}")
    charts = [KeyChart("screening_map", _t(ctx, "returnees_title", level=level_name),
                       _t(ctx, "returnees_caption", end=ctx.date_text(ctx.as_of)), map=returnee_map)]
    title = _t(ctx, "stages_title", level=level_name)
    caption = _t(ctx, "stages_caption", end=ctx.date_text(ctx.as_of))
    if stages.empty:
        charts.append(KeyChart("screening_stages", title, caption, empty=_t(ctx, "no_data")))
    else:
        charts.append(KeyChart("screening_stages", title, caption, figure=screening_fig.stage_bars(
            stages, labels, height=height, dark=dark)))
    return charts


def _publicity(ctx: Context, dark: bool, height: int) -> list[KeyChart]:
    # the page's labels in the briefing's words
    labels = replace(publicity_fig.PublicityLabels.of(ctx.lang), activities=_t(ctx, "activities"),
                     reach=_t(ctx, "reach"), theme_unspecified=_t(ctx, "theme_unspecified"),
                     themes_week=_t(ctx, "themes_week"))
    villages = ctx.query("publicity_coverage_by_village", **ctx.params, days=PUBLICITY_DAYS)
    blind = set(villages.loc[~villages["covered"].astype(bool), "region_code"])
    start = ctx.as_of - timedelta(days=PUBLICITY_DAYS - 1)
    coverage = MapSpec(level="village", values=villages.rename(columns={"activities": "value"})[["region_code", "value"]],
                       value_label=_t(ctx, "publicity_value"), fmt=lambda v: _t(ctx, "times_fmt", n=f"{v:,.0f}"),
                       palette="greens", highlight=blind, highlight_label=_t(ctx, "blind_spot"))
    channels = ctx.query("publicity_by_channel", **ctx.params, days=PUBLICITY_DAYS)
    weekly = ctx.query("publicity_weekly_by_theme", **ctx.params)
    themes = KeyChart("publicity_themes", _t(ctx, "themes_title"), _t(ctx, "themes_caption", end=ctx.date_text(ctx.as_of)))
    if weekly.empty:
        themes.empty = _t(ctx, "no_data")
    else:  # the phase's focus over the weeks: a third chart, so the screen of one KPI card is not half empty
        themes.figure = publicity_fig.themes_by_week(weekly, labels, height=height, dark=dark)
    return [
        KeyChart("publicity_map", _t(ctx, "publicity_map_title", n=PUBLICITY_DAYS, blind=len(blind)),
                 _t(ctx, "publicity_map_caption", **_period(ctx, start)), map=coverage),
        KeyChart("publicity_channels", _t(ctx, "channels_title", n=PUBLICITY_DAYS),
                 _t(ctx, "channels_caption", **_period(ctx, start)),
                 figure=publicity_fig.channel_mix(channels, labels, height=height, dark=dark)),
        themes,
    ]


def _preparedness(ctx: Context, dark: bool, height: int) -> list[KeyChart]:
    use_kpi = catalogue.by_key()["test_capacity_use_pct"]
    # the page's labels in the briefing's words
    capacity = [k for k in preparedness_fig.CAPACITY_KEYS if k != "date_tick"]
    labels = replace(preparedness_fig.PreparednessLabels.of(ctx.lang),
                     capacity={**{k: _t(ctx, f"capacity_{k}") for k in capacity}, "date_tick": _t(ctx, "date_ticks")},
                     supply={k: _t(ctx, f"supply_{k}") for k in preparedness_fig.SUPPLY_KEYS})
    daily = ctx.query("test_capacity_daily", **ctx.params)
    charts = []
    title, caption = _t(ctx, "capacity_title"), _t(ctx, "capacity_caption", amber=f"{use_kpi.amber:g}",
                                                    red=f"{use_kpi.red:g}")
    if daily.empty:
        charts.append(KeyChart("preparedness_capacity", title, caption, empty=_t(ctx, "no_data")))
    else:
        charts.append(KeyChart("preparedness_capacity", title, caption, figure=preparedness_fig.capacity_trend(
            daily, labels, amber_pct=use_kpi.amber, red_pct=use_kpi.red, start=daily["date"].min(),
            end=ctx.as_of, height=height, dark=dark)))
    items = ctx.query("reserves_by_item", **ctx.params)
    stock = ctx.query("reserves_by_warehouse_item", **ctx.params)
    title, caption = _t(ctx, "supply_title"), _t(ctx, "supply_caption")
    if items.empty or items["days_of_supply"].isna().all():
        charts.append(KeyChart("preparedness_supply", title, caption, empty=_t(ctx, "no_data")))
    else:
        charts.append(KeyChart("preparedness_supply", title, caption, figure=preparedness_fig.supply_bullets(
            items, stock, labels, height=height, dark=dark)))
    return charts


BUILDERS: dict[str, Callable[[Context, bool, int], list[KeyChart]]] = {
    "cases": _cases, "command": _command, "monitoring": _monitoring, "screening": _screening,
    "publicity": _publicity, "preparedness": _preparedness,
}

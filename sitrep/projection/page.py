"""Projection mode (会议室大屏): the dashboard for a meeting-room projector, opened by ``?mode=screen``.

No sidebar and no Streamlit chrome, a dark high-contrast theme (page, charts: template sitrep_dark,
maps: choropleth(dark=True)), type that reads from the back of a room (KPI values 48 px and up,
labels 24 px, chart text 18 px at 1920x1080; larger screens are zoomed so 4K looks the same). It
rotates through the screens of data/screen.toml - the overview and, for cases and each pillar, its
KPIs with one or two key charts (sitrep.briefing.keycharts, shared with the daily briefing) - with a
pause button, re-reads the data without reloading the page (st.fragment run_every; the data cache
follows the database file), and shows a clock, the as-of time and a warning when the newest import
is old. Status is never colour alone: every status has its icon (✓ ▲ ■).

This module draws it with Streamlit (:func:`main`); the configuration and the rules (which screen is due,
is the import stale, what a KPI card says, fonts floored to 18 px) are plain functions in
sitrep.projection.rules.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from html import escape

import pandas as pd
import streamlit as st

from sitrep import catalogue, decisions, i18n, maps, severity, situation_html
from sitrep import regions as region_tree
from sitrep.auth import web as access
from sitrep.briefing.context import Context, as_date
from sitrep.briefing.keycharts import MapSpec, key_charts
from sitrep.maps import LegendItem
from sitrep.projection.rules import (ScreenConfig, clock_date, decisions_html, due, floor_fonts, is_stale,
                                     kpi_cards_html, legend_html, load_config, next_index, with_url)
from sitrep.ui import data, state
from sitrep.ui.state import View

CSS = """
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stMainMenu"], .stAppDeployButton { display: none !important; }
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: #0b1220 !important; color: #f2f5f8; }
[data-testid="stMainBlockContainer"] { padding: 12px 28px 0 28px !important; max-width: none !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 10px; }
/* a fragment's rerun must not fade the screen */
[data-stale="true"], .stale-element { opacity: 1 !important; transition: none !important; }
/* Every screen is laid out at 1920x1080 and scaled to the display (4K: 2x, 1600x900: 0.83x), so the
   room sees the same picture on any projector. Charts have a fixed size in that layout (see _chart). */
html, body { overflow: hidden !important; }
.stApp { width: 1920px !important; height: 1080px !important; min-height: 0 !important;
         transform-origin: 0 0; transform: scale(var(--screen-scale, 1)); }
[data-testid="stAppViewContainer"], [data-testid="stMain"] { height: 1080px !important; max-height: 1080px !important;
  min-height: 0 !important; }
/* Streamlit gives a plotly chart the on-screen width of its frame, which the scaling enlarges: the
   frame is made narrower by the scale, so the chart is drawn at its layout width, and the chart
   inside it is given that width back (it overflows the narrowed frame to its full place). */
[data-testid="stFullScreenFrame"]:has(> [data-testid="stPlotlyChart"]) {
  width: calc(100% / var(--screen-scale, 1)) !important; overflow: visible !important; }
[data-testid="stFullScreenFrame"] > [data-testid="stPlotlyChart"] {
  width: calc(100% * var(--screen-scale, 1)) !important; max-width: none !important;
  height: calc(CHART_HEIGHTpx / var(--screen-scale, 1)) !important; overflow: visible !important; }
[data-testid="stPlotlyChart"] > div { overflow: visible !important; }
SCALES

.screen-head, .screen-clock, .screen-date, .screen-kpis, .screen-chart-title, .screen-legend, .screen-table,
.screen-empty, .screen-ok, .screen-more { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
  "PingFang SC", sans-serif; }
.screen-head { display: flex; align-items: baseline; gap: 24px; min-height: 96px; flex-wrap: wrap; }
.screen-title { font-size: 46px; font-weight: 700; line-height: 1.15; color: #ffffff; }
.screen-step { font-size: 26px; color: #9fb0c3; }
.screen-sub { font-size: 25px; color: #c9d3de; width: 100%; margin-top: -6px; }
.screen-stale { display: inline-block; font-size: 25px; font-weight: 700; color: #111; background: #E69F00;
  padding: 0 12px; border-radius: 4px; margin-left: 12px; }
.st-key-screen_clock { position: fixed; top: 10px; right: 28px; z-index: 1000; width: auto !important; }
.screen-clock { font-size: 46px; font-weight: 700; color: #ffffff; font-variant-numeric: tabular-nums;
  text-align: right; line-height: 1.15; }
.screen-date { font-size: 24px; color: #c9d3de; text-align: right; }
.screen-kpis { display: grid; gap: 14px; }
.screen-kpi { background: #16213a; border-left: 10px solid #6b7a8f; border-radius: 6px; padding: 10px 16px 12px;
  display: flex; flex-direction: column; justify-content: space-between; }
.screen-kpi-label { font-size: 26px; line-height: 1.25; color: #dfe6ee; min-height: 2.5em; text-wrap: balance; }
.screen-kpi-value { font-weight: 700; line-height: 1.1; color: #ffffff; white-space: nowrap; }
.screen-kpi-delta { font-size: 24px; color: #c9d3de; }
.screen-kpi .ico { font-weight: 700; margin-right: 6px; }
.screen-kpi.status-ok { border-left-color: #009E73; } .screen-kpi.status-ok .ico { color: #2fd39f; }
.screen-kpi .word { font-weight: 700; margin-right: 8px; }
/* the same status tokens as the web pages (sitrep.situation_html.TOKENS): red and amber cards tinted */
.screen-kpi.status-amber { border-left-color: #E69F00; background: #3a2f12; outline: 2px solid #E69F00; }
.screen-kpi.status-amber .ico, .screen-kpi.status-amber .word { color: #ffc94d; }
.screen-kpi.status-red { border-left-color: #D7191C; background: #3a1d14; outline: 2px solid #D7191C; }
.screen-kpi.status-red .ico, .screen-kpi.status-red .word { color: #FF4D4D; }
.screen-headline { font-size: 27px !important; line-height: 1.45 !important; padding: 8px 16px !important; }
.screen-decisions .sit-row { font-size: 25px; line-height: 1.35; padding: 6px 12px; }
.screen-chart-title { font-size: 30px; font-weight: 700; color: #ffffff; line-height: 1.3; }
.screen-empty { font-size: 30px; color: #c9d3de; padding: 40px 0; }
.screen-legend { font-size: 24px; color: #e6ecf2; line-height: 1.6; }
.screen-legend .item { white-space: nowrap; display: inline-block; }
.screen-legend .chip { display: inline-block; width: 22px; height: 22px; border: 1px solid #aaa;
  vertical-align: -3px; margin: 0 6px 0 14px; }
.screen-table { width: 100%; border-collapse: collapse; font-size: 25px; color: #f2f5f8; }
.screen-table th { text-align: left; color: #9fb0c3; font-weight: 400; border-bottom: 2px solid #44536a; padding: 4px 8px; }
.screen-table td { border-bottom: 1px solid #2a3850; padding: 6px 8px; }
.screen-table td.num { text-align: right; white-space: nowrap; }
.screen-more { font-size: 24px; color: #c9d3de; }
.red-ico { color: #FF4D4D; }
.stButton button [data-testid="stIconMaterial"] { font-size: 32px !important; }
.screen-ok { font-size: 30px; color: #2fd39f; padding: 20px 0; }
.stButton button { background: #1d2a44 !important; color: #ffffff !important; border: 1px solid #50627d !important;
  min-height: 52px; }
.stButton button p { font-size: 24px !important; }
"""

CHART_HEIGHT = 600
# The display sizes the layout is scaled to: the largest scale whose 1920x1080 fits the viewport wins.
SCALES = (0.5, 0.5625, 0.625, 0.6667, 0.7, 0.75, 0.8, 0.8333, 0.875, 0.9, 1, 1.25, 1.3333, 1.5, 1.6667, 2, 2.5, 3, 4)
CSS = CSS.replace("CHART_HEIGHT", str(CHART_HEIGHT)).replace("SCALES", "\n".join(
    f"@media (min-width: {1920 * s:.0f}px) and (min-height: {1080 * s:.0f}px) {{ :root {{ --screen-scale: {s}; }} }}"
    for s in SCALES))
MAP_HEIGHT = 540
OVERVIEW_MAP_HEIGHT = 440  # the overview's headline takes the rest


def main() -> None:
    """Projection mode: called by dashboard.py when the URL has mode=screen."""
    st.set_page_config(page_title="疫情防控态势 · 大屏", layout="wide", initial_sidebar_state="collapsed")
    st.html(f"<style>{CSS}</style>")
    lang = state.current_lang()
    if not data.get_db().exists():
        st.html(f'<div class="screen-empty">{escape(i18n.t("common.no_database", lang))}</div>')
        return

    def page() -> None:
        _run(lang)

    st.navigation([st.Page(page, title=i18n.t("screen.page_title", lang), url_path="screen", default=True)],
                  position="hidden").run()


def _run(lang: str) -> None:
    qp = st.query_params
    cfg = with_url(load_config(), dict(qp))
    ss = st.session_state
    if "screen_index" not in ss:
        start = qp.get("screen")
        ss.screen_index = cfg.screens.index(start) if start in cfg.screens else 0
        ss.screen_shown_at = time.monotonic()
        ss.screen_paused = qp.get("paused") == "1"

    def current_context() -> Context:
        # read each time: a new import moves the last day (unless the URL fixes the day)
        bounds = data.query("data_date_range")
        min_date, max_date = as_date(bounds["min_date"].iloc[0]), as_date(bounds["max_date"].iloc[0])
        regions = region_tree.index(data.query)
        try:
            as_of = date.fromisoformat(str(qp.get("as_of")))
        except ValueError:
            as_of = None
        as_of = as_of if as_of and min_date <= as_of <= max_date else max_date
        scope = qp.get("scope")
        scope = scope if region_tree.is_below_root(scope, regions) else None
        scope = access.clamp_scope(scope)  # a township user's screen is their township, whatever the URL says
        ctx = Context(data.query, as_of, scope, lang, min_date, regions)
        ss["sitrep_view"] = View(as_of=as_of, scope=scope, lang=lang, min_date=min_date, max_date=max_date)
        return ctx

    @st.fragment(run_every=timedelta(seconds=10))
    def clock() -> None:
        now = datetime.now()
        with st.container(key="screen_clock"):
            st.html(f'<div class="screen-clock">{now:%H:%M}</div>'
                    f'<div class="screen-date">{escape(clock_date(now.date(), lang))}</div>')

    run_every = cfg.refresh_minutes * 60 if ss.screen_paused else cfg.tick_seconds

    @st.fragment(run_every=timedelta(seconds=run_every))
    def rotating() -> None:
        if ss.pop("screen_app_rerun", False):
            st.rerun()  # the pause button changed how often this part reruns: the whole page must rerun
        now = time.monotonic()
        if not ss.screen_paused and due(ss.screen_shown_at, now, cfg.rotation_seconds):
            ss.screen_index = next_index(ss.screen_index, len(cfg.screens))
            ss.screen_shown_at = now
        ss.screen_index %= len(cfg.screens)
        key = cfg.screens[ss.screen_index]
        ctx = current_context()
        _header(ctx, cfg, key)
        _screen(ctx, cfg, key)

    clock()
    rotating()



def _header(ctx, cfg: ScreenConfig, key: str) -> None:
    ss = st.session_state
    latest = ctx.query("import_latest")
    imported = latest["imported_at"].iloc[0] if not latest.empty else None
    parts = [ctx.scope_name, ctx.t("common.as_of", date=ctx.date_text(ctx.as_of))]
    if imported is not None and not pd.isna(imported):
        parts.append(ctx.t("common.imported_at", when=pd.Timestamp(imported).strftime("%Y-%m-%d %H:%M")))
    stale = ""
    if is_stale(imported, datetime.now(), cfg.stale_import_hours):
        stale = f'<span class="screen-stale">⚠ {escape(ctx.t("screen.stale", hours=f"{cfg.stale_import_hours:g}"))}</span>'
    step = ctx.t("screen.step", n=ss.screen_index + 1, total=len(cfg.screens))
    state = ctx.t("screen.paused") if ss.screen_paused else ctx.t("screen.every", s=f"{cfg.rotation_seconds:g}")
    left, right, _clock_room = st.columns([12, 5, 3], vertical_alignment="center")
    left.html(f'<div class="screen-head"><span class="screen-title" data-screen="{escape(key)}">'
              f'{escape(ctx.t(f"screen.title.{key}"))}</span>'
              f'<span class="screen-step">{escape(step)} · {escape(state)}</span>'
              f'<div class="screen-sub">{escape(" · ".join(parts))}{stale}</div></div>')
    with right.container(horizontal=True, horizontal_alignment="right"):
        st.button("", key="screen_prev", on_click=_step, args=(-1, len(cfg.screens)), help=ctx.t("screen.prev"),
                  icon=":material/skip_previous:")
        st.button(ctx.t("screen.resume") if ss.screen_paused else ctx.t("screen.pause"), key="screen_pause",
                  on_click=_toggle_pause, icon=":material/play_arrow:" if ss.screen_paused else ":material/pause:")
        st.button("", key="screen_next", on_click=_step, args=(1, len(cfg.screens)), help=ctx.t("screen.next"),
                  icon=":material/skip_next:")


def _step(step: int, count: int) -> None:
    ss = st.session_state
    ss.screen_index = next_index(ss.screen_index, count, step)
    ss.screen_shown_at = time.monotonic()


def _toggle_pause() -> None:
    ss = st.session_state
    ss.screen_paused = not ss.screen_paused
    ss.screen_shown_at = time.monotonic()
    ss.screen_app_rerun = True


def _screen(ctx, cfg: ScreenConfig, key: str) -> None:
    now = decisions.kpi_values(ctx.query, ctx.as_of, ctx.scope)
    before = decisions.kpi_values(ctx.query, ctx.previous, ctx.scope)
    keys = list(cfg.overview_kpis) if key == "overview" else [k.key for k in catalogue.for_pillar(key)]
    if key == "overview":
        # the same assessment, headline and list as the Overview page and the daily briefing
        sit = severity.assess(ctx.query, as_of=ctx.as_of, scope=ctx.scope, lang=ctx.lang, scope_name=ctx.scope_name,
                              regions=ctx.regions, now=now, before=before)
        st.html(f"<style>{situation_html.css(dark=True, scale=1.5)}</style>"
                + situation_html.headline_html(sit.headline, len(sit.decisions)).replace(
                    'class="sit-headline ', 'class="sit-headline screen-headline '))
        st.html(kpi_cards_html(keys, now, before, ctx.lang, sit.card_statuses(now)))
        _overview(ctx, cfg, sit)
        return
    st.html(kpi_cards_html(keys, now, before, ctx.lang))
    charts = key_charts(key, ctx, dark=True, height=CHART_HEIGHT)
    for col, chart in zip(st.columns(len(charts), gap="large"), charts):
        with col:
            _chart(ctx, chart)


def _chart(ctx, chart) -> None:
    st.html(f'<div class="screen-chart-title">{escape(chart.title)}</div>')
    if chart.empty:
        st.html(f'<div class="screen-empty">{escape(chart.empty)}</div>')
    elif chart.map is not None:
        _map(ctx, chart.map, key=chart.key)
    else:
        fig = floor_fonts(chart.figure)
        # tick and category labels need room of their own at projector sizes
        fig.update_yaxes(automargin=True).update_xaxes(automargin=True)
        fig.update_layout(height=CHART_HEIGHT)  # the CSS keeps the chart's frame at this height too
        # theme=None: Streamlit's own chart theme would replace sitrep_dark (light paper, 12 px text)
        st.plotly_chart(fig, width="stretch", key=f"screen_{chart.key}", theme=None,
                        config={"displayModeBar": False, "displaylogo": False, "responsive": False})


def _map(ctx, spec, key: str, labels: list[str] | None = None, height: int = MAP_HEIGHT) -> None:
    shapes = ctx.query("boundaries_by_level", level=spec.level, region_code=ctx.scope)
    polys = maps.polygons(shapes)
    if polys.empty:
        st.html(f'<div class="screen-empty">{escape(ctx.t("common.no_data"))}</div>')
        return
    # villages are drawn inside their townships' outlines and named by township; other levels by their own names
    townships = ctx.query("boundaries_by_level", level="township", region_code=ctx.scope) \
        if spec.level == "village" else shapes
    outline = maps.polygons(townships) if spec.level == "village" else None
    deck, legend = maps.choropleth(
        polys, spec.values, value_label=spec.value_label, fmt=spec.fmt, palette=spec.palette,
        highlight=spec.highlight or None, highlight_label=spec.highlight_label, outline=outline, points=spec.points,
        no_data_label=ctx.t("common.no_data"), dark=True, layer_id=f"screen-{key}", classes=spec.classes)
    # names (of the townships, or of the counties of a lake), placed so that none overlaps another (城西/城东街道,
    # 江北/江滨街道 lie close together);
    # ``labels`` gives the order (the first keep their places), else the townships' order
    named = townships.set_index("region_code")
    if labels:
        named = named.reindex([c for c in labels if c in named.index] + [c for c in named.index if c not in labels])
    named = named[["name", "lon", "lat"]].dropna()
    deck.initial_view_state = maps.view_state(polys, width_px=860, height_px=height)
    if not named.empty:
        placed = maps.place_labels(named, deck.initial_view_state, width_px=860, height_px=height, size_px=20)
        deck.layers.append(maps.label_layer(placed, layer_id=f"screen-{key}-labels", size_px=20, dark=True))
    st.pydeck_chart(deck, height=height, key=f"screen_map_{key}")
    st.html(legend_html(legend + list(spec.point_legend), spec.value_label))


def _overview(ctx, cfg: ScreenConfig, sit) -> None:
    # the regions below coloured by their place in the ranking (红黑榜): worst level red, amber or none
    rank = sit.ranking
    level_value = {"ok": 0, "amber": 1, "red": 2}
    values = pd.DataFrame({"region_code": rank["region_code"], "value": [level_value[x] for x in rank["level"]]})
    rgb = {s: tuple(int(situation_html.TOKENS[s][2][i:i + 2], 16) for i in (1, 3, 5)) for s in level_value}
    classes = {level_value[s]: LegendItem(rgb[s], f"{situation_html.ICONS[s]} {ctx.t(f'severity.level.{s}')}")
               for s in ("red", "amber", "ok")}
    words = {v: ctx.t(f"severity.level.{s}") for s, v in level_value.items()}
    spec = MapSpec(level=ctx.child_level, values=values, value_label=ctx.t("screen.red_map_value"),
                   fmt=lambda v: words.get(int(v), ""), classes=classes)
    left, right = st.columns([5, 6], gap="large")
    with left:
        st.html(f'<div class="screen-chart-title">{escape(ctx.t("screen.red_map_title"))}</div>')
        _map(ctx, spec, key="overview_red", labels=list(rank["region_code"]), height=OVERVIEW_MAP_HEIGHT)
    with right:
        st.html(f'<div class="screen-chart-title"><span class=red-ico>■</span> '
                f'{escape(ctx.t("screen.decisions_title", n=len(sit.decisions)))}</div>')
        st.html(decisions_html(sit.decision_rows, ctx.lang, cfg.decision_rows))

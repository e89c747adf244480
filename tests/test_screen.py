"""Projection mode (?mode=screen): the configuration and its rules, every screen under AppTest, and in
real Chromium: each screen fits 1920x1080 without scrolling, type is large enough for the back of a
room (KPI values >= 48 px, labels >= 24 px, chart text >= 18 px), the screens rotate, and 4K shows the
same layout scaled. Screenshots: artifacts/screenshots/screen_*.png."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from sitrep import catalogue, projection
from sitrep.db import ROOT

from conftest import screenshot

# ---------------------------------------------------------------- configuration and rules


def test_the_shipped_configuration_loads():
    cfg = projection.load_config()
    assert cfg.screens == projection.SCREENS
    assert cfg.rotation_seconds == 30 and cfg.refresh_minutes == 5
    assert all(k in catalogue.by_key() for k in cfg.overview_kpis)


@pytest.mark.parametrize("text, message", [
    ('screens = ["overview", "maps"]', "screens must be some of"),
    ("rotation_seconds = 1", "rotation_seconds must be at least"),
    ("refresh_minutes = 0", "must be positive"),
    ('overview_kpis = ["cases_new", "no_such_kpi"]', "unknown: no_such_kpi"),
    ("colour = 1", "unknown keys colour"),
])
def test_a_bad_configuration_names_the_key(text, message, tmp_path):
    path = tmp_path / "screen.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(projection.ScreenConfigError, match=message):
        projection.load_config(path)


def test_url_overrides():
    cfg = projection.ScreenConfig()
    assert projection.with_url(cfg, {"rotate": "5"}).rotation_seconds == 5
    assert projection.with_url(cfg, {"rotate": "1"}).rotation_seconds == 30  # too fast: ignored
    assert projection.with_url(cfg, {"rotate": "soon"}).rotation_seconds == 30
    assert projection.with_url(cfg, {"screens": "cases, maps,command,cases"}).screens == ("cases", "command")
    assert projection.with_url(cfg, {"screens": "maps"}).screens == projection.SCREENS
    assert projection.ScreenConfig(rotation_seconds=600, refresh_minutes=5).tick_seconds == 300


def test_rotation_and_staleness_rules():
    assert projection.due(100.0, 129.6, 30) and not projection.due(100.0, 129.4, 30)
    assert [projection.next_index(i, 3) for i in range(3)] == [1, 2, 0]
    assert projection.next_index(0, 3, -1) == 2
    now = datetime(2022, 3, 31, 12, 0)
    assert not projection.is_stale(pd.Timestamp("2022-03-31 08:00"), now, 26)
    assert projection.is_stale(now - timedelta(hours=27), now, 26)
    assert projection.is_stale(None, now, 26) and projection.is_stale(pd.NaT, now, 26)


def test_kpi_cards_carry_icon_value_and_change():
    cat = catalogue.by_key()
    html = projection.kpi_cards_html(["orders_open_overdue", "vaccination_full_pct", "cases_confirmed_cumulative"],
                                 {"orders_open_overdue": 10, "vaccination_full_pct": 81.5,
                                  "cases_confirmed_cumulative": 11},
                                 {"orders_open_overdue": 10, "vaccination_full_pct": 80.0}, "zh")
    assert 'class="screen-kpi status-red"' in html and "<span class=ico>■</span>" in html
    assert 'class="screen-kpi status-ok"' in html and "<span class=ico>✓</span>" in html
    assert 'class="screen-kpi status-none"' in html  # no thresholds: no icon, neutral colour
    assert cat["orders_open_overdue"].format(10, "zh") in html and "81.5%" in html
    assert "与前日持平" in html and "较前日 ↑1.5" in html and "前日无数据" in html
    sizes = [int(s) for s in re.findall(r"font-size:(\d+)px", html)]
    assert sizes and min(sizes) >= 48


def test_fonts_are_floored_for_the_room():
    fig = go.Figure(go.Bar(x=[1], y=[2], text=["2"], textfont=dict(size=12)))
    fig.add_annotation(text="小标题", font=dict(size=15))
    fig.update_layout(legend=dict(font=dict(size=10)), xaxis=dict(tickfont=dict(size=9)), uniformtext=dict(minsize=12))
    fig.add_scatter(x=[1], y=[2], mode="text", text=["a"], textfont=dict(size=[10, 30]))
    projection.floor_fonts(fig)
    assert fig.data[0].textfont.size == 18 and fig.data[0].constraintext == "none"
    assert fig.layout.annotations[0].font.size == 18
    assert fig.layout.legend.font.size == 18 and fig.layout.xaxis.tickfont.size == 18
    assert fig.layout.uniformtext.minsize == 18
    assert list(fig.data[1].textfont.size) == [18, 30]


# ---------------------------------------------------------------- every screen under AppTest


def run_screen(demo_db, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    at.query_params["mode"] = "screen"
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    return at


def html_of(at: AppTest) -> str:
    return "\n".join(el.proto.body for el in at.get("html"))


@pytest.mark.parametrize("key", projection.SCREENS)
def test_every_screen_runs(key, demo_db, monkeypatch):
    at = run_screen(demo_db, monkeypatch, screen=key, paused="1")
    assert not at.exception, [e.message for e in at.exception]
    body = html_of(at)
    assert f'data-screen="{key}"' in body
    keys = projection.load_config().overview_kpis if key == "overview" else [k.key for k in catalogue.for_pillar(key)]
    assert body.count('class="screen-kpi ') == len(keys)
    assert len(at.sidebar) == 0  # no sidebar controls in projection mode
    if key == "overview":
        assert at.get("deck_gl_json_chart") and ("screen-table" in body or "screen-ok" in body)
    else:
        assert len(at.get("plotly_chart")) + len(at.get("deck_gl_json_chart")) >= 1
    for chart in at.get("plotly_chart"):
        assert '"template"' in chart.proto.spec and "#f0f0f0" in chart.proto.spec  # sitrep_dark


def test_an_old_import_is_flagged(demo_db, monkeypatch, tmp_path):
    config = tmp_path / "screen.toml"
    config.write_text(projection.CONFIG_FILE.read_text(encoding="utf-8").replace("stale_import_hours = 26",
                                                                              "stale_import_hours = 0.0001"),
                      encoding="utf-8")
    monkeypatch.setattr(projection, "CONFIG_FILE", config)
    monkeypatch.setattr(projection.load_config, "__defaults__", (config,))
    body = html_of(run_screen(demo_db, monkeypatch, paused="1"))
    assert 'class="screen-stale">⚠ 数据已超过0.0001小时未更新' in body


def test_a_new_import_shows_on_the_next_refresh(demo_db, monkeypatch, tmp_path):
    """The data cache follows the database file: the screen's next run (its timer) reads the new data."""
    import shutil

    from sitrep.db import Database

    db_path = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, db_path)
    at = run_screen(db_path, monkeypatch, screen="cases", paused="1")
    card = re.search(r'data-kpi="contacts_in_quarantine".*?screen-kpi-value[^>]*>([^<]*)<', html_of(at), re.S)
    assert card and card.group(1) != "0人"
    with Database(db_path).writer() as con:  # an import: a new file replaces the served one
        con.execute("delete from contacts")
    at.run()
    card = re.search(r'data-kpi="contacts_in_quarantine".*?screen-kpi-value[^>]*>([^<]*)<', html_of(at), re.S)
    assert card.group(1) == "0人"


def test_url_keeps_as_of_scope_and_language(demo_db, monkeypatch):
    at = run_screen(demo_db, monkeypatch, screen="cases", paused="1", as_of="2022-01-20", lang="en",
                    scope="451481001000")
    body = html_of(at)
    assert "as of the end of Jan 20, 2022" in body and 'data-screen="cases"' in body and "Cases" in body
    assert at.query_params["mode"] == ["screen"] or at.query_params["mode"] == "screen"


# ---------------------------------------------------------------- real browser

SIZES_JS = """() => {
  const px = sel => [...document.querySelectorAll(sel)].filter(e => e.textContent.trim())
                      .map(e => [e.textContent.trim().slice(0, 20), parseFloat(getComputedStyle(e).fontSize)]);
  const main = document.querySelector('[data-testid="stMain"]');
  return {
    viewport: innerHeight, mainScroll: main.scrollHeight, docScroll: document.scrollingElement.scrollHeight,
    values: px('.screen-kpi-value'),
    labels: px('.screen-kpi-label, .screen-kpi-delta, .screen-sub, .screen-step, .screen-chart-title, '
               + '.screen-legend, .screen-table th, .screen-table td, .screen-clock, .screen-date, .stButton button p'),
    plotly: px('.js-plotly-plot svg text'),
    title: document.querySelector('.screen-title')?.dataset.screen,
  };
}"""


def open_screen(page, url: str, key: str | None = None) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(f'.screen-title[data-screen="{key}"]' if key else ".screen-title", timeout=90_000)
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas, .js-plotly-plot .main-svg', timeout=90_000)
    page.wait_for_timeout(2000)  # charts and maps draw after the script finishes


@pytest.mark.browser
@pytest.mark.parametrize("key, lang", [(k, "zh") for k in projection.SCREENS] + [("overview", "en"), ("screening", "en")])
def test_screen_fits_1080p_and_reads_from_the_back(key, lang, server, watched_page):
    page = watched_page.page
    open_screen(page, f"{server}/?mode=screen&paused=1&screen={key}&lang={lang}", key)
    m = page.evaluate(SIZES_JS)
    screenshot(page, f"screen_{key}" if lang == "zh" else f"screen_{key}_{lang}")
    assert m["mainScroll"] <= m["viewport"] and m["docScroll"] <= m["viewport"], m
    assert m["values"] and min(s for _, s in m["values"]) >= 48, m["values"]
    assert min(s for _, s in m["labels"]) >= 24, [x for x in m["labels"] if x[1] < 24]
    if key != "overview":
        assert m["plotly"], "no chart text drawn"
        assert min(s for _, s in m["plotly"]) >= 18, [x for x in m["plotly"] if x[1] < 18]
    assert page.locator('[data-testid="stSidebar"]').count() == 0 or \
        not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('header[data-testid="stHeader"]').is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    watched_page.assert_clean()


@pytest.mark.browser
def test_screens_rotate_and_pause(server, watched_page):
    page = watched_page.page
    open_screen(page, f"{server}/?mode=screen&rotate=3&screens=cases,command", "cases")
    page.wait_for_function("() => document.querySelector('.screen-title')?.dataset.screen === 'command'",
                           timeout=120_000)
    page.wait_for_function("() => document.querySelector('.screen-title')?.dataset.screen === 'cases'",
                           timeout=120_000)
    page.get_by_role("button", name="暂停").click()
    page.wait_for_function("() => document.querySelector('.screen-step')?.textContent.includes('已暂停')",
                           timeout=60_000)
    assert page.get_by_role("button", name="继续").count() == 1
    watched_page.assert_clean()


@pytest.mark.browser
def test_4k_shows_the_same_screen_scaled(server, browser):
    context = browser.new_context(viewport={"width": 3840, "height": 2160}, locale="zh-CN")
    page = context.new_page()
    try:
        open_screen(page, f"{server}/?mode=screen&paused=1&screen=preparedness", "preparedness")
        m = page.evaluate(SIZES_JS)
        geometry = page.evaluate("""() => {
          const r = e => e.getBoundingClientRect();
          return {scale: getComputedStyle(document.documentElement).getPropertyValue('--screen-scale').trim(),
                  charts: [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(el => {
                    const svg = el.querySelector('.main-svg'), col = el.closest('[data-testid="stColumn"]');
                    return [r(svg).width, r(col).width, r(svg).height]; }),
                  value: r(document.querySelector('.screen-kpi-value')).height};
        }""")
        screenshot(page, "screen_preparedness_4k")
        assert geometry["scale"] == "2"
        assert m["docScroll"] <= 2160
        for svg_width, column_width, svg_height in geometry["charts"]:
            # drawn at the layout width, scaled like everything else: it fills its column, no more
            assert 0.9 * column_width <= svg_width <= column_width + 2
            assert svg_height == pytest.approx(2 * projection.CHART_HEIGHT, abs=4)
        assert geometry["value"] >= 2 * 48
    finally:
        context.close()

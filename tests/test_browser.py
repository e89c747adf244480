"""Every page in real headless Chromium against a running Streamlit server: it draws,
makes no request to a non-local host, logs no console error, and leaves a 1920x1080
screenshot in artifacts/screenshots/."""

import pytest

from conftest import screenshot, wait_for_app

PAGES = {"overview": "", "cases": "cases", "command": "command", "monitoring": "monitoring",
         "screening": "screening", "publicity": "publicity", "preparedness": "preparedness", "data": "data"}

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", list(PAGES))
def test_page_loads_offline_and_draws(page, lang, server, watched_page):
    p = watched_page.page
    p.goto(f"{server}/{PAGES[page]}?lang={lang}", wait_until="domcontentloaded")
    wait_for_app(p)
    assert p.locator("h1").count() >= 1, "no page title drawn"
    exceptions = p.locator('[data-testid="stException"]').count()
    assert exceptions == 0, p.locator('[data-testid="stException"]').first.inner_text()
    if page != "data":
        # at least one chart or map drew on a canvas/svg (they draw after the script ends)
        p.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas, .js-plotly-plot .main-svg', timeout=30_000)
        p.wait_for_timeout(1500)
    screenshot(p, f"{page}_{lang}")
    watched_page.assert_clean()


def test_a_click_on_a_bar_of_the_epidemic_curve_opens_its_records(server, watched_page):
    """The records behind a chart's mark (sitrep.drill): a click on a bar of the Cases page's epidemic curve opens
    the records dialog, titled with the bar, and the address names the mark."""
    p = watched_page.page
    p.goto(f"{server}/cases?lang=zh&as_of=2022-01-16", wait_until="domcontentloaded")
    wait_for_app(p)
    # the first trace is the local confirmed cases (sitrep.figures.cases.epi_curve_by_category); its last bar is D's
    bars = p.locator(".st-key-cases_curve .js-plotly-plot .barlayer .trace").first.locator(".point path")
    bars.first.wait_for(timeout=30_000)
    bars.last.click(force=True)
    dialog = p.locator('[role="dialog"]')
    dialog.wait_for(timeout=30_000)
    dialog.locator('[data-testid="stDataFrame"]').wait_for(timeout=30_000)
    p.wait_for_timeout(1500)
    title = dialog.inner_text()
    assert title.startswith("2022年1月16日报告 · 本土 · 确诊病例 · 病例"), title
    assert "records=cases_curve" in p.url and "records_filter=" in p.url, p.url
    screenshot(p, "drill_cases_curve_zh")
    p.reload(wait_until="domcontentloaded")  # the address reopens the mark's records
    dialog.locator('[data-testid="stDataFrame"]').wait_for(timeout=30_000)
    assert dialog.inner_text().startswith("2022年1月16日报告 · 本土 · 确诊病例 · 病例")
    dialog.locator('button[aria-label="Close"]').click()  # closed, it stays closed (the chart keeps its selection)
    p.wait_for_timeout(3000)
    assert dialog.count() == 0 and "records=" not in p.url, p.url
    watched_page.assert_clean()


@pytest.mark.parametrize("page", ["overview", "data"])
def test_pages_over_a_lake_of_three_counties_load_offline_at_the_prefecture(page, lake_server, watched_page):
    """The dashboard over a lake (sitrep.lake_db): the whole scope is the counties' prefecture, picked by county."""
    p = watched_page.page
    p.goto(f"{lake_server}/{PAGES[page]}?lang=zh&as_of=2022-01-16", wait_until="domcontentloaded")
    wait_for_app(p)
    exceptions = p.locator('[data-testid="stException"]').count()
    assert exceptions == 0, p.locator('[data-testid="stException"]').first.inner_text()
    sidebar = p.locator('[data-testid="stSidebar"]')
    assert "县(市、区)" in sidebar.inner_text()
    if page == "overview":
        p.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=30_000)
        assert "红黑榜（县(市、区)）" in p.locator("h3").all_inner_texts()
        p.wait_for_timeout(1500)
    if page == "data":
        assert any("数据湖" in a for a in p.locator('[data-testid="stAlert"]').all_inner_texts())
    screenshot(p, f"lake_{page}_zh")
    watched_page.assert_clean()

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

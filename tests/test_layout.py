"""Nothing cut off: every page at 1366x768 (the usual office laptop) and 1920x1080, in Chinese and English, on
the demo city's 2022-01-16 (the middle of its outbreak), in real Chromium. Fails on any element whose text the
browser cuts (an ellipsis, or hidden overflow narrower than the text); at 1920x1080 the Overview's headline, its
KPI strip and the first rows of 需决策事项 must be on the first screen. Screenshots:
artifacts/screenshots/layout_<page>_<lang>_<width>.png.

One browser context per language; the pages are opened through the sidebar's navigation (no reload) and each is
checked at both sizes by resizing the window, so the 28 page views cost 14 page runs."""

from __future__ import annotations

import pytest

from conftest import screenshot, wait_for_app

PAGES = ["overview", "cases", "command", "monitoring", "screening", "publicity", "preparedness"]
SIZES = [(1366, 768), (1920, 1080)]
DAY = "2022-01-16"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every element with text of its own that the browser cuts: an ellipsis, or overflow hidden/clip on it or one of
# its three nearest ancestors while the text is wider than the box (or taller, under a line clamp). Charts and
# maps (canvas, svg) and the data grid (drawn on a canvas, its cells scroll) are not text in the page.
CUT_JS = """() => {
  const out = [], reported = new Set();
  for (const el of document.querySelectorAll('.stApp *')) {
    if (el.closest('[data-testid="stSkipToContent"], canvas, svg, [data-testid="stDataFrame"], [data-testid="stTooltipContent"]')) continue;
    let own = '';
    for (const n of el.childNodes) if (n.nodeType === 3) own += n.textContent;
    if (!own.trim()) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    let node = el;
    for (let i = 0; i < 4 && node && node !== document.body; i++, node = node.parentElement) {
      const cs = getComputedStyle(node);
      const hides = ['hidden', 'clip'].includes(cs.overflowX) || cs.textOverflow === 'ellipsis';
      const wide = node.scrollWidth > node.clientWidth + 1;
      const clamped = cs.webkitLineClamp && cs.webkitLineClamp !== 'none' && node.scrollHeight > node.clientHeight + 1;
      if ((hides && wide) || clamped) {
        if (!reported.has(node)) {
          reported.add(node);
          out.push({text: node.textContent.trim().slice(0, 80),
                    where: (el.closest('[data-testid]') || {dataset: {}}).dataset.testid || '',
                    width: node.clientWidth, needs: node.scrollWidth});
        }
        break;
      }
    }
  }
  return out;
}"""

FIRST_SCREEN_JS = """() => {
  const bottom = sel => { const e = document.querySelector(sel); return e ? e.getBoundingClientRect().bottom : null; };
  const rows = [...document.querySelectorAll('.sit-list .sit-row')].slice(0, 3).map(e => e.getBoundingClientRect().bottom);
  return {viewport: innerHeight, headline: bottom('.sit-headline'), strip: bottom('.kpi-strip'), rows: rows};
}"""


IDLE_JS = """() => document.querySelector('h1') && !document.querySelector('[data-testid="stStatusWidget"]')
                 && !document.querySelector('[data-testid="stSkeleton"]')"""


def settle(page, selector: str | None = None) -> None:
    """Wait until the script has finished: idle twice, 0.4 s apart (a rerun may start just after the first run).
    Charts and maps draw on canvases, which hold no page text: no need to wait for them. ``selector``: an element
    the page must have."""
    if selector:
        page.wait_for_selector(selector, timeout=90_000)
    for _ in range(2):
        page.wait_for_function(IDLE_JS, timeout=90_000)
        page.wait_for_timeout(400)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_number_or_label_is_cut_off(lang, server, browser):
    """Each page is drawn once per language and checked at both sizes: the layout follows the window in the
    browser, the server does not run the page again."""
    context = browser.new_context(viewport={"width": SIZES[0][0], "height": SIZES[0][1]}, locale="zh-CN")
    page = context.new_page()
    cut: dict[str, list] = {}
    try:
        page.goto(f"{server}/?lang={lang}&as_of={DAY}", wait_until="domcontentloaded")
        wait_for_app(page, timeout=90_000)
        settle(page, ".sit-list .sit-row")
        for name in PAGES:
            if name != "overview":
                page.locator(f'[data-testid="stSidebarNav"] a[href$="/{name}"]').first.click()
                page.wait_for_function(f"() => location.pathname.endsWith('/{name}')", timeout=30_000)
                settle(page, "h1")
            assert page.locator('[data-testid="stException"]').count() == 0, name
            for width, height in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                page.wait_for_timeout(500)  # the layout (and the charts) follow the new size
                screenshot(page, f"layout_{name}_{lang}_{width}")
                found = page.evaluate(CUT_JS)
                if found:
                    cut[f"{name} {width}x{height}"] = found
                if name == "overview" and width >= 1920:
                    m = page.evaluate(FIRST_SCREEN_JS)
                    assert m["headline"] is not None and m["strip"] is not None and len(m["rows"]) >= 3, m
                    assert max(m["headline"], m["strip"], *m["rows"]) <= m["viewport"], m
    finally:
        context.close()
    assert not cut, f"{lang}: text cut off: {cut}"

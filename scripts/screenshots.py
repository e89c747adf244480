"""The README's screenshots: every page, and the projection mode, in headless Chromium.

    .venv/bin/python scripts/screenshots.py [--db data/sitrep.duckdb] [--as-of 2022-01-16] [--out docs/screenshots]

(or `make screenshots`). It starts `streamlit run dashboard.py` on a free local port with
SITREP_DB set and SITREP_USERS pointing at a file that does not exist (demo mode: no
sign-in, personal data masked; sign-in state goes to a temporary folder), opens each page
at 1920x1080 in Debian's Chromium, waits until the script has finished and the charts
and maps have drawn, and writes one PNG per page into --out (downscaled to --width and
compressed with Pillow, so they can live in git).

The default day is 2022-01-16, in the middle of the demo city's local outbreak. Any request to a host
other than localhost is blocked and makes the script fail (exit status 1): the dashboard
must work with no internet at all.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
CHARTS = '[data-testid="stDeckGlJsonChart"] canvas, .js-plotly-plot .main-svg'

# (file name, URL path, URL parameters besides as_of, has charts or maps)
SHOTS = [
    ("overview_zh", "", {"lang": "zh"}, True),
    ("overview_en", "", {"lang": "en"}, True),
    ("cases_zh", "cases", {"lang": "zh"}, True),
    ("command_zh", "command", {"lang": "zh"}, True),
    ("monitoring_zh", "monitoring", {"lang": "zh"}, True),
    ("screening_zh", "screening", {"lang": "zh"}, True),
    ("publicity_zh", "publicity", {"lang": "zh"}, True),
    ("preparedness_zh", "preparedness", {"lang": "zh"}, True),
    ("data_zh", "data", {"lang": "zh"}, False),
    ("explorer_zh", "explorer", {"lang": "zh"}, False),
    ("screen_overview_zh", "", {"mode": "screen", "paused": "1", "screen": "overview", "lang": "zh"}, True),
    ("screen_screening_zh", "", {"mode": "screen", "paused": "1", "screen": "screening", "lang": "zh"}, True),
]


class ExternalRequest(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, work: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, SITREP_DB=str(db), SITREP_USERS=str(work / "no_users.toml"),
               SITREP_STATE=str(work / "state.sqlite3"), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not start in 60 s; see {log_path}")


def wait_until_drawn(page, charts: bool, timeout_ms: float = 90_000) -> None:
    """The script has run (no status widget), then ~3 s, then the charts/maps are on screen."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')
                 && !document.querySelector('[data-testid="stStatusWidget"]')
                 && document.querySelectorAll('[data-testid="stMarkdown"], [data-testid="stMetric"], '
                                              + '[data-testid="stHtml"]').length > 0""",
        timeout=timeout_ms)
    page.wait_for_timeout(3000)
    if charts:
        page.wait_for_selector(CHARTS, timeout=timeout_ms)
        page.wait_for_timeout(1500)  # plotly and deck.gl finish drawing after they appear
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def compress(png: bytes, width: int, max_bytes: int) -> bytes:
    """Downscale to `width` pixels wide and optimise; if still larger than max_bytes, 256 colours."""
    try:
        from PIL import Image
    except ImportError:
        return png
    img = Image.open(io.BytesIO(png)).convert("RGB")
    if width and img.width > width:
        img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    if out.tell() > max_bytes:
        out = io.BytesIO()
        # fast octree keeps the rare colours (a legend's one purple cell); median cut merges them
        img.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
            out, "PNG", optimize=True)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=os.environ.get("SITREP_DB") or str(ROOT / "data" / "sitrep.duckdb"),
                    help="database (default: $SITREP_DB, else data/sitrep.duckdb; `make demo` builds it)")
    ap.add_argument("--as-of", default="2022-01-16", help="the day shown (default 2022-01-16, in the demo outbreak)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for the PNGs")
    ap.add_argument("--width", type=int, default=1600, help="downscale to this width (0: keep 1920)")
    ap.add_argument("--max-kb", type=int, default=400, help="above this, reduce to 256 colours")
    ap.add_argument("--size", default="1920x1080",
                    help="window size WIDTHxHEIGHT (default 1920x1080; 1366x768 is the usual office laptop)")
    ap.add_argument("--only", nargs="*", help="file names to take (default: all), e.g. overview_zh screen_overview_zh")
    args = ap.parse_args(argv)

    db = Path(args.db)
    if not db.exists():
        print(f"no database at {db}: run `make demo` first", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("chromium is not installed: run `make browser-deps`", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shots = [s for s in SHOTS if not args.only or s[0] in args.only]
    external: list[str] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sitrep_shots_") as tmp:
        work = Path(tmp)
        log_path = work / "streamlit.log"
        proc, url = start_server(db, work, log_path)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
                width, height = (int(x) for x in args.size.lower().split("x"))
                context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")

                def guard(route):
                    if route.request.url.startswith(("data:", "blob:", "about:")) or \
                            (urlparse(route.request.url).hostname or "") in LOCAL_HOSTS:
                        route.continue_()
                    else:
                        external.append(route.request.url)
                        route.abort()

                context.route("**/*", guard)
                for name, path, params, charts in shots:
                    query = "&".join(f"{k}={v}" for k, v in {**params, "as_of": args.as_of}.items())
                    page = context.new_page()
                    page.on("pageerror", lambda exc, name=name: errors.append(f"{name}: {exc}"))
                    t0 = time.perf_counter()
                    page.goto(f"{url}/{path}?{query}", wait_until="domcontentloaded")
                    try:
                        wait_until_drawn(page, charts)
                    except Exception as e:  # still take the picture: it shows what went wrong
                        errors.append(f"{name}: {type(e).__name__}: {str(e).splitlines()[0]}")
                    n_exc = page.locator('[data-testid="stException"]').count()
                    if n_exc:
                        errors.append(f"{name}: {n_exc} exception(s) on the page: "
                                      + page.locator('[data-testid="stException"]').first.inner_text()[:300])
                    data = compress(page.screenshot(full_page=False), args.width, args.max_kb * 1024)
                    (out / f"{name}.png").write_bytes(data)
                    print(f"{name}.png  {len(data) / 1024:6.0f} KB  {time.perf_counter() - t0:5.1f} s", flush=True)
                    page.close()
                context.close()
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if errors:
            print("streamlit log (tail):\n" + log_path.read_text(errors="replace")[-2000:], file=sys.stderr)
    if external:
        print(f"FAIL: {len(external)} request(s) to non-local hosts (blocked): {sorted(set(external))[:10]}",
              file=sys.stderr)
    for e in errors:
        print(f"FAIL: {e}", file=sys.stderr)
    return 1 if external or errors else 0


if __name__ == "__main__":
    sys.exit(main())

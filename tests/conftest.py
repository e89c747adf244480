"""Shared fixtures: the demo database (built once per run through the production import
path), a Streamlit server on it, and one headless Chromium for every browser test."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
# A small demo keeps the suite fast; every designed feature is present at this scale.
TEST_SCALE = float(os.environ.get("SITREP_TEST_SCALE", "0.1"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
    "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo city at TEST_SCALE, built once per test run (or SITREP_TEST_DB if given)."""
    given = os.environ.get("SITREP_TEST_DB")
    if given:
        return Path(given)
    from sitrep import demo

    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.duckdb"
    demo.build(path, seed=42, scale=TEST_SCALE, out_dir=folder / "exports")
    return path


@pytest.fixture(autouse=True)
def isolated_access(tmp_path_factory, monkeypatch) -> dict[str, Path]:
    """Every test gets a users file that does not exist (demo mode) and a state store of its
    own, in a fresh folder: a developer's data/users.toml, data/state.sqlite3 or exported
    SITREP_USERS/SITREP_STATE never reach a test. A test that sets its own wins (it runs
    after this fixture)."""
    folder = tmp_path_factory.mktemp("access")
    paths = {"users": folder / "users.toml", "state": folder / "state.sqlite3"}
    monkeypatch.setenv("SITREP_USERS", str(paths["users"]))
    monkeypatch.setenv("SITREP_STATE", str(paths["state"]))
    return paths


@pytest.fixture
def demo_env(demo_db, monkeypatch) -> Path:
    """SITREP_DB pointing at the demo database, for code that finds the database itself."""
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    return demo_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(folder: Path, log_name: str, **env_extra):
    """`streamlit run dashboard.py` on a free local port in demo mode (no users file, a state store of its own),
    with env_extra set; yields its URL, then stops it."""
    port = _free_port()
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
               SITREP_USERS=str(folder / "users.toml"), SITREP_STATE=str(folder / "state.sqlite3"), **env_extra)
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / log_name, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(f"streamlit did not start; see artifacts/{log_name}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def server(demo_db, tmp_path_factory):
    """The dashboard on the demo database (session fixtures start before the autouse isolated_access, so the
    server's environment is isolated here)."""
    yield from _serve(tmp_path_factory.mktemp("server_access"), "streamlit.log", SITREP_DB=str(demo_db))


@pytest.fixture(scope="session")
def lake_server(county_lake, county_cube, lake_served, tmp_path_factory):
    """The dashboard over the three demo counties' lake and its cube (sitrep.lake_db)."""
    yield from _serve(tmp_path_factory.mktemp("lake_server_access"), "streamlit_lake.log", SITREP_DB=str(lake_served),
                      SITREP_LAKE=str(county_lake), SITREP_CUBE=str(county_cube))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's) for the whole run."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class PageWatch:
    """A browser page that records requests to non-local hosts and console errors."""

    def __init__(self, page):
        self.page = page
        self.external: list[str] = []
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        page.on("request", self._on_request)
        page.on("response", lambda r: self.failed.append(r.url) if r.status >= 400 else None)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))

    def _on_request(self, request):
        host = urlparse(request.url).hostname or ""
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host not in LOCAL_HOSTS:
            self.external.append(request.url)

    def _on_console(self, msg):
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def assert_clean(self):
        assert not self.external, f"requests to non-local hosts: {self.external[:5]}"
        # Streamlit's frontend finds its base path by probing <page path>/_stcore/health and
        # /host-config; on a page URL those probes 404 before it falls back. The browser logs
        # each as "Failed to load resource"; those and only those are expected.
        unexpected = [u for u in self.failed if not re.search(r"/[^/]+/_stcore/(health|host-config)$", u)]
        assert not unexpected, f"failed requests: {unexpected[:5]}"
        errors = [e for e in self.console_errors
                  if not (e.startswith("Failed to load resource") and self.failed and not unexpected)]
        assert not errors, f"console errors: {errors[:5]}"


@pytest.fixture
def watched_page(browser):
    """A fresh 1920x1080 page; fails the test on any request to a non-local host."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    watch = PageWatch(page)
    yield watch
    context.close()


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script and drawn its elements."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const running = document.querySelector('[data-testid="stStatusWidget"]');
            return app && !running && document.querySelectorAll('[data-testid="stMarkdown"], [data-testid="stMetric"]').length > 0;
        }""",
        timeout=timeout,
    )
    page.wait_for_timeout(1500)  # charts and maps draw after the script finishes


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


# ---------------------------------------------------------------- the province path (sitrep.lake, sitrep.cube_job)

# Scale of each county of the multi-county demo: small, so the Spark tests stay fast.
COUNTY_SCALE = 0.05
N_COUNTIES = 3


@pytest.fixture(scope="session")
def county_dbs(tmp_path_factory) -> list:
    """Three demo counties under one prefecture (the demo city, a district, a county) at
    COUNTY_SCALE, each built through the import path: [(County, database path)]."""
    from sitrep import demo

    folder = tmp_path_factory.mktemp("counties")
    return demo.build_counties(folder / "sitrep.duckdb", N_COUNTIES, seed=42, scale=COUNTY_SCALE,
                               out_dir=folder / "exports")


@pytest.fixture(scope="session")
def county_lake(county_dbs, tmp_path_factory) -> Path:
    """The lake of the three counties: the first exported, the others appended."""
    from sitrep import lake

    path = tmp_path_factory.mktemp("lake") / "lake"
    for k, (_county, db_path) in enumerate(county_dbs):
        lake.export(db_path, path, append=k > 0)
    return path


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (local[2]) for every Spark test of the run: it takes ~10 s to
    start, so it is started once, by the first test that asks for it."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail("pyspark is not installed: run `make test` (it installs requirements-spark.txt and Java 17)")
    from sitrep.cube_job import spark_session

    session = spark_session("local[2]", memory="1g", small=True)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def county_cube(county_lake, tmp_path_factory) -> Path:
    """The KPI cube of the three counties' lake, by the cube job on DuckDB (`python -m sitrep cube`)."""
    from sitrep import cube_job

    out = tmp_path_factory.mktemp("county_cube") / "cube"
    cube_job.run("duckdb", county_lake, out)
    return out


@pytest.fixture(scope="session")
def lake_served(county_lake, county_cube, tmp_path_factory) -> Path:
    """The file the dashboard over the three counties' lake serves (sitrep.lake_db), built once."""
    from sitrep.lake_db import LakeDatabase

    path = tmp_path_factory.mktemp("lake_served") / "sitrep_lake.duckdb"
    LakeDatabase(county_lake, county_cube, path=path).version()
    return path

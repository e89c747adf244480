"""Users and sign-in: the users file and its hashes, the users command, the lockout (whose
answers never tell whether a name exists), sessions that survive a refresh and end on
sign-out, demo mode on localhost and the refusal to serve elsewhere without users.

The helpers at the top (users of every role, signing in under AppTest) are shared with
test_roles.py and test_explorer.py.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from sitrep import audit, cli, i18n
from sitrep.auth import login, roles, store, users, web
from sitrep.db import ROOT, Database

PASSWORD = "correct horse battery staple"
PRODUCTION_HASHER = users._hasher


# ------------------------------------------------------------------ shared fixtures


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    """Cheap Argon2id parameters in tests (the production ones cost ~0.1 s a hash by design);
    hashes carry their parameters, so verification follows. One test checks the real ones."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(users, "_dummy", [])


@pytest.fixture(autouse=True)
def through_dashboard(monkeypatch):
    """Every AppTest run goes through dashboard.py, as on a running server.

    AppTest resets Streamlit's "pages folder" mode before each run, so its second run of a
    session would run the page file alone (a server leaves that mode for good at the first
    st.navigation call, which dashboard.py makes on every run, sign-in included)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


# ------------------------------------------------------------------ shared helpers


def township_of(db_path: Path) -> tuple[str, str]:
    """Two townships of the demo city: (the officer's, another one)."""
    codes = [r[0] for r in Database(db_path).rows(
        "select region_code from regions where level = 'township' order by region_code")]
    return codes[0], codes[1]


def make_users(path: Path, township: str) -> users.UsersFile:
    """A users file with one user of every role (and an analyst who may unmask)."""
    uf = users.UsersFile(path)
    users.add_user(uf, "leader1", "leader", PASSWORD, display_name="王指挥长")
    users.add_user(uf, "analyst1", "analyst", PASSWORD)
    users.add_user(uf, "analyst2", "analyst", PASSWORD, grants=("unmask",))
    users.add_user(uf, "officer1", "officer", PASSWORD, township=township)
    users.add_user(uf, "admin1", "admin", PASSWORD)
    users.add_user(uf, "screen1", "screen", PASSWORD)
    users.save(uf)
    return uf


@pytest.fixture
def access_env(demo_db, tmp_path, monkeypatch) -> dict:
    """The demo database, a users file with every role, a state store of its own."""
    own, other = township_of(demo_db)
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    monkeypatch.setenv("SITREP_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    make_users(tmp_path / "users.toml", own)
    return {"db": demo_db, "township": own, "other": other, "users": tmp_path / "users.toml"}


def submit(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.proto.is_form_submitter).click().run()


def sign_in(name: str, password: str = PASSWORD, *, lang: str = "en", params: dict | None = None) -> AppTest:
    """dashboard.py under AppTest, signed in through the sign-in form."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    at.text_input(key="auth_user").input(name)
    at.text_input(key="auth_password").input(password)
    submit(at)
    assert not at.exception, [e.message for e in at.exception]
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


# ------------------------------------------------------------------ the users file


def test_passwords_are_hashed_with_argon2id_at_the_library_defaults():
    assert PRODUCTION_HASHER.type.name == "ID"
    assert PRODUCTION_HASHER.time_cost >= 3 and PRODUCTION_HASHER.memory_cost >= 64 * 1024
    assert PRODUCTION_HASHER.salt_len >= 16


def test_users_file_holds_salted_slow_hashes_only(tmp_path):
    uf = make_users(tmp_path / "users.toml", "451481001000")
    text = (tmp_path / "users.toml").read_text(encoding="utf-8")
    assert PASSWORD not in text
    loaded = users.load(tmp_path / "users.toml")
    hashes = [u.password_hash for u in loaded.users.values()]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert len(set(hashes)) == len(hashes), "one password, six users: six different salts"
    assert stat.S_IMODE(os.stat(tmp_path / "users.toml").st_mode) == 0o600
    assert loaded.users["officer1"].township == "451481001000"
    assert loaded.users["analyst2"].grants == ("unmask",)
    assert users.verify_password(loaded.users["admin1"], PASSWORD)
    assert not users.verify_password(loaded.users["admin1"], PASSWORD + "x")
    assert not users.verify_password(None, PASSWORD)
    assert set(loaded.users) == set(uf.users)


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="x1", role="officer", password=PASSWORD), "needs --township"),
    (dict(name="x1", role="leader", password=PASSWORD, township="451481001000"), "only an officer"),
    (dict(name="x1", role="boss", password=PASSWORD), "unknown role"),
    (dict(name="x1", role="analyst", password=PASSWORD, grants=("root",)), "unknown grant"),
    (dict(name="x1", role="screen", password=PASSWORD, grants=("unmask",)), "no grants"),
    (dict(name="x1", role="analyst", password="short"), "at least 10"),
    (dict(name="bad name", role="analyst", password=PASSWORD), "letters, digits"),
])
def test_users_that_cannot_be_added(tmp_path, kwargs, message):
    uf = users.UsersFile(tmp_path / "users.toml")
    with pytest.raises(users.UsersError, match=message):
        users.add_user(uf, kwargs.pop("name"), kwargs.pop("role"), kwargs.pop("password"), **kwargs)


def test_a_users_file_with_an_unknown_field_is_refused(tmp_path):
    (tmp_path / "users.toml").write_text('[users.a]\nrole = "leader"\nis_admin = true\n', encoding="utf-8")
    with pytest.raises(users.UsersError, match="unknown field"):
        users.load(tmp_path / "users.toml")


def run_cli(args: list[str], stdin: str = "", capsys=None, monkeypatch=None) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return cli.main(args)


def test_users_command_adds_changes_disables_and_lists(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SITREP_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    assert run_cli(["users", "add", "zhang", "--role", "officer", "--township", "451481001000", "--grant", "unmask",
                    "--display-name", "张三", "--password-stdin"], PASSWORD + "\n", monkeypatch=monkeypatch) == 0
    assert run_cli(["users", "add", "zhang", "--role", "leader", "--password-stdin"], PASSWORD + "\n",
                   monkeypatch=monkeypatch) == 2
    assert run_cli(["users", "add", "li", "--role", "analyst", "--password-stdin"], "short\n",
                   monkeypatch=monkeypatch) == 2
    capsys.readouterr()
    assert run_cli(["users", "list"], monkeypatch=monkeypatch) == 0
    out = capsys.readouterr().out
    assert "zhang\tofficer\t451481001000\tunmask\t\t张三" in out and "argon2" not in out

    uf = users.load()
    token = login.start_session(uf, uf.users["zhang"].principal())
    assert login.resume(uf, token).name == "zhang"
    assert run_cli(["users", "passwd", "zhang", "--password-stdin"], "another long password\n",
                   monkeypatch=monkeypatch) == 0
    uf = users.load()
    assert login.resume(uf, token) is None, "a new password ends the old sessions"
    assert login.authenticate(uf, "zhang", "another long password").ok
    token = login.start_session(uf, uf.users["zhang"].principal())
    assert run_cli(["users", "disable", "zhang"], monkeypatch=monkeypatch) == 0
    uf = users.load()
    assert login.resume(uf, token) is None, "disabling ends the sessions"
    assert not login.authenticate(uf, "zhang", "another long password").ok
    assert run_cli(["users", "enable", "zhang"], monkeypatch=monkeypatch) == 0
    assert login.authenticate(users.load(), "zhang", "another long password").ok
    managed = audit.events(event="users")
    assert sorted(managed["detail"].str.extract(r'"action": "(\w+)"')[0]) == ["add", "disable", "enable", "passwd"]


# ------------------------------------------------------------------ sign-in, lockout, sessions


def test_five_failures_lock_the_name_and_unknown_names_get_the_same_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    uf = make_users(tmp_path / "users.toml", "451481001000")
    t0 = 1_700_000_000.0

    def attempts(name: str) -> list[str]:
        out = [login.authenticate(uf, name, "wrong password", now=t0 + i).status for i in range(5)]
        out.append(login.authenticate(uf, name, PASSWORD, now=t0 + 10).status)  # right password, still locked
        return out

    known, unknown = attempts("analyst1"), attempts("nobody")
    assert known == ["failed"] * 4 + ["locked", "locked"]
    assert unknown == known, "the answers must not tell whether a name exists"
    outcome = login.authenticate(uf, "analyst1", PASSWORD, now=t0 + 60)
    assert (outcome.status, outcome.minutes) == ("locked", 15)
    assert login.authenticate(uf, "analyst1", PASSWORD, now=t0 + 16 * 60).ok, "the lock lasts a while, not forever"
    assert login.authenticate(uf, "leader1", PASSWORD, now=t0).ok, "other names are not locked"
    # failures spread wider than the window do not add up
    for i in range(4):
        assert login.authenticate(uf, "admin1", "wrong", now=t0 + i * 20 * 60).status == "failed"
    log = audit.events(event="login")
    assert set(log["outcome"]) == {"ok", "failed", "locked"}
    assert (log["user_name"] == "nobody").sum() == 6


def test_sessions_store_only_a_hash_and_expire(tmp_path, monkeypatch):
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    token = store.create_session("analyst1", hours=1, now=1000.0)
    assert len(token) >= 40
    assert store.session_user(token, now=1000.0 + 3599) == "analyst1"
    assert store.session_user(token, now=1000.0 + 3601) is None
    assert store.session_user(token + "x", now=1001.0) is None
    for f in tmp_path.glob("state.sqlite3*"):
        assert token.encode() not in f.read_bytes()
    store.end_session(token)
    assert store.session_user(token, now=1001.0) is None


def test_the_sign_in_form_lets_in_only_the_right_password_and_sign_out_ends_it(access_env):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    assert [t.value for t in at.title] == ["Epidemic prevention situation · sign in"]
    assert not at.metric and not at.dataframe, "nothing of the data before signing in"
    at.text_input(key="auth_user").input("analyst1")
    at.text_input(key="auth_password").input("wrong password")
    submit(at)
    assert [e.value for e in at.error] == ["Sign-in failed: wrong user name or password."]
    assert not at.metric

    at = sign_in("analyst1")
    assert at.metric, "the overview after signing in"
    watermark = [h.proto.body for h in at.get("html") if "stApp" in h.proto.body]
    assert watermark and "analyst1" in unquote(watermark[0]), "the viewer's name over the page"
    assert "analyst1 (analyst)" in [c.value for c in at.sidebar.caption]
    token = at.session_state[web.TOKEN_KEY]
    assert store.session_user(token) == "analyst1"
    at.button(key="auth_sign_out").click().run()
    assert_clean(at)
    assert [t.value for t in at.title] == ["Epidemic prevention situation · sign in"]
    assert store.session_user(token) is None, "signing out ends the session on the server"
    log = audit.events(user="analyst1")
    assert list(log["event"])[:2] == ["logout", "login"]


def test_the_run_that_signs_in_lays_out_the_page_as_the_runs_after_it(access_env):
    """Streamlit keeps an element (an open expander, a drawn chart) from one run to the next by its
    place on the page: the run that signs in must place everything where the next run does, or the
    first click after signing in rebuilds the page (the briefing's expander closed on its first button)."""
    def layout(at):
        return [(i, type(el).__name__) for i, el in at.main.children.items()]

    at = sign_in("leader1")
    first = layout(at)
    at.run()
    assert_clean(at)
    assert layout(at) == first


def test_a_refresh_keeps_the_sign_in_through_the_session_cookie(access_env, monkeypatch):
    """AppTest has no browser: the cookie a refreshed page sends is handed in directly (the
    browser test below checks the real cookie)."""
    at = sign_in("officer1")
    token = at.session_state[web.TOKEN_KEY]
    monkeypatch.setattr(web, "_cookie", lambda: token)
    fresh = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)  # a new session: a refresh
    fresh.run()
    assert_clean(fresh)
    assert fresh.session_state[web.PRINCIPAL_KEY].name == "officer1"
    assert fresh.metric
    store.end_session(token)
    again = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    again.run()
    assert again.text_input(key="auth_user"), "an ended session's cookie signs nobody in"


def test_demo_mode_on_localhost_without_users(demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    monkeypatch.setenv("SITREP_USERS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    assert web.is_local_address(web.server_address()), ".streamlit/config.toml keeps the server on localhost"
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    assert_clean(at)
    assert any("Demo mode" in m.value for m in at.markdown)
    assert at.metric
    assert not at.get("text_input")


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", "", "::"])
def test_no_users_on_another_address_refuses_to_serve(demo_db, tmp_path, monkeypatch, address):
    from streamlit import config

    monkeypatch.setenv("SITREP_DB", str(demo_db))
    monkeypatch.setenv("SITREP_USERS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    before = config.get_option("server.address")
    config.set_option("server.address", address or None)
    try:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.query_params["lang"] = "en"
        at.run()
        assert_clean(at)
        assert [e.value for e in at.error][0].startswith("No users are configured: refusing to serve on")
        assert "python -m sitrep users add NAME --role admin" in at.code[0].value
        assert not at.metric and not at.title and not at.dataframe
        # with a user, the same address serves the sign-in form
        make_users(tmp_path / "none.toml", "451481001000")
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.run()
        assert at.text_input(key="auth_user")
    finally:
        config.set_option("server.address", before)


def test_local_addresses():
    assert all(web.is_local_address(a) for a in ("localhost", "127.0.0.1", "127.0.1.1", "::1", "[::1]"))
    assert not any(web.is_local_address(a) for a in (None, "", "0.0.0.0", "::", "10.0.0.5", "example.org"))


def test_an_identity_provider_takes_over_when_configured(tmp_path, monkeypatch):
    uf = make_users(tmp_path / "users.toml", "451481001000")
    monkeypatch.setattr(web, "oidc_configured", lambda: True)
    assert web.mode(uf) == "oidc"
    monkeypatch.setattr(web, "oidc_configured", lambda: False)
    assert web.mode(uf) == "local"
    users.set_disabled(uf, "leader1", False)
    uf.users["leader1"] = users.User(**{**uf.users["leader1"].__dict__, "email": "Wang@Example.gov.cn"})
    assert users.by_email(uf, "wang@example.gov.cn").name == "leader1"
    assert users.by_email(uf, "stranger@example.gov.cn") is None


def test_roles_and_grants():
    officer = roles.Principal("o", "officer", township="451481001000", grants=frozenset({"unmask", "explorer"}))
    assert officer.can("records") and officer.can("unmask") and officer.can("explorer") and not officer.can("data")
    assert not roles.Principal("s", "screen", grants=frozenset({"unmask"})).can("unmask")
    assert not roles.DEMO.can("unmask") and roles.DEMO.can("explorer") and roles.DEMO.can("imports")
    leader = roles.Principal("l", "leader")
    assert [p for p in roles.PAGE_PERMISSIONS if roles.page_allowed(leader, p)] == [
        "overview", "cases", "command", "monitoring", "screening", "publicity", "preparedness"]
    assert roles.page_allowed(roles.Principal("a", "admin"), "data")
    assert not roles.page_allowed(roles.Principal("a", "admin"), "explorer")
    assert roles.page_allowed(roles.Principal("a", "analyst"), "explorer")


# ------------------------------------------------------------------ a real browser: the cookie


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_in_a_browser_a_refresh_keeps_the_sign_in_and_sign_out_ends_it(demo_db, tmp_path, browser, monkeypatch):
    """Also: the session cookie is set by the server, HttpOnly and SameSite=Strict (issue #14), and
    each sign-in is logged with the browser's address."""
    from conftest import wait_for_app

    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))  # the server's: its audit log

    make_users(tmp_path / "users.toml", township_of(demo_db)[0])
    port = _free_port()
    env = dict(os.environ, SITREP_DB=str(demo_db), SITREP_USERS=str(tmp_path / "users.toml"),
               SITREP_STATE=str(tmp_path / "state.sqlite3"), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    log = open(tmp_path / "streamlit.log", "w")
    # served as in production (serve.py: st.App with sitrep's cookie routes)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/?lang=en")
        # typing before the first run has ended would be wiped by it
        page.wait_for_function("""() => document.querySelector('[data-testid="stForm"]')
            && !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=60_000)
        page.wait_for_timeout(500)
        page.get_by_label("User name").fill("leader1")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        wait_for_app(page, timeout=60_000)
        (cookie,) = [c for c in context.cookies() if c["name"] == "sitrep_session"]
        flags = (cookie["httpOnly"], cookie["sameSite"], cookie["secure"], cookie["path"])
        assert flags == (True, "Strict", False, "/"), "HttpOnly, SameSite=Strict; Secure only under HTTPS"
        assert "sitrep_session" not in page.evaluate("document.cookie"), "no script can read the session cookie"
        logins = audit.events(event="login")
        assert set(logins["user_name"]) == {"leader1"} and all('"client": "localhost"' in d for d in logins["detail"])
        page.reload()
        wait_for_app(page, timeout=60_000)
        assert page.get_by_text("王指挥长 (leader)").count() == 1, "still signed in after a refresh"
        assert page.get_by_role("textbox", name="Password").count() == 0
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("textbox", name="Password").wait_for(timeout=30_000)
        for _ in range(100):
            if not any(c["name"] == "sitrep_session" for c in context.cookies()):
                break
            page.wait_for_timeout(100)
        assert not any(c["name"] == "sitrep_session" for c in context.cookies()), "signing out expires the cookie"
        page.reload()
        page.get_by_role("textbox", name="Password").wait_for(timeout=60_000)
        # a link to a page while signed out: the sign-in (no "page not found"), then that page
        page.goto(f"{url}/monitoring?lang=en")
        page.wait_for_function("""() => document.querySelector('[data-testid="stForm"]')
            && !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=60_000)
        page.wait_for_timeout(500)
        assert page.get_by_text("Page not found").count() == 0
        page.get_by_label("User name").fill("officer1")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        wait_for_app(page, timeout=60_000)
        assert urlparse(page.url).path == "/monitoring"
        assert page.get_by_role("heading", name=i18n.t("monitoring.title", "en")).count() == 1
        assert page.get_by_text("Page not found").count() == 0
        context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()

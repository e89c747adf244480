"""The Streamlit side of access control: the sign-in gate dashboard.py runs before any
page, the demo banner, the account box, the watermark, and what the data layer and the
table widget ask (scope, masking, logged downloads).

Modes, decided on every run:

- ``oidc``: ``.streamlit/secrets.toml`` has an ``[auth]`` section: ``st.login`` signs in
  and the users file maps the provider's e-mail address to a role;
- ``local``: the users file has users: name and password, sessions that survive a
  refresh (see sitrep.auth's docstring for how and its limits);
- ``demo``: no users and the server listens on localhost only: no sign-in, a visible
  "demo mode" banner, everything as before access control with personal data masked;
- ``refuse``: no users and any other address: nothing is served but how to add a user.
"""

from __future__ import annotations

import functools

import html
import ipaddress
import sys
from datetime import datetime
from typing import Callable, NoReturn
from urllib.parse import quote

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from sitrep import audit, export, i18n, privacy
from sitrep.auth import cookie, login, roles, store, users
from sitrep.auth.roles import DEMO, Principal

PRINCIPAL_KEY = "_sitrep_principal"
TOKEN_KEY = "_sitrep_session_token"
LOGGED_KEY = "_sitrep_audited"       # (kind, key) pairs this session has logged already
COOKIE = cookie.COOKIE
UNMASK_WIDGET = "auth_unmask"


def _t(key: str, lang: str, **values) -> str:
    return i18n.t(f"auth.{key}", lang, **values)


# ---------------------------------------------------------------- mode


def server_address() -> str | None:
    """The address Streamlit listens on (``server.address``; unset: every interface)."""
    return st.get_option("server.address")


def is_local_address(address: str | None) -> bool:
    if not address:
        return False  # unset: Streamlit listens on every interface
    if address.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all (Streamlit raises its own not-found error)
        return False


def mode(uf: users.UsersFile) -> str:
    if oidc_configured():
        return "oidc"
    if uf.users:
        return "local"
    return "demo" if is_local_address(server_address()) else "refuse"


# ---------------------------------------------------------------- the current principal


def current() -> Principal | None:
    """Who this run is for (None outside a run, e.g. on the command line)."""
    try:
        return st.session_state.get(PRINCIPAL_KEY)
    except Exception:
        return None


def can(permission: str) -> bool:
    p = current()
    return p is not None and p.can(permission)


def unmasked() -> bool:
    """Personal data shown unmasked in this run: the user holds the grant and switched it on."""
    p = current()
    return bool(p is not None and p.can("unmask") and st.session_state.get(UNMASK_WIDGET))


def scope_limit() -> str | None:
    """The township a township user is limited to (None: the whole city)."""
    p = current()
    return p.township if p else None


def clamp_scope(scope: str | None) -> str | None:
    return roles.clamp_scope(current(), scope)


def region_visible(code: str | None) -> bool:
    """Whether rows of region ``code`` may be shown to this user (a township user: only their township's)."""
    return roles.in_scope(code, scope_limit())


def projection_only() -> bool:
    """A projection screen account: the projection mode only, aggregates only."""
    p = current()
    return p is not None and p.role == "screen"


def _who() -> dict:
    """Who acts, for the audit log: user, role and the browser's address (taken now: a download
    is logged later, on a thread without the session)."""
    p = current()
    who = {"user": p.name if p else None, "role": p.role if p else None}
    address = client_address()
    if address:  # none when no browser is behind the run (AppTest)
        who["client"] = address
    return who


client_address = audit.client_address  # the browser's address, as the audit log records it


def _once(kind: str, key) -> bool:
    """True the first time this session sees (kind, key): logs once per session, not per rerun."""
    seen = st.session_state.setdefault(LOGGED_KEY, set())
    if (kind, key) in seen:
        return False
    seen.add((kind, key))
    return True


# ---------------------------------------------------------------- what the data layer asks


def scoped_params(name: str, declared: set[str], params: dict) -> dict:
    """A named query's parameters within the user's township; a refusal is logged and raised."""
    try:
        return roles.scoped_params(current(), name, declared, params)
    except roles.ScopeError as e:
        audit.record("scope", "refused", **_who(), query=name, params=params, reason=str(e))
        raise


def may_list(df: pd.DataFrame) -> bool:
    """Whether a table may be shown at all: lists of residents need the records permission."""
    p = current()
    if p is None or p.can("records"):
        return True
    return not (set(map(str, df.columns)) & roles.RESIDENT_COLUMNS)


def mask(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """The frame as this user may see it: personal columns masked, or unmasked and logged."""
    if not unmasked():
        return privacy.mask_frame(df)
    personal = [c for c in df.columns if str(c) in privacy.PERSONAL]
    if personal and _once("unmask", (source, len(df))):
        audit.record("unmask", **_who(), source=source, rows=len(df), columns=personal)
    return df


def export_data(frame: pd.DataFrame, fmt: str, name: str):
    """What a download button is given: a function Streamlit calls when the button is clicked (the file is
    made then, not at every run of the page), which first logs the download of a signed-in user."""
    make = export.to_csv_bytes if fmt == "csv" else export.to_xlsx_bytes
    p = current()
    if p is None or p.is_demo:
        return functools.partial(make, frame)
    who, unmask, rows = _who(), unmasked(), len(frame)

    def deferred() -> bytes:  # runs on another thread, without the session: everything captured above
        audit.record("export", **who, file=f"{name}.{fmt}", rows=rows, unmasked=unmask)
        return make(frame)

    return deferred


def logged(content: bytes, file_name: str, **detail):
    """A download that is not a table (a rejects file, a briefing): its bytes in demo mode,
    else a function that logs the download (with ``detail``: a briefing's format, day and
    scope) before handing them over."""
    p = current()
    if p is None or p.is_demo:
        return content
    who = _who()

    def deferred() -> bytes:
        audit.record("export", **who, file=file_name, bytes=len(content), **detail)
        return content

    return deferred


# ---------------------------------------------------------------- the gate


def gate(lang: str, region_name: Callable[[str], str] = str) -> Principal:
    """Run before navigation: returns who the run is for, or draws the sign-in (or the
    refusal) and stops the run. ``region_name`` names a township officer's township in the account
    box (the caller's: this module reads no data)."""
    if PagesManager.uses_pages_directory:
        # A fresh server's first run goes through Streamlit's pages-folder mode, whose widget
        # identities differ from the next run's: a sign-in typed now would be lost. Leave the
        # mode first (the first st.navigation call would leave it anyway).
        PagesManager.uses_pages_directory = False
        st.rerun()
    try:
        uf = users.load_cached()
    except users.UsersError as e:
        only(lambda: st.error(_t("users_file_error", lang, error=e)), _t("sign_in_title", lang))
    m = mode(uf)
    if m == "refuse":
        _refuse(lang)
    ss = st.session_state
    if m == "demo":
        ss[PRINCIPAL_KEY] = DEMO
        if st.query_params.get("mode") != "screen":  # the projection screen has no chrome at all
            st.markdown(f":orange-badge[:material/science: {_t('demo_banner', lang)}]")
        return DEMO
    p = _oidc(uf, lang) if m == "oidc" else _local(uf, lang)
    ss[PRINCIPAL_KEY] = p
    if _once("login", p.name) and ss.pop("_sitrep_fresh_login", None) is None:
        audit.record("login", "ok", user=p.name, role=p.role, client=client_address(),
                     via="session" if m == "local" else "oidc")
    _account_box(p, uf, lang, m, region_name)
    if uf.settings.watermark:
        # the projection mode is dark: a light watermark there
        watermark(p.label, dark=st.query_params.get("mode") == "screen" or p.role == "screen")
    return p


def only(draw, title: str) -> NoReturn:
    """Serve nothing but what ``draw`` draws (the refusal, a message) and stop the run."""
    draw()
    halt(title)


def halt(title: str) -> NoReturn:
    """Stop the run after a navigation of one empty page: a run that stopped before any
    st.navigation call would put Streamlit in its pages-folder mode, where a page file
    runs on its own, without dashboard.py and so without this gate."""
    # the dashboard's page addresses lead here too: a link to a page (/monitoring) opens the sign-in
    # without Streamlit's "page not found", and after signing in that page is shown
    pages = [st.Page(_nothing, title=title, url_path="signin", default=True)]
    pages += [st.Page(_nothing, title=title, url_path=key) for key in roles.PAGE_PERMISSIONS if key != "overview"]
    st.navigation(pages, position="hidden").run()
    st.stop()


def _nothing() -> None:
    pass


def _refuse(lang: str) -> None:
    address = server_address() or "0.0.0.0"
    print(f"sitrep: refusing to serve on {address} without users; add one: "
          "python -m sitrep users add NAME --role admin", file=sys.stderr)

    def draw() -> None:
        st.error(_t("refuse", lang, address=address))
        st.code("python -m sitrep users add NAME --role admin\n"
                "python -m sitrep users add NAME --role analyst\n"
                "python -m sitrep users add NAME --role officer --township 451481001000", language="bash")
        st.caption(_t("refuse_local", lang))

    only(draw, _t("sign_in_title", lang))


def _local(uf: users.UsersFile, lang: str) -> Principal:
    ss = st.session_state
    # the sign-in form's place, kept (empty) on every run: the run that signs in and the runs after it
    # then lay out the page alike, so the first click after signing in does not rebuild the page
    # (an open expander would close, a chart would be drawn anew)
    box = st.empty()
    token = ss.get(TOKEN_KEY)
    if token:
        p = login.resume(uf, token)
        if p is not None:
            return p
        _forget()  # signed out in another tab, expired, password changed or disabled
    token = _cookie()
    p = login.resume(uf, token) if token else None
    if p is not None:
        ss[TOKEN_KEY] = token
        return p
    return _sign_in_form(uf, lang, box)


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (AppTest)
        return None
    return value if isinstance(value, str) else None


def _post(action: str, **fields: str) -> None:
    """Send the browser to one of our own routes (sitrep.auth.cookie) with a POST, which sets or
    expires the HttpOnly cookie and brings it back to this page."""
    st.html(cookie.post_form_html(action, fields), unsafe_allow_javascript=True, width=1)


def _forget() -> None:
    ss = st.session_state
    for k in (TOKEN_KEY, PRINCIPAL_KEY, UNMASK_WIDGET, LOGGED_KEY):
        ss.pop(k, None)


def _sign_in_form(uf: users.UsersFile, lang: str, box) -> Principal:
    """The sign-in form, alone on the page; a good sign-in starts a session and the run
    goes on to the page asked for."""
    ss = st.session_state
    title = _t("sign_in_title", lang)
    stale = _cookie()
    ss.pop("_sitrep_signed_out", None)
    if stale and cookie.routes_mounted():  # an ended or expired session's cookie: expired by the server
        _post(cookie.SIGNOUT_PATH)
        halt(title)
    with box.container():
        st.title(title)
        with st.form("auth_sign_in"):
            name = st.text_input(_t("user_name", lang), key="auth_user")
            password = st.text_input(_t("password", lang), type="password", key="auth_password")
            submitted = st.form_submit_button(_t("sign_in", lang), type="primary")
        if not submitted:
            halt(title)
        outcome = login.authenticate(uf, name, password, client=client_address())
        if outcome.status == "locked":
            st.error(_t("locked", lang, minutes=outcome.minutes))
            halt(title)
        if not outcome.ok:
            st.error(_t("failed", lang))
            halt(title)
    box.empty()
    ss["_sitrep_fresh_login"] = True  # authenticate() logged it
    if cookie.routes_mounted():
        # the server sets the session cookie (HttpOnly) and brings the browser back to this page
        _post(cookie.SESSION_PATH, code=store.create_handoff(outcome.principal.name, uf.settings.session_hours))
        halt(title)
    ss[TOKEN_KEY] = login.start_session(uf, outcome.principal)  # this connection only: no cookie
    return outcome.principal


def _oidc(uf: users.UsersFile, lang: str) -> Principal:
    """Signed in through the identity provider (st.login); the users file gives the role."""
    if not st.user.is_logged_in:
        def draw() -> None:
            st.title(_t("sign_in_title", lang))
            st.button(_t("sign_in_oidc", lang), on_click=st.login, type="primary", key="auth_oidc")

        only(draw, _t("sign_in_title", lang))
    email = st.user.get("email")
    user = users.by_email(uf, email)
    if user is None or user.disabled:
        if _once("login_refused", email):
            audit.record("login", "refused", user=email, client=client_address(), via="oidc")

        def refused() -> None:
            st.error(_t("oidc_unknown", lang, email=email or "?"))
            st.button(_t("sign_out", lang), on_click=st.logout, key="auth_oidc_out")

        only(refused, _t("sign_in_title", lang))
    return user.principal(via="oidc")


def _account_box(p: Principal, uf: users.UsersFile, lang: str, m: str,
                 region_name: Callable[[str], str]) -> None:
    with st.sidebar:
        role = _t(f"role.{p.role}", lang)
        where = ""
        if p.township:
            where = " · " + region_name(p.township)
        st.caption(_t("signed_in_as", lang, name=p.label, role=role) + where)
        if p.can("unmask"):
            st.toggle(_t("unmask", lang), key=UNMASK_WIDGET, help=_t("unmask_help", lang))
        if st.button(_t("sign_out", lang), key="auth_sign_out", icon=":material/logout:"):
            audit.record("logout", user=p.name, role=p.role, client=client_address())
            if m == "oidc":
                _forget()
                st.logout()
            store.end_session(st.session_state.get(TOKEN_KEY))
            _forget()
            st.session_state["_sitrep_signed_out"] = True
            if cookie.routes_mounted() and _cookie():
                _post(cookie.SIGNOUT_PATH)  # the server expires the cookie, then the sign-in shows
                st.stop()
            st.rerun()


def watermark(text: str, dark: bool = False) -> None:
    """The viewer's name and the time, faint and tiled over the whole page (CSS only: it
    takes no space and catches no clicks). A deterrent for screenshots, not a control.
    ``dark``: for a dark page (the projection mode), light text."""
    stamp = f"{text} {datetime.now().strftime('%Y-%m-%d %H:%M')}"
    fill = "rgba(255,255,255,0.09)" if dark else "rgba(0,0,0,0.07)"
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' width='360' height='200'>"
           f"<text x='20' y='120' transform='rotate(-20 180 100)' font-size='16' fill='{fill}' "
           f"font-family='sans-serif'>{html.escape(stamp, quote=True)}</text></svg>")
    st.html(f"""<style>
    [data-testid="stApp"]::after {{
        content: ""; position: fixed; inset: 0; pointer-events: none; z-index: 999990;
        background-image: url("data:image/svg+xml;charset=utf-8,{quote(svg, safe='')}");
    }}</style>""")

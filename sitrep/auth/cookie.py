"""The session cookie, set by the server: HttpOnly (no script can read it), SameSite=Strict,
Secure when the page is served over HTTPS.

Streamlit 1.67 has no call to set a cookie from a script run (``st.context.cookies`` only
reads). Its ``st.App`` (Starlette, served by uvicorn; ``serve.py``) can mount routes of our
own beside the dashboard, and a route's response can set any cookie. So:

1. a password sign-in (sitrep.auth.web) creates a one-time code (``store.create_handoff``,
   valid a minute) instead of handing a session token to the page, and the page posts it to
   ``POST /_sitrep/session``;
2. the route exchanges the code for a new session (``store.redeem_handoff``), sets the token
   as the cookie and sends the browser back (303) to the page it came from, which now opens
   with the cookie and resumes the session (``login.resume``);
3. signing out posts to ``POST /_sitrep/signout``, which ends the session the cookie names and
   expires the cookie.

Both routes answer only posts from the dashboard's own pages (their ``Origin`` must be the
server's), and send the browser only to a path on this server.

Served without these routes (``streamlit run dashboard.py``, AppTest), a sign-in lasts as long
as the browser tab's connection: no cookie is set at all, and a refresh asks to sign in again.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from sitrep.auth import store

COOKIE = "sitrep_session"
SESSION_PATH = "/_sitrep/session"
SIGNOUT_PATH = "/_sitrep/signout"

_mounted = False


def routes_mounted() -> bool:
    """Whether this server serves the cookie routes (the dashboard was started through serve.py)."""
    return _mounted


def safe_next(value: str | None) -> str:
    """A path on this server to go back to (never another site: no scheme, no host, no "//")."""
    value = (value or "/").strip()
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _https(request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def _same_origin(request) -> bool:
    """A post from a page of this server: the browser's Origin names this host (a browser always
    sends Origin with a POST form)."""
    origin = request.headers.get("origin")
    if not origin:
        return False
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


async def _form(request) -> dict[str, str]:
    body = await request.body()
    if len(body) > 4096:
        return {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items() if v}


async def session_route(request):
    """POST /_sitrep/session (code, next): the sign-in's one-time code for the session cookie."""

    if not _same_origin(request):
        return PlainTextResponse("forbidden", status_code=403)
    form = await _form(request)
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    redeemed = store.redeem_handoff(form.get("code"))
    if redeemed is not None:
        token, hours = redeemed
        response.set_cookie(COOKIE, token, max_age=int(hours * 3600), path="/", httponly=True, samesite="strict",
                            secure=_https(request))
    return response


async def signout_route(request):
    """POST /_sitrep/signout (next): end the cookie's session and expire the cookie."""

    if not _same_origin(request):
        return PlainTextResponse("forbidden", status_code=403)
    form = await _form(request)
    store.end_session(request.cookies.get(COOKIE))
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_https(request))
    return response


def routes() -> list:
    """The routes for ``st.App(..., routes=...)``; mounting them switches the sign-in to them."""
    global _mounted
    _mounted = True
    return [Route(SESSION_PATH, session_route, methods=["POST"]),
            Route(SIGNOUT_PATH, signout_route, methods=["POST"])]


def post_form_html(action: str, fields: dict[str, str]) -> str:
    """A hidden form posted at once to ``action`` (our own route), with ``next`` the page's own
    path and query. Field values are URL-safe tokens: nothing in them needs escaping."""
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    return f"""<form id="sitrep-post" method="post" action="{action}" style="display:none">{inputs}
<input type="hidden" name="next" value="/"></form>
<script>(function() {{
    var f = document.getElementById("sitrep-post");
    f.elements["next"].value = location.pathname + location.search;
    f.submit();
}})();</script>"""

"""Access control: local users and sign-in (``users``, ``login``, ``store``), roles and
permissions (``roles``), and the Streamlit side (``web``: the sign-in gate, the demo
banner, scope and masking for the data layer, logged downloads).

How a sign-in survives a page refresh: Streamlit's session state does not (a refresh is a
new session), and Streamlit 1.67 can read cookies (``st.context.cookies``, those sent when the
page's websocket opened) but has no call to set one from a script. Served through
``serve.py`` (``st.App`` with routes of our own, ``sitrep.auth.cookie``), a password sign-in
hands the browser a one-time code that it posts to ``/_sitrep/session``; the route creates
the server-side session (a random 256-bit token; only its SHA-256 is stored, with the user
and the expiry) and sets the token as the cookie ``sitrep_session``: HttpOnly (no script can
read it), SameSite=Strict, Secure under HTTPS, path /, Max-Age = the session length. A
refreshed page sends the cookie; the new session looks the token up. Signing out deletes the
session on the server and the cookie (``/_sitrep/signout``); changing a password or
disabling a user deletes all of that user's sessions. Served as ``streamlit run
dashboard.py`` there are no such routes and no cookie: a sign-in lasts as long as the
browser tab's connection.

Limits: plain HTTP on a network sends the cookie in clear: serve beyond localhost behind
HTTPS. The token is opaque and means nothing once its server-side session has ended or
expired.
With an OIDC provider configured (``[auth]`` in .streamlit/secrets.toml) Streamlit's own
``st.login`` cookie (HttpOnly, signed) is used instead and the users file only maps the
provider's e-mail address to a role.
"""

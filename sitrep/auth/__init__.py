"""Access control: local users and sign-in (``users``, ``login``, ``store``), roles and
permissions (``roles``), and the Streamlit side (``web``: the sign-in gate, the demo
banner, scope and masking for the data layer, logged downloads).

How a sign-in survives a page refresh: Streamlit's session state does not (a refresh is a
new session), and Streamlit 1.67 can read cookies (``st.context.cookies``, those sent
when the page's websocket opened) but has no call to set one. So after a password sign-in
the server creates a session in the access store (a random 256-bit token; only its
SHA-256 is stored, with the user and the expiry) and a few lines of JavaScript put the
token in a cookie (``sitrep_session``: path /, SameSite=Strict, Secure under HTTPS,
Max-Age = the session length). A refreshed page sends the cookie; the new session looks
the token up. Signing out deletes the session on the server and expires the cookie;
changing a password or disabling a user deletes all of that user's sessions.

Limits: the cookie is set by script, so it cannot be HttpOnly: script injected into the
page could read it (Streamlit escapes text; the dashboard renders no HTML from data).
The token is opaque and means nothing once its server-side session has ended or
expired. Plain HTTP on a network sends it in clear: serve beyond localhost behind HTTPS.
With an OIDC provider configured (``[auth]`` in .streamlit/secrets.toml) Streamlit's own
``st.login`` cookie (HttpOnly, signed) is used instead and the users file only maps the
provider's e-mail address to a role.
"""

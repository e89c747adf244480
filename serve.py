"""The dashboard as served in production: ``streamlit run serve.py`` (``make run``).

Streamlit's ``st.App`` runs dashboard.py as ``streamlit run dashboard.py`` would, and mounts
sitrep's own routes beside it: the session cookie is set by the server, HttpOnly
(sitrep.auth.cookie). ``streamlit run dashboard.py`` still works, with a sign-in that lasts
only as long as the browser tab's connection.
"""

import streamlit as st

from sitrep.auth import cookie

app = st.App("dashboard.py", routes=cookie.routes())

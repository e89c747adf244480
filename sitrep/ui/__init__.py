"""The Streamlit layer: global view state, cached data functions and shared widgets.

Pages do `from sitrep import ui` then `view = ui.view()`; everything they show comes
from `ui.query(...)` (named queries) and the builders in sitrep.figures / sitrep.maps.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from sitrep.ui.data import get_db, query, serves_lake
from sitrep.ui.state import View

__all__ = ["View", "get_db", "query", "serves_lake", "view"]


def view() -> View:
    """The view (as-of date, scope, language) that dashboard.py set up for this run."""
    if "sitrep_view" not in st.session_state:
        # A deep link (/monitoring) to a server no session has used yet: Streamlit sees a
        # pages/ folder and, until some run calls st.navigation, runs the page file alone
        # (its multipage-v1 compatibility mode). Leave that mode and rerun: the rerun goes
        # through dashboard.py to the same page (page identity is its url_path).
        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state["sitrep_view"]

"""The Streamlit layer: global view state, cached data functions and shared widgets.

Pages do `from sitrep import ui` then `view = ui.view()`; everything they show comes
from `ui.query(...)` (named queries) and the builders in sitrep.figures / sitrep.maps.
"""

import streamlit as st

from sitrep.ui.data import get_db, query
from sitrep.ui.state import View

__all__ = ["View", "get_db", "query", "view"]


def view() -> View:
    """The view (as-of date, scope, language) that dashboard.py set up for this run."""
    return st.session_state["sitrep_view"]

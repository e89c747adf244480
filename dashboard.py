"""sitrep: the entry point. Sets up navigation and the global controls shared by every page."""

import streamlit as st

from sitrep import i18n
from sitrep.ui import data, state

st.set_page_config(page_title="疫情防控态势 sitrep", layout="wide", initial_sidebar_state="expanded")

lang = state.current_lang()

if st.query_params.get("mode") == "screen":  # the meeting-room projector: sitrep.screen draws everything
    from sitrep import screen

    screen.main()
    st.stop()


def t(key: str) -> str:
    return i18n.t(key, lang)


SECTIONS = {
    "section_situation": [("overview", "pages/overview.py"), ("cases", "pages/cases.py")],
    "section_pillars": [
        ("command", "pages/command.py"),
        ("monitoring", "pages/monitoring.py"),
        ("screening", "pages/screening.py"),
        ("publicity", "pages/publicity.py"),
        ("preparedness", "pages/preparedness.py"),
    ],
    "section_data": [("data", "pages/data.py")],
}

if not data.get_db().exists():
    st.warning(t("common.no_database"))
    nav = st.navigation([st.Page("pages/data.py", title=t("nav.data"), url_path="data", default=True)])
    st.session_state["sitrep_view"] = None
else:
    nav = st.navigation({
        t(f"nav.{section}"): [
            st.Page(path, title=t(f"nav.{key}"), url_path=key, default=(key == "overview"))
            for key, path in pages
        ]
        for section, pages in SECTIONS.items()
    })
    st.session_state["sitrep_view"] = state.controls()
nav.run()

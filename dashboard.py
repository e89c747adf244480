"""sitrep: the entry point. Sets up navigation and the global controls shared by every page."""

import streamlit as st

from sitrep import i18n, projection
from sitrep.auth import web as access
from sitrep.ui import data, state

st.set_page_config(page_title="疫情防控态势 sitrep", layout="wide", initial_sidebar_state="expanded")

lang = state.current_lang()
# who this run is for: signs in, shows the demo banner, or refuses to serve (and stops)
principal = access.gate(lang, region_name=state.region_name)

# the meeting-room projector: sitrep.projection draws everything (a "screen" account gets nothing else)
if st.query_params.get("mode") == "screen" or access.projection_only():
    projection.main()
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
    "section_data": [("data", "pages/data.py"), ("explorer", "pages/explorer.py")],
}
# each role sees only the pages it may use (sitrep.auth.roles.PAGE_PERMISSIONS)
SECTIONS = {section: [(key, path) for key, path in pages if access.roles.page_allowed(principal, key)]
            for section, pages in SECTIONS.items()}
SECTIONS = {section: pages for section, pages in SECTIONS.items() if pages}

if not data.get_db().exists():
    if not access.roles.page_allowed(principal, "data"):
        access.only(lambda: st.warning(t("common.no_database")), t("nav.data"))
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

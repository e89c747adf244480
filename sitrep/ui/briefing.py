"""The daily briefing on the Overview page: one button per format (Word, PDF, HTML) that builds the
briefing for the page's day, scope and language with a progress bar, then offers the file.

The briefing's content is built once per view and database version (the charts are the slow part)
and kept in the session; each format is written from it when asked for.
"""

from __future__ import annotations

import streamlit as st

from sitrep import briefing
from sitrep import regions as region_tree
from sitrep.auth import web as access
from sitrep.briefing.context import Context
from sitrep.ui.data import db_version, query
from sitrep.ui.state import View

LABELS = {"docx": "Word", "pdf": "PDF", "html": "HTML"}
ICONS = {"docx": ":material/description:", "pdf": ":material/picture_as_pdf:", "html": ":material/public:"}


def _key(view: View) -> tuple:
    # the user too: a briefing built before a sign-out is not offered to the next user of the browser
    user = access.current()
    return (user.name if user else None, db_version(), view.as_of, view.scope, view.lang)


def downloads(view: View) -> None:
    """A generate button per format; after it, that format's download button."""
    store = st.session_state.setdefault("briefing_store", {})
    key = _key(view)
    if store.get("key") != key:  # another day, scope, language or database: start afresh
        store.clear()
        store["key"] = key
    st.caption(view.t("briefing.ui.caption", as_of=view.as_of_text))
    for fmt, col in zip(briefing.FORMATS, st.columns(len(briefing.FORMATS))):
        with col:
            slot = st.empty()
            if fmt not in store and slot.button(view.t("briefing.ui.make", fmt=LABELS[fmt]), key=f"briefing_make_{fmt}",
                                                icon=ICONS[fmt], width="stretch"):
                with slot.container():
                    _build(view, store, fmt)
            if fmt in store:
                data, name = store[fmt]
                # each download is written to the audit log: who, which format, which day and scope
                data = access.logged(data, name, format=fmt, as_of=view.as_of.isoformat(), scope=view.scope,
                                     lang=view.lang)
                slot.download_button(view.t("briefing.ui.download", fmt=LABELS[fmt]), data, file_name=name,
                                     mime=briefing.MIME[fmt], key=f"briefing_get_{fmt}", icon=":material/download:",
                                     on_click="ignore", type="primary", width="stretch")
    note = store.get("model").images_note if store.get("model") else None
    if note:
        st.warning(note)


def _build(view: View, store: dict, fmt: str) -> None:
    bar = st.progress(0.0, text=view.t("briefing.progress.kpis"))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0) * 0.9, text=message)

    try:
        if "model" not in store:
            ctx = Context(query, view.as_of, view.scope, view.lang, view.min_date, _regions())
            store["model"] = briefing.build(ctx, progress=progress)
        bar.progress(0.92, text=view.t("briefing.progress.write"))
        model = store["model"]
        store[fmt] = (briefing.render(model, fmt), briefing.file_name(model, fmt))
    except Exception as e:  # noqa: BLE001 - say so on the page; the rest of the page still works
        bar.empty()
        st.error(view.t("briefing.failed", error=f"{type(e).__name__}: {e}"))
        return
    bar.empty()


def _regions() -> dict:
    return region_tree.index(query)

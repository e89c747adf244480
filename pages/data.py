"""Data: import export files through the one import path (with the CLI's report), the
import log, the rows and dates each table holds, and the data dictionary. Works before any
database exists: the first import creates it."""

from datetime import date

import streamlit as st

from sitrep import contract, i18n, ui
from sitrep.auth import web as access
from sitrep.auth.admin import render_audit
from sitrep.ui import importer, state, uploads
from sitrep.ui import widgets as w
from sitrep.ui.alert_settings import render_alert_settings
from sitrep.ui.quality import render_quality
from sitrep.ui.uploader_text import uploader_css

view = ui.view()
if view is None:  # no database yet: dashboard.py shows only this page and no global controls
    today = date.today()
    view = ui.View(as_of=today, scope=None, lang=state.current_lang(), min_date=today, max_date=today)
    st.title(view.t("data.title"))
    st.info(view.t("data.no_database"))
else:
    w.header(view, "data.title")
t, lang = view.t, view.lang
st.caption(t("data.intro"))
TABLES = [*contract.LOAD_ORDER, uploads.BOUNDARIES]


lake = ui.serves_lake()  # a lake of many counties is filled by the counties' exports, not here
may_import = access.can("imports") and not lake
if lake:
    st.info(t("data.lake_read_only"))
signed_in = access.current()
named = signed_in is not None and not signed_in.is_demo  # the import log names who signed in
may_audit = access.can("audit")
may_set_alerts = access.can("alert_settings")
tabs = list(st.tabs([*([t("data.upload_title")] if may_import else []), t("data.log_title"), t("data.counts_title"),
                     t("data.dictionary_title"), t("quality.tab"), *([t("auth.audit.tab")] if may_audit else []),
                     *([t("alerts.settings.tab")] if may_set_alerts else [])]))
upload_tab = tabs.pop(0) if may_import else None
alert_settings_tab = tabs.pop() if may_set_alerts else None
audit_tab = tabs.pop() if may_audit else None
log_tab, counts_tab, dictionary_tab, quality_tab = tabs

if not may_import:  # imports are for admins (and the local demo): no form to fill in for nothing
    if not lake:
        st.caption(t("data.imports_for_admins"))
else:
    with upload_tab:
        had_db = ui.get_db().exists()
        # the uploader's own words in the page's language (Streamlit writes them in English)
        st.html(uploader_css(t, lang, max_upload_mb=int(st.get_option("server.maxUploadSize")),
                             types=list(uploads.UPLOAD_TYPES)))
        with st.form("data_upload", clear_on_submit=True):
            files = st.file_uploader(t("data.upload_label"), type=list(uploads.UPLOAD_TYPES),
                                     accept_multiple_files=True, key="data_files")
            c1, c2, c3 = st.columns(3)
            table = c1.selectbox(t("data.table_choice"), [None, *TABLES], key="data_table",
                                 format_func=lambda n: t("data.table_auto") if n is None
                                 else f"{uploads.table_label(n, lang)} ({n})")
            sheet = c2.text_input(t("data.sheet"), key="data_sheet")
            user = signed_in.name if named else c3.text_input(t("data.user"), key="data_user")
            skip_invalid = st.checkbox(t("data.skip_invalid"), key="data_skip_invalid")
            submitted = st.form_submit_button(t("data.submit"), type="primary")
        if submitted:
            if files:
                importer.run(view, files, table, sheet, skip_invalid, user, signed_in)
            else:
                st.warning(t("data.no_files"))
        last = st.session_state.get("data_last_import")
        if last:
            importer.show_report(view, last["reports"], last["rejects"])
        if not had_db and ui.get_db().exists():
            st.success(t("data.new_database"))
            if st.button(t("data.show_pages"), key="data_show_pages"):
                st.rerun()

has_db = ui.get_db().exists()
with log_tab:
    if not has_db:
        st.info(t("data.log_empty"))
    else:
        f1, f2, _ = st.columns([1, 1, 2])
        log_table = f1.selectbox(t("data.log_table"), [None, *TABLES], key="data_log_table",
                                 format_func=lambda n: t("data.all") if n is None else uploads.table_label(n, lang))
        log_status = f2.selectbox(t("data.log_status"), [None, *uploads.STATUSES], key="data_log_status",
                                  format_func=lambda s: t("data.all") if s is None else importer.status_label(view, s))
        log = ui.query("import_log_list", table_name=log_table, status=log_status)
        log["table_name"] = [uploads.table_label(n, lang) for n in log["table_name"]]
        log["status"] = [importer.status_label(view, s) for s in log["status"]]
        st.caption(t("data.log_caption", n=len(log)))
        w.table(view, log, name="import_log", key="data_log", column_labels=view.labels("data.col", log.columns), height=560)

with counts_tab:
    if has_db:
        counts = ui.query("table_counts").drop(columns=["position"])
        counts.insert(1, "table_label", [uploads.table_label(n, lang) for n in counts["table_name"]])
        for c in ("first_date", "last_date"):
            counts[c] = counts[c].dt.date
        counts["date_column"] = [i18n.column_label(n, c, lang) if isinstance(c, str) else ""
                                 for n, c in zip(counts["table_name"], counts["date_column"])]
        w.table(view, counts, name="table_counts", key="data_counts", column_labels=view.labels("data.col", counts.columns),
                height=36 * (len(counts) + 1) + 4)
        st.caption(t("data.counts_caption"))
    else:
        st.info(t("data.log_empty"))

with dictionary_tab:
    st.caption(t("data.dictionary_caption"))
    choice = st.selectbox(t("data.dictionary_table"), [None, *contract.LOAD_ORDER], key="data_dictionary_table",
                          format_func=lambda n: t("data.all") if n is None else f"{uploads.table_label(n, lang)} ({n})")
    dictionary = uploads.dictionary(lang)
    if choice is not None:
        dictionary = dictionary[dictionary["table"] == choice]
    w.table(view, dictionary, name="data_dictionary", key="data_dictionary",
            column_labels=view.labels("data.col", dictionary.columns), height=560)

with quality_tab:
    if has_db:
        render_quality(view)
    else:
        st.info(t("data.log_empty"))

if audit_tab is not None:  # admins: the audit log and the users
    with audit_tab:
        render_audit(view)

if alert_settings_tab is not None:  # admins: data/alerts.toml
    with alert_settings_tab:
        render_alert_settings(view)

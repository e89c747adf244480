"""SQL explorer: analysts' own read-only queries on a sandboxed, masked copy of the data, with a
result table, a simple chart builder and CSV/XLSX downloads (sitrep.explorer does the work)."""

import streamlit as st

from sitrep import explorer, i18n, ui
from sitrep.auth import web as access
from sitrep.ui import widgets as w
from sitrep.ui.state import regions_index

view = ui.view()
w.header(view, "explorer.title")
t = view.t
if not access.can("explorer"):  # the navigation hides the page too: this guards a direct run
    st.error(t("auth.no_permission"))
    st.stop()
user = access.current()
scope, unmask = access.scope_limit(), access.unmasked()
path = ui.get_db().path

st.caption(t("explorer.intro", rows=f"{explorer.ROW_CAP:,}", seconds=f"{explorer.TIME_LIMIT_S:g}"))
if scope:
    st.caption(t("explorer.scope_note", region=regions_index().get(scope, {}).get("name", scope)))

with st.expander(t("explorer.schema_title")):
    st.caption(t("explorer.schema_caption"))
    schema = explorer.schema(path, scope, unmask, view.lang)
    st.dataframe(schema.rename(columns=i18n.display_labels(schema.columns, view.lang)), hide_index=True,
                 width="stretch", height=360)


def use_example() -> None:
    picked = st.session_state.get("explorer_example")
    if picked:
        st.session_state["explorer_sql"] = explorer.EXAMPLES[picked]


st.selectbox(t("explorer.examples"), list(explorer.EXAMPLES), index=None, key="explorer_example",
             placeholder=t("explorer.example_pick"), format_func=lambda k: t(f"explorer.example.{k}"),
             on_change=use_example)
with st.form("explorer_form"):
    sql = st.text_area(t("explorer.sql_label"), key="explorer_sql", height=200)
    submitted = st.form_submit_button(t("explorer.run"), type="primary", icon=":material/play_arrow:")
if submitted:
    st.session_state["explorer_result"] = (unmask, explorer.execute(
        sql, path=path, scope=scope, unmask=unmask, user=user.name, role=user.role, client=access.client_address()))

shown_unmasked, result = st.session_state.get("explorer_result", (unmask, None))
if result is not None and shown_unmasked and not unmask:  # switched off since: forget what was shown
    result = st.session_state["explorer_result"] = None
if result is None:
    st.stop()
if result.status == "rejected":
    st.error(t(f"explorer.rejected.{result.reason}", detail=result.detail))
elif result.status in ("timeout", "error"):
    # a short explanation in the user's language, DuckDB's own text below it
    if result.status == "timeout":
        st.error(t("explorer.timeout", seconds=result.detail))
    else:
        st.error(t(f"explorer.errors.{result.kind or 'other'}", **explorer.LIMITS))
    if result.message:
        st.caption(t("explorer.error_original"))
        st.code(result.message, language=None, wrap_lines=True)
else:
    df = result.frame
    st.caption(t("explorer.result_caption", rows=f"{len(df):,}", seconds=f"{result.seconds:.2f}"))
    if result.truncated:
        st.warning(t("explorer.truncated", rows=f"{explorer.ROW_CAP:,}"))
    if df.empty:
        st.info(t("explorer.empty_result"))
    else:
        # already masked in the sandbox: shown as it came (w.table would mask region names too)
        st.dataframe(df, hide_index=True, width="stretch", height=420)
        w.downloads(view, df, name=t("explorer.download_name"), key="explorer")
        st.subheader(t("explorer.chart_title"))
        numbers = explorer.numeric_columns(df)
        if not numbers:
            st.caption(t("explorer.chart_no_numbers"))
        else:
            c1, c2, c3, c4 = st.columns(4)
            x = c1.selectbox(t("explorer.chart_x"), list(df.columns), key="explorer_x")
            y = c2.selectbox(t("explorer.chart_y"), numbers, index=len(numbers) - 1, key="explorer_y")
            kind = c3.radio(t("explorer.chart_kind"), explorer.CHART_KINDS, horizontal=True, key="explorer_kind",
                            format_func=lambda k: t(f"explorer.kinds.{k}"))
            color = c4.selectbox(t("explorer.chart_color"), [None, *[c for c in df.columns if c not in (x, y)]],
                                 key="explorer_color", format_func=lambda c: t("explorer.chart_none") if c is None else c)
            w.chart(explorer.chart(df, x, y, kind, color=color), key="explorer_chart")

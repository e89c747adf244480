"""The Data page's import: save the uploads, import them through the one import path with a progress bar (the
KPI cube included), and show the report (per file, every problem, the rejects files, the CLI's text). Beside the
uploader's plain functions (sitrep.ui.uploads); the page only lays out the form."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from sitrep import audit
from sitrep.auth import web as access
from sitrep.ingest import ImportUsageError
from sitrep.ui import uploads
from sitrep.ui import widgets as w
from sitrep.ui.data import get_db
from sitrep.ui.state import View

# the import's stages as sitrep.ingest.load reports them; each has a string data.stage_<stage>
STAGES = {"reading", "checking", "loading", "cube", "done"}


def status_label(view: View, code) -> str:
    return view.t(f"data.status.{code}") if code in uploads.STATUSES else (code or "")


def run(view: View, files, table, sheet, skip_invalid, user, signed_in) -> None:
    """Save the uploads under their own names, import them with a progress bar, keep the report."""
    t = view.t
    if not access.can("imports"):
        st.error(t("auth.no_permission"))
        return
    bar = st.progress(0.0, text=t("data.importing"))

    def progress(fraction: float, stage: str) -> None:
        name, _, word = stage.rpartition(": ")
        word = t(f"data.stage_{word}") if word in STAGES else status_label(view, word) or word
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{name}: {word}" if name else word)

    with tempfile.TemporaryDirectory(prefix="sitrep_upload_") as tmp:
        paths = uploads.save_uploads(((f.name, f.getvalue()) for f in files), Path(tmp))
        try:
            reports = uploads.run_import(get_db(), paths, folder=Path(tmp), table=table, sheet=sheet,
                                         skip_invalid=skip_invalid, user=user.strip() or "web", progress=progress)
            audit.record("import", "failed" if any(r.status == "rejected" for r in reports) else "ok",
                         user=user.strip() or "web", role=signed_in.role if signed_in else None, via="web",
                         files=[Path(r.file).name for r in reports], statuses=[r.status for r in reports])
        except ImportUsageError as e:
            bar.empty()
            st.error(t("data.import_failed", error=e))
            return
        except Exception as e:  # a lock, a full disk...: the served database is untouched by design
            bar.empty()
            st.error(t("data.import_failed", error=f"{type(e).__name__}: {e}"))
            return
        rejects = uploads.rejects_files(reports)
    bar.empty()
    st.cache_data.clear()  # cached results are keyed by the database version anyway; free the old ones
    st.session_state["data_last_import"] = {"reports": reports, "rejects": rejects}


def show_report(view: View, reports, rejects) -> None:
    """The per-file outcome, every problem (file, Excel row, column, value, reason) and the CLI's text."""
    t, lang = view.t, view.lang
    st.markdown(f"**{t('data.result_title')}**")
    counts = {s: sum(r.status == s for r in reports) for s in uploads.STATUSES}
    text = t("data.result_summary", files=len(reports), **counts, inserted=f"{sum(r.inserted for r in reports):,}",
             updated=f"{sum(r.updated for r in reports):,}")
    (st.error if counts["rejected"] else st.warning if counts["partial"] else st.success)(text)
    per_file = uploads.report_frame(reports, lang)
    per_file["table"] = [uploads.table_label(n, lang) for n in per_file["table"]]
    per_file["status"] = [status_label(view, s) for s in per_file["status"]]
    w.table(view, per_file, name="import_report", key="data_report", column_labels=view.labels("data.col", per_file.columns))
    problems = uploads.problems_frame(reports, lang)
    if problems.empty:
        st.caption(t("data.no_problems"))
    else:
        st.markdown(f"**{t('data.problems_title', n=sum(r.problem_count for r in reports))}**")
        w.table(view, problems, name="import_problems", key="data_problems", column_labels=view.labels("data.col", problems.columns))
    for name, content in rejects.items():
        # the uploader's own rows as they came (to fix and import again): not masked, the download logged
        st.download_button(t("data.rejects_download", name=name), access.logged(content, name), file_name=name,
                           mime="text/csv", key=f"data_rejects_{name}", on_click="ignore")
    with st.expander(t("data.cli_report")):
        st.code(uploads.cli_text(reports, lang), language=None)

"""The Data page's work that is not drawing: uploads saved and run through the one import
path (``sitrep.ingest.import_files``), the import report as tables, and the data
dictionary generated from the contract.

Plain functions (no Streamlit), so tests can call them directly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from sitrep import contract, i18n
from sitrep.ingest import FileReport, import_files

# What the uploader accepts. Old .xls and plain .json are let through on purpose: the import
# then says clearly what is wrong with them instead of the browser refusing them silently.
UPLOAD_TYPES = ("csv", "txt", "xlsx", "xls", "geojson", "json")
BOUNDARIES = "boundaries"
STATUSES = ("loaded", "partial", "rejected", "cleanup")
REJECTS_NAME = "rejects.csv"


def safe_name(name: str) -> str:
    """The upload's own file name without any folder part (a browser may send a path)."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    return base if base not in ("", ".", "..") else "upload"


def save_uploads(files: Iterable[tuple[str, bytes]], folder: Path) -> list[Path]:
    """Write each (name, content) to ``folder/<n>/<name>``: the original file name is kept
    (the import report and log name the file as the user knows it), and two uploads with
    the same name do not overwrite each other."""
    paths = []
    for i, (name, content) in enumerate(files, start=1):
        target = Path(folder) / str(i) / safe_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        paths.append(target)
    return paths


def run_import(db, paths: list[Path], *, folder: Path, table: str | None = None, sheet: str | None = None,
               skip_invalid: bool = False, user: str = "web",
               progress: Callable[[float, str], None] | None = None) -> list[FileReport]:
    """The same call the CLI makes; with skip_invalid the rejected rows go to files in ``folder``."""
    return import_files(db, paths, table=table or None, sheet=(sheet or "").strip() or None,
                        skip_invalid=skip_invalid, rejects=Path(folder) / REJECTS_NAME if skip_invalid else None,
                        user=user, progress=progress)


def rejects_files(reports: list[FileReport]) -> dict[str, bytes]:
    """{download name: content} of the rejects file of every report with rejected rows
    (read now: the files live in a temporary folder)."""
    out = {}
    for r in reports:
        if r.rejects_path and r.rejected and Path(r.rejects_path).is_file():
            out[f"{Path(r.file).stem}_rejects.csv"] = Path(r.rejects_path).read_bytes()
    return out


def table_label(name: str | None, lang: str) -> str:
    """A table's name for people; the boundaries and unknown tables too."""
    if not isinstance(name, str) or not name:  # None, or NaN once in a DataFrame
        return i18n.t("data.table_unknown", lang)
    if name in contract.TABLES_BY_NAME:
        return i18n.table_label(name, lang)
    if name == BOUNDARIES:
        return i18n.t("data.table_boundaries", lang)
    return name


def report_frame(reports: list[FileReport], lang: str) -> pd.DataFrame:
    """One row per file: file, table, status, rows_read, inserted, updated, rejected,
    problems, ignored_columns (codes for table and status; the page labels them)."""
    rows = [{
        "file": r.file, "table": r.table, "status": r.status, "rows_read": r.rows_read, "inserted": r.inserted,
        "updated": r.updated, "rejected": r.rejected, "problems": r.problem_count,
        "ignored_columns": ("、" if lang == "zh" else ", ").join(r.ignored_columns),
    } for r in reports]
    return pd.DataFrame(rows, columns=["file", "table", "status", "rows_read", "inserted", "updated", "rejected",
                                       "problems", "ignored_columns"])


def problems_frame(reports: list[FileReport], lang: str) -> pd.DataFrame:
    """Every problem listed in the reports: file, row (as in Excel; empty for the whole
    file), column, value, reason (in words, in lang), reason_code."""
    rows = [{"file": p.file, "row": p.row, "column": p.column, "value": p.value, "reason": p.message(lang),
             "reason_code": p.reason}
            for r in reports for p in r.problems]
    df = pd.DataFrame(rows, columns=["file", "row", "column", "value", "reason", "reason_code"])
    df["row"] = df["row"].astype("Int64")
    df[["column", "value"]] = df[["column", "value"]].fillna("")  # a whole-file problem has neither
    return df


def cli_text(reports: list[FileReport], lang: str) -> str:
    """Exactly what ``python -m sitrep import`` prints for these reports."""
    return "\n".join(r.summary(lang) for r in reports)


def dictionary(lang: str) -> pd.DataFrame:
    """The data dictionary, generated from sitrep/contract.py: one row per column of every
    contract table: table, table_label, column, header (Chinese header), type (with the
    accepted values of an enumeration), required, key, also_accepted (aliases), notes
    (checks, default, how the region may be given)."""
    rows = []
    for t in contract.TABLES:
        for c in t.columns:
            kind = c.type
            if c.enum:
                # code=label, then the other labels a file may use
                kind += ": " + "; ".join(f"{e[0]}={e[1]}" + (f" ({', '.join(e[2:])})" if e[2:] else "")
                                         for e in c.enum)
            notes = list(c.checks)
            if c.default is not None:
                notes.append(i18n.t("data.default_value", lang, value=c.default))
            if t.key_fallback.get(c.name):
                notes.append(f"← {t.key_fallback[c.name]}")
            if c.name == "region_code" and t.region:
                notes.append(i18n.t("data.region_by_names", lang))
            rows.append({
                "table": t.name, "table_label": t.zh if lang == "zh" else t.en, "column": c.name,
                "header": c.zh, "type": kind, "required": c.required, "key": c.name in t.key,
                "also_accepted": ", ".join(c.aliases), "notes": ", ".join(notes),
            })
    return pd.DataFrame(rows)

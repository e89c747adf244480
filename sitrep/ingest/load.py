"""Running an import: files in dependency order, one transaction each, upsert, import log.

One call of :func:`import_files` is one ``Database.writer()`` (one copy of the database
replacing the served file at the end). Inside it each file is its own transaction: a
rejected file rolls back and changes nothing, while the other files of the same call
still load. Every file, loaded or not, gets a row in ``import_log``.
"""

from __future__ import annotations

import getpass
import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sitrep import contract, i18n
from sitrep.ingest import readers
from sitrep.ingest.headers import ColumnMap, header_score, infer_table, map_columns, norm_header
from sitrep.ingest.readers import ReadError
from sitrep.ingest.report import FileReport, Problem, both_languages
from sitrep.ingest.validate import MAX_PROBLEMS, STAGE, Params, branch_messages, keep_sql, q, validate

# DuckDB may use this much memory for one import before spilling to disk: keeps a
# million-row import well under 2 GB of resident memory.
MEMORY_LIMIT = "1GB"
# The table is rebuilt from the file's stage when it holds at most 1/4 as many rows as the file.
REBUILD_RATIO = 4
BOUNDARIES = "boundaries"
TEMP_TABLES = (STAGE, "_typed", "_problems", "_final", "_dups", "_region_names")

Progress = Callable[[float, str], None]


class ImportUsageError(Exception):
    """The call itself is wrong (unknown table, no such file): exit status 2."""


def import_files(db, paths, *, table: str | None = None, sheet: str | None = None, skip_invalid: bool = False,
                 rejects: str | Path | None = None, user: str | None = None,
                 progress: Progress | None = None) -> list[FileReport]:
    """Import export files into ``db``; return one report per file, in load order.

    Files are loaded in the contract's dependency order (regions, then GeoJSON
    boundaries, then the other tables in ``contract.LOAD_ORDER``) whatever order they
    are given in. ``table`` forces the target table for every file (default: inferred
    from each file's headers). With ``skip_invalid`` the valid rows load and the invalid
    ones are written to ``rejects`` (for one input that very file; with several inputs,
    ``<rejects stem>_<input stem><suffix>`` for each; a file with no invalid row gets
    just the header line, so no stale rejects from an earlier run remain).
    """
    paths = [Path(p) for p in paths]
    if table is not None and table not in contract.TABLES_BY_NAME and table != BOUNDARIES:
        raise ImportUsageError(f"unknown table {table!r}; tables: {', '.join(contract.LOAD_ORDER)}, {BOUNDARIES}")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ImportUsageError(f"no such file: {', '.join(missing)}")
    if not paths:
        raise ImportUsageError("no files given")
    user = user or os.environ.get("USER") or _whoami()
    report_progress = progress or (lambda fraction, stage: None)

    planned = sorted(((_peek_order(p, table, sheet), i, p) for i, p in enumerate(paths)))
    sizes = [max(p.stat().st_size, 1) for _, _, p in planned]
    total = float(sum(sizes))
    reports: list[FileReport] = []
    done = 0.0
    with db.writer() as con:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET preserve_insertion_order = false")
        for (_, _, path), size in zip(planned, sizes):
            start, share = done / total, size / total

            def step(fraction: float, stage: str, _s=start, _w=share, _name=path.name) -> None:
                report_progress(min(1.0, _s + _w * fraction), f"{_name}: {stage}")

            target = None
            if len(paths) > 1 and rejects is not None:
                r = Path(rejects)
                target = r.with_name(f"{r.stem}_{path.stem}{r.suffix or '.csv'}")
            elif rejects is not None:
                target = Path(rejects)
            reports.append(_import_one(con, path, table, sheet, skip_invalid, target, user, step))
            done += size
        # the writer recomputes the KPI cube as the block ends, before the new file is swapped in
        report_progress(0.99, "cube")
    report_progress(1.0, "done")
    if db.last_cube is not None:
        for r in reports:
            r.cube_seconds = round(db.last_cube.seconds, 2)
    return reports


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _peek_order(path: Path, table: str | None, sheet: str | None) -> int:
    """Position of the file's table in the load order (unknown tables last)."""
    order = ["regions", BOUNDARIES, *[t for t in contract.LOAD_ORDER if t != "regions"]]
    if table:
        return order.index(table)
    try:
        kind = readers.file_kind(path)
        if kind == "geojson":
            return order.index(BOUNDARIES)
        if kind == "csv":
            headers, _, _ = readers.peek_csv(path, header_score)
        elif kind == "xlsx":
            headers = readers.peek_xlsx(path, sheet, header_score)
        else:
            return len(order)
        t, _, _ = infer_table(headers)
        return order.index(t.name) if t else len(order)
    except ReadError:
        return len(order)


def _import_one(con, path: Path, table: str | None, sheet: str | None, skip_invalid: bool,
                rejects: Path | None, user: str, step: Progress) -> FileReport:
    rep = FileReport(file=path.name)
    step(0.0, "reading")
    # the checksum is computed while the file is parsed (hashlib lets go of the GIL)
    checksum = _HASHER.submit(readers.sha256_of, path)
    rep.sha256 = _Pending(checksum)
    try:
        kind = readers.file_kind(path)
        if kind == "xls":
            raise ReadError("old_xls")
        if kind == "geojson" or table == BOUNDARIES:
            _import_geojson(con, path, rep, user, step)
        else:
            _import_table(con, path, kind, table, sheet, skip_invalid, rejects, rep, user, step)
    except ReadError as e:
        _rollback(con)
        rep.problems.append(Problem(rep.file, None, None, None, e.reason, detail=e.detail))
        _finish_rejected(con, rep, user)
    except Exception as e:  # a bug or a database error: the file is rejected, the others go on
        _rollback(con)
        rep.problems.append(Problem(rep.file, None, None, None, "internal_error",
                                    detail={"error": f"{type(e).__name__}: {e}"[:500]}))
        _finish_rejected(con, rep, user)
    finally:
        for t in TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {t}")
        for view in ("_raw",):
            try:
                con.unregister(view)
            except Exception:
                pass
    _resolve(rep)
    rep.problem_count = max(rep.problem_count, len(rep.problems))
    step(1.0, rep.status)
    return rep


def _rollback(con) -> None:
    try:
        con.execute("ROLLBACK")
    except Exception:
        pass  # no transaction open


def _finish_rejected(con, rep: FileReport, user: str) -> None:
    """Log a rejected file (after its rollback, so the log row stays)."""
    rep.status = "rejected"
    rep.inserted = rep.updated = 0
    if rep.rejected == 0 and any(p.row is None for p in rep.errors):
        rep.rejected = rep.rows_read
    rep.import_id = _log(con, rep, user)


def _next_import_id(con) -> int:
    return con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM import_log").fetchall()[0][0]


class _Pending:
    """A value still being computed in another thread."""

    def __init__(self, future):
        self.future = future


def _resolve(rep: FileReport) -> None:
    if isinstance(rep.sha256, _Pending):
        rep.sha256 = rep.sha256.future.result()


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


def _log(con, rep: FileReport, user: str) -> int:
    _resolve(rep)
    import_id = rep.import_id or _next_import_id(con)
    con.execute(
        "INSERT INTO import_log VALUES ($id, $at, $user, $file, $sha, $table, $ins, $upd, $rej, $status)",
        {"id": import_id, "at": datetime.now().replace(microsecond=0), "user": user, "file": rep.file,
         "sha": rep.sha256, "table": rep.table, "ins": rep.inserted, "upd": rep.updated, "rej": rep.rejected,
         "status": rep.status},
    )
    return import_id


# ---------------------------------------------------------------- tables


def _import_table(con, path: Path, kind: str, table: str | None, sheet: str | None, skip_invalid: bool,
                  rejects: Path | None, rep: FileReport, user: str, step: Progress) -> None:
    forced = contract.TABLES_BY_NAME[table] if table else None

    def score(cells):
        return header_score(cells, forced.name if forced else None)

    if kind == "xlsx":
        raw = readers.read_xlsx(path, sheet, score)
        rep.sheet = raw.sheet
    else:
        raw = readers.read_csv(path, score)
    rep.header_row = raw.header_row
    step(0.35, "checking")

    if forced is None:
        tbl, reason, detail = infer_table(raw.headers)
        if tbl is None:
            rep.rows_read = _count_data_rows(raw)
            raise ReadError(reason, **detail)
    else:
        tbl = forced
    rep.table = tbl.name
    cmap = map_columns(tbl, raw.headers)
    rep.ignored_columns = _ignored(raw, cmap)
    if cmap.problems:
        rep.rows_read = _count_data_rows(raw)
        for reason, detail in cmap.problems:
            rep.problems.append(Problem(rep.file, None, detail.get("column"), None, reason, detail.get("field"),
                                        detail))
        _finish_rejected(con, rep, user)
        return

    con.execute("BEGIN TRANSACTION")
    rep.import_id = _next_import_id(con)
    # When the table is empty or small next to the file, the stage itself becomes the
    # table (see _upsert): the stage is then written as a table of the database.
    existing = con.execute(f"SELECT count(*) FROM {q(tbl.name)}").fetchall()[0][0]
    rebuild = existing <= raw.data.num_rows // REBUILD_RATIO
    v, plan = validate(con, tbl, cmap, raw.data, raw.extra_values, rep.import_id, persistent=rebuild)
    rep.rows_read = v.rows_read
    rep.rejected = v.bad_rows
    rep.problems = [Problem(rep.file, row, v.branches[b].column, value, v.branches[b].reason,
                            v.branches[b].field, v.branches[b].detail) for row, b, value in v.first_problems]
    rep.problem_count = v.problem_count
    if rep.rows_read == 0:
        rep.problems.append(Problem(rep.file, None, None, None, "no_rows"))
    step(0.7, "loading")

    if v.bad_rows and not skip_invalid:
        _rollback(con)
        _finish_rejected(con, rep, user)
        return
    if v.duplicates:
        key_label = "+".join(cmap.label(k) if cmap.has(k) else k for k in tbl.key)
        room = max(0, MAX_PROBLEMS - len(rep.problems))
        rep.problems.extend(Problem(rep.file, row, key_label, key, "duplicate_key", None, {"later_row": later})
                            for row, later, key in v.first_duplicates[:room])
        rep.problems.sort(key=lambda p: (p.row or 0))
        rep.problem_count += v.duplicates
    if skip_invalid and rejects is not None:
        rep.rejects_path = str(rejects)
        _write_rejects(con, raw, plan.branches, rejects)
    rep.inserted, rep.updated = _upsert(con, tbl, keep_sql(bool(v.bad_rows), bool(v.duplicates)))
    rep.status = "partial" if v.bad_rows else "loaded"
    _log(con, rep, user)
    con.execute("COMMIT")


def _count_data_rows(raw: readers.RawTable) -> int:
    return raw.data.num_rows


def _ignored(raw: readers.RawTable, cmap: ColumnMap) -> list[str]:
    """Headers of the file columns that match nothing (blank-header columns only when they hold data)."""
    out = []
    for i in cmap.ignored:
        h = raw.headers[i].strip()
        if not h:
            col = raw.data.column(f"c{i}")
            if len(col) == 0 or not pc.max(pc.utf8_length(pc.utf8_trim_whitespace(col))).as_py():
                continue
            h = f"({both_languages('ingest.blank_column', n=i + 1)})"
        out.append(h)
    return out


def _upsert(con, tbl: contract.Table, rows: str) -> tuple[int, int]:
    """Replace the table's rows whose key is in ``rows`` (the stage, or a filter of it),
    insert the others; return (inserted, updated).

    A stage that is wholly valid and a table of the database becomes the table: the
    table's other rows (those whose key the file does not carry) are appended to it and
    it is renamed. Its rows were compressed once, when it was written, instead of a
    second time by an INSERT (a third of a million-row import). Otherwise the matching
    rows are deleted and the new ones inserted.
    """
    name = q(tbl.name)
    cols = ", ".join(q(c.name) for c in tbl.columns)
    match = " AND ".join(f"t.{q(k)} = f.{q(k)}" for k in tbl.key)
    new = con.execute(f"SELECT count(*) FROM {rows}").fetchall()[0][0]
    existing = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    persistent = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $t AND NOT temporary",
                             {"t": STAGE}).fetchall()[0][0]
    if rows == STAGE and persistent:
        kept = 0
        if existing:
            kept = con.execute(
                f"INSERT INTO {STAGE} SELECT {cols}, _import_id, NULL, false FROM {name} t "
                f"WHERE NOT EXISTS (SELECT 1 FROM {STAGE} f WHERE {match})").fetchall()[0][0]
        con.execute(f"ALTER TABLE {STAGE} DROP COLUMN _row")
        con.execute(f"ALTER TABLE {STAGE} DROP COLUMN _bad")
        con.execute(f"DROP TABLE {name}")
        con.execute(f"ALTER TABLE {STAGE} RENAME TO {name}")
        updated = existing - kept
        return new - updated, updated
    updated = 0
    if existing and new:
        # keys are unique in the table (every write goes through here), so the rows
        # deleted are exactly the keys updated
        updated = con.execute(
            f"DELETE FROM {name} t WHERE EXISTS (SELECT 1 FROM {rows} f WHERE {match})").fetchall()[0][0]
    con.execute(f"INSERT INTO {name} ({cols}, _import_id) SELECT {cols}, _import_id FROM {rows}")
    return new - updated, updated


def _write_rejects(con, raw: readers.RawTable, branches, path: Path) -> None:
    """Rejected rows as they were in the file, with their row number and reasons (UTF-8 with BOM)."""
    con.register("_branches", branch_messages(branches))
    try:
        ncols = raw.data.num_columns - 1
        cols = ", ".join(f"r.c{i}" for i in range(ncols))
        result = con.sql(f"""
            WITH reasons AS (
                SELECT p._row,
                    string_agg(CASE WHEN m.column = '' THEN m.msg_zh
                               ELSE m.column || coalesce('=' || p.value, '') || '：' || m.msg_zh END, '；' ORDER BY p.b)
                        AS reasons_zh,
                    string_agg(CASE WHEN m.column = '' THEN m.msg_en
                               ELSE m.column || coalesce('=' || p.value, '') || ': ' || m.msg_en END, '; ' ORDER BY p.b)
                        AS reasons_en
                FROM _problems p JOIN _branches m ON m.b = p.b
                GROUP BY p._row
            )
            SELECT r._row, x.reasons_zh, x.reasons_en, {cols}
            FROM _raw r JOIN reasons x ON x._row = r._row
            ORDER BY r._row""").to_arrow_table()
    finally:
        con.unregister("_branches")
    headers = [h.strip() or f"({i18n.t('ingest.blank_column', 'zh', n=i + 1)})"
               for i, h in enumerate(raw.headers[:ncols])]
    result = result.rename_columns([both_languages("ingest.rejects.row"), i18n.t("ingest.rejects.reason", "zh"),
                                    i18n.t("ingest.rejects.reason", "en"), *headers])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf")
        pacsv.write_csv(result, f)


# ---------------------------------------------------------------- GeoJSON boundaries


def _import_geojson(con, path: Path, rep: FileReport, user: str, step: Progress) -> None:
    """Boundary features: every feature names a region that exists; level comes from ``regions``."""

    rep.table = BOUNDARIES
    feats = readers.read_geojson(path)
    code_keys = {norm_header(h) for h in contract.TABLES_BY_NAME["regions"].column("region_code").headers}
    codes, geoms = [], []
    for props, geom in zip(feats.properties, feats.geometries):
        code = next((str(v).strip() for k, v in props.items() if norm_header(k) in code_keys and v is not None), "")
        codes.append(code or None)
        geoms.append(json.dumps(geom, ensure_ascii=False, separators=(",", ":")) if geom else None)
    rep.rows_read = len(codes)
    step(0.4, "checking")
    data = pa.table({"region_code": pa.array(codes, pa.string()), "geometry": pa.array(geoms, pa.string()),
                     "_row": pa.array(range(1, len(codes) + 1), pa.int64())})
    con.register("_raw", data)
    con.execute("BEGIN TRANSACTION")
    con.execute("""CREATE OR REPLACE TEMP TABLE _typed AS
        SELECT f._row, f.region_code, f.geometry, r.level
        FROM _raw f LEFT JOIN (SELECT region_code, any_value(level) AS level FROM regions GROUP BY region_code) r
            ON r.region_code = f.region_code""")
    bad = con.execute("""
        SELECT _row, region_code, CASE WHEN region_code IS NULL THEN 'missing_value'
                                      WHEN level IS NULL THEN 'unknown_region' ELSE 'missing_geometry' END
        FROM _typed WHERE region_code IS NULL OR level IS NULL OR geometry IS NULL ORDER BY _row""").fetchall()
    if bad:
        rep.rejected = len({r for r, _, _ in bad})
        rep.problem_count = len(bad)
        rep.problems = [Problem(rep.file, r, "region_code", code, reason, "region_code")
                        for r, code, reason in bad[:MAX_PROBLEMS]]
        _rollback(con)
        _finish_rejected(con, rep, user)
        return
    if rep.rows_read == 0:
        rep.problems.append(Problem(rep.file, None, None, None, "no_rows"))
    step(0.7, "loading")
    p = Params()
    con.execute("""CREATE OR REPLACE TEMP TABLE _final AS
        SELECT region_code, level, geometry FROM _typed
        QUALIFY row_number() OVER (PARTITION BY region_code ORDER BY _row DESC) = 1""", p.values)
    rep.updated = con.execute(
        "SELECT count(*) FROM _final f WHERE EXISTS (SELECT 1 FROM boundaries b WHERE b.region_code = f.region_code)"
    ).fetchall()[0][0]
    new = con.execute("SELECT count(*) FROM _final").fetchall()[0][0]
    con.execute("DELETE FROM boundaries WHERE region_code IN (SELECT region_code FROM _final)")
    con.execute("INSERT INTO boundaries SELECT region_code, level, geometry FROM _final")
    rep.inserted = new - rep.updated
    rep.status = "loaded"
    rep.import_id = _next_import_id(con)
    _log(con, rep, user)
    con.execute("COMMIT")

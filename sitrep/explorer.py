"""The SQL explorer: analysts' own SELECT queries on a sandboxed copy of the data.

Layers, each enough on its own for what it guards:

1. the text is one statement and a SELECT (or WITH ... SELECT), by DuckDB's own parser
   (:func:`check`), and calls none of the functions that read files, the network or the
   environment (a clear message before anything runs);
2. it runs on a sandbox (:func:`sitrep.db.explorer_sandbox`): an in-memory database in a
   process of its own, holding copies of the tables with personal columns masked (unless
   the user may and chose to see them) and, for a township user, only their township's
   rows; the database file is detached before any user query, file and network access is
   off, the settings that name server paths are blank and unreadable, and the
   configuration locked;
3. at most :data:`ROW_CAP` rows come back; a query still running after
   :data:`TIME_LIMIT_S` seconds, or whose process passes the memory bound, is stopped by
   killing that process, even inside one long function call; strings that functions make
   and values that come back are capped in size (see the limits in sitrep.db).

Every query (run, rejected, failed or interrupted) goes to the audit log. Plain Python,
no Streamlit: the page is pages/explorer.py.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from sitrep import audit, contract, db, i18n
from sitrep.figures import PALETTE, _finish

ROW_CAP = 10_000
TIME_LIMIT_S = 15.0
SQL_MAX_CHARS = 20_000
# The size limits of sitrep.db, as the explorer.errors.too_large message states them.
LIMITS = {"chars": f"{db.MAX_STRING_CHARS:,}", "value_mb": f"{db.MAX_VALUE_BYTES / 2 ** 20:g}",
          "result_mb": f"{db.MAX_RESULT_BYTES / 2 ** 20:g}"}

# Functions that read files, the network, the process environment or the settings (which name
# server paths). The sandbox would refuse them anyway (external access and the local file
# system are off, getenv does not exist there, the settings functions are shadowed and the
# path settings blank); naming them here gives a clear message before anything runs.
FORBIDDEN_FUNCTIONS = frozenset({
    "duckdb_settings", "current_setting", "duckdb_secrets", "which_secret", "duckdb_extensions",
    "duckdb_temporary_files", "pragma_database_list", "duckdb_logs", "duckdb_log_contexts",
    "read_csv", "read_csv_auto", "sniff_csv", "read_text", "read_blob", "read_parquet", "parquet_scan",
    "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "read_json",
    "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson", "read_ndjson_auto",
    "read_ndjson_objects", "json_execute_serialized_sql", "glob", "getenv", "read_xlsx", "st_read",
    "sqlite_scan", "sqlite_attach", "postgres_scan", "mysql_scan", "iceberg_scan", "delta_scan",
})

# The masks of sitrep.privacy, as SQL (a test checks they agree on the demo data).
MASK_MACROS = (
    """CREATE MACRO mask_name(v) AS CASE WHEN v IS NULL OR v = '' THEN v
        ELSE left(v, 1) || repeat('*', greatest(length(v) - 1, 1)) END""",
    """CREATE MACRO mask_id(v) AS CASE WHEN v IS NULL OR v = '' THEN v WHEN length(v) <= 8 THEN repeat('*', length(v))
        ELSE left(v, 4) || repeat('*', length(v) - 8) || right(v, 4) END""",
    """CREATE MACRO mask_phone(v) AS CASE WHEN v IS NULL OR v = '' THEN v WHEN length(v) <= 7 THEN repeat('*', length(v))
        ELSE left(v, 3) || repeat('*', length(v) - 7) || right(v, 4) END""",
)
MASK_OF = {"name": "mask_name", "id_number": "mask_id", "phone": "mask_phone"}

# Documented views over the copies (their descriptions: sitrep/strings/explorer.*.toml).
VIEWS = (
    ("region_names", """SELECT r.region_code, r.name, r.level, r.parent_code,
        t.region_code AS township_code, t.name AS township_name
        FROM regions r LEFT JOIN regions t ON t.region_code = township_code(r.region_code) AND t.level = 'township'"""),
    ("returnee_tests", """SELECT t.person_id, t.sample_date, t.sample_no, t.pooled, t.result, t.lab_id,
        r.region_code, r.origin_category, r.origin_risk, r.arrival_date, r.measure, r.status
        FROM tests t JOIN returnees r USING (person_id)"""),
)
EXTRA_TABLES = ("boundaries", "import_log")

# Starting points for the page (labels: explorer.example.*).
EXAMPLES = {
    "returnees_by_township": """SELECT township_name, origin_category, count(*) AS persons
FROM returnees JOIN region_names USING (region_code)
GROUP BY ALL
ORDER BY township_name, origin_category""",
    "tests_daily": """SELECT sample_date, count(*) AS tests, count(*) FILTER (result = 'positive') AS positives
FROM tests
GROUP BY sample_date
ORDER BY sample_date""",
    "overdue_tests": """SELECT r.person_id, r.name, r.phone, r.region_code, r.measure, max(t.sample_date) AS last_test
FROM returnees r LEFT JOIN tests t USING (person_id)
WHERE r.status = 'managed'
GROUP BY ALL
ORDER BY last_test NULLS FIRST
LIMIT 200""",
}


class Rejected(Exception):
    """A query refused before it runs; ``reason`` is a key of explorer.rejected.* strings."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Result:
    status: str                  # ok | rejected | error | timeout
    frame: pd.DataFrame | None = None
    truncated: bool = False
    seconds: float = 0.0
    reason: str = ""             # rejected: the reason key; error: DuckDB's message (first line)
    detail: str = ""
    kind: str = ""               # error and timeout: a key of explorer.errors.* (see explain())
    message: str = ""            # error and timeout: the original error text in full


# What went wrong, in the user's words: (kind, exception type names, patterns of DuckDB's message).
ERROR_KINDS = (
    ("timeout", ("Timeout", "InterruptException"), ()),
    ("out_of_memory", ("OutOfMemory", "OutOfMemoryException"), (r"out of memory", r"memory limit")),
    ("too_large", ("TooLarge",), (r"sitrep: a string longer than",)),
    ("settings_hidden", (), (r"sitrep: settings and server paths",)),
    ("table_not_found", (), (r"Table with name .* does not exist", r"Table .* does not exist")),
    ("column_not_found", (), (r"Referenced column .* not found", r"column .* not found",
                              r"Values list .* does not have a column")),
    ("function_not_found", (), (r"(Scalar|Table|Aggregate) Function with name .* does not exist",)),
    ("syntax", ("ParserException",), (r"syntax error",)),
    ("type", ("ConversionException",), (r"No function matches", r"Could not convert", r"Cannot compare",
                                        r"Conversion Error")),
    ("division", (), (r"division by zero", r"Out of Range")),
    ("crashed", ("Crashed",), ()),
)


def explain(type_name: str, message: str) -> str:
    """The kind of a sandbox error (a key of explorer.errors.*; "other" when none fits)."""

    for kind, types, patterns in ERROR_KINDS:
        if type_name in types or any(re.search(p, message, re.IGNORECASE) for p in patterns):
            return kind
    return "other"


def check(sql: str) -> str:
    """The one SELECT in ``sql`` (without its trailing semicolon), or :class:`Rejected`."""
    text = (sql or "").strip()
    if not text:
        raise Rejected("empty")
    if len(text) > SQL_MAX_CHARS:
        raise Rejected("too_long", str(SQL_MAX_CHARS))
    try:
        statements = db.statement_types(text)
    except db.Error as e:
        raise Rejected("parse", _first_line(e)) from None
    if len(statements) != 1:
        raise Rejected("several", str(len(statements)))
    kind, statement = statements[0]
    if kind != "SELECT":
        raise Rejected("not_select", kind)
    try:
        used = db.functions_used(statement)
    except db.Error as e:
        raise Rejected("parse", _first_line(e)) from None
    forbidden = sorted(used & FORBIDDEN_FUNCTIONS)
    if forbidden:
        raise Rejected("external", ", ".join(forbidden))
    return statement


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


# ---------------------------------------------------------------- the sandbox


def table_selects(scope: str | None, unmask: bool) -> list[tuple[str, str]]:
    """(table, SELECT over sitrep_source) for every table the sandbox holds, in an order
    where a table filtered through another (tests through returnees and contacts) comes
    after it. Personal columns masked unless ``unmask``; rows outside ``scope`` left out."""
    out = []
    for name in (*contract.LOAD_ORDER, *EXTRA_TABLES):
        columns = _columns(name)
        masked = {c: MASK_OF[c] for c in contract.PERSONAL_COLUMNS.get(name, ())} if not unmask else {}
        star = "*" if not masked else "* REPLACE (" + ", ".join(f"{m}({c}) AS {c}" for c, m in masked.items()) + ")"
        where = ""
        if scope is not None:
            if "region_code" in columns:
                where = " WHERE in_scope(region_code, $scope)"
            elif name == "tests":
                where = (" WHERE person_id IN (SELECT person_id FROM main.returnees)"
                         " OR person_id IN (SELECT contact_id FROM main.contacts)")
            elif name == "sentinel_reports":
                where = " WHERE site_id IN (SELECT site_id FROM main.sentinel_sites)"
            elif name == "import_log":
                where = " WHERE false"  # who imported what, city-wide: not a township's business
            # funds and duty_roster are the city headquarters' own: no township's rows
        out.append((name, f"SELECT {star} FROM sitrep_source.main.{name}{where}"))
    return out


def _columns(table: str) -> tuple[str, ...]:
    if table in contract.TABLES_BY_NAME:
        return tuple(c.name for c in contract.TABLES_BY_NAME[table].columns)
    return {"boundaries": ("region_code", "level", "geometry")}.get(table, ())


class Sandboxes:
    """Sandboxes (sitrep.db.SandboxPool: processes) by (database file version, scope, unmask),
    the last few kept: building one copies the tables (about 0.7 s for the demo city at scale 1)
    in a new process. A sandbox dropped from the list is closed (a query still running on it
    finishes first)."""

    def __init__(self, keep: int = 4):
        self.keep = keep
        self._cons: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, scope: str | None, unmask: bool):
        st = Path(path).stat()
        key = (str(path), st.st_ino, st.st_mtime_ns, st.st_size, scope, bool(unmask))
        with self._lock:
            if key in self._cons:
                self._cons.move_to_end(key)
                return self._cons[key]
            for old in [k for k in self._cons if k[0] == key[0] and k[1:4] != key[1:4]]:
                self._cons.pop(old).close()  # an older version of the file: its processes are not needed
            pool = db.explorer_sandbox(path, setup=list(MASK_MACROS), tables=table_selects(scope, unmask),
                                       views=list(VIEWS), params={"scope": scope})
            self._cons[key] = pool
            while len(self._cons) > self.keep:
                self._cons.popitem(last=False)[1].close()
            return pool

    def close(self) -> None:
        with self._lock:
            while self._cons:
                self._cons.popitem()[1].close()


SANDBOXES = Sandboxes()


def execute(sql: str, *, path: Path, scope: str | None = None, unmask: bool = False, user: str | None = None,
            role: str | None = None, row_cap: int = ROW_CAP, seconds: float = TIME_LIMIT_S,
            sandboxes: Sandboxes = SANDBOXES, client: str | None = None) -> Result:
    """Check and run one query for a user; every outcome is recorded in the audit log
    (with unmasked results, an ``unmask`` record too). ``client``: the browser's address."""
    who = {"user": user, "role": role}
    if client is not None:
        who["client"] = client
    started = time.monotonic()
    try:
        statement = check(sql)
    except Rejected as e:
        audit.record("explorer", "rejected", **who, sql=sql[:SQL_MAX_CHARS], reason=e.reason, detail=e.detail)
        return Result("rejected", reason=e.reason, detail=e.detail)
    try:
        con = sandboxes.get(path, scope, unmask)
        frame, truncated = db.run_sandboxed(con, statement, row_cap=row_cap, seconds=seconds)
    except db.Interrupted as e:
        elapsed = time.monotonic() - started
        audit.record("explorer", "timeout", **who, sql=statement, scope=scope, seconds=round(elapsed, 2))
        return Result("timeout", seconds=elapsed, detail=f"{seconds:g}", kind="timeout", message=str(e))
    except db.PermissionDenied as e:
        audit.record("explorer", "rejected", **who, sql=statement, reason="external", detail=_first_line(e))
        return Result("rejected", reason="external", detail=_first_line(e))
    except db.Error as e:
        elapsed = time.monotonic() - started
        kind = explain(getattr(e, "type_name", type(e).__name__), str(e))
        audit.record("explorer", "error", **who, sql=statement, scope=scope, error=_first_line(e), kind=kind,
                     seconds=round(elapsed, 2))
        return Result("error", reason=_first_line(e), seconds=elapsed, kind=kind, message=str(e).strip())
    elapsed = time.monotonic() - started
    frame = _dates_as_dates(frame)
    audit.record("explorer", "ok", **who, sql=statement, scope=scope, rows=len(frame), truncated=truncated,
                 seconds=round(elapsed, 2), unmasked=unmask)
    if unmask:
        audit.record("unmask", **who, source="explorer", sql=statement, rows=len(frame))
    return Result("ok", frame, truncated, elapsed)


def _dates_as_dates(df: pd.DataFrame) -> pd.DataFrame:
    """DuckDB DATE columns arrive as midnight timestamps: show them as days."""
    for col in df.columns:
        if pd.api.types.is_datetime64_dtype(df[col]) and df[col].notna().any() \
                and (df[col].dropna() == df[col].dropna().dt.normalize()).all():
            df[col] = df[col].dt.date
    return df


def schema(path: Path, scope: str | None = None, unmask: bool = False, lang: str = "zh",
           sandboxes: Sandboxes = SANDBOXES) -> pd.DataFrame:
    """Every table and view the explorer offers, with its columns, types and labels."""
    con = sandboxes.get(path, scope, unmask)
    df, _ = db.run_sandboxed(con, """SELECT table_name, column_name, data_type, ordinal_position
        FROM information_schema.columns WHERE table_schema = 'main'
        ORDER BY table_name, ordinal_position""", row_cap=100_000, seconds=TIME_LIMIT_S)
    labels = []
    for t, c in zip(df["table_name"], df["column_name"]):
        try:
            labels.append(i18n.column_label(t, c, lang))
        except (KeyError, AttributeError):
            labels.append("")
    return df.assign(label=labels).drop(columns="ordinal_position")


# ---------------------------------------------------------------- the chart builder

CHART_KINDS = ("bar", "line", "scatter")


def numeric_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]


def chart(df: pd.DataFrame, x: str, y: str, kind: str, *, color: str | None = None, title: str | None = None,
          height: int = 420) -> go.Figure:
    """A bar, line or scatter chart of y against x (one trace per value of color)."""
    if kind not in CHART_KINDS:
        raise ValueError(f"chart kind {kind!r}: one of {', '.join(CHART_KINDS)}")
    fig = go.Figure()
    groups = [(None, df)] if not color else list(df.groupby(color, sort=False, dropna=False))[:len(PALETTE)]
    for name, part in groups:
        common = dict(x=part[x], y=part[y], name=None if name is None else str(name))
        if kind == "bar":
            fig.add_bar(**common)
        elif kind == "line":
            fig.add_scatter(mode="lines+markers", **common)
        else:
            fig.add_scatter(mode="markers", **common)
    fig.update_layout(showlegend=bool(color), barmode="group", xaxis_title=str(x), yaxis_title=str(y))
    return _finish(fig, title, height, False)

"""Owns DuckDB: opening the database, running named queries with bound parameters, and
writing through a copy that replaces the served file atomically.

Nothing else in the project imports ``duckdb``.

Why the copy: a DuckDB file open for writing in one process cannot be opened by any
other process, not even read-only. The dashboard therefore only ever reads, and every
write (an import from the command line or from the Data page) goes into a copy that is
``os.replace``-d over the served file when it is complete. Open readers keep their old
snapshot; the next read sees the new file, so no page ever sees half an import.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

import duckdb

from sitrep import contract, cube

ROOT = Path(__file__).resolve().parent.parent
QUERY_DIR = ROOT / "queries"
DEFAULT_DB = ROOT / "data" / "sitrep.duckdb"

# Extensions cannot be downloaded here: fail at once instead of after a download attempt.
CONNECT_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

Error = duckdb.Error


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """--db, else $SITREP_DB, else data/sitrep.duckdb."""
    if path:
        return Path(path)
    env = os.environ.get("SITREP_DB")
    return Path(env) if env else DEFAULT_DB


# ---------------------------------------------------------------- named queries

# "rules": quarantine rules (sitrep.rules), bound as a list of structs; when not given, the
# default rules file. A rules object, a rules file path or as_param() rows are accepted.
# "quality": the [reporting] settings of the quality rules (sitrep.quality), bound as JSON; when
# not given, the default quality file. A Config, a quality rules file path or the JSON are accepted.
PARAM_TYPES = ("date", "timestamp", "str", "int", "float", "bool", "rules", "quality")
_PARAM_RE = re.compile(r"^--\s*param\s+(\w+)\s+(\w+)(\s+optional)?\s*(?::\s*(.*))?$")


class QueryError(ValueError):
    """A named query that does not exist, or parameters that do not fit it."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    optional: bool
    doc: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    sql: str
    params: tuple[Param, ...]
    doc: str

    def bind(self, values: dict[str, Any]) -> dict[str, Any]:
        """Check names against the declared parameters and convert string values."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise QueryError(
                f"query {self.name}: unknown parameter(s) {', '.join(unknown)}; "
                f"it takes {', '.join(declared) or 'none'}"
            )
        bound = {}
        for p in self.params:
            v = values.get(p.name)
            if p.type == "rules":
                bound[p.name] = rules_param(self.name, p, v)
            elif p.type == "quality":
                bound[p.name] = quality_param(self.name, p, v)
            elif v is None or v == "":
                if not p.optional:
                    raise QueryError(f"query {self.name}: missing parameter {p.name} ({p.type})")
                bound[p.name] = None
            else:
                bound[p.name] = convert_param(self.name, p, v)
        return bound


def rules_param(query: str, p: Param, v: Any) -> list[dict[str, Any]]:
    """The value bound for a ``rules`` parameter: the default rules file when not given."""
    from sitrep import rules

    try:
        if v is None or v == "":
            return rules.load_rules().as_param()
        if isinstance(v, rules.Rules):
            return v.as_param()
        if isinstance(v, (str, os.PathLike)):
            return rules.load_rules(v).as_param()
    except rules.RulesError as e:
        raise QueryError(f"query {query}: parameter {p.name}: {e}") from None
    if isinstance(v, list):
        return v
    raise QueryError(f"query {query}: parameter {p.name} takes quarantine rules, got {type(v).__name__}")


def quality_param(query: str, p: Param, v: Any) -> str:
    """The value bound for a ``quality`` parameter: the default quality file when not given."""
    from sitrep import quality

    if isinstance(v, str) and v.lstrip().startswith("{"):
        return v
    try:
        if isinstance(v, quality.Config):
            return v.reporting_json()
        if v is None or v == "" or isinstance(v, (str, os.PathLike)):
            return quality.load_config(v or None).reporting_json()
    except quality.QualityConfigError as e:
        raise QueryError(f"query {query}: parameter {p.name}: {e}") from None
    raise QueryError(f"query {query}: parameter {p.name} takes quality settings, got {type(v).__name__}")


def convert_param(query: str, p: Param, v: Any) -> Any:
    if not isinstance(v, str):
        return v
    try:
        if p.type == "date":
            return date.fromisoformat(v)
        if p.type == "timestamp":
            return datetime.fromisoformat(v)
        if p.type == "int":
            return int(v)
        if p.type == "float":
            return float(v)
        if p.type == "bool":
            if v.lower() in ("1", "true", "yes", "y"):
                return True
            if v.lower() in ("0", "false", "no", "n"):
                return False
            raise ValueError(v)
    except ValueError:
        raise QueryError(f"query {query}: parameter {p.name}={v!r} is not a valid {p.type}") from None
    return v


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))


def load_query(name: str) -> NamedQuery:
    """Read queries/NAME.sql and its declared parameters (``-- param NAME TYPE [optional]: doc``)."""
    if not re.fullmatch(r"[a-z0-9_]+", name or "") or not (QUERY_DIR / f"{name}.sql").is_file():
        raise QueryError(f"unknown query {name!r}; known: {', '.join(query_names())}")
    return _load_query_cached(name, (QUERY_DIR / f"{name}.sql").stat().st_mtime_ns)


_query_cache: dict[tuple[str, int], NamedQuery] = {}


def _load_query_cached(name: str, mtime: int) -> NamedQuery:
    key = (name, mtime)
    if key not in _query_cache:
        sql = (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")
        params, doc = [], []
        for line in sql.splitlines():
            if not line.startswith("--"):
                break
            m = _PARAM_RE.match(line)
            if m:
                if m.group(2) not in PARAM_TYPES:
                    raise QueryError(f"query {name}: parameter {m.group(1)} has unknown type {m.group(2)}")
                params.append(Param(m.group(1), m.group(2), bool(m.group(3)), m.group(4) or ""))
            else:
                doc.append(line.lstrip("- ").rstrip())
        _query_cache[key] = NamedQuery(name, sql, tuple(params), "\n".join(d for d in doc if d))
    return _query_cache[key]


# ---------------------------------------------------------------- the database


class Database:
    """One DuckDB file. Reads go through a read-only connection that follows the file
    when it is replaced; writes go through :meth:`writer`.

    Safe to share between Streamlit sessions: each call takes its own cursor.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = resolve_db_path(path)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple | None = None
        self._cube_meta: dict[str, Any] | None = None
        self._lock = threading.Lock()
        # what the last write's cube refresh did (sitrep.cube.Built), for the import report
        self.last_cube: cube.Built | None = None

    # -- reading

    def exists(self) -> bool:
        return self.path.is_file()

    def version(self) -> tuple | None:
        """Changes whenever the file is replaced: part of every cache key."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            stamp = self.version()
            if stamp is None:
                raise FileNotFoundError(f"no database at {self.path}; run `python -m sitrep demo` or import files")
            if self._con is None or stamp != self._stamp:
                # The old connection is dropped, not closed: a query still running on one of
                # its cursors in another session finishes on the old snapshot.
                con = _connect_read_only(self.path)
                if stored_fingerprint(con) != schema_fingerprint():
                    # made by an older sitrep: its tables and macros are brought up to date the
                    # way every write is made (a copy swapped in), then read
                    self._upgrade()
                    stamp = self.version()
                    con = _connect_read_only(self.path)
                self._con, self._stamp = con, stamp
                self._cube_meta = cube.read_meta(con)
            if cube.stale(self._cube_meta, cube_inputs()[0]):
                # the quarantine rules or reporting settings changed, or a pending report's deadline passed:
                # the cube is recomputed through a copy swapped in, like any write
                self._upgrade()
                self._stamp = self.version()
                self._con = _connect_read_only(self.path)
                self._cube_meta = cube.read_meta(self._con)
            return self._con.cursor()

    def _upgrade(self) -> None:
        try:
            with self.writer():
                pass
        except OSError as e:
            raise QueryError(f"{self.path} was made by an older version of sitrep and could not be brought up "
                             f"to date ({e}); run `python -m sitrep import` with write access once") from None

    def sql(self, sql: str, params: dict[str, Any] | None = None):
        """Run SQL with bound parameters; return a pandas DataFrame."""
        cur = self._cursor()
        try:
            return cur.execute(sql, params or {}).df()
        finally:
            cur.close()

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        cur = self._cursor()
        try:
            return cur.execute(sql, params or {}).fetchall()
        finally:
            cur.close()

    def query(self, name: str, **params: Any):
        """Run queries/NAME.sql with the given parameters (strings are converted to the
        declared types; undeclared or missing ones raise QueryError)."""
        q = load_query(name)
        return self.sql(q.sql, q.bind(params))

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    # -- writing

    @contextlib.contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection on a copy of the database, serialised by a file lock.

        When the block ends normally the copy is checkpointed and replaces the served
        file in one rename; when it raises, the copy is thrown away and the served file
        is untouched.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        # a new name for every write: DuckDB would hand out a cached instance for a reused path
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                _remove(tmp)
                if self.path.exists():
                    shutil.copyfile(self.path, tmp)
                con = duckdb.connect(str(tmp), config=CONNECT_CONFIG)
                try:
                    ensure_schema(con)
                    yield con
                    # every write brings the KPI cube up to date before the file is swapped in
                    inputs, rules_rows, settings_json = cube_inputs()
                    self.last_cube = cube.refresh(con, rules_rows=rules_rows, settings_json=settings_json)
                    con.execute("CHECKPOINT")
                finally:
                    con.close()
                os.replace(tmp, self.path)
            finally:
                _remove(tmp)
                _remove(Path(str(tmp) + ".wal"))
                fcntl.flock(lock, fcntl.LOCK_UN)


_inputs_cache: dict[tuple, tuple[str, list, str]] = {}


def cube_inputs() -> tuple[str, list[dict[str, Any]], str]:
    """(fingerprint, rules rows, reporting settings JSON) of the default quarantine rules and quality settings
    files, the cube's inputs besides the tables; read again only when either file changes."""
    from sitrep import quality, rules
    from sitrep.quality.config import config_path

    def version(p: Path) -> tuple | None:
        try:
            return (str(p.resolve()), p.stat().st_mtime_ns)
        except FileNotFoundError:
            return None

    key = (rules.rules_version(), version(config_path()))
    if key not in _inputs_cache:
        try:
            rules_rows = rules.load_rules().as_param()
            settings_json = quality.load_config().reporting_json()
        except (rules.RulesError, quality.QualityConfigError) as e:
            raise QueryError(f"the KPI cube cannot be computed: {e}") from None
        _inputs_cache.clear()
        _inputs_cache[key] = (cube.inputs_fingerprint(rules_rows, settings_json), rules_rows, settings_json)
    return _inputs_cache[key]


def _connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file now at path.

    DuckDB keeps one database instance per file path in a process and hands it out
    again on the next connect, even after the file was replaced. So the connection is
    made through a hard link named after the file's inode (one name per version of the
    file), which is removed as soon as DuckDB holds the file open.
    """
    ino = path.stat().st_ino
    link = path.with_name(f".{path.name}.read.{ino}")
    try:
        os.link(path, link)
    except FileExistsError:
        pass
    try:
        if link.stat().st_ino != ino:  # replaced between stat and link: link the new one
            _remove(link)
            return _connect_read_only(path)
        return duckdb.connect(str(link), read_only=True, config=CONNECT_CONFIG)
    finally:
        _remove(link)


def _remove(p: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        p.unlink()


# Macros stored in the database so every query says "in scope" the same way.
# A region is in scope when its code starts with the scope's code less its trailing zeros:
# "000" groups below the county (township 451481001000 -> 451481001), "00" pairs above it
# (city or county 451481000000 -> 451481, prefecture 451400000000 -> 4514, province
# 450000000000 -> 45). A scope of county level or above (or NULL) also takes rows with no
# region at all. In a one-city store every code starts with the city's prefix, so the city
# scope takes everything, as before the province levels existed.
MACROS = (
    """CREATE OR REPLACE MACRO scope_prefix(scope) AS CASE
        WHEN length(regexp_replace(scope, '(000)+$', '')) <= 6 THEN regexp_replace(left(scope, 6), '(00)+$', '')
        ELSE regexp_replace(scope, '(000)+$', '') END""",
    """CREATE OR REPLACE MACRO in_scope(code, scope) AS (
        scope IS NULL
        OR (coalesce(code, '') = '' AND length(scope_prefix(scope)) <= 6)
        OR starts_with(coalesce(code, ''), scope_prefix(scope)))""",
    "CREATE OR REPLACE MACRO township_code(code) AS left(code, 9) || '000'",
    "CREATE OR REPLACE MACRO village_code(code) AS left(code, 12)",
)


def _macro_files() -> list[Path]:
    return sorted((QUERY_DIR / "macros").glob("*.sql"))


def schema_fingerprint() -> str:
    """A hash of everything :func:`ensure_schema` creates: the contract's tables, the macros and
    queries/macros/*.sql. A database whose stored fingerprint differs was made by another version
    of sitrep (e.g. a query now calls a macro the file does not have yet)."""
    h = hashlib.sha256()
    for part in (*contract.all_ddl(), *MACROS, *(p.read_text(encoding="utf-8") for p in _macro_files())):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every contract table (and the importer's own tables) that is missing, and
    the shared macros; record the schema fingerprint."""
    for ddl in contract.all_ddl():
        con.execute(ddl)
    for macro in MACROS:
        con.execute(macro)
    # Table macros shared by several named queries (queries/macros/*.sql, one file of statements each).
    for path in _macro_files():
        con.execute(path.read_text(encoding="utf-8"))
    con.execute("CREATE TABLE IF NOT EXISTS sitrep_schema (fingerprint VARCHAR NOT NULL)")
    con.execute("DELETE FROM sitrep_schema")
    con.execute("INSERT INTO sitrep_schema VALUES (?)", [schema_fingerprint()])


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = con.execute("SELECT max(fingerprint) FROM sitrep_schema").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory connection for work on data that is not the database (e.g. staging)."""
    return duckdb.connect(config=CONNECT_CONFIG)


# ---------------------------------------------------------------- the SQL explorer's sandbox

Interrupted = duckdb.InterruptException
PermissionDenied = duckdb.PermissionException


def statement_types(sql: str) -> list[tuple[str, str]]:
    """(type, text) of each statement in sql by DuckDB's own parser, e.g. [("SELECT", "select 1")],
    the text without the ";" and comments that end it. Raises :data:`Error` when sql does not parse."""
    return [(s.type.name, _without_trailer(s.query)) for s in duckdb.extract_statements(sql)]


def _without_trailer(text: str) -> str:
    """text less its trailing semicolons and comments, found by DuckDB's tokenizer (so a
    "--" inside a string is not taken for a comment)."""
    end = len(text)
    for position, kind in reversed(duckdb.tokenize(text)):
        if kind == duckdb.token_type.comment or (kind == duckdb.token_type.operator and text[position] == ";"):
            end = position
        else:
            break
    return text[:end].strip()


def functions_used(sql: str) -> set[str]:
    """Lower-case names of every function (scalar, aggregate, table) a SELECT calls, from
    DuckDB's own parse tree (``json_serialize_sql``): names in string literals do not count."""
    import json

    con = connect_memory()
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql($sql)", {"sql": sql}).fetchall()[0][0])
    finally:
        con.close()
    if tree.get("error"):
        raise duckdb.ParserException(tree.get("error_message", "cannot parse"))
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("function_name"), str):
                names.add(node["function_name"].lower())
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return names


def explorer_connection(path: str | os.PathLike, *, setup: list[str], tables: list[tuple[str, str]],
                        views: list[tuple[str, str]], params: dict[str, Any],
                        memory_limit: str = "2GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    """A sandbox for the SQL explorer: an in-memory database that holds only what it is given.

    The database file is attached read-only as ``sitrep_source`` while each of ``tables``
    (name, SELECT over ``sitrep_source``, with ``params`` bound: masking and scope are in
    these SELECTs) is copied into it, then detached: nothing a query names can reach the
    file or its unmasked rows, not even ``sitrep_source.returnees`` or ``query_table()``.
    ``setup`` statements (macros) run first, ``views`` (name, SELECT over the copies) last.
    Then file and network access is switched off (``read_csv``, ``ATTACH``, ``COPY``,
    ``INSTALL`` ... fail) and the configuration is locked (``SET`` fails).

    Why copies and not views over the attached file: views need the file attached, and an
    attached database is readable by its qualified name. Table and view names come from the
    caller's fixed lists (the contract), never from a user.
    """
    con = duckdb.connect(":memory:", config=CONNECT_CONFIG)
    try:
        for macro in MACROS:
            con.execute(macro)
        for statement in setup:
            con.execute(statement)
        con.execute("ATTACH $path AS sitrep_source (READ_ONLY)", {"path": str(path)})
        try:
            for name, select in tables:
                _check_identifier(name)
                used = {k: v for k, v in params.items() if f"${k}" in select}
                con.execute(f"CREATE TABLE main.{name} AS {select}", used)
        finally:
            con.execute("DETACH sitrep_source")
        for name, select in views:
            _check_identifier(name)
            con.execute(f"CREATE VIEW main.{name} AS {select}")
        con.execute(f"SET memory_limit = '{memory_limit}'")  # constants of this module's callers, not user input
        con.execute(f"SET threads = {int(threads)}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _check_identifier(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain identifier: {name!r}")


def run_sandboxed(con: duckdb.DuckDBPyConnection, sql: str, *, row_cap: int, seconds: float):
    """Run one SELECT (already checked) on its own cursor of a sandbox: at most ``row_cap``
    rows, and interrupted after ``seconds`` (raises :data:`Interrupted`).

    Returns (DataFrame of at most row_cap rows, whether there were more)."""
    cur = con.cursor()
    timer = threading.Timer(seconds, cur.interrupt)
    timer.daemon = True
    timer.start()
    try:
        df = cur.sql(sql).limit(row_cap + 1).df()
    finally:
        timer.cancel()
        cur.close()
    return df.iloc[:row_cap], len(df) > row_cap

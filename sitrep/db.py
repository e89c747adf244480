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

from sitrep import contract, cube, rules
from sitrep.quality.config import Config as QualityConfig
from sitrep.quality.config import QualityConfigError, config_path, load_config

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
    if isinstance(v, str) and v.lstrip().startswith("{"):
        return v
    try:
        if isinstance(v, QualityConfig):
            return v.reporting_json()
        if v is None or v == "" or isinstance(v, (str, os.PathLike)):
            return load_config(v or None).reporting_json()
    except QualityConfigError as e:
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
                swept = sweep_stale_copies(self.path)  # a killed writer's copy: nobody else holds the lock
                _remove(tmp)
                if self.path.exists():
                    shutil.copyfile(self.path, tmp)
                con = duckdb.connect(str(tmp), config=CONNECT_CONFIG)
                try:
                    con.execute("SET enable_progress_bar = false")  # long cube steps must not draw on stdout
                    ensure_schema(con)
                    log_sweep(con, swept)
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
    def version(p: Path) -> tuple | None:
        try:
            return (str(p.resolve()), p.stat().st_mtime_ns)
        except FileNotFoundError:
            return None

    key = (rules.rules_version(), version(config_path()))
    if key not in _inputs_cache:
        try:
            rules_rows = rules.load_rules().as_param()
            settings_json = load_config().reporting_json()
        except (rules.RulesError, QualityConfigError) as e:
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

# Why a process of its own: DuckDB checks for an interrupt between vectors, not inside one scalar
# function call (``repeat('x', 3000000000)`` runs for a minute and takes gigabytes whatever the
# memory limit, which does not count such strings), and one query must not take the shared
# server down. So every sandbox is a child process, which the caller's watchdog kills when a
# query runs past its time or its resident memory passes SANDBOX_RSS_LIMIT; the next query
# starts a fresh one. Inside, DuckDB's own limits hold what it tracks, and the functions that
# make a string of a size given as a number refuse sizes past MAX_STRING_CHARS.
SANDBOX_MEMORY_LIMIT = "1GB"       # DuckDB's limit in the sandbox: the copied tables, joins, sorts
SANDBOX_RSS_LIMIT = 2 * 1024 ** 3  # bytes resident: past this the sandbox process is killed
SANDBOX_THREADS = 2
SANDBOX_NICE = 10                  # the sandbox yields the cores to the dashboard's own work
SANDBOX_START_SECONDS = 300.0      # copying the tables into a new sandbox
MAX_STRING_CHARS = 100_000         # repeat / lpad / rpad: the longest string they may make
MAX_VALUE_BYTES = 1 << 20          # the largest single value a result may carry
MAX_RESULT_BYTES = 64 << 20        # the largest result (Arrow bytes) handed back
WATCH_INTERVAL_S = 0.05


class SandboxError(duckdb.Error):
    """A query that failed in the sandbox: ``type_name`` is DuckDB's exception class (e.g.
    ``CatalogException``) or one of the sandbox's own (``Timeout``, ``OutOfMemory``,
    ``TooLarge``, ``Crashed``); the message is DuckDB's own text."""

    def __init__(self, message: str, type_name: str = "Error"):
        super().__init__(message)
        self.type_name = type_name


class Interrupted(SandboxError):
    """Ran past its time: the sandbox process was killed."""


class PermissionDenied(SandboxError):
    """Tried to reach files, the network or the configuration."""


class OutOfMemory(SandboxError):
    """Ran out of the sandbox's memory (DuckDB's limit, or the process was killed past SANDBOX_RSS_LIMIT)."""


class TooLarge(SandboxError):
    """A value or a result larger than MAX_VALUE_BYTES / MAX_RESULT_BYTES."""


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


# Shadows of built-in functions, created in the sandbox (a macro in main is found before the
# built-in of the same name; the built-in stays reachable only as system.main.NAME, a name the
# explorer's check refuses like the function itself).
_GUARD = "'sitrep: a string longer than {cap} characters is not allowed here'".format(cap=MAX_STRING_CHARS)
_HIDDEN = "'sitrep: settings and server paths are not readable here'"
SANDBOX_GUARDS = (
    # the check is in the size argument, not around the call: DuckDB folds a constant call such
    # as repeat('x', 3000000000) while planning, whatever a CASE around it says
    f"""CREATE MACRO repeat(s, n) AS system.main.repeat(s, CASE
        WHEN n::BIGINT > {MAX_STRING_CHARS} OR length(s::VARCHAR)::BIGINT * greatest(n::BIGINT, 0) > {MAX_STRING_CHARS}
        THEN error({_GUARD}) ELSE n END)""",
    f"""CREATE MACRO lpad(s, n, p) AS system.main.lpad(s, CASE WHEN n::BIGINT > {MAX_STRING_CHARS}
        THEN error({_GUARD}) ELSE n END, p)""",
    f"""CREATE MACRO rpad(s, n, p) AS system.main.rpad(s, CASE WHEN n::BIGINT > {MAX_STRING_CHARS}
        THEN error({_GUARD}) ELSE n END, p)""",
    f"CREATE MACRO current_setting(name) AS error({_HIDDEN})",
    f"CREATE MACRO which_secret(path, kind) AS error({_HIDDEN})",
    *(f"CREATE MACRO {name}() AS TABLE SELECT error({_HIDDEN}) AS hidden"
      for name in ("duckdb_settings", "duckdb_secrets", "duckdb_extensions", "duckdb_temporary_files",
                   "pragma_database_list")),
)
# Settings that name server paths, blanked before the configuration is locked.
_PATH_SETTINGS = ("temp_directory", "secret_directory", "home_directory", "extension_directory")


def _build_sandbox(path: str, setup: list[str], tables: list[list[str]], views: list[list[str]],
                   params: dict[str, Any], memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    """The sandbox's database, made in the sandbox process: an in-memory database that holds only
    what it is given.

    The database file is attached read-only as ``sitrep_source`` while each of ``tables``
    (name, SELECT over ``sitrep_source``, with ``params`` bound: masking and scope are in
    these SELECTs) is copied into it, then detached: nothing a query names can reach the
    file or its unmasked rows, not even ``sitrep_source.returnees`` or ``query_table()``.
    ``setup`` statements (macros) run first, ``views`` (name, SELECT over the copies) last.
    Then the guards go in (:data:`SANDBOX_GUARDS`), the settings that name server paths are
    blanked, the local file system is disabled, file and network access is switched off
    (``read_csv``, ``ATTACH``, ``COPY``, ``INSTALL`` ... fail) and the configuration is
    locked (``SET`` fails).

    Why copies and not views over the attached file: views need the file attached, and an
    attached database is readable by its qualified name. Table and view names come from the
    caller's fixed lists (the contract), never from a user.
    """
    con = duckdb.connect(":memory:", config=CONNECT_CONFIG)
    # constants of this module's callers, not user input
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {int(threads)}")
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
    for guard in SANDBOX_GUARDS:
        con.execute(guard)
    for setting in _PATH_SETTINGS:
        con.execute(f"SET {setting} = ''")
    con.execute("SET disabled_filesystems = 'LocalFileSystem'")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def _check_identifier(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain identifier: {name!r}")


def _sandbox_fetch(con: duckdb.DuckDBPyConnection, sql: str, row_cap: int) -> tuple[bytes, bool]:
    """Run sql in the sandbox process; (Arrow IPC stream of at most row_cap rows, whether there
    were more). Values past MAX_VALUE_BYTES and results past MAX_RESULT_BYTES raise TooLarge."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cur = con.cursor()
    try:
        rel = cur.sql(sql)
        if rel is None:  # a statement with no result (only ever run by tests of the sandbox)
            table = pa.table({})
        else:
            reader = rel.limit(row_cap + 1).to_arrow_reader(1024)
            batches, rows, size = [], 0, 0
            for batch in reader:
                for field, column in zip(batch.schema, batch.columns):
                    if (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
                            or pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type)) and len(column):
                        longest = pc.max(pc.binary_length(column)).as_py() or 0
                        if longest > MAX_VALUE_BYTES:
                            raise TooLarge(f"column {field.name}: a value of {longest:,} bytes "
                                           f"(at most {MAX_VALUE_BYTES:,})", "TooLarge")
                size += batch.nbytes
                if size > MAX_RESULT_BYTES:
                    raise TooLarge(f"the result passed {MAX_RESULT_BYTES:,} bytes", "TooLarge")
                batches.append(batch)
                rows += batch.num_rows
                if rows > row_cap:
                    break
            table = pa.Table.from_batches(batches, schema=reader.schema)
    finally:
        cur.close()
    truncated = table.num_rows > row_cap
    table = table.slice(0, row_cap)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes(), truncated


def _send(out, header: dict, payload: bytes = b"") -> None:
    import json

    out.write(json.dumps(header).encode("utf-8") + b"\n")
    if payload:
        out.write(payload)
    out.flush()


def _die_with_parent() -> None:
    """End the sandbox process when the process that started it is gone, even mid-query (a
    thread watches the parent's id; the kernel's parent-death signal would follow the thread
    that started the process, which in Streamlit ends with the script run)."""
    parent = os.getppid()

    def watch() -> None:
        import time

        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="sandbox-parent-watch").start()


def _sandbox_main() -> None:
    """The sandbox process: build the sandbox from the first line of standard input (JSON),
    then run one query per line, answering each with a JSON line (and the Arrow bytes)."""
    import json
    import sys

    _die_with_parent()
    os.nice(SANDBOX_NICE)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the answer channel
    try:
        con = _build_sandbox(**json.loads(inp.readline()))
    except Exception as e:  # noqa: BLE001 - reported to the parent, which raises it
        _send(out, {"status": "error", "type": type(e).__name__, "message": str(e)})
        return
    _send(out, {"status": "ready"})
    for line in inp:
        request = json.loads(line)
        try:
            payload, truncated = _sandbox_fetch(con, request["sql"], int(request["row_cap"]))
        except SandboxError as e:
            _send(out, {"status": "error", "type": e.type_name, "message": str(e)})
        except duckdb.Error as e:
            _send(out, {"status": "error", "type": type(e).__name__, "message": str(e)})
        else:
            _send(out, {"status": "ok", "truncated": truncated, "bytes": len(payload)}, payload)


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Sandbox:
    """One sandbox process and its watchdog (the caller's thread, while it waits for an answer).

    A query that runs past its time, or makes the process pass ``rss_limit`` bytes resident,
    gets the process killed: the caller gets :class:`Interrupted` or :class:`OutOfMemory` at
    once, and the process is gone (its pool starts another for the next query)."""

    def __init__(self, spec: dict[str, Any], *, rss_limit: int = SANDBOX_RSS_LIMIT,
                 start_seconds: float = SANDBOX_START_SECONDS):
        import json
        import subprocess
        import sys

        self.rss_limit = rss_limit
        self.peak_rss = 0
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from sitrep.db import _sandbox_main; _sandbox_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=str(ROOT))
        self._buffer = bytearray()
        try:
            self.proc.stdin.write(json.dumps(spec, default=str).encode("utf-8") + b"\n")
            self.proc.stdin.flush()
            header, _ = self._answer(start_seconds)
        except BaseException:
            self.close()
            raise
        if header.get("status") != "ready":
            self.close()
            raise _error_from(header)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def run(self, sql: str, *, row_cap: int, seconds: float):
        """(DataFrame of at most row_cap rows, whether there were more), or a SandboxError."""
        import json

        import pyarrow as pa

        if not self.alive:
            raise SandboxError("the sandbox has stopped", "Crashed")
        try:
            self.proc.stdin.write(json.dumps({"sql": sql, "row_cap": int(row_cap)}).encode("utf-8") + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.close()
            raise SandboxError("the sandbox has stopped", "Crashed") from None
        header, payload = self._answer(seconds)
        if header.get("status") != "ok":
            raise _error_from(header)
        table = pa.ipc.open_stream(payload).read_all()
        return _frame(table), bool(header.get("truncated"))

    def _answer(self, seconds: float) -> tuple[dict, bytes]:
        """The next answer (a JSON line, then its payload), watching time and memory meanwhile."""
        import json
        import select
        import time

        deadline = time.monotonic() + seconds
        fd = self.proc.stdout.fileno()
        header, need = None, None
        while True:
            if header is None and b"\n" in self._buffer:
                line, _, rest = bytes(self._buffer).partition(b"\n")
                self._buffer = bytearray(rest)
                header = json.loads(line)
                need = int(header.get("bytes", 0))
            if header is not None and len(self._buffer) >= need:
                payload = bytes(self._buffer[:need])
                del self._buffer[:need]
                return header, payload
            rss = _rss_bytes(self.proc.pid)
            self.peak_rss = max(self.peak_rss, rss)
            if rss > self.rss_limit:
                self.close()
                raise OutOfMemory(f"the query used more than {self.rss_limit / 1024 ** 3:.1f} GB of memory "
                                  f"and was stopped", "OutOfMemory")
            if time.monotonic() > deadline:
                self.close()
                raise Interrupted(f"the query ran longer than {seconds:g} s and was stopped", "Timeout")
            ready, _, _ = select.select([fd], [], [], WATCH_INTERVAL_S)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    code = self.proc.wait()
                    raise SandboxError(f"the sandbox process ended (exit status {code})", "Crashed")
                self._buffer += chunk

    def close(self) -> None:
        """Kill the process (if it still runs) and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()


def _error_from(header: dict) -> SandboxError:
    kind, message = header.get("type", "Error"), header.get("message", "")
    if kind == "PermissionException":
        return PermissionDenied(message, kind)
    if kind in ("OutOfMemoryException", "OutOfMemory"):
        return OutOfMemory(message, kind)
    if kind == "TooLarge":
        return TooLarge(message, kind)
    if kind == "InterruptException":
        return Interrupted(message, kind)
    return SandboxError(message, kind)


def _frame(table):
    """An Arrow result as pandas, numbers as DuckDB's own ``df()`` gives them (a HUGEINT sum
    or a DECIMAL as float, not Python Decimal objects)."""
    import pyarrow as pa

    columns = []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_decimal(field.type):
            column = column.cast(pa.float64())
        columns.append(column)
    return pa.table(columns, names=table.column_names).to_pandas()


class SandboxPool:
    """The sandbox processes of one sandbox (one database version, scope and masking): a query
    takes an idle one, or starts another while fewer than ``max_workers`` exist (a query being
    stopped does not hold up the next user's), else waits for one."""

    def __init__(self, spec: dict[str, Any], *, max_workers: int = 2, rss_limit: int = SANDBOX_RSS_LIMIT):
        self.spec = spec
        self.max_workers = max_workers
        self.rss_limit = rss_limit
        self._idle: list[Sandbox] = []
        self._count = 0
        self._closed = False
        self._cond = threading.Condition()

    def _take(self) -> Sandbox:
        with self._cond:
            while not self._idle and self._count >= self.max_workers:
                self._cond.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return Sandbox(self.spec, rss_limit=self.rss_limit)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _give(self, sandbox: Sandbox) -> None:
        with self._cond:
            if sandbox.alive and not self._closed:
                self._idle.append(sandbox)
            else:
                self._count -= 1
                sandbox.close()
            self._cond.notify()

    def warm(self) -> None:
        """Start one sandbox process now (if none is idle), so the first query does not wait for it."""
        self._give(self._take())

    def run(self, sql: str, *, row_cap: int, seconds: float):
        sandbox = self._take()
        try:
            return sandbox.run(sql, row_cap=row_cap, seconds=seconds)
        finally:
            self._give(sandbox)

    def close(self) -> None:
        """Stop the idle processes now, the busy ones when their query ends."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for sandbox in idle:
            sandbox.close()


def explorer_sandbox(path: str | os.PathLike, *, setup: list[str], tables: list[tuple[str, str]],
                     views: list[tuple[str, str]], params: dict[str, Any], memory_limit: str = SANDBOX_MEMORY_LIMIT,
                     threads: int = SANDBOX_THREADS, max_workers: int = 2,
                     rss_limit: int = SANDBOX_RSS_LIMIT) -> SandboxPool:
    """A sandbox for the SQL explorer (see :func:`_build_sandbox` for what it holds and what it
    refuses), run in processes of its own (see :class:`Sandbox`). The first process is started now."""
    for name, _ in (*tables, *views):
        _check_identifier(name)
    spec = {"path": str(path), "setup": list(setup), "tables": [list(t) for t in tables],
            "views": [list(v) for v in views], "params": params, "memory_limit": memory_limit,
            "threads": int(threads)}
    pool = SandboxPool(spec, max_workers=max_workers, rss_limit=rss_limit)
    pool.warm()
    return pool


def run_sandboxed(sandbox: SandboxPool | Sandbox, sql: str, *, row_cap: int, seconds: float):
    """Run one SELECT (already checked) in a sandbox: at most ``row_cap`` rows; after ``seconds``
    the process running it is killed (raises :class:`Interrupted`). Failures raise
    :class:`SandboxError` subclasses carrying DuckDB's message.

    Returns (DataFrame of at most row_cap rows, whether there were more)."""
    return sandbox.run(sql, row_cap=row_cap, seconds=seconds)


# ---------------------------------------------------------------- leftovers of a killed writer


def stale_copies(path: str | os.PathLike) -> list[Path]:
    """Files a writer that was killed left beside the database: its copy and the copy's WAL
    (``.NAME.<pid>.<hex>.tmp``, ``.tmp.wal``), and read links (``.NAME.read.<inode>``) to a
    version of the file that has been replaced for more than a minute. Only the holder of the
    writer's lock may remove the copies: a running writer's copy has the same shape."""
    import time

    path = Path(path)
    found = [*path.parent.glob(f".{path.name}.*.tmp"), *path.parent.glob(f".{path.name}.*.tmp.wal")]
    try:
        current = path.stat().st_ino
    except FileNotFoundError:
        current = None
    for link in path.parent.glob(f".{path.name}.read.*"):
        with contextlib.suppress(OSError):
            st = link.stat()
            if st.st_ino != current and time.time() - st.st_mtime > 60:
                found.append(link)
    return sorted(found)


def sweep_stale_copies(path: str | os.PathLike) -> list[tuple[str, int]]:
    """Remove :func:`stale_copies` (the caller holds the writer's lock); their (name, bytes)."""
    removed = []
    for leftover in stale_copies(path):
        with contextlib.suppress(FileNotFoundError):
            size = leftover.stat().st_size
            leftover.unlink()
            removed.append((leftover.name, size))
    return removed


def log_sweep(con: duckdb.DuckDBPyConnection, removed: list[tuple[str, int]]) -> None:
    """One line in the import log (status ``cleanup``) naming what a sweep removed."""
    if not removed:
        return
    import getpass

    files = ", ".join(f"{name} ({size / 2 ** 20:.1f} MB)" for name, size in removed)
    con.execute("""INSERT INTO import_log (import_id, imported_at, user_name, file_name, table_name, rows_inserted,
                       rows_updated, rows_rejected, status)
                   SELECT coalesce(max(import_id), 0) + 1, $at, $user, $files, NULL, 0, 0, 0, 'cleanup'
                   FROM import_log""",
                {"at": datetime.now().replace(microsecond=0), "user": getpass.getuser(), "files": files[:2000]})


def sweep_at_start(path: str | os.PathLike) -> bool:
    """At the dashboard's start: when a killed writer left its copy behind and no writer runs now,
    open a writer (which removes it and logs it in the import log). False when there was nothing
    to do, a writer is running, or the folder cannot be written."""
    path = Path(path)
    if not path.exists() or not any(p.suffix in (".tmp", ".wal") for p in stale_copies(path)):
        return False
    lock_path = path.with_name(path.name + ".lock")
    try:
        with open(lock_path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # an import is running: it sweeps when the next one starts
            fcntl.flock(lock, fcntl.LOCK_UN)
        with Database(path).writer():
            pass
        return True
    except OSError:
        return False

"""The database file: read-only connections that follow the file when it is replaced, writes
through a copy swapped in by one rename, the schema and shared macros, and the sweep of a killed
writer's leftovers.

Why the copy: a DuckDB file open for writing in one process cannot be opened by any
other process, not even read-only. The dashboard therefore only ever reads, and every
write (an import from the command line or from the Data page) goes into a copy that is
``os.replace``-d over the served file when it is complete. Open readers keep their old
snapshot; the next read sees the new file, so no page ever sees half an import.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import os
import shutil
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import duckdb

from sitrep import contract, cube, rules
from sitrep.db.queries import QUERY_DIR, ROOT, QueryError, load_query
from sitrep.quality.config import QualityConfigError, config_path, load_config

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
        return self._file_version()

    def _file_version(self) -> tuple | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            stamp = self._file_version()
            if stamp is None:
                self._missing()
                stamp = self._file_version()
            if self._con is None or stamp != self._stamp:
                # The old connection is dropped, not closed: a query still running on one of
                # its cursors in another session finishes on the old snapshot.
                con = _connect_read_only(self.path)
                if self._out_of_date(con):
                    # made by an older sitrep: its tables and macros are brought up to date the
                    # way every write is made (a copy swapped in), then read
                    self._upgrade()
                    stamp = self._file_version()
                    con = _connect_read_only(self.path)
                self._con, self._stamp = con, stamp
                self._cube_meta = cube.read_meta(con)
            if self._stale():
                # the quarantine rules or reporting settings changed, or a pending report's deadline passed:
                # the cube is recomputed through a copy swapped in, like any write
                self._upgrade()
                self._stamp = self._file_version()
                self._con = _connect_read_only(self.path)
                self._cube_meta = cube.read_meta(self._con)
            return self._con.cursor()

    # -- what a kind of database checks before it is read (sitrep.lake_db.LakeDatabase says otherwise)

    def _missing(self) -> None:
        raise FileNotFoundError(f"no database at {self.path}; run `python -m sitrep demo` or import files")

    def _out_of_date(self, con: duckdb.DuckDBPyConnection) -> bool:
        return stored_fingerprint(con) != schema_fingerprint()

    def _stale(self) -> bool:
        return cube.stale(self._cube_meta, cube_inputs()[0])

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
        with self._swapped(copy=True) as (con, swept):
            ensure_schema(con)
            log_sweep(con, swept)
            yield con
            # every write brings the KPI cube up to date before the file is swapped in
            inputs, rules_rows, settings_json = cube_inputs()
            self.last_cube = cube.refresh(con, rules_rows=rules_rows, settings_json=settings_json)

    @contextlib.contextmanager
    def _swapped(self, *, copy: bool) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[tuple[str, int]]]]:
        """(a read-write connection, what the sweep of a killed writer's leftovers removed) on a new file (a copy
        of the served one when ``copy``) under the writer's lock, checkpointed and renamed over the served file
        when the block ends normally, thrown away when it raises."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        # a new name for every write: DuckDB would hand out a cached instance for a reused path
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                swept = sweep_stale_copies(self.path)  # a killed writer's copy: nobody else holds the lock
                _remove(tmp)
                if copy and self.path.exists():
                    shutil.copyfile(self.path, tmp)
                con = duckdb.connect(str(tmp), config=CONNECT_CONFIG)
                try:
                    con.execute("SET enable_progress_bar = false")  # long cube steps must not draw on stdout
                    yield con, swept
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
    # how high a level is: the province 1 ... the village 5 (a county-level city is a county)
    """CREATE OR REPLACE MACRO level_rank(level) AS CASE level WHEN 'province' THEN 1 WHEN 'prefecture' THEN 2
        WHEN 'county' THEN 3 WHEN 'city' THEN 3 WHEN 'township' THEN 4 WHEN 'village' THEN 5 ELSE 6 END""",
)


# made first: the others call its macros (DuckDB binds a macro's calls when it is created)
FIRST_MACRO_FILE = "regions.sql"


def macro_files() -> list[Path]:
    """queries/macros/*.sql in the order they are made."""
    return sorted((QUERY_DIR / "macros").glob("*.sql"), key=lambda p: (p.name != FIRST_MACRO_FILE, p.name))


def schema_fingerprint() -> str:
    """A hash of everything :func:`ensure_schema` creates: the contract's tables, the macros and
    queries/macros/*.sql. A database whose stored fingerprint differs was made by another version
    of sitrep (e.g. a query now calls a macro the file does not have yet)."""
    h = hashlib.sha256()
    for part in (*contract.all_ddl(), *MACROS, *(p.read_text(encoding="utf-8") for p in macro_files())):
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
    for path in macro_files():
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



# ---------------------------------------------------------------- leftovers of a killed writer


def stale_copies(path: str | os.PathLike) -> list[Path]:
    """Files a writer that was killed left beside the database: its copy and the copy's WAL
    (``.NAME.<pid>.<hex>.tmp``, ``.tmp.wal``), and read links (``.NAME.read.<inode>``) to a
    version of the file that has been replaced for more than a minute. Only the holder of the
    writer's lock may remove the copies: a running writer's copy has the same shape."""
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

"""The SQL explorer's sandbox: a child process per sandbox that holds a copy of what it may read,
a watchdog that kills it past its time or memory, and the parse-tree checks of what a query calls."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sitrep.db.database import CONNECT_CONFIG, MACROS, connect_memory
from sitrep.db.queries import ROOT

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
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="sandbox-parent-watch").start()


def _sandbox_main() -> None:
    """The sandbox process: build the sandbox from the first line of standard input (JSON),
    then run one query per line, answering each with a JSON line (and the Arrow bytes)."""
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
        self.rss_limit = rss_limit
        self.peak_rss = 0
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from sitrep.db.sandbox import _sandbox_main; _sandbox_main()"],
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


"""The one way the state store's SQLite file is opened (sitrep.alert_responses: alert responses; sitrep.auth.store:
sign-in sessions, lockouts, the audit log).

Several dashboard sessions (threads) and processes write to it at once: every call opens its own connection with
a busy timeout; the file is in WAL mode (readers never block the writer), switched once per file and retried while
another first connection holds the file (SQLite does not wait for that: no busy handler); writes take the write
lock at once (``BEGIN IMMEDIATE``); each module's tables are created once per file and process.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterable, Iterator

_schema_ready: set[tuple[str, tuple[str, ...]]] = set()


@contextlib.contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that holds the write lock from its start; rolled back when the block raises."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _wal(con: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
    deadline = time.monotonic() + busy_timeout
    while con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            if con.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
                break
        except sqlite3.OperationalError as e:
            if "locked" not in str(e):
                raise
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(f"{path}: could not switch to WAL mode (the file stays locked)")
        time.sleep(0.02)


@contextlib.contextmanager
def connection(path: str | os.PathLike, *, busy_timeout: float = 15.0, schema: Iterable[str] = (),
               foreign_keys: bool = False, private: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the file at ``path`` (created with its folder when missing), closed when the block ends.
    No implicit transactions: writes use :func:`transaction`. ``schema``: statements run once per file and
    process (CREATE ... IF NOT EXISTS); ``private``: the file readable by its owner only."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    statements = tuple(schema)
    key = (str(p.resolve()), statements)
    fresh = key not in _schema_ready or not p.exists()
    con = sqlite3.connect(p, timeout=busy_timeout, isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if foreign_keys:
            con.execute("PRAGMA foreign_keys = ON")
        if fresh:
            _wal(con, p, busy_timeout)
            with transaction(con):
                for statement in statements:
                    con.execute(statement)
            if private:
                with contextlib.suppress(OSError):
                    os.chmod(p, 0o600)
            _schema_ready.add(key)
        con.execute("PRAGMA synchronous = NORMAL")
        yield con
    finally:
        con.close()

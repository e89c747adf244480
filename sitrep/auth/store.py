"""Access state: sign-in sessions, failed sign-in counts (lockout) and the audit log, as
tables of their own in the dashboard's SQLite state store (the file sitrep.alert_responses keeps
alert responses in: ``$SITREP_STATE``, else ``state.sqlite3`` beside the database).

Why not the DuckDB file: it is replaced by every import (sitrep.db), so nothing that must
last can live in it, and the dashboard only ever reads it. SQLite takes small concurrent
writes from several sessions and processes (WAL, ``BEGIN IMMEDIATE``, a busy timeout),
opened the one way sitrep.alert_responses's tables are (sitrep.sqlite_store).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Iterator

from sitrep import sqlite_store
from sitrep.alert_responses import resolve_state_path

BUSY_TIMEOUT_S = 15.0

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sessions (
        token_sha256 TEXT PRIMARY KEY,   -- the cookie's token is never stored, only its hash
        user_name TEXT NOT NULL,
        created REAL NOT NULL,           -- unix seconds
        expires REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_name)",
    """CREATE TABLE IF NOT EXISTS sign_in_failures (
        user_name TEXT PRIMARY KEY,      -- the name as typed: unknown names count the same way
        failures INTEGER NOT NULL,
        first_failure REAL NOT NULL,
        locked_until REAL
    )""",
    """CREATE TABLE IF NOT EXISTS audit (
        audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,                -- local time, ISO 8601 with the UTC offset
        user_name TEXT,
        role TEXT,
        event TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT                      -- JSON
    )""",
    "CREATE INDEX IF NOT EXISTS audit_at ON audit (at)",
    """CREATE TABLE IF NOT EXISTS session_handoffs (
        code_sha256 TEXT PRIMARY KEY,    -- a one-time code from a sign-in to the cookie route (sitrep.auth.cookie)
        user_name TEXT NOT NULL,
        hours REAL NOT NULL,             -- the session's length once redeemed
        expires REAL NOT NULL            -- unix seconds: a minute after the sign-in
    )""",
)


def path(db_path: str | os.PathLike | None = None) -> Path:
    """The state store's file (sitrep.alert_responses's): $SITREP_STATE, else beside the database."""
    return resolve_state_path(db_path=db_path)


@contextlib.contextmanager
def connect(db_path: str | os.PathLike | None = None) -> Iterator[sqlite3.Connection]:
    """A connection in one transaction (committed when the block ends), schema in place.
    ``db_path``: the database whose state store it is (default: the served one)."""
    with sqlite_store.connection(path(db_path), busy_timeout=BUSY_TIMEOUT_S, schema=SCHEMA, private=True) as con, \
            sqlite_store.transaction(con):
        yield con


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------- sessions


def create_session(user_name: str, hours: float, now: float | None = None) -> str:
    """A new session for user_name lasting ``hours``; returns its random token (for the cookie)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with connect() as con:
        con.execute("DELETE FROM sessions WHERE expires < ?", (now,))
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (_hash(token), user_name, now, now + hours * 3600))
    return token


def session_user(token: str | None, now: float | None = None) -> str | None:
    """The user a live session token belongs to, else None."""
    if not token or len(token) > 200:
        return None
    now = time.time() if now is None else now
    with connect() as con:
        row = con.execute("SELECT user_name FROM sessions WHERE token_sha256 = ? AND expires > ?",
                          (_hash(token), now)).fetchone()
    return row[0] if row else None


HANDOFF_SECONDS = 60.0


def create_handoff(user_name: str, hours: float, now: float | None = None) -> str:
    """A one-time code (valid HANDOFF_SECONDS) that the cookie route exchanges for a new session:
    the session's token then only ever travels in the HttpOnly cookie the server sets."""
    now = time.time() if now is None else now
    code = secrets.token_urlsafe(32)
    with connect() as con:
        con.execute("DELETE FROM session_handoffs WHERE expires < ?", (now,))
        con.execute("INSERT INTO session_handoffs VALUES (?, ?, ?, ?)", (_hash(code), user_name, hours,
                                                                         now + HANDOFF_SECONDS))
    return code


def redeem_handoff(code: str | None, now: float | None = None) -> tuple[str, float] | None:
    """(a new session's token, its hours) for a live one-time code, which is used up; else None."""
    if not code or len(code) > 200:
        return None
    now = time.time() if now is None else now
    with connect() as con:
        row = con.execute("SELECT user_name, hours FROM session_handoffs WHERE code_sha256 = ? AND expires > ?",
                          (_hash(code), now)).fetchone()
        con.execute("DELETE FROM session_handoffs WHERE code_sha256 = ? OR expires < ?", (_hash(code), now))
        if row is None:
            return None
        token = secrets.token_urlsafe(32)
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (_hash(token), row[0], now, now + row[1] * 3600))
    return token, row[1]


def end_session(token: str | None) -> None:
    if token:
        with connect() as con:
            con.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_hash(token),))


def end_user_sessions(user_name: str) -> int:
    """End every session of a user (password changed, account disabled); returns how many."""
    with connect() as con:
        return con.execute("DELETE FROM sessions WHERE user_name = ?", (user_name,)).rowcount


# ---------------------------------------------------------------- lockout


def locked_until(user_name: str, now: float | None = None) -> float | None:
    """When the name's lock ends, if it is locked now."""
    now = time.time() if now is None else now
    with connect() as con:
        row = con.execute("SELECT locked_until FROM sign_in_failures WHERE user_name = ?", (user_name,)).fetchone()
    return row[0] if row and row[0] and row[0] > now else None


def record_failure(user_name: str, *, max_failures: int, window_minutes: float, lock_minutes: float,
                   now: float | None = None) -> float | None:
    """Count one failed sign-in for the name; returns the lock's end when this one locks it.

    Failures count within ``window_minutes`` of the first one; the ``max_failures``-th locks
    the name for ``lock_minutes`` and starts the count again.
    """
    now = time.time() if now is None else now
    with connect() as con:
        row = con.execute("SELECT failures, first_failure FROM sign_in_failures WHERE user_name = ?",
                          (user_name,)).fetchone()
        failures, first = (row if row and now - row[1] <= window_minutes * 60 else (0, now))
        failures += 1
        until = now + lock_minutes * 60 if failures >= max_failures else None
        con.execute("INSERT OR REPLACE INTO sign_in_failures VALUES (?, ?, ?, ?)",
                    (user_name, 0 if until else failures, now if until else first, until))
    return until


def clear_failures(user_name: str) -> None:
    with connect() as con:
        con.execute("DELETE FROM sign_in_failures WHERE user_name = ?", (user_name,))

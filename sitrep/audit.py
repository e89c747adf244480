"""The audit log: who signed in (or failed to), imported, downloaded (tables, briefings),
unmasked personal data, ran a query in the SQL explorer or a records query on the command
line, responded to an alert or changed the alert settings, and when.

Each record says where it came from: ``client``, the browser's address, for what is done on
the dashboard; ``os_user``, the operating-system account, for the command line (and any
other work outside a browser session).

Kept in the access state store (sitrep.auth.store: a SQLite file apart from the served
DuckDB file, which every import replaces). Records are only ever added; admins read them
on the Data page.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import sys
from datetime import date, datetime, timedelta

import pandas as pd

from sitrep.auth import store

EVENTS = ("login", "logout", "import", "export", "unmask", "explorer", "scope", "users", "alert", "settings", "query")
OUTCOMES = ("ok", "failed", "locked", "refused", "rejected", "error", "timeout")
COLUMNS = ["audit_id", "at", "user_name", "role", "event", "outcome", "detail"]


def record(event: str, outcome: str = "ok", *, user: str | None = None, role: str | None = None,
           db_path=None, **detail) -> None:
    """Add one record (to the state store of the database at ``db_path``, default the served
    one). Raises if it cannot be written: callers that must not act unrecorded rely on that."""
    if event not in EVENTS or outcome not in OUTCOMES:
        raise ValueError(f"unknown audit event/outcome {event}/{outcome}")
    if "client" not in detail and "os_user" not in detail:
        detail = {**origin(), **detail}
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    text = json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True) if detail else None
    with store.connect(db_path) as con:
        con.execute("INSERT INTO audit (at, user_name, role, event, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
                    (at, user, role, event, outcome, text))


def os_user() -> str:
    """The operating-system account this process runs as."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container): the number
        return str(os.getuid())


def client_address() -> str | None:
    """The browser's address for the audit log. Streamlit gives None for a browser on the server
    itself (loopback): that is recorded as "localhost". None when no browser is behind the run
    (AppTest). Behind a reverse proxy the proxy's address; its X-Forwarded-For follows it."""
    import streamlit as st  # only inside a dashboard run (sys.modules has it then)

    try:
        address = st.context.ip_address
        headers = st.context.headers
    except Exception:  # outside a run
        return None
    if not headers:
        return address if isinstance(address, str) else None
    if not isinstance(address, str) or not address:
        address = "localhost"
    forwarded = headers.get("X-Forwarded-For")
    return f"{address} (X-Forwarded-For: {forwarded[:200]})" if forwarded else address


def origin() -> dict:
    """Where an action comes from: ``{"client": address}`` inside a browser session of the
    dashboard (nothing when no browser is behind the run: AppTest), else ``{"os_user": account}``."""
    if "streamlit" in sys.modules:
        from streamlit.runtime.scriptrunner import get_script_run_ctx  # loaded already (sys.modules has it)

        if get_script_run_ctx(suppress_warning=True) is not None:
            address = client_address()
            return {"client": address} if address else {}
    return {"os_user": os_user()}


def record_quietly(event: str, outcome: str = "ok", **kwargs) -> bool:
    """:func:`record` for callers that must go on when the log cannot be written (the
    command line's import): False then."""
    try:
        record(event, outcome, **kwargs)
        return True
    except (sqlite3.Error, OSError):
        return False


def events(*, since: date | None = None, until: date | None = None, user: str | None = None,
           event: str | None = None, outcome: str | None = None, limit: int = 5000) -> pd.DataFrame:
    """Records, newest first; ``since``/``until`` are days (inclusive), the others exact."""
    where, args = [], []
    if since:
        where.append("at >= ?")
        args.append(since.isoformat())
    if until:
        where.append("at < ?")
        args.append((until + timedelta(days=1)).isoformat())
    for col, value in (("user_name", user), ("event", event), ("outcome", outcome)):
        if value:
            where.append(f"{col} = ?")  # column names from the fixed tuple above, values bound
            args.append(value)
    sql = "SELECT audit_id, at, user_name, role, event, outcome, detail FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY audit_id DESC LIMIT ?"
    args.append(int(limit))
    with store.connect() as con:
        rows = con.execute(sql, args).fetchall()
    return pd.DataFrame(rows, columns=COLUMNS)


def users_seen() -> list[str]:
    with store.connect() as con:
        return [r[0] for r in con.execute(
            "SELECT DISTINCT user_name FROM audit WHERE user_name IS NOT NULL ORDER BY 1").fetchall()]

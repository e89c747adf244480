"""The response state of alerts: which alert was first shown when, and who acknowledged or closed it, when,
with what note. Nothing else opens this store.

Why a separate SQLite file and not the DuckDB database: the dashboard only ever reads the database, and every
import (or a rebuilt demo) replaces that file with a new one, so state kept there would be lost and could not
be written while readers hold the file. The state lives in ``$SITREP_STATE``, else ``state.sqlite3`` beside the
database (``data/state.sqlite3`` by default), keyed by each alert's stable identity (kind, place, series, start
day: sitrep.alerts), so it survives re-imports and rebuilding the demo.

Several dashboard sessions (threads) and processes may write at once: every call opens its own connection
through sitrep.sqlite_store (WAL, ``BEGIN IMMEDIATE``, a wait of up to ``busy_timeout`` seconds for the lock). A response is an appended row, never an
update, so two people responding to the same alert both get recorded and nothing is overwritten: the status
is read from the rows (closed when any close exists, else acknowledged when any acknowledgement exists, else
open). Times are stored in UTC (ISO 8601) and shown in local time.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from sitrep import sqlite_store
from sitrep.db import resolve_db_path

ACTIONS = ("acknowledge", "close")
STATUSES = ("open", "acknowledged", "closed")
MAX_WHO = 50
MAX_NOTE = 2000
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id      TEXT PRIMARY KEY,          -- kind:place:series:start day (sitrep.alerts.alert_id)
    kind          TEXT NOT NULL,
    place_code    TEXT NOT NULL,
    township_code TEXT,                      -- NULL for the city
    series        TEXT NOT NULL,
    start_day     TEXT NOT NULL,             -- YYYY-MM-DD
    first_seen_at TEXT NOT NULL              -- UTC, when the dashboard (or the alerts command) first listed it
);
CREATE TABLE IF NOT EXISTS responses (
    response_id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id    TEXT NOT NULL REFERENCES alerts (alert_id),
    action      TEXT NOT NULL CHECK (action IN ('acknowledge', 'close')),
    who         TEXT NOT NULL CHECK (length(trim(who)) > 0),
    note        TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL                -- UTC
);
CREATE INDEX IF NOT EXISTS responses_by_alert ON responses (alert_id);
"""


class StateError(ValueError):
    """A response that cannot be recorded (the message says why)."""


@dataclass(frozen=True)
class AlertRef:
    """What the store keeps of an alert: its identity and where it belongs."""
    alert_id: str
    kind: str
    place_code: str
    township_code: str | None
    series: str
    start_day: date

    @classmethod
    def from_row(cls, row) -> "AlertRef":
        get = row.get if hasattr(row, "get") else (lambda k: getattr(row, k))
        township = get("township_code")
        start = get("start_day")
        return cls(str(get("alert_id")), str(get("kind")), str(get("place_code")),
                   None if township is None or pd.isna(township) else str(township), str(get("series")),
                   pd.Timestamp(start).date())


def resolve_state_path(path: str | os.PathLike | None = None, db_path: str | os.PathLike | None = None) -> Path:
    """``path``, else $SITREP_STATE, else state.sqlite3 in the database's folder."""
    if path:
        return Path(path)
    env = os.environ.get("SITREP_STATE")
    if env:
        return Path(env)
    return resolve_db_path(db_path).parent / "state.sqlite3"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _stamp(t: datetime | None) -> str:
    t = t or utc_now()
    if t.tzinfo is None:
        t = t.astimezone()  # a naive time is local time
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


class StateStore:
    """The alert response store at ``path`` (see :func:`resolve_state_path`). Safe to share between threads:
    each call opens and closes its own connection."""

    def __init__(self, path: str | os.PathLike | None = None, *, busy_timeout: float = 15.0):
        self.path = resolve_state_path(path)
        self.busy_timeout = busy_timeout

    # -- connections

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # one statement at a time: executescript() would commit the open transaction
        schema = (*filter(str.strip, _SCHEMA.split(";")), f"PRAGMA user_version = {SCHEMA_VERSION}")
        with sqlite_store.connection(self.path, busy_timeout=self.busy_timeout, schema=schema,
                                     foreign_keys=True) as con:
            yield con

    _write = staticmethod(sqlite_store.transaction)

    # -- writing

    def record_seen(self, alerts: Iterable[AlertRef], now: datetime | None = None) -> int:
        """Remember alerts the first time they are listed (later calls keep the first time). Returns how many
        were new."""
        rows = [(a.alert_id, a.kind, a.place_code, a.township_code, a.series, a.start_day.isoformat(), _stamp(now))
                for a in alerts]
        if not rows:
            return 0
        with self._connect() as con, self._write(con):
            before = con.total_changes
            con.executemany("INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            return con.total_changes - before

    def respond(self, alert: AlertRef, action: str, who: str, note: str = "", now: datetime | None = None) -> None:
        """Record that ``who`` acknowledged or closed ``alert`` (with a note). Raises StateError for an unknown
        action, an empty name, or a name or note that is too long."""
        if action not in ACTIONS:
            raise StateError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        who = (who or "").strip()
        note = (note or "").strip()
        if not who:
            raise StateError("who responded is required")
        if len(who) > MAX_WHO:
            raise StateError(f"the name is longer than {MAX_WHO} characters")
        if len(note) > MAX_NOTE:
            raise StateError(f"the note is longer than {MAX_NOTE} characters")
        at = _stamp(now)
        with self._connect() as con, self._write(con):
            con.execute("INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (alert.alert_id, alert.kind, alert.place_code, alert.township_code, alert.series,
                         alert.start_day.isoformat(), at))
            con.execute("INSERT INTO responses (alert_id, action, who, note, at) VALUES (?, ?, ?, ?, ?)",
                        (alert.alert_id, action, who, note, at))

    def acknowledge(self, alert: AlertRef, who: str, note: str = "", now: datetime | None = None) -> None:
        self.respond(alert, "acknowledge", who, note, now)

    def close(self, alert: AlertRef, who: str, note: str = "", now: datetime | None = None) -> None:
        self.respond(alert, "close", who, note, now)

    # -- reading

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        with self._connect() as con:
            cur = con.execute(sql, params)
            cols = [c[0] for c in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=cols)

    def statuses(self, alert_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """One row per known alert (or per given id that is known): alert_id, status, first_seen_at,
        acknowledged_at / _by / _note (the first acknowledgement), closed_at / _by / _note (the first close),
        responses (how many). Times are UTC pandas Timestamps."""
        sql = """
            with firsts as (
                select alert_id, action, who, note, at,
                       row_number() over (partition by alert_id, action order by at, response_id) as n,
                       count(*) over (partition by alert_id) as responses
                from responses
            )
            select a.alert_id,
                   case when c.alert_id is not null then 'closed'
                        when k.alert_id is not null then 'acknowledged' else 'open' end as status,
                   a.first_seen_at,
                   k.at as acknowledged_at, k.who as acknowledged_by, k.note as acknowledge_note,
                   c.at as closed_at, c.who as closed_by, c.note as close_note,
                   coalesce(k.responses, c.responses, 0) as responses
            from alerts a
            left join firsts k on k.alert_id = a.alert_id and k.action = 'acknowledge' and k.n = 1
            left join firsts c on c.alert_id = a.alert_id and c.action = 'close' and c.n = 1
        """
        df = self._frame(sql)
        if alert_ids is not None:
            df = df[df["alert_id"].isin(set(alert_ids))]
        for col in ("first_seen_at", "acknowledged_at", "closed_at"):
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
        return df.reset_index(drop=True)

    def history(self, alert_id: str) -> pd.DataFrame:
        """Every response to one alert, oldest first: action, who, note, at (UTC)."""
        df = self._frame("select action, who, note, at from responses where alert_id = ? order by at, response_id",
                         (alert_id,))
        df["at"] = pd.to_datetime(df["at"], utc=True, format="ISO8601")
        return df

    def response_times(self, township_codes: Iterable[str] | None = None) -> pd.DataFrame:
        """Per (township, kind) over every alert the store knows: alerts (listed), acknowledged (any response:
        closing an alert acknowledges it too), closed, and the median hours from first listed to the first
        response and to the close. township_code is NULL for the city's own alerts. Only the given townships
        when ``township_codes`` is given (the city's alerts then left out)."""
        df = self.statuses()
        meta = self._frame("select alert_id, kind, township_code from alerts")
        df = meta.merge(df, on="alert_id")
        if township_codes is not None:
            df = df[df["township_code"].isin(set(township_codes))]
        first_response = df[["acknowledged_at", "closed_at"]].min(axis=1)
        df = df.assign(
            hours_to_acknowledge=(first_response - df["first_seen_at"]).dt.total_seconds() / 3600,
            hours_to_close=(df["closed_at"] - df["first_seen_at"]).dt.total_seconds() / 3600,
        )
        out = (df.groupby(["township_code", "kind"], dropna=False)
               .agg(alerts=("alert_id", "size"),
                    acknowledged=("hours_to_acknowledge", "count"),
                    closed=("hours_to_close", "count"),
                    median_hours_to_acknowledge=("hours_to_acknowledge", "median"),
                    median_hours_to_close=("hours_to_close", "median"))
               .reset_index())
        out = out.sort_values(["township_code", "kind"], na_position="first").reset_index(drop=True)
        out["township_code"] = out["township_code"].astype(object).where(out["township_code"].notna(), None)
        return out

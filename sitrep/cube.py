"""The KPI cube: every catalogue KPI for every place (the city, each township, each village) and every day of
the data, computed when the data change, so that pages, the projection screen, the briefing, the alerts and
``python -m sitrep query kpis`` read numbers instead of recomputing them from raw rows.

The definitions are SQL (queries/macros/kpi_facts.sql: each KPI once, as the facts of the records behind it or
as a value per place and day; queries/cube/*.sql: the facts that take the quarantine rules or the reporting
settings). :func:`refresh` runs them on a read-write connection: :class:`sitrep.db.Database` calls it at the
end of every write (imports from the command line and the Data page, the demo, a schema upgrade), before the
new file is swapped in, and again when the rules or settings files change or a pending report's deadline
passes (:func:`stale`).

Tables written: ``kpi_facts_control`` and ``kpi_facts_reporting`` (facts), ``kpi_cube(region_code, day, kpi,
value)`` and ``kpi_cube_meta`` (one row: when and how long, the day range, the inputs' fingerprint, and
``valid_until``, the earliest deadline of a report still pending when it was built).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

CUBE_DIR = Path(__file__).resolve().parent.parent / "queries" / "cube"
# pending reports are looked for this many days back from the last day (deadlines are hours after the day)
PENDING_LOOKBACK_DAYS = 31


@dataclass(frozen=True)
class Built:
    """What one refresh did."""

    seconds: float
    d_first: date
    d_last: date
    rows: int


def inputs_fingerprint(rules_rows: list[dict[str, Any]], settings_json: str) -> str:
    """A hash of what the cube reads besides the tables: the quarantine rules and the reporting settings."""
    h = hashlib.sha256()
    h.update(json.dumps(rules_rows, sort_keys=True, default=str).encode("utf-8"))
    h.update(b"\0")
    h.update(settings_json.encode("utf-8"))
    return h.hexdigest()[:16]


def _sql(name: str) -> str:
    return (CUBE_DIR / f"{name}.sql").read_text(encoding="utf-8")


def refresh(con, *, rules_rows: list[dict[str, Any]], settings_json: str, now: datetime | None = None) -> Built:
    """Recompute the facts and the cube on ``con`` (a read-write connection with the schema in place)."""
    start = time.perf_counter()
    now = now or datetime.now().replace(microsecond=0)
    d_first, d_last = con.execute("SELECT d_first, d_last FROM kpi_cube_day_range()").fetchall()[0]

    con.execute("DELETE FROM kpi_facts_control")
    con.execute(f"INSERT INTO kpi_facts_control {_sql('facts_control')}", {"rules": rules_rows, "d_last": d_last})
    con.execute("DELETE FROM kpi_facts_reporting")
    con.execute(f"INSERT INTO kpi_facts_reporting {_sql('facts_reporting')}",
                {"settings": settings_json, "d_first": d_first, "d_last": d_last, "check_time": now})
    # ordered by place and day: a page's read of one place and day touches few row groups
    con.execute("CREATE OR REPLACE TABLE kpi_cube AS SELECT * FROM kpi_cube_range($d_first, $d_last) "
                "ORDER BY region_code, day, kpi", {"d_first": d_first, "d_last": d_last})
    rows = con.execute("SELECT count(*) FROM kpi_cube").fetchall()[0][0]

    # the cube holds until the first pending report's deadline passes (then "pending" becomes "missing")
    recent = max(d_first, d_last - timedelta(days=PENDING_LOOKBACK_DAYS))
    valid_until = con.execute(
        "SELECT min(deadline) FROM reporting_status($settings, $d_first, $d_last, NULL, $now) WHERE status = 'pending'",
        {"settings": settings_json, "d_first": recent, "d_last": d_last, "now": now}).fetchall()[0][0]

    seconds = time.perf_counter() - start
    con.execute("CREATE OR REPLACE TABLE kpi_cube_meta (built_at TIMESTAMP, seconds DOUBLE, d_first DATE, "
                "d_last DATE, rows BIGINT, inputs VARCHAR, valid_until TIMESTAMP)")
    con.execute("INSERT INTO kpi_cube_meta VALUES ($built_at, $seconds, $d_first, $d_last, $rows, $inputs, $valid)",
                {"built_at": now, "seconds": round(seconds, 3), "d_first": d_first, "d_last": d_last, "rows": rows,
                 "inputs": inputs_fingerprint(rules_rows, settings_json), "valid": valid_until})
    return Built(seconds=seconds, d_first=d_first, d_last=d_last, rows=rows)


def read_meta(con) -> dict[str, Any] | None:
    """The stored kpi_cube_meta row, or None when the database has no cube yet."""
    try:
        cur = con.execute("SELECT built_at, seconds, d_first, d_last, rows, inputs, valid_until FROM kpi_cube_meta")
        rows = cur.fetchall()
    except Exception as e:  # a database made before the cube: no table
        if "kpi_cube_meta" in str(e):
            return None
        raise
    if not rows:
        return None
    keys = ("built_at", "seconds", "d_first", "d_last", "rows", "inputs", "valid_until")
    return dict(zip(keys, rows[0]))


def stale(meta: dict[str, Any] | None, inputs: str, now: datetime | None = None) -> bool:
    """Whether a cube must be rebuilt before it is read: none yet, other rules or settings, or a report that was
    pending when it was built is past its deadline."""
    if meta is None or meta["inputs"] != inputs:
        return True
    now = now or datetime.now()
    return meta["valid_until"] is not None and now >= meta["valid_until"]

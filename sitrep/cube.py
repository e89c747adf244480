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
value)``, ``quality_duplicate_pairs`` (the duplicate-person check scans every returnee: done here, read by the Data
page and the trust line) and ``kpi_cube_meta`` (one row: when and how long, the day range, the inputs' fingerprint, and
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

from sitrep import catalogue, contract

CUBE_DIR = Path(__file__).resolve().parent.parent / "queries" / "cube"
# pending reports are looked for this many days back from the last day (deadlines are hours after the day)
PENDING_LOOKBACK_DAYS = 31


@dataclass(frozen=True)
class Built:
    """What one refresh did: its time, the day range, the cube's rows, and which KPIs it recomputed."""

    seconds: float
    d_first: date
    d_last: date
    rows: int
    kpis: tuple[str, ...]
    full: bool


def inputs_fingerprint(rules_rows: list[dict[str, Any]], settings_json: str) -> str:
    """A hash of what the cube reads besides the tables: the quarantine rules and the reporting settings."""
    return hashlib.sha256(_rules_key(rules_rows).encode("utf-8") + b"\0" + settings_json.encode("utf-8")).hexdigest()[:16]


def _rules_key(rules_rows: list[dict[str, Any]]) -> str:
    return json.dumps(rules_rows, sort_keys=True, default=str)


def sql_text(name: str) -> str:
    return (CUBE_DIR / f"{name}.sql").read_text(encoding="utf-8")


# KPIs and measures whose facts are a table filled here from the quarantine rules (queries/cube/facts_control.sql):
# the four catalogue KPIs and the one-wall page's breakdowns (returnee_*)
CONTROL_KPIS = ("returnees_tests_overdue", "returnees_release_overdue", "returnees_misclassified",
                "returnees_tests_due_tomorrow")


def _is_control(kpi: str) -> bool:
    return kpi in CONTROL_KPIS or kpi.startswith("returnee_")
CONTROL_TABLES = ("returnees", "tests")


def _signatures(con) -> dict[str, str]:
    """A content signature of every table the cube reads (row count and the XOR of the rows' hashes): an import
    that changes nothing in a table leaves its KPIs as they are."""
    out = {}
    for name in (*(t.name for t in contract.TABLES), "import_log"):
        n, h = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {name} t").fetchall()[0]  # names: the contract's
        out[name] = f"{n}:{h}"
    return out


def _kpi_tables() -> dict[str, set[str]]:
    """{kpi: tables it reads} from the catalogue (data/kpis.toml); every KPI also reads the regions."""
    return {k.key: {*k.tables, "regions"} for k in catalogue.load()}


def refresh(con, *, rules_rows: list[dict[str, Any]], settings_json: str, now: datetime | None = None) -> Built:
    """Bring the facts and the cube up to date on ``con`` (a read-write connection with the schema in place).

    Only what an import can have changed is recomputed: the KPIs whose tables (the catalogue's ``tables``)
    changed, the precise-control facts when the returnees, the tests or the rules changed, and the reporting
    KPIs (every import is a report); everything when the regions, the day range or the cube's definition
    changed, or there is no cube yet."""
    start = time.perf_counter()
    now = now or datetime.now().replace(microsecond=0)
    d_first, d_last = con.execute("SELECT d_first, d_last FROM kpi_cube_day_range()").fetchall()[0]
    all_kpis = [r[0] for r in con.execute("SELECT kpi FROM kpi_cube_kinds() ORDER BY pos").fetchall()]
    signatures = _signatures(con)
    rules_key = hashlib.sha256(_rules_key(rules_rows).encode("utf-8")).hexdigest()[:16]
    before = read_meta(con)
    old = json.loads(before["state"]) if before and before.get("state") else None
    full = (old is None or old.get("d_first") != str(d_first) or old.get("d_last") != str(d_last)
            or old.get("kpis") != all_kpis or old.get("definition") != _definition(con)
            or old["tables"].get("regions") != signatures["regions"])
    changed = set() if full else {t for t, sig in signatures.items() if old["tables"].get(t) != sig}
    control = full or old.get("rules") != rules_key or bool(changed & set(CONTROL_TABLES))
    if full:
        kpis = all_kpis
    else:
        reads = _kpi_tables()
        kpis = [k for k in all_kpis
                if (control and _is_control(k)) or k.startswith("reports_")
                or (k not in reads and not _is_control(k)) or reads.get(k, set()) & changed]

    if control:
        con.execute("DELETE FROM kpi_facts_control")
        con.execute(f"INSERT INTO kpi_facts_control {sql_text('facts_control')}", {"rules": rules_rows, "d_last": d_last})
    con.execute("DELETE FROM kpi_facts_reporting")
    con.execute(f"INSERT INTO kpi_facts_reporting {sql_text('facts_reporting')}",
                {"settings": settings_json, "d_first": d_first, "d_last": d_last, "check_time": now})
    params = {"d_first": d_first, "d_last": d_last, "kpis": kpis}
    if full:
        # ordered by place and day: a page's read of one place and day touches few row groups
        con.execute("CREATE OR REPLACE TABLE kpi_cube AS SELECT * FROM kpi_cube_range($d_first, $d_last, $kpis) "
                    "ORDER BY region_code, day, kpi", params)
    else:
        con.execute("DELETE FROM kpi_cube WHERE list_contains($kpis, kpi)", {"kpis": kpis})
        con.execute("INSERT INTO kpi_cube SELECT * FROM kpi_cube_range($d_first, $d_last, $kpis)", params)
    rows = con.execute("SELECT count(*) FROM kpi_cube").fetchall()[0][0]
    if full or "returnees" in changed:
        # quality checks that scan every returnee: the Data page and the trust line read their results
        con.execute(f"CREATE OR REPLACE TABLE quality_duplicate_pairs AS {sql_text('duplicate_pairs')}")

    # the cube holds until the first pending report's deadline passes (then "pending" becomes "missing")
    recent = max(d_first, d_last - timedelta(days=PENDING_LOOKBACK_DAYS))
    valid_until = con.execute(
        "SELECT min(deadline) FROM reporting_status($settings, $d_first, $d_last, NULL, $now) WHERE status = 'pending'",
        {"settings": settings_json, "d_first": recent, "d_last": d_last, "now": now}).fetchall()[0][0]

    seconds = time.perf_counter() - start
    state = {"d_first": str(d_first), "d_last": str(d_last), "kpis": all_kpis, "definition": _definition(con),
             "rules": rules_key, "tables": signatures}
    write_meta(con, built_at=now, seconds=round(seconds, 3), d_first=d_first, d_last=d_last, rows=rows,
               inputs=inputs_fingerprint(rules_rows, settings_json), valid_until=valid_until,
               recomputed="all" if full else ",".join(kpis), state=json.dumps(state))
    return Built(seconds=seconds, d_first=d_first, d_last=d_last, rows=rows, kpis=tuple(kpis), full=full)


def write_meta(con, *, built_at: datetime, seconds: float | None, d_first: date, d_last: date, rows: int,
               inputs: str, valid_until: datetime | None, recomputed: str, state: str) -> None:
    """The one row of kpi_cube_meta (read by :func:`read_meta`): when and how long, the day range, the inputs'
    fingerprint, until when it holds, what was recomputed, and the state the next refresh compares with."""
    con.execute("CREATE OR REPLACE TABLE kpi_cube_meta (built_at TIMESTAMP, seconds DOUBLE, d_first DATE, "
                "d_last DATE, rows BIGINT, inputs VARCHAR, valid_until TIMESTAMP, recomputed VARCHAR, state VARCHAR)")
    con.execute("INSERT INTO kpi_cube_meta VALUES ($built_at, $seconds, $d_first, $d_last, $rows, $inputs, $valid, "
                "$recomputed, $state)",
                {"built_at": built_at, "seconds": seconds, "d_first": d_first, "d_last": d_last, "rows": rows,
                 "inputs": inputs, "valid": valid_until, "recomputed": recomputed, "state": state})


def _definition(con) -> str:
    """The stored schema fingerprint (sitrep.db): a new version of the definitions recomputes everything."""
    try:
        return con.execute("SELECT max(fingerprint) FROM sitrep_schema").fetchall()[0][0]
    except Exception as e:  # no fingerprint: made by an older sitrep (or being taken apart by a test)
        if "sitrep_schema" in str(e):
            return None
        raise


def read_meta(con) -> dict[str, Any] | None:
    """The stored kpi_cube_meta row, or None when the database has no cube yet."""
    try:
        rows = con.execute("SELECT * FROM kpi_cube_meta").fetchall()
        keys = [d[0] for d in con.description]
    except Exception as e:  # a database made before the cube: no table
        if "kpi_cube_meta" in str(e):
            return None
        raise
    if not rows:
        return None
    return dict(zip(keys, rows[0]))


def stale(meta: dict[str, Any] | None, inputs: str, now: datetime | None = None) -> bool:
    """Whether a cube must be rebuilt before it is read: none yet, other rules or settings, or a report that was
    pending when it was built is past its deadline."""
    if meta is None or meta["inputs"] != inputs:
        return True
    now = now or datetime.now()
    return meta["valid_until"] is not None and now >= meta["valid_until"]

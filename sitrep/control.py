"""Precise control (精准管控) of returnees: the data functions behind the Screening &
control page, and their benchmark.

Everything is computed in DuckDB by the named queries ``returnee_*`` / ``returnees_*``
over the stored schedule macros (queries/macros/returnee_control.sql); the rules come
from :mod:`sitrep.rules` (the default file unless a Rules object is given). This module
only runs those queries and masks personal data on the way out.
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

import pandas as pd

from sitrep import privacy
from sitrep.db import Database
from sitrep.rules import Rules

CONTROL_KPIS = (
    "returnees_tests_overdue", "returnees_release_overdue", "returnees_misclassified", "returnees_tests_due_tomorrow",
)


def _params(as_of, region_code, rules: Rules | None) -> dict[str, Any]:
    params: dict[str, Any] = {"as_of": as_of, "region_code": region_code}
    if rules is not None:
        params["rules"] = rules
    return params


def control_kpis(db: Database, as_of: date | str, region_code: str | None = None) -> dict[str, float]:
    """The four precise-control KPIs as {kpi: value}, from the KPI cube (computed with the rules file in force)."""
    df = db.query("returnee_control_kpis", as_of=as_of, region_code=region_code)
    return dict(zip(df["kpi"], df["value"]))


def worklist(db: Database, as_of: date | str, region_code: str | None = None, *, unmask: bool = False,
             rules: Rules | None = None) -> pd.DataFrame:
    """Who needs action (tests due tomorrow, overdue tests, releases due and overdue,
    misclassified) with the responsible grid person; personal data masked unless
    ``unmask`` (the access-control work decides who may pass True)."""
    df = db.query("returnees_worklist", **_params(as_of, region_code, rules))
    return privacy.mask_frame(df, unmask=unmask)


def schedule(db: Database, as_of: date | str, person_id: str | None = None, region_code: str | None = None,
             rules: Rules | None = None) -> pd.DataFrame:
    """Stages, tests and release of returnees (one person, or all in scope) with their state on the day."""
    return db.query("returnee_schedule", person_id=person_id, **_params(as_of, region_code, rules))


def whatif(db: Database, as_of: date | str, alt_rules: Rules, region_code: str | None = None,
           rules: Rules | None = None, horizon_days: int = 28) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(release shift distribution, daily central quarantine current vs alternative)."""
    params = _params(as_of, region_code, rules)
    shift = db.query("returnees_whatif_release_shift", alt_rules=alt_rules, **params)
    daily = db.query("returnees_whatif_central_daily", alt_rules=alt_rules, horizon_days=horizon_days, **params)
    return shift, daily


def bench_control(db: Database, as_of: date | str | None = None, township: str | None = None,
                  repeats: int = 5) -> dict[str, Any]:
    """Time the four control KPIs and one township's worklist, warm (median of
    ``repeats`` runs after one cold run). Defaults: the last arrival day in the data and
    the township with the most returnees. Target: each under 2 s warm at demo scale 20."""
    if as_of is None:
        as_of = db.rows("select max(arrival_date) from returnees")[0][0]
    if township is None:
        rows = db.rows("select township_code(region_code), count(*) from returnees group by 1 order by 2 desc limit 1")
        township = rows[0][0] if rows else None
    as_of = as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of))
    runs = {
        "control_kpis": lambda: db.query("returnee_control_kpis", as_of=as_of),
        "worklist_township": lambda: db.query("returnees_worklist", as_of=as_of, region_code=township),
    }
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "township": township,
                           "returnees": db.rows("select count(*) from returnees")[0][0],
                           "tests": db.rows("select count(*) from tests")[0][0]}
    for name, run in runs.items():
        start = time.perf_counter()
        rows = len(run())
        cold = time.perf_counter() - start
        warm = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            warm.append(time.perf_counter() - start)
        out[name] = {"rows": rows, "cold_s": round(cold, 3), "warm_s": round(statistics.median(warm), 3)}
    out["kpis"] = control_kpis(db, as_of)
    out["worklist_items"] = db.query("returnees_worklist", as_of=as_of, region_code=township)["item"] \
        .value_counts().to_dict()
    return out

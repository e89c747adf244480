"""The KPI cube (sitrep/cube.py, queries/macros/kpi_facts.sql) against the one-day definition.

tests/reference/kpis_one_day.sql is the KPI query as it was before the cube: every KPI for one scope and one day,
straight from the raw rows. The cube must give the same value for every KPI, place and day of the hand-built city
of tests/test_kpis.py (every record there sits on a boundary of some KPI), and of a sample of places and days of
the demo city (sentinel alarms, reserves snapshots and the outbreak are there).
"""

from __future__ import annotations

import math
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from builders import build_db, write_csv
from sitrep import quality, rules
from sitrep.db import Database
from sitrep.ingest import import_files
from test_kpis import TABLES

REFERENCE = (Path(__file__).parent / "reference" / "kpis_one_day.sql").read_text(encoding="utf-8")


def reference(db: Database, as_of: date, scope: str | None) -> dict[str, float | None]:
    df = db.sql(REFERENCE, {"as_of": as_of, "region_code": scope, "rules": rules.load_rules().as_param(),
                            "settings": quality.load_config().reporting_json()})
    return {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v))
            for k, v in zip(df["kpi"], df["value"])}


def cube(db: Database) -> dict[tuple[str, date], dict[str, float | None]]:
    """The cube's catalogue KPIs: {(place, day): {kpi: value}}."""
    out: dict[tuple[str, date], dict[str, float | None]] = {}
    for code, day, kpi, value in db.rows("SELECT region_code, day, kpi, value FROM kpi_cube "
                                         "SEMI JOIN (SELECT kpi FROM kpi_cube_kinds() WHERE catalogue) USING (kpi)"):
        out.setdefault((code, day), {})[kpi] = value
    return out


def same(a: dict, b: dict) -> list[str]:
    return [k for k in b if not ((a.get(k) is None and b[k] is None)
                                 or (a.get(k) is not None and b[k] is not None and abs(a[k] - b[k]) < 1e-9))]


def city_db_range_sql() -> str:
    from sitrep.db import load_query

    return load_query("data_date_range").sql


@pytest.fixture(scope="module")
def city_db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("cube") / "city.duckdb", TABLES)


def test_cube_equals_the_one_day_query_everywhere_on_the_hand_built_city(city_db):
    cells = cube(city_db)
    places = [r[0] for r in city_db.rows("SELECT region_code FROM regions WHERE level IN ('city', 'township', 'village')")]
    d_first, d_last = city_db.rows("SELECT d_first, d_last FROM kpi_cube_meta")[0]
    lo, hi = city_db.rows("SELECT min_date, max_date FROM (" + city_db_range_sql() + ")")[0]
    assert (d_first, d_last) == (lo, hi + timedelta(days=31))  # the data's days and the 31 after them
    assert len(cells) == len(places) * ((d_last - d_first).days + 1)
    days = [d_first + timedelta(days=i) for i in range((hi - d_first).days + 4)]  # the data's days and 3 after
    assert len(places) == 6 and len(days) >= 8
    city = min(places)
    wrong = []
    for code in places:
        for day in days:
            want = reference(city_db, day, None if code == city else code)
            assert set(cells[(code, day)]) == set(want)
            wrong += [(code, day, k, cells[(code, day)][k], want[k]) for k in same(cells[(code, day)], want)]
    assert wrong == []


def test_the_cube_is_not_trivially_empty(city_db):
    """The comparison above means something: cases, people under a measure and due a test, missing reports,
    overdue orders, publicity and reserves below target are there (the precise-control overdue counts and the
    sentinel alarms are compared on the demo city below)."""
    n = dict(city_db.rows("SELECT kpi, count(*) FILTER (WHERE value > 0) FROM kpi_cube GROUP BY kpi"))
    for kpi in ("cases_active", "returnees_under_measure", "returnees_tests_due_tomorrow", "reports_missing",
                "orders_open_overdue", "publicity_coverage_7d_pct", "reserve_items_below_target"):
        assert n[kpi] > 0, kpi


@pytest.mark.slow
def test_cube_equals_the_one_day_query_on_the_demo_city(demo_db):
    db = Database(demo_db)
    cells = cube(db)
    townships = [r[0] for r in db.rows("SELECT region_code FROM regions WHERE level = 'township' ORDER BY 1")]
    villages = [r[0] for r in db.rows("SELECT region_code FROM regions WHERE level = 'village' ORDER BY 1")][::40]
    city = db.rows("SELECT region_code FROM regions WHERE level = 'city'")[0][0]
    wrong, alarms, overdue = [], 0, 0
    for day in (date(2021, 12, 20), date(2022, 1, 14), date(2022, 1, 16), date(2022, 2, 20)):
        for code in [city, *townships[::3], *villages]:
            want = reference(db, day, None if code == city else code)
            alarms += int(want["sentinel_alarms_today"] or 0)
            overdue += int(want["returnees_tests_overdue"] or 0) + int(want["returnees_release_overdue"] or 0)
            wrong += [(code, day, k, cells[(code, day)][k], want[k]) for k in same(cells[(code, day)], want)]
    assert wrong == []
    assert alarms > 0 and overdue > 0  # the outbreak's sentinel signal and overdue people are among the compared


def test_every_import_brings_the_cube_up_to_date_and_reports_its_time(tmp_path):
    db = build_db(tmp_path / "c.duckdb", TABLES)
    before = dict(db.rows("SELECT kpi, value FROM kpi_cube WHERE region_code = '451481000000' AND day = '2022-01-15'"))
    assert before["cases_new"] == 1  # c1
    f = write_csv(tmp_path / "cases.csv", ["病例编号", "报告日期", "类别", "来源", "区划代码"],
                  [["c9", "2022-01-15", "确诊病例", "本土", "451481002001"]])
    reports = import_files(db, [f], user="test")
    assert reports[0].status == "loaded"
    assert reports[0].cube_seconds is not None and reports[0].cube_seconds > 0
    assert "KPI cube" in reports[0].summary("en") and "指标已重新计算" in reports[0].summary("zh")
    after = dict(db.rows("SELECT kpi, value FROM kpi_cube WHERE region_code = '451481000000' AND day = '2022-01-15'"))
    assert after["cases_new"] == 2
    t2 = db.rows("SELECT value FROM kpi_cube WHERE region_code = '451481002000' AND day = '2022-01-15' "
                 "AND kpi = 'cases_new'")
    assert t2 == [(1.0,)]
    # only what a cases file can change was recomputed: the case KPIs and the reporting ones (an import is a report)
    assert not db.last_cube.full
    assert set(db.last_cube.kpis) == {"cases_new", "cases_confirmed_cumulative", "cases_active", "reports_complete_pct",
                                      "reports_on_time_pct", "reports_missing"}
    # ... and the cube is the one a full computation gives
    incremental = sorted(db.rows("SELECT region_code, day, kpi, value FROM kpi_cube"), key=str)
    with db.writer() as con:
        con.execute("DROP TABLE kpi_cube_meta")  # no cube state: everything is recomputed
    assert db.last_cube.full
    assert sorted(db.rows("SELECT region_code, day, kpi, value FROM kpi_cube"), key=str) == incremental
    # a write that changes no table recomputes only the reporting KPIs
    with db.writer():
        pass
    assert not db.last_cube.full and set(db.last_cube.kpis) == {"reports_complete_pct", "reports_on_time_pct",
                                                                "reports_missing"}


def test_other_rules_recompute_the_cube_on_the_next_read(tmp_path, monkeypatch):
    db_path = tmp_path / "r.duckdb"
    build_db(db_path, TABLES)
    built = Database(db_path).rows("SELECT built_at, inputs FROM kpi_cube_meta")[0]
    # the same rules under another rule-set name: the cube's inputs changed
    text = rules.default_rules_path().read_text(encoding="utf-8")
    changed = tmp_path / "rules.toml"
    changed.write_text(text.replace("baseline", "baseline2"), encoding="utf-8")
    monkeypatch.setenv("SITREP_RULES", str(changed))
    time.sleep(1.1)  # built_at has whole seconds
    db = Database(db_path)
    assert db.query("kpis", as_of="2022-01-15") is not None
    again = db.rows("SELECT built_at, inputs FROM kpi_cube_meta")[0]
    assert again[1] != built[1] and again[0] > built[0]


def test_a_pending_report_makes_the_cube_expire_at_its_deadline(tmp_path):
    from datetime import datetime

    from sitrep import cube

    meta = {"inputs": "x", "valid_until": datetime(2022, 1, 16, 10, 0)}
    assert not cube.stale(meta, "x", now=datetime(2022, 1, 16, 9, 59))
    assert cube.stale(meta, "x", now=datetime(2022, 1, 16, 10, 0))
    assert cube.stale(meta, "y", now=datetime(2022, 1, 16, 9, 0))
    assert cube.stale(None, "x")
    assert not cube.stale({"inputs": "x", "valid_until": None}, "x")


def test_kpis_outside_the_cube_are_empty_not_wrong(city_db):
    df = city_db.query("kpis", as_of="2030-01-01")  # long after the data
    assert len(df) == 26 and df["value"].isna().all()
    df = city_db.query("kpis", as_of="2022-01-15", region_code="451481001001001")  # a group: not a place of the cube
    assert df["value"].isna().all()



# ------------------------------------------------------------------ the one-wall page's measures

SCREENING = ("returnees_stage_by_region", "returnees_worklist_by_region", "returnees_overdue_by_village",
             "returnees_funnel")


def screening_reference(db: Database, name: str, as_of: date, scope: str | None):
    """The one-wall query as it was before the cube: from returnee_status() on the raw rows (tests/reference)."""
    sql = (Path(__file__).parent / "reference" / f"{name}.sql").read_text(encoding="utf-8")
    return db.sql(sql, {"as_of": as_of, "region_code": scope, "rules": rules.load_rules().as_param()})


@pytest.mark.slow
def test_the_one_wall_breakdowns_equal_their_one_day_queries_on_the_demo_city(demo_db):
    db = Database(demo_db)
    townships = [r[0] for r in db.rows("SELECT region_code FROM regions WHERE level = 'township' ORDER BY 1")]
    compared = 0
    for day in (date(2022, 1, 10), date(2022, 1, 16), date(2022, 2, 1), date(2022, 2, 25)):
        for scope in (None, townships[0], townships[7]):
            for name in SCREENING:
                want = screening_reference(db, name, day, scope)
                got = db.query(name, as_of=day, region_code=scope)
                assert got.astype(str).values.tolist() == want.astype(str).values.tolist(), (name, day, scope)
                compared += int(got.select_dtypes("number").sum().sum())
    assert compared > 0

"""The data quality centre (sitrep.quality) on small hand-built cities with known late and
missing reports, duplicates, outliers and broken rules, and on the demo city's planted ones.

Timeliness needs real import times, and the importer stamps imports with the time they run:
so the reporting city is built with report days relative to today T and a 48-hour deadline,
which makes every status independent of the time of day the test runs:
  a report for day d is on time when imported by d + 48 h, i.e. for d >= T - 1 (imported now);
  late when imported after that (d <= T - 2) through a daily import;
  unknown when imported after that through a history load (an import of >= 5 report days);
  missing when absent and d <= T - 2; pending when absent and d >= T - 1.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from builders import build_db, id_number, tiny_regions, write_table_csv
from sitrep import catalogue, contract, privacy, quality
from sitrep.db import ROOT, Database, load_query
from sitrep.ingest import import_files
from sitrep.quality.config import DEFAULT_CONFIG, QualityConfigError, Rule, parse_config

CITY, T1, T2 = "451481000000", "451481001000", "451481002000"
V11, V12, V13 = "451481001001", "451481001002", "451481001003"
V21, V22 = "451481002001", "451481002002"
T = date.today()


def day(k: int) -> str:
    """T + k as an ISO date (k <= 0)."""
    return (T + timedelta(days=k)).isoformat()


def default_raw() -> dict:
    with open(DEFAULT_CONFIG, "rb") as f:
        return tomllib.load(f)


def reporting_config(**reporting) -> quality.Config:
    """The shipped settings and rules, with the test city's reporting settings."""
    raw = default_raw()
    raw["reporting"] = {
        "deadline_hours": 48, "history_min_days": 5, "complete_pct_ok": 95.0,
        "streams": {
            "sentinel_reports": {"pillar": "monitoring"},
            "test_capacity": {"pillar": "preparedness"},
            "reserves": {"pillar": "preparedness", "every_days": 7, "anchor": T - timedelta(days=2)},
            "publicity": {"pillar": "publicity", "window_days": 3},
            "duty_roster": {"pillar": "command", "units": ["day", "night"]},
        },
        **reporting,
    }
    return parse_config(raw)


# ------------------------------------------------------------------------------ reporting city


@pytest.fixture(scope="module")
def reporting_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reporting")
    db = build_db(folder / "reporting.duckdb", {
        "regions": tiny_regions(),
        "sentinel_sites": [
            {"site_id": "S1", "site_name": "东门药店", "site_type": "药店", "region_code": V11},
            {"site_id": "S2", "site_name": "上村卫生室", "site_type": "村卫生室", "region_code": V21},
        ],
    })

    def load(name: str, table: str, rows: list[dict]) -> None:
        path = write_table_csv(folder / f"{name}.csv", table, rows)
        reports = import_files(db, [path], user="tests")
        assert [r.status for r in reports] == ["loaded"], reports[0].summary("en")

    def report(site, k):
        return {"date": day(k), "site_id": site, "visits": 10}

    # history load: both sites, T-9 .. T-5 (5 report days)
    load("sentinel_history", "sentinel_reports", [report(s, k) for s in ("S1", "S2") for k in range(-9, -4)])
    load("sentinel_late", "sentinel_reports", [report("S1", -4)])                     # daily, late
    load("sentinel_yesterday", "sentinel_reports", [report("S1", -1), report("S2", -1)])  # daily, on time
    load("capacity", "test_capacity", [
        *({"date": day(k), "lab_id": "L1", "capacity_tubes": 100, "region_code": T1} for k in (-3, -2, -1)),
        {"date": day(-1), "lab_id": "L2", "capacity_tubes": 100},                          # no region: city level
    ])
    load("reserves", "reserves", [
        {"date": day(-9), "warehouse_id": "W1", "item_code": "A", "on_hand": 10, "region_code": T2},
        {"date": day(-2), "warehouse_id": "W1", "item_code": "A", "on_hand": 9, "region_code": T2},
        {"date": day(-2), "warehouse_id": "W1", "item_code": "B", "on_hand": 9, "region_code": T2},
        {"date": day(-9), "warehouse_id": "W3", "item_code": "A", "on_hand": 10, "region_code": T1},
    ])
    load("publicity", "publicity", [
        {"date": day(-4), "region_code": V11, "channel": "村村响", "activities": 1},
        {"date": day(-5), "region_code": V12, "channel": "村村响", "activities": 1},
        {"date": day(-2), "region_code": V21, "channel": "村村响", "activities": 1},
    ])
    load("duty", "duty_roster", [
        {"date": day(k), "shift": shift, "leader": "王"} for k in range(-6, 0) for shift in ("白班", "夜班")
        if not (k == -3 and shift == "夜班")
    ])
    return db


COUNTS = ["expected", "received", "on_time", "late", "unknown", "missing", "pending"]


def by_stream(db, config, region_code=None) -> dict[str, dict]:
    daily = quality.reporting_daily(db, T, T - timedelta(days=6), region_code, config=config)
    summary = quality.reporting_summary(daily, ["stream"])
    return {r["stream"]: {c: int(r[c]) for c in COUNTS} for r in summary.to_dict("records")}


def counts(expected, on_time=0, late=0, unknown=0, missing=0, pending=0) -> dict:
    return {"expected": expected, "received": on_time + late + unknown, "on_time": on_time, "late": late,
            "unknown": unknown, "missing": missing, "pending": pending}


def test_reporting_counts_by_stream_at_city_scope(reporting_db):
    got = by_stream(reporting_db, reporting_config())
    assert got == {
        # S1: T-6, T-5 unknown (history), T-4 late, T-3, T-2 missing, T-1 on time, T pending;
        # S2: T-6, T-5 unknown, T-4 .. T-2 missing, T-1 on time, T pending
        "sentinel_reports": counts(14, on_time=2, late=1, unknown=4, missing=5, pending=2),
        # L1 from its first report T-3: T-3, T-2 late, T-1 on time, T pending; L2 (city): T-1 on time, T pending
        "test_capacity": counts(6, on_time=2, late=2, pending=2),
        # weekly on T-2: W1 reported it (late), W3 did not
        "reserves": counts(2, late=1, missing=1),
        # window 3 days: V11 (row T-4) covers T-4..T-2, V12 (T-5) T-5..T-3, V21 (T-2) T-2..T (T-1, T on time)
        "publicity": counts(35, on_time=2, late=7, missing=18, pending=8),
        # history load of T-6..T-1 less one night shift: T-1 imported before its deadline is on time
        "duty_roster": counts(14, on_time=2, unknown=9, missing=1, pending=2),
    }


def test_reporting_scope_keeps_the_township_and_drops_city_level_units(reporting_db):
    got = by_stream(reporting_db, reporting_config(), T2)
    assert got == {
        "sentinel_reports": counts(7, on_time=1, unknown=2, missing=3, pending=1),
        "reserves": counts(1, late=1),
        "publicity": counts(14, on_time=2, late=1, missing=9, pending=2),
    }


def test_reporting_units_are_the_records_behind_the_counts(reporting_db):
    config = reporting_config()
    units = quality.reporting_units(reporting_db, T, T - timedelta(days=6), config=config)
    daily = quality.reporting_daily(reporting_db, T, T - timedelta(days=6), config=config)
    assert len(units) == daily["expected"].sum()
    s1 = units[(units["stream"] == "sentinel_reports") & (units["unit_id"] == "S1")].sort_values("date")
    assert list(s1["status"]) == ["unknown", "unknown", "late", "missing", "missing", "on_time", "pending"]
    late = s1[s1["status"] == "late"].iloc[0]
    assert late["file_name"].endswith("sentinel_late.csv") and late["township_code"] == T1
    missing = quality.reporting_units(reporting_db, T, T - timedelta(days=6), status="missing", config=config)
    assert len(missing) == 5 + 1 + 18 + 1
    city = units[units["stream"] == "duty_roster"]
    assert set(city["township_code"]) == {CITY} and set(city["township_name"]) == {"示范市"}
    assert units.loc[units["unit_id"] == "L2", "region_code"].unique().tolist() == [CITY]


def test_reporting_summary_shares(reporting_db):
    daily = quality.reporting_daily(reporting_db, T, T - timedelta(days=6), config=reporting_config())
    s = quality.reporting_summary(daily, ["stream"]).set_index("stream")
    # received 7 of 14 - 2 pending; on time 2 of the 3 whose timeliness is known
    assert s.loc["sentinel_reports", "complete_pct"] == round(100 * 7 / 12, 1)
    assert s.loc["sentinel_reports", "on_time_pct"] == round(100 * 2 / 3, 1)
    assert s.loc["reserves", "on_time_pct"] == 0.0


def test_a_weekly_stream_is_expected_only_on_its_reporting_days(reporting_db):
    config = reporting_config()
    units = quality.reporting_units(reporting_db, T, T - timedelta(days=13), config=config)
    reserves = units[units["stream"] == "reserves"]
    assert sorted(reserves["date"].dt.date.unique()) == [T - timedelta(days=9), T - timedelta(days=2)]
    # W3 first reported on T-9, so it is expected on both; W1 too
    assert len(reserves) == 4


REPORTING_QUERIES = ["quality_reporting_units", "quality_reporting_daily", "quality_reporting_records",
                     "quality_reporting_kpis"]


@pytest.mark.parametrize("name", REPORTING_QUERIES)
def test_the_reporting_queries_share_one_classification(name):
    sql = (ROOT / "queries" / f"{name}.sql").read_text(encoding="utf-8")
    assert "from reporting_" in sql and "($settings, " in sql and "from_json" not in sql
    # the settings default to data/quality_rules.toml
    q = load_query(name)
    given = {"as_of": "2022-03-31", "from_date": "2022-03-01", "now": "2022-04-01T00:00"}
    bound = q.bind({p.name: given[p.name] for p in q.params if p.name in given})
    assert json.loads(bound["settings"]) == {"history_min_days": 7,
                                             "streams": json.loads(quality.load_config().streams_json())}


def test_the_kpi_query_takes_the_settings_given(reporting_db):
    day = T - timedelta(days=2)
    config = reporting_config()
    kpis = quality.reporting_kpis(reporting_db, day, config=config)
    daily = quality.reporting_daily(reporting_db, day, day, config=config)
    s = quality.reporting_summary(daily.assign(all=1), ["all"]).iloc[0]
    assert kpis["reports_missing"] == s["missing"]
    assert kpis["reports_complete_pct"] == pytest.approx(s["complete_pct"], abs=0.051)
    # the shipped settings (a 7-day publicity window, reserves anchored elsewhere) count otherwise
    assert kpis != quality.reporting_kpis(reporting_db, day)


def test_the_kpi_query_agrees_with_the_daily_counts(reporting_db):
    config = quality.load_config()
    for scope in (None, T1, T2):
        kpis = quality.reporting_kpis(reporting_db, T - timedelta(days=2), scope)
        daily = quality.reporting_daily(reporting_db, T - timedelta(days=2), T - timedelta(days=2), scope,
                                        config=config)
        s = quality.reporting_summary(daily.assign(all=1), ["all"]).iloc[0]
        assert kpis["reports_missing"] == s["missing"]
        assert kpis["reports_complete_pct"] == pytest.approx(s["complete_pct"], abs=0.051)  # rounding of halves
        assert (kpis["reports_on_time_pct"] is None) == pd.isna(s["on_time_pct"])
        records = reporting_db.query("quality_reporting_records", as_of=T - timedelta(days=2), region_code=scope)
        assert len(records) == s["expected"] and (records["status"] == "missing").sum() == s["missing"]


# ------------------------------------------------------------------------------ the checks city

D0 = date(2022, 1, 1)
AS_OF = D0 + timedelta(days=29)


def d(k: int) -> str:
    return (D0 + timedelta(days=k)).isoformat()


ID_A = id_number("45148119900101123")
ID_B = id_number("45148119850505456")
ID_C = id_number("45148119700303111")
ID_D = id_number("45148119700303121")   # C with one digit changed: a mistyped ID (2 edits with the check digit)
ID_E = id_number("45010219700303999")   # same birth date as C, nothing else alike
ID_F = id_number("45148119920202222")
ID_G = id_number("45148119930303333")


def person(pid, name, region, **kw):
    row = {"person_id": pid, "name": name, "origin_category": "省内返乡", "origin_risk": "低风险",
           "arrival_date": d(0), "region_code": region, "measure": "无", "status": "已解除"}
    row.update(kw)
    return row


def visits(k: int) -> int:
    base = {15: 300, 22: 40, 23: 40, 27: 1500}
    return base.get(k, 100 + (k % 3 - 1) * 2)


CHECKS_TABLES = {
    "regions": tiny_regions(),
    "sentinel_sites": [
        {"site_id": "S1", "site_name": "东门药店", "site_type": "药店", "region_code": V11},
        {"site_id": "S2", "site_name": "上村卫生室", "site_type": "村卫生室", "region_code": V21},
    ],
    "sentinel_reports": [
        *({"date": d(k), "site_id": "S1", "visits": visits(k), "fever": 120 if k == 10 else 1} for k in range(30)),
        *({"date": d(k), "site_id": "S2", "visits": {12: 51, 25: 70}.get(k, 50), "fever": 1} for k in range(30)),
    ],
    "returnees": [
        # same ID in two townships; the same ID three times in one township (3 pairs)
        person("p01", "李甲", V11, id_number=ID_A, phone="13800000001"),
        person("p02", "李甲", V21, id_number=ID_A, phone="13800000001"),
        person("p03", "王乙", V11, id_number=ID_B),
        person("p04", "王乙", V12, id_number=ID_B),
        person("p05", "王乙", V13, id_number=ID_B),
        # same name and phone, one without an ID: a pair; both with (different) IDs: not
        person("p06", "赵丙", V12, phone="13900000006"),
        person("p07", "赵丙", V22, phone="13900000006", id_number=ID_F),
        person("p08", "钱丁", V12, phone="13900000008", id_number=ID_G),
        person("p09", "钱丁", V12, phone="13900000008", id_number=id_number("45148119940404444")),
        # same name and birth date: IDs two edits apart (a pair), or far apart (not)
        person("p10", "孙戊", V11, id_number=ID_C),
        person("p11", "孙戊", V21, id_number=ID_D),
        person("p12", "孙戊", V22, id_number=ID_E),
        # same name, different phones, no IDs: not a pair
        person("p13", "周己", V11, phone="13700000013"),
        person("p14", "周己", V11, phone="13700000014"),
        # rules
        person("r1", "吴一", V11, status="在管"),                           # positive, no case, status not positive
        person("r2", "吴二", V21, status="阳性"),                                            # positive with a case
        person("r3", "吴三", V12, measure="居家隔离", measure_start=d(1), measure_end=d(5), status="在管"),
        person("r4", "吴四", V12, measure="居家隔离", measure_start=d(1), measure_end=d(5)),  # single test after
        person("r5", "吴五", V13, measure="居家隔离", measure_start=d(1)),                    # released, no end
        person("r6", "吴六", V13, measure="集中隔离", status="在管"),                          # no start
    ],
    "tests": [
        {"person_id": "r1", "sample_date": d(3), "result": "阳性"},
        {"person_id": "r2", "sample_date": d(3), "result": "阳性"},
        {"person_id": "r4", "sample_date": d(8), "sample_no": "1", "pooled": "单检", "result": "阴性"},
        {"person_id": "r4", "sample_date": d(9), "sample_no": "2", "pooled": "混检", "result": "阴性"},
        {"person_id": "r4", "sample_date": d(4), "sample_no": "3", "pooled": "单检", "result": "阴性"},
    ],
    "cases": [
        {"case_id": "c1", "report_date": d(4), "category": "确诊病例", "source": "本土", "region_code": V21,
         "status": "住院"},
        {"case_id": "c2", "report_date": d(8), "category": "确诊病例", "source": "本土", "region_code": V11,
         "status": "出院"},                                                                 # discharged, no date
    ],
    "grid_units": [{"region_code": V11, "responsible_person": "网格员"}],
    "test_capacity": [
        {"date": d(5), "lab_id": "L1", "capacity_tubes": 1000, "tubes_tested": 1200, "region_code": T1},
        {"date": d(6), "lab_id": "L1", "capacity_tubes": 1000, "tubes_tested": 900, "region_code": T1},
    ],
    "reserves": [
        {"date": d(5), "warehouse_id": "W1", "item_code": "A", "on_hand": 1000, "daily_use": 10, "region_code": T2},
        {"date": d(6), "warehouse_id": "W1", "item_code": "A", "on_hand": 900, "daily_use": 10, "region_code": T2},
        {"date": d(7), "warehouse_id": "W1", "item_code": "A", "on_hand": 880, "daily_use": 10, "region_code": T2},
    ],
}


@pytest.fixture(scope="module")
def checks_db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("checks") / "checks.duckdb", CHECKS_TABLES)


def pairs(df: pd.DataFrame, kind: str) -> set[tuple[str, str]]:
    part = df[df["kind"] == kind]
    return set(zip(part["person_id_a"], part["person_id_b"]))


def test_duplicate_persons(checks_db):
    df = quality.duplicates(checks_db)
    assert pairs(df, "id_number") == {("p01", "p02"), ("p03", "p04"), ("p03", "p05"), ("p04", "p05")}
    assert pairs(df, "name_phone") == {("p06", "p07")}
    assert pairs(df, "name_birth") == {("p10", "p11")}
    assert len(df) == 6
    first = df[df["person_id_a"] == "p01"].iloc[0]
    assert bool(first["different_townships"])
    assert (first["township_a"], first["township_b"]) == ("城东街道", "河西镇")
    assert not df.loc[df["person_id_a"] == "p03", "different_townships"].any()


def test_duplicates_in_scope_take_pairs_with_either_record_there(checks_db):
    df = quality.duplicates(checks_db, T2)
    assert {(a, b) for a, b in zip(df["person_id_a"], df["person_id_b"])} == {("p01", "p02"), ("p06", "p07"),
                                                                              ("p10", "p11")}
    by_township = quality.counts_by_township({"duplicates": df}).set_index("township_code")["duplicates"]
    assert by_township.to_dict() == {T1: 3, T2: 3}  # each pair has one record in each


def test_max_id_distance_is_a_setting(checks_db):
    raw = default_raw()
    raw["duplicates"] = {"max_id_distance": 1}
    assert pairs(quality.duplicates(checks_db, config=parse_config(raw)), "name_birth") == set()


def test_side_by_side_personal_columns_are_masked(checks_db):
    masked = privacy.mask_frame(quality.duplicates(checks_db))
    row = masked[masked["person_id_a"] == "p01"].iloc[0]
    assert row["name_a"] == "李*" and row["name_b"] == "李*"
    assert row["id_number_a"] == ID_A[:4] + "*" * 10 + ID_A[-4:] and row["phone_b"] == "138****0001"


def test_outliers_modified_z_episodes_and_bounds(checks_db):
    raw = default_raw()
    raw["outliers"]["series"]["sentinel_visits"] = {"window_days": 10, "min_points": 5, "threshold": 3.5,
                                                    "min_deviation": 10, "min": 0, "max": 1000}
    df = quality.outliers(checks_db, AS_OF, D0, config=parse_config(raw))
    visits_df = df[df["series"] == "sentinel_visits"].sort_values(["unit_id", "date"])
    got = [(r.unit_id, r.date.date(), r.points, r.reason, r.direction) for r in visits_df.itertuples()]
    assert got == [
        ("S1", D0 + timedelta(days=15), 1, "z", "z_high"),        # 300 against median 100, MAD 2
        ("S1", D0 + timedelta(days=22), 2, "z", "z_low"),         # 40, 40: one episode of two days
        ("S1", D0 + timedelta(days=27), 1, "above_max", "above_max"),
        ("S2", D0 + timedelta(days=25), 1, "z", "z_high"),        # window all 50: MAD and MeanAD 0
    ]
    spike = visits_df.iloc[0]
    assert (spike["median"], spike["mad"], spike["window_n"]) == (100, 2, 10)
    assert spike["z"] == round(0.6745 * 200 / 2, 2)
    assert pd.isna(visits_df.iloc[3]["z"])
    # S2 day 12: 51 against a window all 50 deviates by less than min_deviation
    assert not ((visits_df["unit_id"] == "S2") & (visits_df["date"].dt.date == D0 + timedelta(days=12))).any()


def test_outliers_fall_back_to_the_mean_absolute_deviation(checks_db):
    raw = default_raw()
    raw["outliers"]["series"] = {"sentinel_visits": {"window_days": 20, "min_points": 5, "threshold": 3.5}}
    df = quality.outliers(checks_db, D0 + timedelta(days=25), D0 + timedelta(days=25), config=parse_config(raw))
    # S2 on day 25: window days 5..24 all 50 but day 12 (51): MAD 0, MeanAD 1/20
    row = df[df["unit_id"] == "S2"].iloc[0]
    assert row["mad"] == 0 and row["mean_ad"] == 0.05
    assert row["z"] == round(20 / (1.253314 * 0.05), 2)


def rule_rows(db, name, as_of=AS_OF, region_code=None) -> pd.DataFrame:
    result = quality.run_rules(db, as_of, region_code, names=[name])[0]
    assert result.error is None, result.error
    return result.rows


def test_every_rule_finds_its_planted_rows(checks_db):
    expect = {
        "positive_test_without_case": ["r1"],
        "positive_test_status_not_positive": ["r1"],
        "case_village_without_grid_unit": ["c1"],
        "released_but_managed": ["r3"],
        "released_without_end_date": ["r5"],
        "measure_without_start": ["r6"],
        "single_test_after_release": ["r4"],
        "capacity_use_above_100": ["L1"],
        "reserve_drop_unexplained": ["W1"],
        "fever_above_visits": ["S1"],
        "case_discharge_status_mismatch": ["c2"],
    }
    assert set(expect) == {r.name for r in quality.load_config().rules}
    for name, ids in expect.items():
        rows = rule_rows(checks_db, name)
        key = next(c for c in ("person_id", "case_id", "lab_id", "warehouse_id", "site_id") if c in rows.columns)
        assert sorted(rows[key]) == ids, name
        assert "township_code" in rows.columns, name


def test_rules_take_the_as_of_day_and_the_scope(checks_db):
    assert rule_rows(checks_db, "released_but_managed", as_of=D0 + timedelta(days=4)).empty  # ends on day 5
    assert len(rule_rows(checks_db, "released_but_managed", region_code=T1)) == 1
    assert rule_rows(checks_db, "released_but_managed", region_code=T2).empty
    drop = rule_rows(checks_db, "reserve_drop_unexplained").iloc[0]
    assert (drop["drop"], drop["drop_in_days_of_use"]) == (100, 10.0)


def test_a_rule_cannot_write(checks_db):
    rule = Rule("evil", "critical", "cases", "x", "x", ("regions",), "delete from regions returning *")
    result = quality.run_rule(checks_db, rule, AS_OF)
    assert result.error and result.count == 0
    assert checks_db.rows("select count(*) from regions")[0][0] == len(tiny_regions())


def test_counts_by_township_add_up(checks_db):
    results = quality.run_rules(checks_db, AS_OF)
    rows = pd.concat([r.rows for r in results if "township_code" in r.rows.columns], ignore_index=True)
    counts = quality.counts_by_township({"rules": rows}).set_index("township_code")["rules"]
    assert counts.sum() == sum(r.count for r in results) == 11


@pytest.mark.parametrize("change, message", [
    (lambda raw: raw["rule"][0].update(severity="urgent"),
     "rule #1 (positive_test_without_case), key severity: must be one of minor, major, critical"),
    (lambda raw: raw["rule"][1].pop("sql"), "rule #2 (positive_test_status_not_positive), key sql: missing"),
    (lambda raw: raw["rule"][2].update(sql="drop table cases"), "key sql: must be one SELECT"),
    (lambda raw: raw["rule"][2].update(sql="select 1; select 2"), "key sql: must be one statement"),
    (lambda raw: raw["rule"][3].update(sql="select * from returnees where region_code = $scope"),
     "rule #4 (released_but_managed), key sql: uses unknown parameter(s) $scope"),
    (lambda raw: raw["rule"][4].update(name="positive_test_without_case"), "duplicate rule name"),
    (lambda raw: raw["rule"][5].update(tables=["nope"]), "key tables: not table(s) of the data contract: nope"),
    (lambda raw: raw["rule"][5].update(pillar="health"), "key pillar: must be one of"),
    (lambda raw: raw["rule"][6].update(colour="red"), "rule #7 (single_test_after_release): unknown key(s) colour"),
    (lambda raw: raw["reporting"]["streams"].update(orders={"pillar": "command"}),
     "[reporting.streams.orders]: unknown report stream"),
    (lambda raw: raw["reporting"]["streams"]["reserves"].pop("anchor"),
     "[reporting.streams.reserves], key anchor: needed when every_days is more than 1"),
    (lambda raw: raw["reporting"]["streams"]["duty_roster"].update(units=["morning"]),
     "key units: unknown shift(s) morning"),
    (lambda raw: raw["outliers"]["series"]["sentinel_visits"].update(min_points=40),
     "[outliers.series.sentinel_visits], key min_points: cannot be more than window_days"),
    (lambda raw: raw["freshness"]["tables"].update(orderz={"max_age_hours": 1}),
     "[freshness.tables.orderz]: not a table of the data contract"),
    (lambda raw: raw["reporting"].update(deadline_hours="10:00"), "[reporting], key deadline_hours: must be a whole"),
])
def test_config_mistakes_name_the_rule_and_key(change, message):
    raw = default_raw()
    change(raw)
    with pytest.raises(QualityConfigError) as e:
        parse_config(raw)
    assert message in str(e.value)
    assert str(e.value).startswith("quality_rules.toml: ")


def test_shipped_config_loads_and_json_settings_round_trip():
    config = quality.load_config()
    assert [s.name for s in config.streams] == ["sentinel_reports", "test_capacity", "reserves", "publicity",
                                                "duty_roster"]
    assert all(json.loads(config.series_json())) and all(json.loads(config.limits_json()))
    assert {r.severity for r in config.rules} == {"minor", "major", "critical"}


# ------------------------------------------------------------------------------ freshness and trust


def test_freshness_stale_and_lagging(reporting_db):
    raw = default_raw()
    raw["freshness"] = {"tables": {"sentinel_reports": {"max_age_hours": 1, "max_lag_days": 1},
                                   "cases": {"max_age_hours": 1}}}
    config = parse_config(raw)
    now = datetime.now()
    fresh = quality.freshness(reporting_db, T, now, config=config).set_index("table_name")
    assert set(fresh.index) == {t.name for t in contract.TABLES}
    s = fresh.loc["sentinel_reports"]
    assert s["rows"] == 13 and s["imports"] == 3 and s["newest_date"].date() == T - timedelta(days=1)
    assert (bool(s["stale"]), bool(s["lagging"]), s["data_lag_days"]) == (False, False, 1)
    assert bool(fresh.loc["cases", "stale"]) and pd.isna(fresh.loc["cases", "last_imported_at"])  # never imported
    assert not fresh.loc["regions", "stale"]  # no limit: master data
    later = quality.freshness(reporting_db, T + timedelta(days=2), now + timedelta(hours=3), config=config)
    later = later.set_index("table_name").loc["sentinel_reports"]
    assert bool(later["stale"]) and bool(later["lagging"]) and later["data_lag_days"] == 3


def test_stale_kpis_follow_the_catalogue(reporting_db):
    raw = default_raw()
    raw["freshness"] = {"tables": {"sentinel_reports": {"max_age_hours": 1}}}
    config = parse_config(raw)
    reads = {k.key for k in catalogue.load() if "sentinel_reports" in k.tables}
    assert reads and quality.stale_kpis(reporting_db, datetime.now(), config=config) == set()
    assert quality.stale_kpis(reporting_db, datetime.now() + timedelta(hours=2), config=config) == reads


def test_trust_by_pillar(checks_db):
    raw = default_raw()
    raw["freshness"] = {"tables": {}}
    trust = quality.trust_by_pillar(checks_db, AS_OF, config=parse_config(raw))
    assert set(trust) == set(catalogue.PILLARS)
    assert {k for k in trust["cases"]} >= {"fresh", "complete", "critical_ok", "status"}
    # positive test with no case (critical, cases); status not positive (critical, screening)
    assert trust["cases"]["critical_ok"] is False and trust["cases"]["status"] == "bad"
    assert trust["screening"]["status"] == "bad"
    # capacity above 100 % and an unexplained drop (major), reports complete? L1 stopped on day 6
    assert trust["preparedness"]["critical_ok"] and trust["preparedness"]["status"] == "warn"
    assert trust["preparedness"]["broken_rules"] == {"capacity_use_above_100": 1, "reserve_drop_unexplained": 1}
    # both sentinel sites reported on the as-of day: monitoring is complete, but a case has no grid unit (major)
    assert trust["monitoring"]["complete"] and trust["monitoring"]["complete_pct"] == 100.0
    assert trust["monitoring"]["status"] == "warn"
    # no publicity at all: incomplete
    assert trust["publicity"]["complete"] is False and trust["publicity"]["status"] == "warn"
    assert all(p["fresh"] for p in trust.values())
    stale = quality.trust_by_pillar(checks_db, AS_OF, config=parse_config(default_raw()),
                                    now=datetime.now() + timedelta(days=60))
    assert not stale["monitoring"]["fresh"] and stale["monitoring"]["status"] == "bad"
    assert "sentinel_reports" in stale["monitoring"]["stale_tables"]


def test_trust_counts_the_unresolved_findings_in_each_pillars_tables(checks_db):
    raw = default_raw()
    raw["freshness"] = {"tables": {}}
    raw["outliers"]["series"] = {"sentinel_visits": {"window_days": 10, "min_points": 5, "threshold": 3.5,
                                                     "min_deviation": 10, "min": 0, "max": 1000}}
    config = parse_config(raw)
    # the four sentinel episodes of test_outliers_modified_z_episodes_and_bounds start on days 15, 22 (two
    # days), 25 and 27: all four in the 28 days up to AS_OF (day 29); three start or run in its last 7 (23..29)
    trust = quality.trust_by_pillar(checks_db, AS_OF, config=config)
    assert {p: (t["outliers"], t["duplicates"]) for p, t in trust.items()} == {
        "cases": (0, 0), "command": (0, 0), "monitoring": (4, 0), "screening": (0, 6), "publicity": (0, 0),
        "preparedness": (0, 0)}
    assert quality.trust_by_pillar(checks_db, AS_OF, config=config, days=7)["monitoring"]["outliers"] == 3
    assert quality.trust_by_pillar(checks_db, AS_OF, T2, config=config)["screening"]["duplicates"] == 3
    # with no finding, no broken rule and complete reports a pillar is trusted; one finding makes it doubtful
    quiet = parse_config({**raw, "rule": [], "outliers": {"series": {}}})
    assert quality.trust_by_pillar(checks_db, AS_OF, config=quiet)["monitoring"]["status"] == "ok"
    assert trust["monitoring"]["status"] == "warn"


# ------------------------------------------------------------------------------ command line


def run_check(db_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitrep", "check", "--db", str(db_path), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_cli_exits_1_when_a_critical_rule_is_broken(checks_db):
    out = run_check(checks_db.path, "--as-of", AS_OF.isoformat(), "--json")
    assert out.returncode == 1, out.stderr
    rep = json.loads(out.stdout)
    assert rep["critical_broken"] == ["positive_test_without_case", "positive_test_status_not_positive"]
    assert rep["duplicates"] == {"pairs": 6, "by_kind": {"id_number": 4, "name_birth": 1, "name_phone": 1}}
    text = run_check(checks_db.path, "--as-of", AS_OF.isoformat(), "--lang", "en")
    assert text.returncode == 1 and "Verdict: 2 critical rule(s) broken" in text.stdout
    assert "[Critical] positive_test_without_case: 1 rows" in text.stdout


def test_cli_usage_errors(tmp_path, checks_db):
    assert run_check(tmp_path / "none.duckdb").returncode == 2
    assert run_check(checks_db.path, "--as-of", "31/03/2022").returncode == 2
    assert run_check(checks_db.path, "--region", "999").returncode == 2


# ------------------------------------------------------------------------------ the demo city


@pytest.fixture(scope="module")
def demo(demo_db):
    return Database(demo_db)


@pytest.fixture(scope="module")
def demo_scenario():
    from sitrep.demo.city import build_city
    from sitrep.demo.scenario import build_scenario

    return build_scenario(build_city(42), 42)


def test_demo_planted_duplicates_are_found(demo):
    from sitrep.demo.scenario import N_DUPLICATE_IDS, N_DUPLICATE_NAME_PHONE

    df = quality.duplicates(demo)
    ids = df[df["kind"] == "id_number"]
    assert len(ids) == N_DUPLICATE_IDS and ids["different_townships"].all()
    same = df[df["kind"] == "name_phone"]
    assert len(same) == N_DUPLICATE_NAME_PHONE
    assert same["id_number_a"].isna().all() and same["id_number_b"].isna().all()
    assert len(df) == N_DUPLICATE_IDS + N_DUPLICATE_NAME_PHONE  # no namesake taken for a mistyped ID


def test_demo_planted_sentinel_outliers_are_single_day_episodes(demo):
    from sitrep.demo.scenario import END, N_SENTINEL_OUTLIERS, START

    df = quality.outliers(demo, END, START)
    visits_df = df[df["series"] == "sentinel_visits"].sort_values("max_abs_z", ascending=False)
    top = visits_df.head(N_SENTINEL_OUTLIERS)
    assert sorted(top["date"].dt.date) == [date(2021, 12, 20), date(2022, 3, 9)]
    assert (top["points"] == 1).all() and (top["value"] > 5 * top["median"]).all()
    assert set(df["series"]) <= set(quality.config.SERIES) and not df["reason"].isna().any()


def test_demo_missing_reports(demo, demo_scenario):
    from sitrep.demo.scenario import BLIND_DAYS, END, N_DUTY_SHIFTS_MISSING, START

    units = quality.reporting_units(demo, END, START, status="missing")
    duty = units[units["stream"] == "duty_roster"]
    assert len(duty) == N_DUTY_SHIFTS_MISSING
    # the pharmacy that was down 22-24 February
    sentinel = units[units["stream"] == "sentinel_reports"]
    outage = {date(2022, 2, 22), date(2022, 2, 23), date(2022, 2, 24)}
    per_site = sentinel.groupby("unit_id")["date"].apply(lambda s: set(s.dt.date))
    assert any(outage <= days for days in per_site)
    # the blind villages: no publicity in the last BLIND_DAYS days, so missing on the as-of day
    last = set(units.loc[(units["stream"] == "publicity") & (units["date"].dt.date == END), "unit_id"])
    assert set(demo_scenario.blind_villages) <= last
    window = quality.load_config().stream("publicity").window_days
    blind_days = units[(units["stream"] == "publicity") & units["unit_id"].isin(demo_scenario.blind_villages)]
    assert blind_days.groupby("unit_id").size().min() >= BLIND_DAYS - window + 1


def test_demo_timeliness_is_unknown_for_a_replayed_history(demo):
    from sitrep.demo.scenario import END

    daily = quality.reporting_daily(demo, END, END - timedelta(days=27))
    s = quality.reporting_summary(daily.assign(all=1), ["all"]).iloc[0]
    assert s["on_time"] == 0 and s["late"] == 0 and s["unknown"] == s["received"] > 0
    kpis = quality.reporting_kpis(demo, END)
    assert kpis["reports_on_time_pct"] is None and 95 < kpis["reports_complete_pct"] < 100


def test_demo_rules_run_and_find_the_stock_transfers(demo):
    from sitrep.demo.scenario import END
    from sitrep.demo.tables import SHORTFALLS

    results = quality.run_rules(demo, END)
    assert [r.rule.name for r in results if r.error] == []
    assert [r.rule.name for r in results if r.broken and r.rule.severity == "critical"] == []
    drops = next(r for r in results if r.rule.name == "reserve_drop_unexplained").rows
    assert len(drops) >= 1
    assert set(zip(drops["warehouse_id"], drops["item_code"])) <= set(SHORTFALLS)
    assert (drops["date"].dt.date >= date(2022, 3, 1)).all()


def test_demo_is_fresh_and_trusted_where_nothing_is_broken(demo):
    from sitrep.demo.scenario import END

    assert quality.stale_kpis(demo, as_of=END) == set()
    trust = quality.trust_by_pillar(demo, END)
    assert all(p["fresh"] and p["critical_ok"] for p in trust.values())
    assert trust["preparedness"]["status"] == "warn"  # the stock transfers


def test_demo_cli_exits_0(demo_db):
    out = run_check(demo_db)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "结论:未发现严重问题。" in out.stdout


def test_bench_quality_times_every_check(demo):
    figures = quality.bench_quality(demo)
    for kind in ("wall_s", "cpu_s"):
        assert {"reporting_daily", "duplicates", "outliers", "rules", "trust_by_pillar", "all"} <= set(figures[kind])
    assert figures["wall_s"]["all"] < 30


def test_quality_tab_under_apptest(demo_db, monkeypatch):
    from builders import open_page

    monkeypatch.setenv("SITREP_DB", str(demo_db))
    at = open_page("data")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["疑似重复人员(对)"] == "10" and metrics["当日按时率"] == "—"
    assert "数据质量" in [t.label for t in at.tabs]
    heatmaps = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    assert any(trace.get("type") == "heatmap" for fig in heatmaps for trace in fig["data"])


@pytest.mark.parametrize("lang, monitoring, screening, why", [
    ("zh", "一张网 :orange[▲ 存疑(异常值4个)]", "一堵墙 :red[■ 不可信(疑似重复6对)]",
     "一堵墙:近28天有疑似重复6对未处理(见“数据”页数据质量)"),
    ("en", "Monitoring :orange[▲ doubtful (4 outliers)]", "Screening & control :red[■ untrusted (6 suspected duplicate pairs)]",
     "Screening & control: 6 suspected duplicate pairs unresolved in the last 28 days (Data page, data quality)"),
])
def test_trust_line_shows_the_findings_with_their_count(checks_db, lang, monitoring, screening, why):
    from sitrep.ui import kpi
    from sitrep.ui.state import View

    raw = default_raw()
    raw["freshness"] = {"tables": {}}
    raw["outliers"]["series"] = {"sentinel_visits": {"window_days": 10, "min_points": 5, "threshold": 3.5,
                                                     "min_deviation": 10, "min": 0, "max": 1000}}
    trust = quality.trust_by_pillar(checks_db, AS_OF, config=parse_config(raw))
    view = View(as_of=AS_OF, scope=None, lang=lang, min_date=D0, max_date=AS_OF)
    parts = kpi.trust_line(view, trust, datetime(2022, 1, 30, 9)).split("  \n")[0].split("\u2003")
    assert parts[2].endswith(monitoring) and parts[3] == screening
    assert why in kpi.trust_reasons(view, trust)


def test_completeness_heatmap_legend_shows_the_colours_of_its_cells():
    from sitrep.figures.quality import completeness_heatmap

    days = [date(2022, 1, 1), date(2022, 1, 2), date(2022, 1, 3)]
    daily = pd.DataFrame({"township_code": ["1"] * 3 + ["2"] * 3, "township_name": ["甲"] * 3 + ["乙"] * 3,
                          "date": days * 2, "expected": [20, 20, 20, 10, 10, 0], "received": [20, 19, 17, 7, 8, 0],
                          "pending": [0] * 6})
    hm = completeness_heatmap(daily).data[0]
    # 100% green, 95% yellow, 85% amber / 70% red, 80% amber, nothing due (empty)
    assert hm.customdata[0, 1, 1] == 95.0 and hm.customdata[0, 1, 0] == "19 / 20"

    def colour(z):  # the colour plotly gives a cell of value z on this stepped scale
        pos = (z - hm.zmin) / (hm.zmax - hm.zmin)
        return next(c for (p0, c), (p1, _) in zip(hm.colorscale, hm.colorscale[1:]) if p0 <= pos <= p1 and p0 != p1)

    cells = [[None if z != z else colour(z) for z in row] for row in hm.z]
    assert cells == [["#009E73", "#F0E442", "#E69F00"], ["#D7191C", "#E69F00", None]]
    legend = {hm.colorbar.ticktext[i]: colour(v) for i, v in enumerate(hm.colorbar.tickvals)}
    assert legend == {"<80%": "#D7191C", "80–95%": "#E69F00", "95–99%": "#F0E442", "100%": "#009E73"}

"""queries/kpis.sql on a small hand-built city, through the production import path.

D = 2022-01-15. Every record below sits on a boundary of some KPI; the expected values
are worked out by hand in the comments.

Regions: city C (population 1000); township T1 (600) with villages V11 (300), V12 (300);
township T2 (400) with village V21 (400); group G111 under V11.
"""

import json
import subprocess
import sys

import pytest

from builders import build_db
from sitrep.db import ROOT

C, T1, T2 = "451481000000", "451481001000", "451481002000"
V11, V12, V21 = "451481001001", "451481001002", "451481002001"
G111 = "451481001001001"
D = "2022-01-15"

ALL = ["has_guide", "has_system_owner", "has_materials", "has_medical_support", "has_isolation_transfer"]


def grid(code, person, missing=()):
    return {"region_code": code, "responsible_person": person, **{h: "否" if h in missing else "是" for h in ALL}}


TABLES = {
    "regions": [
        {"region_code": C, "name": "测试市", "level": "市", "population": 1000},
        {"region_code": T1, "name": "东镇", "level": "乡镇", "parent_code": C, "population": 600},
        {"region_code": T2, "name": "西镇", "level": "乡镇", "parent_code": C, "population": 400},
        {"region_code": V11, "name": "一村", "level": "村", "parent_code": T1, "population": 300},
        {"region_code": V12, "name": "二村", "level": "村", "parent_code": T1, "population": 300},
        {"region_code": V21, "name": "三村", "level": "村", "parent_code": T2, "population": 400},
        {"region_code": G111, "name": "一组", "level": "组", "parent_code": V11, "population": 50},
    ],
    "cases": [
        # new on D, active
        {"case_id": "c1", "report_date": D, "category": "确诊病例", "source": "本土", "region_code": V11, "status": "住院"},
        # reported D+1: not new, not active on D
        {"case_id": "c2", "report_date": "2022-01-16", "category": "无症状感染者", "source": "本土", "region_code": V11},
        # discharged on D: cumulative, not active
        {"case_id": "c3", "report_date": "2022-01-10", "category": "确诊病例", "source": "本土", "region_code": V12,
         "status": "出院", "discharge_date": D},
        # discharged D+1: still active on D
        {"case_id": "c4", "report_date": "2022-01-12", "category": "确诊病例", "source": "境外输入", "region_code": V21,
         "status": "出院", "discharge_date": "2022-01-16"},
        # suspected: never counted
        {"case_id": "c5", "report_date": D, "category": "疑似病例", "source": "本土", "region_code": V11},
        # discharged without a date: active
        {"case_id": "c6", "report_date": "2022-01-14", "category": "确诊病例", "source": "本土", "region_code": V21,
         "status": "出院"},
    ],
    "contacts": [
        {"contact_id": "k1", "case_id": "c1", "contact_type": "密接", "identified_date": "2022-01-10",
         "quarantine_start": "2022-01-10", "release_date": D, "region_code": V11},       # released on D: out
        {"contact_id": "k2", "case_id": "c1", "contact_type": "密接", "identified_date": D,
         "quarantine_start": D, "region_code": V12},                                     # started on D: in
        {"contact_id": "k3", "case_id": "c1", "contact_type": "次密接", "identified_date": D,
         "quarantine_start": "2022-01-16", "region_code": V21},                          # starts D+1: out
        {"contact_id": "k4", "case_id": "c4", "contact_type": "密接", "identified_date": "2022-01-01",
         "quarantine_start": "2022-01-01", "release_date": "2022-01-16", "region_code": V21},  # in
    ],
    "returnees": [
        {"person_id": "r1", "name": "张一", "origin_category": "省内返乡", "origin_risk": "低风险", "arrival_date": D,
         "region_code": V11, "measure": "居家健康监测", "measure_start": D, "status": "在管"},
        {"person_id": "r2", "name": "张二", "origin_category": "省外返乡", "origin_risk": "中风险",
         "arrival_date": "2022-01-10", "region_code": V12, "measure": "集中隔离", "measure_start": "2022-01-10",
         "measure_end": D, "status": "已解除"},                                          # released on D
        {"person_id": "r3", "name": "张三", "origin_category": "省外返乡", "origin_risk": "高风险",
         "arrival_date": "2022-01-05", "region_code": V21, "measure": "居家隔离", "measure_start": "2022-01-05",
         "status": "已转出"},                                                            # moved out
        {"person_id": "r4", "name": "张四", "origin_category": "省内返乡", "origin_risk": "无",
         "arrival_date": "2022-01-16", "region_code": V21, "measure": "无"},              # arrives D+1
        {"person_id": "r5", "name": "张五", "origin_category": "外地留守", "origin_risk": "无",
         "arrival_date": "2022-01-01", "region_code": V21, "measure": "无"},
        {"person_id": "r6", "name": "张六", "origin_category": "境外入境", "origin_risk": "境外",
         "arrival_date": "2022-01-12", "region_code": G111, "measure": "集中隔离", "measure_start": "2022-01-16"},
    ],
    "test_capacity": [
        {"date": D, "lab_id": "L1", "region_code": V11, "capacity_tubes": 1000, "pool_size": 10, "tubes_tested": 900},
        {"date": D, "lab_id": "L2", "capacity_tubes": 500, "pool_size": 1, "tubes_tested": 100},
        {"date": "2022-01-13", "lab_id": "L1", "region_code": V11, "capacity_tubes": 1000, "pool_size": 10,
         "tubes_tested": 10},
    ],
    "reserves": [
        {"date": "2022-01-14", "warehouse_id": "W1", "region_code": V11, "item_code": "mask", "on_hand": 100,
         "daily_use": 10},
        {"date": D, "warehouse_id": "W1", "region_code": V11, "item_code": "mask", "on_hand": 200, "daily_use": 10},
        {"date": D, "warehouse_id": "W2", "region_code": V21, "item_code": "mask", "on_hand": 200, "daily_use": 0},
        {"date": D, "warehouse_id": "W1", "region_code": V11, "item_code": "suit", "on_hand": 50, "daily_use": 0},
        {"date": D, "warehouse_id": "W2", "region_code": V21, "item_code": "glove", "on_hand": 10, "daily_use": 1},
        {"date": D, "warehouse_id": "W1", "region_code": V11, "item_code": "glove", "on_hand": 100, "daily_use": 1},
        {"date": "2022-01-16", "warehouse_id": "W1", "region_code": V11, "item_code": "mask", "on_hand": 0,
         "daily_use": 10},
    ],
    "funds": [
        {"date": "2022-01-01", "source": "中央", "purpose": "核酸检测", "allocated": 100, "spent": 10},
        {"date": "2022-01-10", "source": "中央", "purpose": "核酸检测", "allocated": 100, "spent": 50},
        {"date": "2022-01-16", "source": "中央", "purpose": "核酸检测", "allocated": 200, "spent": 150},
        {"date": "2022-01-05", "source": "市级", "purpose": "物资", "allocated": 50, "spent": 25},
    ],
    "grid_units": [
        grid(T1, "李镇长"), grid(V11, "王书记"), grid(V12, "赵主任", missing=("has_materials",)), grid(G111, "钱组长"),
    ],
    "sentinel_sites": [
        {"site_id": "S1", "site_name": "一村卫生室", "site_type": "村卫生室", "region_code": V11},
        {"site_id": "S2", "site_name": "三村药店", "site_type": "药店", "region_code": V21},
    ],
    "sentinel_reports": [
        {"date": D, "site_id": "S1", "visits": 10},
        {"date": D, "site_id": "S2", "visits": 5},
        {"date": "2022-01-14", "site_id": "S1", "visits": 7},
    ],
    "publicity": [
        {"date": "2022-01-09", "region_code": V11, "channel": "村村响", "activities": 2},   # D-6: inside
        {"date": "2022-01-08", "region_code": V12, "channel": "宣传栏", "activities": 1},   # D-7: outside
        {"date": D, "region_code": V21, "channel": "微信", "activities": 3},
    ],
    # Reports (data/quality_rules.toml [reporting]): every table here is imported at test time, years
    # after each 34-hour deadline, by imports of fewer than 7 report days (not history loads), so every
    # report that came in is late and every one that did not is missing. Due on D: sentinel S1 S2 (in),
    # labs L1 L2 (in; L2 from its first report on D), publicity V11 V21 (a row in D-6..D) and V12 (none:
    # 01-08 is D-7), duty day (in) and night (none). Reserves are weekly from 2022-03-31: not due on D.
    "duty_roster": [
        {"date": "2022-01-14", "shift": "白班", "leader": "王指挥"},
        {"date": D, "shift": "白班", "leader": "王指挥"},
    ],
    "orders": [
        {"order_id": "o1", "issued_at": "2022-01-15 09:00", "task_force": "流调", "region_code": V11,
         "deadline": "2022-01-15 18:00"},                                                 # open, overdue
        {"order_id": "o2", "issued_at": "2022-01-14 10:00", "task_force": "转运",
         "deadline": "2022-01-15 23:59:59", "closed_at": "2022-01-16 08:00"},             # closed after D: overdue
        {"order_id": "o3", "issued_at": "2022-01-14 10:00", "task_force": "转运",
         "deadline": "2022-01-16 00:00"},                                                 # due at the end of D: not
        {"order_id": "o4", "issued_at": "2022-01-10 10:00", "task_force": "宣传",
         "deadline": "2022-01-12 00:00", "closed_at": "2022-01-15 23:00"},                # closed on D: not
        {"order_id": "o5", "issued_at": "2022-01-16 01:00", "task_force": "宣传",
         "deadline": "2022-01-16 02:00"},                                                 # not issued yet
    ],
    "supervision": [
        {"issue_id": "s1", "found_date": "2022-01-10", "region_code": V11, "due_date": "2022-01-14"},   # overdue
        {"issue_id": "s2", "found_date": "2022-01-10", "region_code": V11, "due_date": D},              # due on D: not
        {"issue_id": "s3", "found_date": "2022-01-10", "region_code": V12, "due_date": "2022-01-12",
         "rectified_date": D},                                                                          # done on D
        {"issue_id": "s4", "found_date": "2022-01-10", "region_code": V21, "due_date": "2022-01-12",
         "rectified_date": "2022-01-16"},                                                               # overdue
    ],
    "vaccinations": [
        {"date": "2022-01-10", "region_code": T1, "age_group": "18-59", "dose": "全程", "doses": 300},
        {"date": "2022-01-16", "region_code": T1, "age_group": "18-59", "dose": "全程", "doses": 100},
        {"date": D, "region_code": T2, "age_group": "60+", "dose": "全程", "doses": 100},
        {"date": D, "region_code": T1, "age_group": "18-59", "dose": "第一剂", "doses": 50},
    ],
}

EXPECTED_CITY = {
    "cases_new": 1,                      # c1
    "cases_confirmed_cumulative": 4,     # c1 c3 c4 c6
    "cases_active": 3,                   # c1 c4 c6
    "contacts_in_quarantine": 2,         # k2 k4
    "returnees_registered": 5,           # all but r4
    "returnees_arrived_today": 1,        # r1
    "returnees_under_measure": 1,        # r1 (r2 released on D, r3 moved out, r6 starts D+1)
    "test_capacity_use_pct": 66.7,       # (900 + 100) / (1000 + 500)
    "days_to_test_everyone": 0.10,       # 1000 / (1000*10 + 500*1) = 0.0952
    "reserve_items_below_target": 0,     # mask 400/10 = 40 d, glove 110/2 = 55 d, suit no use
    "funds_execution_pct": 50.0,         # (50 + 25) / (100 + 50): latest rows <= D
    "grid_complete_pct": 75.0,           # 3 of 4 units
    "villages_without_grid_owner": 1,    # V21
    "sentinel_visits_today": 15,         # 10 + 5
    "publicity_coverage_7d_pct": 66.7,   # V11 (D-6), V21 (D) of 3 villages
    "orders_open_overdue": 2,            # o1 o2
    "supervision_open_overdue": 2,       # s1 s4
    "vaccination_full_pct": 40.0,        # (300 + 100) / 1000
    "reports_complete_pct": 77.8,        # 7 of 9 due: S1 S2 L1 L2 V11 V21 day; V12 and night missing
    "reports_on_time_pct": 0.0,          # 0 of the 7, all late
    "reports_missing": 2,                # V12, night shift
}

EXPECTED_T1 = {
    "cases_new": 1, "cases_confirmed_cumulative": 2, "cases_active": 1, "contacts_in_quarantine": 1,
    "returnees_registered": 3,           # r1 r2 r6 (r6 lives in group G111 under V11)
    "returnees_arrived_today": 1, "returnees_under_measure": 1,
    "test_capacity_use_pct": 90.0,       # L1 only: 900 / 1000
    "days_to_test_everyone": 0.06,       # 600 / 10500 = 0.0571 (labs serve the whole city)
    "reserve_items_below_target": 1,     # mask at W1: 200/10 = 20 d < 30; glove 100 d
    "funds_execution_pct": 50.0,         # funds are city-wide
    "grid_complete_pct": 75.0, "villages_without_grid_owner": 0,
    "sentinel_visits_today": 10,
    "publicity_coverage_7d_pct": 50.0,   # V11 of V11, V12
    "orders_open_overdue": 1,            # o1 (o2 has no region: city only)
    "supervision_open_overdue": 1,       # s1
    "vaccination_full_pct": 50.0,        # 300 / 600
    "reports_complete_pct": 75.0,        # S1 L1 V11 of S1 L1 V11 V12 (L2 and the duty roster: city only)
    "reports_on_time_pct": 0.0,
    "reports_missing": 1,                # V12
}


@pytest.fixture(scope="module")
def kpi_db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("kpis") / "kpis.duckdb", TABLES)


def values(db, **params):
    df = db.query("kpis", **params)
    return {k: (None if v != v else round(float(v), 2)) for k, v in zip(df["kpi"], df["value"])}


def test_city_scope(kpi_db):
    got = values(kpi_db, as_of=D)
    assert {k: got[k] for k in EXPECTED_CITY} == EXPECTED_CITY


def test_city_code_is_the_same_as_no_scope(kpi_db):
    assert values(kpi_db, as_of=D, region_code=C) == values(kpi_db, as_of=D)


def test_township_scope(kpi_db):
    got = values(kpi_db, as_of=D, region_code=T1)
    assert {k: got[k] for k in EXPECTED_T1} == EXPECTED_T1


def test_other_township_and_village_scope(kpi_db):
    t2 = values(kpi_db, as_of=D, region_code=T2)
    assert t2["test_capacity_use_pct"] is None           # no lab in T2
    assert t2["days_to_test_everyone"] == 0.04           # 400 / 10500
    assert t2["reserve_items_below_target"] == 1         # glove at W2: 10 d; mask at W2 has no use
    assert t2["grid_complete_pct"] is None               # no grid unit at all
    assert t2["villages_without_grid_owner"] == 1
    assert t2["vaccination_full_pct"] == 25.0            # 100 / 400
    v11 = values(kpi_db, as_of=D, region_code=V11)
    assert v11["returnees_registered"] == 2              # r1 and r6 (in group G111)
    assert v11["grid_complete_pct"] == 100.0             # V11 and G111
    assert v11["publicity_coverage_7d_pct"] == 100.0
    assert (t2["reports_complete_pct"], t2["reports_missing"]) == (100.0, 0)    # S2, V21
    assert (v11["reports_complete_pct"], v11["reports_missing"]) == (100.0, 0)  # S1, L1, V11


def test_a_day_without_capacity_rows_gives_no_capacity_figures(kpi_db):
    got = values(kpi_db, as_of="2022-01-14")
    assert got["test_capacity_use_pct"] is None and got["days_to_test_everyone"] is None
    assert got["cases_new"] == 1                         # c6
    assert got["sentinel_visits_today"] == 7
    # reports due on 01-14: S1 (in) S2; L1 (in since 01-13; its rows are 01-13 and D, L2 not yet);
    # publicity V11 (01-09) V12 (01-08) in 01-08..01-14, V21 not; duty day (in), night
    assert (got["reports_complete_pct"], got["reports_missing"]) == (50.0, 4)  # 4 of 8


def test_the_day_after(kpi_db):
    got = values(kpi_db, as_of="2022-01-16")
    assert got["cases_new"] == 1                         # c2
    assert got["cases_active"] == 3                      # c1 c2 c6 (c4 discharged on D+1)
    assert got["returnees_under_measure"] == 2           # r1, r6
    assert got["funds_execution_pct"] == 70.0            # (150 + 25) / (200 + 50)
    assert got["vaccination_full_pct"] == 50.0           # (300 + 100 + 100) / 1000
    assert got["orders_open_overdue"] == 3               # o1, o3 (due 00:00 on D+1), o5; o2 closed on D+1


def test_records_behind_each_count_match_the_count(kpi_db):
    from sitrep import catalogue

    counted = {"cases_new", "cases_confirmed_cumulative", "cases_active", "contacts_in_quarantine",
               "returnees_registered", "returnees_arrived_today", "returnees_under_measure",
               "villages_without_grid_owner", "orders_open_overdue", "supervision_open_overdue",
               "returnees_tests_overdue", "returnees_release_overdue", "returnees_misclassified",
               "returnees_tests_due_tomorrow"}
    for scope in (None, T1, T2, V11):
        got = values(kpi_db, as_of=D, region_code=scope)
        for kpi in catalogue.load():
            if kpi.key in counted:
                rows = kpi_db.query(kpi.records, as_of=D, region_code=scope)
                assert len(rows) == got[kpi.key], (kpi.key, scope)
        below = kpi_db.query("kpi_records_reserve_items_below_target", as_of=D, region_code=scope)
        assert int(below["below_target"].sum()) == got["reserve_items_below_target"], scope
        reports = kpi_db.query(catalogue.by_key()["reports_missing"].records, as_of=D, region_code=scope)
        assert (reports["status"] == "missing").sum() == got["reports_missing"], scope
        received = reports["status"].isin(["on_time", "late", "unknown"]).sum()
        assert round(100 * received / len(reports), 1) == got["reports_complete_pct"], scope


def test_cli_prints_the_same_values(kpi_db):
    r = subprocess.run([sys.executable, "-m", "sitrep", "query", "kpis", "--db", str(kpi_db.path),
                        "--param", f"as_of={D}", "--param", f"region_code={T1}", "--format", "json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    printed = {row["kpi"]: row["value"] for row in json.loads(r.stdout)}
    assert {k: printed[k] for k in EXPECTED_T1} == EXPECTED_T1


def test_control_kpis_in_kpis_sql_equal_the_control_query(demo_db):
    """kpis.sql folds in the precise-control KPIs; they agree with queries/returnee_control_kpis.sql."""
    from sitrep.db import Database

    db = Database(demo_db)
    for as_of in ("2022-01-25", "2022-02-20"):
        for scope in (None, "451481001000"):
            all_kpis = dict(zip(*db.query("kpis", as_of=as_of, region_code=scope)[["kpi", "value"]].T.values))
            control = dict(zip(*db.query("returnee_control_kpis", as_of=as_of, region_code=scope)[["kpi", "value"]].T.values))
            assert control and {k: all_kpis[k] for k in control} == control

"""Alerts (sitrep.alerts): sentinel runs, local cases and red KPIs on a hand-built city with every number worked
out below; the KPI history agrees with queries/kpis.sql; signals computed once serve every day; identities
survive a rebuild; the demo's sentinel alert comes before its first local case; the Monitoring page lists,
explains and records a response; the alerts command.

The city (tests/builders.tiny_regions): 城东街道 T1 (东门社区 V1, 南门社区, 西门社区) and 河西镇 T2 (上村 with groups,
下村). Only T1 and 东门社区 have grid units, so 4 of 5 villages lack a grid owner (red at the city from the first
day). Sentinel reports 2022-01-01..01-24:

- S1, fever clinic in 东门社区: 10 on odd days, 12 on even days, 30 on 15 and 16 Jan. C2 on 15 Jan uses the 7
  days 6..12 Jan (12, 10, 12, 10, 12, 10, 12): mean 78/7, sd 1.0690; C2 = (30 - 11.143) / 1.069 = 17.6 >= 3.
  16 Jan (baseline 7..13 Jan) alarms too; 17 Jan does not. One run 15..16 Jan: raised on the 16th.
- S2, pharmacy in 东门社区: 20 every day, 40 on 18 Jan: C2 = 20 / 0.5 (sd 0 floored at min_sigma) = 40, but one
  day only: no alert (two consecutive days needed).
- S3, pharmacy in 上村: 5 every day: nothing.

Orders in 东门社区: five issued 10 Jan, due 12 Jan 00:00, open: 5 overdue from 12 Jan (red at 5); one closed
14 Jan 10:00, so 4 from 14 Jan; a sixth issued 16 Jan, due 16 Jan 12:00, open: 5 again from 16 Jan. So two red
runs at T1 and at the city: 12..13 Jan and from 16 Jan.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tomllib
from datetime import date, timedelta
from statistics import mean, stdev

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from builders import build_db, open_page, tiny_regions
from sitrep import alerts, catalogue
from sitrep.alerts.config import DEFAULT_CONFIG, KPI_HISTORY, AlertConfigError, config_from_dict
from sitrep.db import ROOT, Database
from sitrep.figures import alerts as fig
from sitrep.alert_responses import AlertRef, StateStore

CITY, T1, T2 = "451481000000", "451481001000", "451481002000"
V1, V_SHANG, G_SHANG = "451481001001", "451481002001", "451481002001001"
FIRST, LAST = date(2022, 1, 1), date(2022, 1, 24)


def days():
    d = FIRST
    while d <= LAST:
        yield d
        d += timedelta(days=1)


def s1(d: date) -> int:
    return 30 if d.day in (15, 16) else (10 if d.day % 2 else 12)


def grid(code, person, phone, level):
    return {"region_code": code, "responsible_person": person, "phone": phone, "responsible_level": level,
            **{h: "是" for h in ("has_guide", "has_system_owner", "has_materials", "has_medical_support",
                                 "has_isolation_transfer")}}


def order(n, issued, deadline, closed=None):
    return {"order_id": f"o{n}", "issued_at": issued, "task_force": "流调", "region_code": V1, "deadline": deadline,
            "closed_at": closed}


TABLES = {
    "regions": tiny_regions(),
    "grid_units": [grid(T1, "李镇长", "13800000001", "市级领导"), grid(V1, "王书记", "13800000002", "乡镇干部")],
    "sentinel_sites": [
        {"site_id": "S1", "site_name": "东门发热门诊", "site_type": "发热门诊", "region_code": V1},
        {"site_id": "S2", "site_name": "东门药店", "site_type": "药店", "region_code": V1},
        {"site_id": "S3", "site_name": "上村药店", "site_type": "药店", "region_code": V_SHANG},
    ],
    "sentinel_reports": [r for d in days() for r in (
        {"date": d, "site_id": "S1", "visits": s1(d)},
        {"date": d, "site_id": "S2", "visits": 40 if d.day == 18 else 20},
        {"date": d, "site_id": "S3", "visits": 5},
    )],
    "cases": [
        {"case_id": "c1", "report_date": "2022-01-17", "onset_date": "2022-01-16", "category": "确诊病例",
         "source": "本土", "found_by": "发热门诊", "region_code": V1, "cluster_id": "JQ1"},
        {"case_id": "c2", "report_date": "2022-01-18", "category": "确诊病例", "source": "境外输入", "region_code": V1},
        {"case_id": "c3", "report_date": "2022-01-18", "category": "疑似病例", "source": "本土", "region_code": V1},
        {"case_id": "c4", "report_date": "2022-01-19", "category": "无症状感染者", "source": "本土",
         "region_code": G_SHANG},
    ],
    "orders": [*(order(n, "2022-01-10 09:00", "2022-01-12 00:00") for n in range(1, 5)),
               order(5, "2022-01-10 09:00", "2022-01-12 00:00", "2022-01-14 10:00"),
               order(6, "2022-01-16 08:00", "2022-01-16 12:00")],
    "duty_roster": [{"date": d, "shift": "白班", "leader": "赵指挥"} for d in days()],
    "publicity": [{"date": d, "region_code": v["region_code"], "channel": "村村响", "activities": 1}
                  for d in days() for v in tiny_regions() if v["level"] == "village"],
}


def config(**changes):
    raw = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, name = key.split("__")
        raw[section][name] = value
    return config_from_dict(raw)


@pytest.fixture(scope="module")
def city_db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("alerts") / "city.duckdb", TABLES)


def listed(db, as_of, scope=None, **cfg):
    return alerts.compute_alerts(db, as_of=as_of, region_code=scope, config=config(**cfg))


def by_id(df):
    return df.set_index("alert_id")


# ------------------------------------------------------------------ sentinel


def test_a_sentinel_series_raises_an_alert_on_its_second_alarm_day(city_db):
    assert listed(city_db, "2022-01-15").query("kind == 'sentinel'").empty      # one alarm day so far
    df = listed(city_db, "2022-01-16")
    a = by_id(df).loc["sentinel:451481001000:visits.fever_clinic:2022-01-15"]
    baseline = [s1(date(2022, 1, d)) for d in range(6, 13)]
    m, sd = mean(baseline), stdev(baseline)
    assert (a["start_day"], a["last_day"], a["raised_day"], a["run_days"], a["active"]) == \
        (date(2022, 1, 15), date(2022, 1, 16), date(2022, 1, 16), 2, True)
    # on the last alarm day (16 Jan) the baseline is 7..13 Jan: 10, 12, 10, 12, 10, 12, 10
    last = [s1(date(2022, 1, d)) for d in range(7, 14)]
    assert a["value"] == 30 and a["baseline"] == pytest.approx(mean(last))
    assert a["spread"] == pytest.approx(stdev(last))
    assert a["threshold"] == pytest.approx(mean(last) + 3 * stdev(last))
    assert a["statistic"] == pytest.approx((30 - mean(last)) / stdev(last))
    assert (30 - m) / sd == pytest.approx(17.64, abs=0.01)        # 15 Jan, as in the module docstring
    assert (a["place_name"], a["township_name"], a["responsible_person"], a["phone"], a["responsible_level"]) == \
        ("城东街道", "城东街道", "李镇长", "13800000001", "city_leader")


def test_an_ended_alert_stays_listed_keep_days_after_its_last_day(city_db):
    aid = "sentinel:451481001000:visits.fever_clinic:2022-01-15"
    a = by_id(listed(city_db, "2022-01-17")).loc[aid]
    assert not a["active"] and a["last_day"] == date(2022, 1, 16)
    assert aid in set(listed(city_db, "2022-01-22")["alert_id"])       # 16 Jan + 6
    assert aid not in set(listed(city_db, "2022-01-23")["alert_id"])
    assert aid in set(listed(city_db, "2022-01-23", list__keep_days=8)["alert_id"])


def test_a_single_alarm_day_raises_nothing_unless_one_day_is_enough(city_db):
    pharmacy = "sentinel:451481001000:visits.pharmacy:2022-01-18"
    assert pharmacy not in set(listed(city_db, "2022-01-18")["alert_id"])
    a = by_id(listed(city_db, "2022-01-18", sentinel__min_run_days=1)).loc[pharmacy]
    assert (a["statistic"], a["baseline"], a["spread"], a["threshold"]) == (40.0, 20.0, 0.0, 21.5)  # sd floor 0.5


# ------------------------------------------------------------------ cases


def test_every_local_case_is_an_alert_on_its_report_day(city_db):
    df = by_id(listed(city_db, "2022-01-19").query("kind == 'case'"))
    assert sorted(df.index) == ["case:451481001001:c1:2022-01-17", "case:451481002001001:c4:2022-01-19"]
    c1, c4 = df.loc["case:451481001001:c1:2022-01-17"], df.loc["case:451481002001001:c4:2022-01-19"]
    assert (c1["place_name"], c1["responsible_person"], c1["responsible_level"], c1["category"], c1["found_by"],
            c1["onset_date"], c1["cluster_id"], c1["active"]) == \
        ("东门社区", "王书记", "township_cadre", "confirmed", "fever_clinic", date(2022, 1, 16), "JQ1", False)
    # a case recorded at a group: its village, which has no grid owner
    assert (c4["place_name"], c4["township_name"], c4["responsible_person"], c4["active"]) == \
        ("上村", "河西镇", None, True)
    # imported (c2) and suspected (c3) cases raise nothing; a case leaves the list keep_days after its day
    assert "case:451481001001:c1:2022-01-17" not in set(listed(city_db, "2022-01-24")["alert_id"])
    both = listed(city_db, "2022-01-19", cases__sources=["local", "overseas"]).query("kind == 'case'")
    assert sorted(both["case_id"]) == ["c1", "c2", "c4"]


# ------------------------------------------------------------------ KPIs


def test_red_kpis_at_the_city_and_each_township_with_since_when(city_db):
    df = by_id(listed(city_db, "2022-01-17").query("kind == 'kpi'"))
    assert sorted(df.index) == [
        "kpi:451481000000:orders_open_overdue:2022-01-12", "kpi:451481000000:orders_open_overdue:2022-01-16",
        "kpi:451481000000:villages_without_grid_owner:2022-01-01",
        "kpi:451481001000:orders_open_overdue:2022-01-12", "kpi:451481001000:orders_open_overdue:2022-01-16",
    ]
    earlier, now = df.loc["kpi:451481001000:orders_open_overdue:2022-01-12"], \
        df.loc["kpi:451481001000:orders_open_overdue:2022-01-16"]
    assert (earlier["last_day"], earlier["active"], earlier["value"]) == (date(2022, 1, 13), False, 5.0)
    assert (now["run_days"], now["active"], now["value"], now["baseline"], now["threshold"]) == (2, True, 5.0, 1, 5)
    city = df.loc["kpi:451481000000:villages_without_grid_owner:2022-01-01"]
    assert (city["value"], city["place_name"], city["place_level"], city["township_code"],
            city["responsible_person"], city["responsible_level"]) == (4.0, "示范市", "city", None, "赵指挥",
                                                                       "duty_leader")
    # the townships have 2 villages each without an owner: amber, no alert
    assert not any(i.startswith("kpi:45148100") and "villages_without" in i and not i.startswith(f"kpi:{CITY}")
                   for i in df.index)


def test_an_excluded_kpi_raises_nothing(city_db):
    df = listed(city_db, "2022-01-17", kpi__exclude=["cases_new", "sentinel_alarms_today", "orders_open_overdue"])
    assert "orders_open_overdue" not in set(df["kpi"].dropna())


def test_the_scope_lists_its_places_and_a_village_also_its_townships(city_db):
    city = listed(city_db, "2022-01-19")
    t2 = listed(city_db, "2022-01-19", T2)
    assert t2["alert_id"].tolist() == ["case:451481002001001:c4:2022-01-19"]
    village = listed(city_db, "2022-01-19", V1)
    assert sorted(village["alert_id"]) == sorted(
        i for i in city["alert_id"] if i.startswith(("case:451481001001:", "sentinel:451481001000:",
                                                     "kpi:451481001000:")))
    assert set(village["kind"]) == {"case", "sentinel", "kpi"}
    # the same alert at every scope
    assert set(village["alert_id"]) <= set(city["alert_id"])


def test_open_first_then_acknowledged_then_closed(city_db, tmp_path):
    df = listed(city_db, "2022-01-17")
    store = StateStore(tmp_path / "s.sqlite3")
    refs = {r["alert_id"]: AlertRef.from_row(r) for _, r in df.iterrows()}
    store.close(refs["kpi:451481000000:villages_without_grid_owner:2022-01-01"], "甲")
    store.acknowledge(refs["sentinel:451481001000:visits.fever_clinic:2022-01-15"], "乙")
    out = alerts.attach_status(df, store.statuses())
    assert out["status"].tolist() == ["open"] * (len(df) - 2) + ["acknowledged", "closed"]
    opened = out[out["status"] == "open"]
    assert opened["active"].tolist() == sorted(opened["active"], reverse=True)   # going on before ended


# ------------------------------------------------------------------ identity and signals


def test_identities_survive_rebuilding_the_database(city_db, tmp_path):
    again = build_db(tmp_path / "rebuilt.duckdb", TABLES)
    first, second = listed(city_db, "2022-01-19"), listed(again, "2022-01-19")
    assert first["alert_id"].tolist() == second["alert_id"].tolist()
    store = StateStore(tmp_path / "s.sqlite3")
    store.acknowledge(AlertRef.from_row(first.iloc[0]), "李明", "处置中")
    assert alerts.attach_status(second, store.statuses()).query("status == 'acknowledged'")["alert_id"].tolist() == \
        [first["alert_id"].iloc[0]]


def test_signals_up_to_a_later_day_give_the_same_alerts(city_db):
    signals = alerts.compute_signals(city_db, config=config())
    assert signals.until == LAST
    for d in ("2022-01-12", "2022-01-16", "2022-01-19"):
        for scope in (None, T1, V1, T2):
            direct = listed(city_db, d, scope)
            shared = alerts.compute_alerts(city_db, as_of=d, region_code=scope, config=config(), signals=signals)
            pd.testing.assert_frame_equal(direct, shared)


def test_the_series_behind_an_explanation(city_db):
    signals = alerts.compute_signals(city_db, config=config())
    a = by_id(listed(city_db, "2022-01-17")).loc["sentinel:451481001000:visits.fever_clinic:2022-01-15"]
    s = alerts.sentinel_series(signals, a, as_of="2022-01-17", days=5)
    assert s["date"].tolist() == [date(2022, 1, d) for d in range(13, 18)]
    assert s["y"].tolist() == [10, 12, 30, 30, 10] and s["alarm"].tolist() == [False, False, True, True, False]
    k = by_id(listed(city_db, "2022-01-17")).loc["kpi:451481001000:orders_open_overdue:2022-01-16"]
    assert alerts.kpi_series(signals, k, as_of="2022-01-17", days=7)["value"].tolist() == [0, 5, 5, 4, 4, 5, 5]
    c = by_id(listed(city_db, "2022-01-19")).loc["case:451481001001:c1:2022-01-17"]
    cs = alerts.case_series(city_db, c, as_of="2022-01-19", config=config())
    assert len(cs) == 28 and cs.set_index("date")["cases"].to_dict()[date(2022, 1, 17)] == 1
    assert cs["cases"].sum() == 1      # T1's local cases only (c4 is in T2; c2 imported, c3 suspected)


# ------------------------------------------------------------------ the KPI history is the KPI cube's


def test_kpi_history_has_every_catalogue_kpi_for_the_city_and_each_township(tmp_path):
    from test_kpis import TABLES as KPI_TABLES, T1 as K1, T2 as K2

    db = build_db(tmp_path / "kpis.duckdb", KPI_TABLES)
    hist = db.query("alerts_kpi_daily", as_of="2022-01-16", date_from="2022-01-14")
    assert set(hist["kpi"]) == set(KPI_HISTORY) == {k.key for k in catalogue.load()}
    assert set(hist["place_code"]) == {CITY, K1, K2}
    assert set(hist[hist["kpi"] == "funds_execution_pct"]["place_code"]) == {CITY}  # funds carry no region
    t1 = hist[(hist["place_code"] == K1) & (hist["kpi"] == "cases_active")]
    assert t1["value"].tolist() == [1.0, 1.0, 2.0]  # c3; c1 (c3 discharged on 01-15); c1, c2 (tests/test_kpis.py)


def test_every_red_kpi_of_the_catalogue_has_a_history_or_is_excluded():
    cfg = alerts.load_alert_config()
    thresholded = {k.key for k in catalogue.load() if k.red is not None}
    assert thresholded == set(cfg.alert_kpis()) | set(cfg.kpi_exclude)
    assert set(cfg.alert_kpis()) <= set(KPI_HISTORY)


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize("change, message", [
    ({"sentinel__statistics": ["c4"]}, "unknown 'c4'"),
    ({"sentinel__min_run_days": 0}, "min_run_days = 0 must be an integer >= 1"),
    ({"sentinel__metric": "calls"}, "metric = 'calls'"),
    ({"kpi__exclude": ["cases_confirmed_cumulative"]}, "unknown 'cases_confirmed_cumulative'; known: cases_new"),
    ({"cases__sources": ["abroad"]}, "unknown 'abroad'"),
    ({"list__keep_days": True}, "keep_days = True"),
])
def test_bad_settings_say_what_is_wrong(change, message):
    with pytest.raises(AlertConfigError, match=message):
        config(**change)


def test_unknown_and_missing_keys_are_errors():
    raw = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["sentinel"]["statistic"] = ["c2"]
    with pytest.raises(AlertConfigError, match=r"\[sentinel\] unknown key\(s\) statistic"):
        config_from_dict(raw)
    raw = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    del raw["list"]["keep_days"]
    with pytest.raises(AlertConfigError, match="missing key keep_days"):
        config_from_dict(raw)


def test_a_kpi_with_thresholds_but_no_history_must_be_excluded(monkeypatch):
    import sitrep.alerts.config as c

    monkeypatch.setattr(c, "KPI_HISTORY", tuple(k for k in KPI_HISTORY if k != "cases_active"))
    with pytest.raises(AlertConfigError, match="cases_active have thresholds but no daily history"):
        config()


# ------------------------------------------------------------------ the demo


def test_the_demo_cluster_fires_a_sentinel_alert_before_its_first_local_case(demo_db):
    db = Database(demo_db)
    first = db.rows("select report_date, left(region_code, 9) || '000' from cases where source = 'local' "
                    "order by report_date limit 1")[0]
    first_day, township = first
    signals = alerts.compute_signals(db)
    raised = None
    for k in range(14, 0, -1):
        d = first_day - timedelta(days=k)
        df = alerts.compute_alerts(db, as_of=d, signals=signals)
        hits = df[(df["kind"] == "sentinel") & (df["place_code"] == township)]
        if not hits.empty:
            raised = hits["raised_day"].min()
            break
    assert raised is not None and raised < first_day
    print(f"\nsentinel alert in {township} raised {raised}, first local case reported {first_day}")


def bench_alerts_demo(db_path) -> dict:
    """Benchmark (not a test): the alert list of one day for the whole city. Run by hand, e.g.
    ``python -c "import sys; sys.path.insert(0, 'tests'); from test_alerts import bench_alerts_demo;
    print(bench_alerts_demo('/tmp/demo20.duckdb'))"``."""
    return alerts.bench_alerts(Database(db_path))


# ------------------------------------------------------------------ figures


def test_the_explanation_charts_show_the_band_the_thresholds_and_the_case_day():
    s = pd.DataFrame({"date": [date(2022, 1, d) for d in (14, 15, 16)], "y": [10, 30, 30],
                      "c2_mean": [11.0, 11.0, 11.0], "upper": [14.0, 14.0, 14.0], "alarm": [False, True, True]})
    f = fig.sentinel_chart(s, start_day=date(2022, 1, 15), last_day=date(2022, 1, 16),
                           labels={"y": "y", "baseline": "b", "upper": "u", "alarm": "a", "run": "r"})
    names = [t.name for t in f.data]
    assert names == ["b", "u", "y", "a"] and f.data[1].fill == "tonexty" and list(f.data[3].y) == [30, 30]
    k = fig.kpi_chart(pd.DataFrame({"date": [date(2022, 1, 1), date(2022, 1, 2)], "value": [4, 6]}), amber=1, red=5,
                      up_is_good=False, start_day=date(2022, 1, 2), last_day=date(2022, 1, 2),
                      labels={"value": "v", "amber": "amber", "red": "red", "began": "began"})
    rects = [s for s in k.layout.shapes if s.type == "rect"]
    assert [(r.y0, r.fillcolor) for r in rects] == [(5, "#D7191C"), (1, "#E69F00")]
    c = fig.case_chart(pd.DataFrame({"date": [date(2022, 1, 1), date(2022, 1, 2)], "cases": [0, 1]}),
                       report_day=date(2022, 1, 2), labels={"cases": "c", "threshold": "t"})
    assert list(c.data[0].marker.color) == [fig.PALETTE[8], fig.ALARM]


def test_rt_chart_marks_windows_with_too_few_cases_instead_of_a_number():
    # the thin window has numbers (sitrep.warning.rt reports every window, as EpiEstim): the chart leaves them out
    df = pd.DataFrame({"date_end": [date(2022, 1, d) for d in (10, 11, 12)], "median": [3.1, 1.4, 1.2],
                       "q025": [0.2, 0.9, 0.8], "q975": [9.5, 2.0, 1.7], "enough_cases": [False, True, True]})
    f = fig.rt_chart(df, labels={"median": "m", "interval": "i", "one": "1", "too_few": "few"})
    median = next(t for t in f.data if t.name == "m")
    assert pd.isna(median.y[0]) and list(median.y[1:]) == [1.4, 1.2]
    assert len(next(t for t in f.data if t.name == "few").x) == 1
    assert all(pd.isna(t.y[0]) for t in f.data if t.name in ("m", "i")) and f.layout.yaxis.range[1] == 2.2


# ------------------------------------------------------------------ the page and the command


def test_the_monitoring_page_lists_explains_and_records_a_response(city_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SITREP_DB", str(city_db.path))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    at = open_page("monitoring", lang="zh", as_of="2022-01-16")
    table = next(df.value for df in at.dataframe if "预警" in df.value.columns)
    first = table.iloc[0]
    # open first, going on first, the newest first: the sentinel alert and the orders overdue again were both
    # raised on 16 Jan (sentinel before KPI)
    assert first["处置状态"] == "待处置"
    assert first["预警"] == "城东街道发热门诊就诊/购药人次异常升高(连续2天)"
    assert first["责任人"] == "李镇长(市级领导)"
    ids = [b.proto.id for b in at.get("download_button")]
    assert [k for k in ("csv_alerts_list", "xlsx_alerts_list") if any(i.endswith(k) for i in ids)] == \
        ["csv_alerts_list", "xlsx_alerts_list"], "the alert list downloads as CSV and XLSX like every table"
    headings = [m.value for m in at.markdown]
    assert any("**责任人**: 李镇长(市级领导) · 138****0001" in m for m in headings)   # the phone masked
    assert "#### 城东街道发热门诊就诊/购药人次异常升高(连续2天)" in headings
    assert any("C2 =(当日值 − 3至9天前7天均值)÷ 标准差 ≥ 3" in m for m in headings)
    at.text_input(key="alerts_who").input("李明")
    at.text_area(key="alerts_note").input("已通知东门社区卫生服务站")
    next(b for b in at.button if b.label == "确认收到").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("已确认:城东街道发热门诊" in s.value for s in at.success)
    st = StateStore(tmp_path / "state.sqlite3").statuses().set_index("alert_id")
    row = st.loc["sentinel:451481001000:visits.fever_clinic:2022-01-15"]
    assert (row["status"], row["acknowledged_by"], row["acknowledge_note"]) == \
        ("acknowledged", "李明", "已通知东门社区卫生服务站")
    assert len(st) == len(listed(city_db, "2022-01-16"))      # every listed alert was recorded as first listed
    table = next(df.value for df in at.dataframe if "预警" in df.value.columns)
    assert table["处置状态"].tolist()[-1] == "已确认"
    # the empty name is refused with a message
    at.text_input(key="alerts_who").input("")
    next(b for b in at.button if b.label == "处置完毕,关闭预警").click().run()
    assert [e.value for e in at.error] == ["请填写处置人。"]


def test_open_alerts_summary_folds_a_villages_cases_into_one_row(city_db, tmp_path, monkeypatch):
    from sitrep.ui import alerts as ui_alerts
    from sitrep.ui.state import View

    monkeypatch.setenv("SITREP_DB", str(city_db.path))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    view = View(as_of=date(2022, 1, 19), scope=None, lang="en", min_date=FIRST, max_date=LAST)
    df = ui_alerts.open_alerts_summary(view)
    assert df.columns.tolist() == ["item", "where", "since", "responsible", "phone"]
    rows = {(r.item, r.where): r for r in df.itertuples()}
    assert rows[("1 local cases open", "东门社区")].responsible == "王书记 (Township cadre)"
    assert rows[("Sentinel alert: Fever clinic visits above normal", "城东街道")].phone == "13800000001"
    assert rows[("KPI alert: Villages without a grid owner 4", "示范市")].responsible == "赵指挥 (leader on duty)"


def test_the_alerts_command_prints_the_list_as_json(city_db, tmp_path):
    state = tmp_path / "state.sqlite3"
    out = subprocess.run([sys.executable, "-m", "sitrep", "alerts", "--db", str(city_db.path), "--as-of", "2022-01-19",
                          "--region", T2, "--json", "--lang", "en", "--state", str(state), "--record"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["as_of"] == "2022-01-19" and [a["alert_id"] for a in data["alerts"]] == \
        ["case:451481002001001:c4:2022-01-19"]
    assert data["alerts"][0]["title"] == "上村: local case c4 (Asymptomatic)" and data["alerts"][0]["status"] == "open"
    assert len(StateStore(state).statuses()) == 1        # --record
    bad = subprocess.run([sys.executable, "-m", "sitrep", "alerts", "--db", str(city_db.path), "--as-of", "yesterday"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "--as-of" in bad.stderr


# ------------------------------------------------------------------ Rt on the Cases page


def test_the_cases_page_shows_rt_and_the_doubling_time(tmp_path, monkeypatch):
    """Local cases growing by one a day (2, 3, ..., 21 on 1..20 Jan) in 东门社区: every 7-day window from the
    second week holds well over 12 local cases, so Rt has a number; the last 7 days hold 15+..+21 = 126 cases and
    the 7 before 8+..+14 = 77, so the doubling time is ln 2 / (ln(126/77) / 7) = 9.85 days."""
    from sitrep.warning import rt

    cases = [{"case_id": f"k{d}-{i}", "report_date": date(2022, 1, d), "onset_date": date(2022, 1, d),
              "category": "确诊病例", "source": "本土", "region_code": V1}
             for d in range(1, 21) for i in range(d + 1)]
    db = build_db(tmp_path / "rt.duckdb", {"regions": tiny_regions(), "cases": cases})
    monkeypatch.setenv("SITREP_DB", str(db.path))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    at = open_page("cases", lang="en", as_of="2022-01-20")
    est = rt.rt_from_db(db, as_of="2022-01-20")
    last = est.iloc[-1]
    assert bool(last["enough_cases"]) and last["local_cases"] == sum(range(15, 22))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Latest Rt"] == f"{last['median']:.2f} ({last['q025']:.2f}–{last['q975']:.2f})"
    assert metrics["Doubling / halving time"] == "doubles in 9.9 days"
    chart = json.loads(at.get("plotly_chart")[-1].proto.spec)
    median = next(t for t in chart["data"] if t.get("name") == "Rt median")
    y = median["y"]
    if isinstance(y, dict):  # plotly sends numeric arrays as base64
        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    assert y[-1] == pytest.approx(last["median"])


def _cases_page(db, state, as_of: str) -> AppTest:
    return open_page("cases", lang="en", as_of=as_of)


def test_with_too_few_cases_the_cases_page_says_so_instead_of_a_number(city_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SITREP_DB", str(city_db.path))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    at = _cases_page(city_db, tmp_path, "2022-01-19")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Latest Rt"] == "too few cases" and metrics["Doubling / halving time"] == "too few cases"
    # the series starts on c1's onset (16 Jan): 4 days are too few for one window after the serial interval
    assert [i.value for i in at.info if i.value.startswith("No case in scope")]
    # 9 days: two windows; c1, on the first day, counts as imported (EpiEstim), so each holds c4 alone
    at = _cases_page(city_db, tmp_path, "2022-01-24")
    assert any(i.value.startswith("Every 7-day window up to this day holds fewer than 12 local cases")
               and i.value.endswith("holds 1.") for i in at.info), [i.value for i in at.info]


def test_response_times_in_the_views_language(city_db, tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from sitrep.ui import alerts as ui_alerts
    from sitrep.ui.state import View

    monkeypatch.setenv("SITREP_DB", str(city_db.path))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    df = listed(city_db, "2022-01-19")
    store = StateStore(tmp_path / "state.sqlite3")
    t0 = datetime(2022, 1, 19, 8, tzinfo=timezone.utc)
    refs = {r["alert_id"]: AlertRef.from_row(r) for _, r in df.iterrows()}
    store.record_seen(refs.values(), now=t0)
    store.acknowledge(refs["case:451481001001:c1:2022-01-17"], "甲", now=t0 + timedelta(minutes=90))
    view = View(as_of=date(2022, 1, 19), scope=T1, lang="zh", min_date=FIRST, max_date=LAST)
    frame = ui_alerts.response_times_frame(view)
    assert frame.values.tolist() == [["城东街道", "哨点异常", 1, 0, 0, "—", "—"],
                                     ["城东街道", "本土病例", 1, 1, 0, "1.5", "—"],
                                     ["城东街道", "指标红灯", 2, 0, 0, "—", "—"]]

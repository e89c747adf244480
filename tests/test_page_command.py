"""The command page ("one chessboard"): its queries on a small hand-built city (exact numbers worked out by
hand below), its figure builders, and the page under AppTest (the specs it builds), on that city and on the demo.

D = 2022-01-15 (a Saturday). The city is tests/builders.tiny_regions(): 城东街道 T1 (population 6000; villages
V1 东门, V2 南门, V3 西门) and 河西镇 T2 (2500; villages V4 上村, V5 下村); the city has 8500 people.

Orders (issued -> deadline, closed):
  o1 信息综合 T1    01-10 09:00 -> 01-12 09:00, closed 01-11 09:00   on time, 24 h (48 h allowed)
  o2 信息综合 T1    01-13 08:00 -> 01-14 08:00, closed 01-15 20:00   late, 60 h (24 h allowed)
  o3 转运     T2    01-15 10:00 -> 01-15 22:00, open                 overdue at the end of D
  o4 转运     none  01-15 12:00 -> 01-16 12:00, closed 01-16 08:00   open within its deadline on D
  o5 疫苗     none  01-16 09:00 (issued after D)
  o6 疫苗     none  01-01 09:00 -> 01-03 09:00, closed 01-03 09:00   on time (closed at the deadline), 48 h
Supervision (found, due, rectified):
  s1 V1 01-05 due 01-10 rectified 01-09 verified     s2 V1 01-06 due 01-12 rectified 01-14 not verified
  s3 V4 01-07 due 01-14 open: overdue 1 day          s4 V5 01-08 due 01-15 (= D) open: within the deadline
  s5 V2 01-09 due 01-13 rectified 01-16 (after D): overdue 2 days on D          s6 found 01-16 (after D)
Duty roster: from 01-04 (the roster's first day) to 01-16, day and night, except 01-12 night (no row) and 01-13 day
(nobody on duty); 01-14 day has a leader and no staff count (staffed).
Vaccinations (by township): T1 18-59 first 3000 and full 2000 on 01-10, 60+ full 600 on 01-14; T2 18-59 full
1000 on 01-12 and 500 on 01-16 (after D).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from builders import build_db, open_page, tiny_regions
from sitrep import catalogue
from sitrep.db import Database
from sitrep.figures import command as fig

T1, T2 = "451481001000", "451481002000"
V1, V2, V3, V4, V5 = "451481001001", "451481001002", "451481001003", "451481002001", "451481002002"
D = "2022-01-15"


def order(order_id, task_force, issued, deadline, closed=None, region=None, subject="事项"):
    return {"order_id": order_id, "task_force": task_force, "issued_at": issued, "deadline": deadline,
            "closed_at": closed, "region_code": region, "subject": subject}


def issue(issue_id, region, found, due, rectified=None, verified=None, task_force="冷链"):
    return {"issue_id": issue_id, "region_code": region, "found_date": found, "due_date": due,
            "rectified_date": rectified, "verified": verified, "task_force": task_force, "severity": "一般",
            "description": f"问题{issue_id}"}


def roster() -> list[dict]:
    out = []
    day = date(2022, 1, 4)
    while day <= date(2022, 1, 16):
        for shift in ("白班", "夜班"):
            if (day, shift) == (date(2022, 1, 12), "夜班"):
                continue
            staff = 0 if (day, shift) == (date(2022, 1, 13), "白班") else \
                None if (day, shift) == (date(2022, 1, 14), "白班") else 3 + day.day % 3
            out.append({"date": day.isoformat(), "shift": shift, "leader": f"领导{day.day}",
                        "staff_count": staff, "events": day.day % 4})
        day += timedelta(days=1)
    return out


TABLES = {
    "regions": tiny_regions(),
    "orders": [
        order("o1", "信息综合", "2022-01-10 09:00", "2022-01-12 09:00", "2022-01-11 09:00", T1),
        order("o2", "信息综合", "2022-01-13 08:00", "2022-01-14 08:00", "2022-01-15 20:00", T1),
        order("o3", "转运", "2022-01-15 10:00", "2022-01-15 22:00", None, T2),
        order("o4", "转运", "2022-01-15 12:00", "2022-01-16 12:00", "2022-01-16 08:00"),
        order("o5", "疫苗", "2022-01-16 09:00", "2022-01-17 09:00"),
        order("o6", "疫苗", "2022-01-01 09:00", "2022-01-03 09:00", "2022-01-03 09:00"),
    ],
    "supervision": [
        issue("s1", V1, "2022-01-05", "2022-01-10", "2022-01-09", True),
        issue("s2", V1, "2022-01-06", "2022-01-12", "2022-01-14", False),
        issue("s3", V4, "2022-01-07", "2022-01-14", task_force="转运"),
        issue("s4", V5, "2022-01-08", D),
        issue("s5", V2, "2022-01-09", "2022-01-13", "2022-01-16", True, task_force="信息综合"),
        issue("s6", V3, "2022-01-16", "2022-01-20"),
    ],
    "duty_roster": roster(),
    "vaccinations": [
        {"date": "2022-01-10", "region_code": T1, "age_group": "18-59岁", "dose": "第一剂", "doses": 3000},
        {"date": "2022-01-10", "region_code": T1, "age_group": "18-59岁", "dose": "全程", "doses": 2000},
        {"date": "2022-01-14", "region_code": T1, "age_group": "60岁以上", "dose": "全程", "doses": 600},
        {"date": "2022-01-12", "region_code": T2, "age_group": "18-59岁", "dose": "全程", "doses": 1000},
        {"date": "2022-01-16", "region_code": T2, "age_group": "18-59岁", "dose": "全程", "doses": 500},
    ],
}

ORDER_COLS = ["task_force", "issued", "closed", "closed_on_time", "closed_late", "open_overdue", "open_in_time",
              "on_time_pct"]


@pytest.fixture(scope="module")
def command_db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("command") / "command.duckdb", TABLES)


def rows(df: pd.DataFrame, cols: list[str]) -> list[tuple]:
    return [tuple(None if (not isinstance(v, str) and pd.isna(v)) else v for v in r)
            for r in df[cols].itertuples(index=False)]


def kpis(db, **params) -> dict[str, float]:
    return dict(db.query("kpis", as_of=D, **params)[["kpi", "value"]].values)


# -- queries ---------------------------------------------------------------------------------------------------

def test_orders_by_task_force(command_db):
    df = command_db.query("orders_by_task_force", as_of=D)
    assert rows(df, ORDER_COLS) == [
        ("information", 2, 2, 1, 1, 0, 0, 50.0),
        ("transfer", 2, 0, 0, 0, 1, 1, None),
        ("vaccine", 1, 1, 1, 0, 0, 0, 100.0),
        (None, 5, 3, 2, 1, 1, 1, 66.7),
    ]
    assert list(df["is_total"]) == [False, False, False, True]
    assert df["open_overdue"].iloc[-1] == kpis(command_db)["orders_open_overdue"] == 1


def test_orders_in_a_window_and_a_township(command_db):
    week = command_db.query("orders_by_task_force", as_of=D, days=7)  # issued 01-09 .. D: o1 .. o4
    assert rows(week[week["is_total"]], ORDER_COLS) == [(None, 4, 2, 1, 1, 1, 1, 50.0)]
    township = command_db.query("orders_by_task_force", as_of=D, region_code=T1)  # no order without a region
    assert rows(township, ORDER_COLS) == [("information", 2, 2, 1, 1, 0, 0, 50.0), (None, 2, 2, 1, 1, 0, 0, 50.0)]
    village = command_db.query("orders_by_task_force", as_of=D, region_code=V1)
    assert rows(village, ["issued"]) == [(0,)]


def test_closure_hours_by_task_force(command_db):
    df = command_db.query("orders_closure_hours_by_task_force", as_of=D)
    assert rows(df, ["task_force", "closed", "min_hours", "q1_hours", "median_hours", "q3_hours", "max_hours",
                     "mean_hours", "median_allowed_hours"]) == [
        ("information", 2, 24.0, 33.0, 42.0, 51.0, 60.0, 42.0, 36.0),
        ("vaccine", 1, 48.0, 48.0, 48.0, 48.0, 48.0, 48.0, 48.0),
    ]


def test_duty_roster_calendar(command_db):
    df = command_db.query("duty_roster_calendar", as_of=D, weeks=2)
    assert len(df) == 13 * 2  # Monday 01-03 .. Saturday D
    assert df["week_start"].min() == pd.Timestamp("2022-01-03") and df["day"].max() == pd.Timestamp(D)
    state = {(r.day.date().isoformat(), r.shift): (None if pd.isna(r.staffed) else bool(r.staffed))
             for r in df.itertuples()}
    assert state[("2022-01-03", "day")] is None and state[("2022-01-03", "night")] is None  # before the roster
    assert [k for k, v in state.items() if v is False] == [("2022-01-12", "night"), ("2022-01-13", "day")]
    assert state[("2022-01-14", "day")] is True
    assert sum(v is True for v in state.values()) == 22
    assert list(df[df["day"] == pd.Timestamp(D)]["weekday"]) == [6, 6]


def test_supervision_funnel_and_overdue_list(command_db):
    funnel = command_db.query("supervision_funnel", as_of=D)
    assert rows(funnel, ["found", "rectified", "verified", "rectified_on_time", "open_in_time", "open_overdue"]) == [
        (5, 2, 1, 1, 1, 2)]
    assert funnel["open_overdue"].iloc[0] == kpis(command_db)["supervision_open_overdue"]
    overdue = command_db.query("supervision_overdue_list", as_of=D)
    assert rows(overdue, ["issue_id", "township", "region", "task_force", "days_overdue"]) == [
        ("s5", "城东街道", "南门社区", "information", 2), ("s3", "河西镇", "上村", "transfer", 1)]
    township = command_db.query("supervision_funnel", as_of=D, region_code=T1)
    assert rows(township, ["found", "rectified", "verified", "open_overdue"]) == [(3, 2, 1, 1)]


def test_vaccination_by_age_group_uses_the_fixed_age_structure(command_db):
    df = command_db.query("vaccinations_by_age_group", as_of=D)
    assert rows(df, ["age_group", "population_share", "population_est", "first_doses", "full_doses", "full_pct",
                     "first_pct"]) == [
        ("3-11", 0.10, 850.0, 0, 0, 0.0, 0.0),
        ("12-17", 0.07, 595.0, 0, 0, 0.0, 0.0),
        ("18-59", 0.58, 4930.0, 3000, 3000, 60.9, 60.9),   # 3000 / 4930
        ("60+", 0.20, 1700.0, 0, 600, 35.3, 0.0),          # 600 / 1700
    ]
    assert df["population_share"].sum() == pytest.approx(0.95)
    assert kpis(command_db)["vaccination_full_pct"] == 42.4  # (2000 + 600 + 1000) / 8500, all ages
    village = command_db.query("vaccinations_by_age_group", as_of=D, region_code=V1)
    assert village["full_doses"].isna().all() and village["full_pct"].isna().all()


def test_vaccination_by_township(command_db):
    df = command_db.query("vaccinations_full_by_township", as_of=D)
    assert rows(df, ["region_code", "name", "full_doses", "full_pct", "first_pct"]) == [
        (T1, "城东街道", 2600, 43.3, 50.0), (T2, "河西镇", 1000, 40.0, None)]
    assert rows(command_db.query("vaccinations_full_by_township", as_of=D, region_code=T2), ["full_doses"]) == [
        (1000,)]


# -- figure builders -------------------------------------------------------------------------------------------

TASK_FORCES = {"information": "Info", "cold_chain": "Cold", "vaccine": "Vac", "epi_investigation": "Epi",
               "transfer": "Transfer", "materials": "Materials", "publicity": "Pub"}
MEASURES = {"issued": "I", "closed": "C", "closed_on_time": "T", "closed_late": "L", "open_in_time": "W",
            "open_overdue": "O"}


def test_orders_by_task_force_shows_all_seven_in_order(command_db):
    figure = fig.orders_by_task_force(command_db.query("orders_by_task_force", as_of=D),
                                      fig.CommandLabels(task_force=TASK_FORCES, stage=MEASURES))
    # one stacked bar per task force: on time, late, open in time, overdue; the issued total written above
    assert [t.name for t in figure.data[:4]] == ["T", "L", "W", "O"] and figure.layout.barmode == "stack"
    assert list(figure.data[0].x) == list(TASK_FORCES.values())
    assert [list(t.y) for t in figure.data[:4]] == [[1, 0, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0],
                                                     [0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0, 0]]
    assert list(figure.data[0].text) == ["1", "", "1", "", "", "", ""]  # no "0" labels
    total = figure.data[4]
    assert total.mode == "text" and list(total.y) == [2, 0, 1, 0, 2, 0, 0] and list(total.text) == [
        "2", "0", "1", "0", "2", "0", "0"]
    # the parts add up to the issued total: each bar's top carries exactly one label
    assert [sum(t.y[i] for t in figure.data[:4]) for i in range(7)] == list(total.y)


def test_orders_funnel_from_the_total_row(command_db):
    df = command_db.query("orders_by_task_force", as_of=D)
    figure = fig.orders_funnel(df[df["is_total"]].iloc[0], fig.CommandLabels(stage=MEASURES))
    assert list(figure.data[0].x) == [5, 3, 2] and list(figure.data[0].y) == ["I", "C", "T"]


def test_closure_hours_boxes_use_the_sql_quartiles(command_db):
    figure = fig.closure_hours(command_db.query("orders_closure_hours_by_task_force", as_of=D),
                               fig.CommandLabels(task_force=TASK_FORCES, closure_hours="h", closure_allowed="allowed",
                                                 closure_taken="taken"))
    box, allowed = figure.data
    assert list(box.y) == ["Info", "Vac"] and list(box.median) == [42.0, 48.0] and list(box.q1) == [33.0, 48.0]
    assert list(allowed.x) == [36.0, 48.0]
    assert figure.layout.xaxis.type == "log"


def test_duty_calendar_marks_missing_shifts(command_db):
    df = command_db.query("duty_roster_calendar", as_of=D, weeks=2)
    figure = fig.duty_calendar(df, fig.CommandLabels(duty_measure={"staff_count": "staff"},
                                                     shift={"day": "D", "night": "N"}, weekdays=list("1234567"),
                                                     duty_week="w{start}", duty_missing="X"), measure="staff_count")
    values, missing = figure.data
    assert list(values.y) == ["w01-03", "w01-10"] and len(values.x) == 14
    assert list(values.x[:2]) == ["1<br>D", "1<br>N"]
    week2 = list(values.text[1])
    # Wednesday 01-12 night and Thursday 01-13 day are missing; Sunday 01-16 is after D (blank)
    assert week2[5] == "X" and week2[6] == "X" and week2[12:] == ["", ""]
    assert [v for v in missing.z[1] if v] == [1, 1] and not any(missing.z[0])
    assert values.text[0][:2] == ["", ""]  # Monday 01-03: before the roster began
    assert values.text[1][0] == str(3 + 10 % 3)  # Monday 01-10 day: staff 4


def test_vaccination_gauges_colour_by_the_kpi_thresholds(command_db):
    kpi = catalogue.by_key()["vaccination_full_pct"]
    figure = fig.vaccination_gauges(command_db.query("vaccinations_by_age_group", as_of=D),
                                    fig.CommandLabels(age_group={"3-11": "a", "12-17": "b", "18-59": "c", "60+": "d"},
                                                      first_dose="F", booster="B"), status_of=kpi.status)
    assert [t.value for t in figure.data] == [0.0, 0.0, 60.9, 35.3]
    assert {t.gauge.bar.color for t in figure.data} == {fig.STATUS_COLOURS["red"]}  # all below 70%
    assert figure.data[2].gauge.steps[0].range == (0, 60.9)
    assert [a.text for a in figure.layout.annotations] == ["F 0.0% · B 0.0%", "F 0.0% · B 0.0%",
                                                           "F 60.9% · B 0.0%", "F 0.0% · B 0.0%"]


# -- the page --------------------------------------------------------------------------------------------------

def run_command_page(db_path, monkeypatch, **query_params) -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(db_path))
    return open_page("command", timeout=60, **query_params)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def test_page_on_the_hand_built_city(command_db, monkeypatch):
    at = run_command_page(command_db.path, monkeypatch, lang="en", as_of=D)
    metrics = {m.label.split("] ")[-1]: m.value for m in at.metric}
    assert metrics == {"Orders overdue": "1", "Supervision issues overdue": "2", "Fully vaccinated": "42.4%",
                       "Closed on time": "66.7%", "Open, within deadline": "1", "Within deadline": "1", "Overdue": "2"}
    funnel, duty, by_task_force, closure, supervision, gauges = charts(at)
    assert funnel["data"][0]["x"] == [5, 3, 2]
    assert by_task_force["data"][0]["x"][0] == "Information<br>synthesis" and len(by_task_force["data"][0]["x"]) == 7
    assert supervision["data"][0]["x"] == [5, 2, 1]
    assert [t["value"] for t in gauges["data"]] == [0.0, 0.0, 60.9, 35.3]
    # the default 4 weeks: Monday 2021-12-20 to D; the first two weeks are before the roster began (blank)
    assert duty["data"][0]["y"] == ["w/c 12-20", "w/c 12-27", "w/c 01-03", "w/c 01-10"]
    assert duty["data"][0]["text"][0] == [""] * 14
    table = at.dataframe[0].value
    assert list(table["Problem no."]) == ["s5", "s3"] and list(table["Task force"]) == ["Information synthesis",
                                                                                      "Transfer"]
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert deck["mapStyle"] == "__MAP_STYLE__"


def test_page_window_and_duty_controls(command_db, monkeypatch):
    at = run_command_page(command_db.path, monkeypatch, lang="en", as_of=D)
    at.radio(key="command_days").set_value(7).run()
    assert charts(at)[0]["data"][0]["x"] == [4, 2, 1]
    at.radio(key="command_duty_measure").set_value("events").run()
    duty = charts(at)[1]
    assert duty["data"][0]["colorbar"]["title"]["text"] == "Events handled"


def test_page_in_a_village(command_db, monkeypatch):
    at = run_command_page(command_db.path, monkeypatch, lang="zh", as_of=D, scope=V1)
    infos = [i.value for i in at.info]
    assert "该时段、该范围内没有指令。" in infos
    assert any("村(社区)范围没有接种数据" in i for i in infos)


def test_page_on_the_demo_shows_the_planted_gaps(demo_db, monkeypatch):
    at = run_command_page(demo_db, monkeypatch, lang="en")
    metrics = {m.label.split("] ")[-1]: m.value for m in at.metric}
    assert metrics["Orders overdue"] == "10" and metrics["Supervision issues overdue"] == "8"
    funnel, duty = charts(at)[:2]
    assert funnel["data"][0]["x"][0] == 200
    # the demo plants unstaffed shifts: the calendar marks exactly those of the last 13 weeks
    at.radio(key="command_weeks").set_value(13).run()
    duty = charts(at)[1]
    marked = sum(1 for row in duty["data"][1]["z"] for v in row if v)
    database = Database(demo_db)
    last_day = pd.Timestamp(database.query("data_date_range")["max_date"].iloc[0]).date()
    calendar = database.query("duty_roster_calendar", as_of=last_day, weeks=13)
    assert marked == int((calendar["staffed"] == False).sum()) > 0  # noqa: E712

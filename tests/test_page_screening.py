"""The screening and control page ("one wall"): its queries on a small hand-checked city, its figure builders,
the what-if rules from a form, and the page itself under AppTest on the demo city.

Hand-built city (tests/builders.tiny_regions): 城东街道 T1 with 东门 V1, 南门 V2, 西门 V3; 河西镇 T2 with
上村 V4 (group G1) and 下村 V5. D = 2022-03-20. Rules: data/quarantine_rules.toml; every arrival here but A7 is
on or after 2022-02-15, so the "10+7" set applies to them (high 10 central + 7 home; medium and overseas 7 + 7;
low 14 days of home monitoring, tests on days 7 and 14; none: no measure). A7 (02-10) is judged by the baseline,
which asks nothing of origin risk none either.

  A1  V1  in_province      low       arr 03-15 home_monitoring from 03-15     test day 7 = 03-21: due tomorrow
  A2  V1  out_of_province  high      arr 03-12 central from 03-12, sample 03-12; test day 10 = 03-21: due tomorrow
  A3  V2  overseas         overseas  arr 03-01 central from 03-01, all 5 tests sampled; R = 03-15: release overdue,
                                     stays in home quarantine (the last stage)
  A4  V2  out_of_province  medium    arr 03-10 central from 03-10, no sample: test 03-16 overdue; home quarantine
  A5  V4  in_province      low       arr 03-01 home_monitoring 03-01 .. 03-15, released
  A6  G1  in_province      low       arr 03-05 measure none: misclassified
  A7  V5  nonlocal_staying none      arr 02-10 measure none
  A8  V5  out_of_province  high      arr 03-18 home_quarantine from 03-18, sample 03-18: misclassified; the rule's
                                     schedule puts them in central quarantine
  A9  V1  in_province      low       arr 03-20 (= D) no measure recorded: unclassified, arrived today
  A10 V4  out_of_province  low       arr 03-10 moved out: registered, nowhere else
  A11 V1  overseas         overseas  arr 03-25: after D, nowhere
  A12 V5  in_province      medium    arr 03-10 central from 03-10, positive: case pathway
  A13 V2  out_of_province  none      arr 03-02 measure none
  A14 V3  in_province      low       arr 03-07 home_monitoring from 03-07, samples 03-13 and 03-20; R = 03-21:
                                     release due
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from builders import build_db, id_number, open_page, tiny_regions
from sitrep import maps, privacy
from sitrep.db import ROOT, Database
from sitrep.figures import screening as fig
from sitrep.rules import Stage, load_rules
from sitrep.ui import screening as control_ui

C = "451481000000"
T1, T2 = "451481001000", "451481002000"
V1, V2, V3, V4, V5 = "451481001001", "451481001002", "451481001003", "451481002001", "451481002002"
G1 = "451481002001001"
D = date(2022, 3, 20)


def md(m: int, d: int) -> date:
    return date(2022, m, d)


def person(pid, category, risk, arrival, region, measure=None, start=None, end=None, status="managed"):
    n = int(pid[1:])
    return {"person_id": pid, "name": f"测试{n:02d}", "id_number": id_number(f"45148119900101{n:03d}"),
            "phone": f"138{n:08d}", "origin_category": category, "origin_risk": risk, "arrival_date": arrival,
            "region_code": region, "measure": measure, "measure_start": start, "measure_end": end, "status": status}


def sample(pid, day):
    return {"person_id": pid, "sample_date": day, "sample_no": f"S{pid}{day:%m%d}", "result": "negative"}


PEOPLE = [
    person("A1", "in_province", "low", md(3, 15), V1, "home_monitoring", md(3, 15)),
    person("A2", "out_of_province", "high", md(3, 12), V1, "central_quarantine", md(3, 12)),
    person("A3", "overseas", "overseas", md(3, 1), V2, "central_quarantine", md(3, 1)),
    person("A4", "out_of_province", "medium", md(3, 10), V2, "central_quarantine", md(3, 10)),
    person("A5", "in_province", "low", md(3, 1), V4, "home_monitoring", md(3, 1), md(3, 15), "released"),
    person("A6", "in_province", "low", md(3, 5), G1, "none"),
    person("A7", "nonlocal_staying", "none", md(2, 10), V5, "none"),
    person("A8", "out_of_province", "high", md(3, 18), V5, "home_quarantine", md(3, 18)),
    person("A9", "in_province", "low", D, V1),
    person("A10", "out_of_province", "low", md(3, 10), V4, "home_monitoring", md(3, 10), status="moved_out"),
    person("A11", "overseas", "overseas", md(3, 25), V1, "central_quarantine", md(3, 25)),
    person("A12", "in_province", "medium", md(3, 10), V5, "central_quarantine", md(3, 10), status="positive"),
    person("A13", "out_of_province", "none", md(3, 2), V2, "none"),
    person("A14", "in_province", "low", md(3, 7), V3, "home_monitoring", md(3, 7)),
]
TESTS = [
    sample("A2", md(3, 12)),
    *(sample("A3", d) for d in (md(3, 1), md(3, 4), md(3, 7), md(3, 10), md(3, 14))),
    sample("A5", md(3, 7)), sample("A5", md(3, 14)),
    sample("A8", md(3, 18)),
    sample("A14", md(3, 13)), sample("A14", md(3, 20)),
]
GRID = [{"region_code": V1, "responsible_person": "东门网格长", "phone": "13900000001",
         "responsible_level": "township_cadre"}]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    return build_db(tmp_path_factory.mktemp("screening") / "s.duckdb",
                    {"regions": tiny_regions(), "grid_units": GRID, "returnees": PEOPLE, "tests": TESTS})


def rows(df: pd.DataFrame, cols: list[str]) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in df[cols].itertuples(index=False)]


def values(v) -> list:
    """A plotly data array as a list: plotly encodes numeric arrays as {dtype, bdata} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


CATEGORY_COLS = ["region_code", "in_province", "out_of_province", "overseas", "nonlocal_staying", "registered",
                 "arrived_today"]


# ------------------------------------------------------------------ queries


def test_category_by_region_counts_as_the_registered_kpi_one_level_below_the_scope(db):
    got = db.query("returnees_category_by_region", as_of=D)
    assert rows(got, CATEGORY_COLS) == [
        (T1, 3, 3, 1, 0, 7, 1),   # A1 A9 A14 | A2 A4 A13 | A3; A9 arrived on D; A11 arrives after D
        (T2, 3, 2, 0, 1, 6, 0),   # A5 A6 A12 | A8 A10 (moved out, still registered) | A7
    ]
    kpis = dict(zip(*db.query("kpis", as_of=D)[["kpi", "value"]].T.values))
    assert kpis["returnees_registered"] == got["registered"].sum() == 13
    assert kpis["returnees_arrived_today"] == got["arrived_today"].sum() == 1
    got = db.query("returnees_category_by_region", as_of=D, region_code=T2)
    assert rows(got, CATEGORY_COLS) == [(V4, 2, 1, 0, 0, 3, 0), (V5, 1, 1, 0, 1, 3, 0)]  # A6 counts in 上村
    assert rows(db.query("returnees_category_by_region", as_of=D, region_code=V3), CATEGORY_COLS) == [
        (V3, 1, 0, 0, 0, 1, 0)]
    # a day earlier A9 has not arrived
    assert db.query("returnees_category_by_region", as_of=md(3, 19))["registered"].tolist() == [6, 6]


def test_daily_by_category_from_the_first_arrival_to_d_with_zeros(db):
    got = db.query("returnees_daily_by_category", as_of=D, region_code=T1)
    assert len(got) == 39 * 4  # 02-10 (A7, the city's first arrival) .. 03-20, four categories each day
    assert got["day"].min() == pd.Timestamp(md(2, 10)) and got["day"].max() == pd.Timestamp(D)
    assert got["origin_category"].iloc[:4].tolist() == list(fig.CATEGORIES)
    arrivals = got[got["arrivals"] > 0]
    assert rows(arrivals.assign(day=arrivals["day"].dt.date), ["day", "origin_category", "arrivals"]) == [
        (md(3, 1), "overseas", 1), (md(3, 2), "out_of_province", 1), (md(3, 7), "in_province", 1),
        (md(3, 10), "out_of_province", 1), (md(3, 12), "out_of_province", 1), (md(3, 15), "in_province", 1),
        (D, "in_province", 1)]
    city = db.query("returnees_daily_by_category", as_of=D)
    assert city["arrivals"].sum() == 13


def test_stage_by_region_on_d(db):
    got = db.query("returnees_stage_by_region", as_of=D)
    assert rows(got, ["region_code", "stage", "persons"]) == [
        (T1, "central_quarantine", 1), (T1, "home_quarantine", 2), (T1, "home_monitoring", 2), (T1, "released", 0),
        (T2, "central_quarantine", 1), (T2, "home_quarantine", 0), (T2, "home_monitoring", 0), (T2, "released", 1),
    ]  # A2 | A3 A4 | A1 A14 ; A8 (by the rule's schedule) | A5; no measure, unclassified, positive left out
    township = db.query("returnees_stage_by_township", as_of=D)
    assert township["persons"].tolist() == got["persons"].tolist()
    got = db.query("returnees_stage_by_region", as_of=D, region_code=T1)
    assert got.loc[got["persons"] > 0, ["region_code", "stage"]].values.tolist() == [
        [V1, "central_quarantine"], [V1, "home_monitoring"], [V2, "home_quarantine"], [V3, "home_monitoring"]]
    assert got.loc[(got["region_code"] == V2) & (got["stage"] == "home_quarantine"), "persons"].item() == 2


def test_measure_by_origin_risk_flags_the_misclassified_flows(db):
    got = db.query("returnees_measure_by_origin_risk", as_of=D)
    assert rows(got, ["origin_risk", "measure", "rule_measure", "misclassified", "persons"]) == [
        ("overseas", "central_quarantine", "central_quarantine", False, 1),
        ("high", "central_quarantine", "central_quarantine", False, 1),
        ("high", "home_quarantine", "central_quarantine", True, 1),        # A8
        ("medium", "central_quarantine", "central_quarantine", False, 2),  # A4, A12 (positive, still registered)
        ("low", "home_monitoring", "home_monitoring", False, 3),
        ("low", "none", "home_monitoring", True, 1),                       # A6
        ("low", "unclassified", "home_monitoring", False, 1),              # A9: not yet classified
        ("none", "none", "none", False, 2),
    ]
    assert got["persons"].sum() == db.query("returnees_funnel", as_of=D)["persons"].iloc[0] == 12  # no A10, A11
    misclassified = db.query("kpis", as_of=D).set_index("kpi").loc["returnees_misclassified", "value"]
    assert got.loc[got["misclassified"], "persons"].sum() == misclassified == 2


def test_worklist_by_region_counts_the_worklist_items(db):
    cols = ["region_code", *fig.WORKLIST_ITEMS, "items"]
    got = db.query("returnees_worklist_by_region", as_of=D)
    assert rows(got, cols) == [
        (T1, 2, 1, 1, 1, 0, 5),   # A1 A2 due tomorrow, A4 test overdue, A14 release due, A3 release overdue
        (T2, 0, 0, 0, 0, 2, 2),   # A6, A8 misclassified
    ]
    for region in (None, T1, T2):
        work = db.query("returnees_worklist", as_of=D, region_code=region)
        assert len(work) == db.query("returnees_worklist_by_region", as_of=D, region_code=region)["items"].sum()
    got = db.query("returnees_worklist_by_region", as_of=D, region_code=T2)
    assert rows(got, cols) == [(V4, 0, 0, 0, 0, 1, 1), (V5, 0, 0, 0, 0, 1, 1)]
    assert db.query("returnees_worklist_by_region", as_of=D, region_code=V3)["region_code"].tolist() == [V3]
    assert db.query("returnees_worklist_by_region", as_of=D, region_code=V4 + "999").empty


# ------------------------------------------------------------------ builders


def test_category_bars_most_registered_first_with_totals(db):
    df = db.query("returnees_category_by_region", as_of=D, region_code=T2)
    spec = fig.category_bars(df, fig.ScreeningLabels(category={"in_province": "省内"})).to_dict()
    bars = [t for t in spec["data"] if t["type"] == "bar"]
    assert [b["name"] for b in bars] == ["省内", "out_of_province", "overseas", "nonlocal_staying"]
    assert list(bars[0]["y"]) == ["上村", "下村"] and values(bars[0]["x"]) == [2, 1]
    assert list(spec["data"][-1]["text"]) == ["3", "3"]


def test_stage_bars_split_the_measures_from_the_released(db):
    spec = fig.stage_bars(db.query("returnees_stage_by_region", as_of=D),
                          fig.ScreeningLabels(stage_under="u", stage_released="r")).to_dict()
    central, home_q, home_m, totals, released = spec["data"]
    assert list(central["y"]) == ["城东街道", "河西镇"]          # most under a measure first
    assert values(home_q["x"]) == [2, 0] and values(home_m["x"]) == [2, 0]
    assert list(totals["text"]) == ["5", "1"]
    assert values(released["x"]) == [0, 1] and released["xaxis"] == "x2"


def test_sankey_colours_the_misclassified_links(db):
    df = db.query("returnees_measure_by_origin_risk", as_of=D)
    spec = fig.origin_measure_sankey(df, fig.ScreeningLabels(misclassified="bad",
                                                             sankey_rule="rule {measure}")).to_dict()
    sankey = spec["data"][0]
    labels = list(sankey["node"]["label"])
    assert labels[:5] == ["overseas 1", "high 2", "medium 2", "low 5", "none 2"]
    assert labels[5:] == ["central_quarantine 4", "home_quarantine 1", "home_monitoring 3", "none 3",
                          "unclassified 1"]
    alarm = [c.startswith("rgba(215,25,28") for c in sankey["link"]["color"]]  # STATUS_COLOURS["red"]
    assert alarm == df["misclassified"].tolist()
    assert sankey["link"]["customdata"][2] == "bad · rule central_quarantine"


def test_release_shift_bar_leaves_out_the_unchanged_and_the_summary_counts_them():
    shift = pd.DataFrame({"origin_risk": ["high", "low", "medium"], "release_shift_days": [4, 0, -3],
                          "direction": ["later", "same", "earlier"], "persons": [2, 90, 5],
                          "persons_due_by_day": [0, 10, 1]})
    spec = fig.release_shift_bar(shift, fig.ScreeningLabels(shift_none="none"))
    assert [(t["name"], values(t["x"]), values(t["y"])) for t in spec.to_dict()["data"]] == [
        ("high", [4], [2]), ("medium", [-3], [5])]
    assert fig.shift_summary(shift) == {"persons": 97, "earlier": 5, "same": 90, "later": 2, "days_saved": 15,
                                        "days_added": 8, "due_by_day": 1}
    empty = fig.release_shift_bar(shift[shift["release_shift_days"] == 0],
                                  fig.ScreeningLabels(shift_none="none")).to_dict()
    assert empty["data"] == [] and empty["layout"]["annotations"][0]["text"] == "none"


def test_worklist_table_labels_codes_leaves_blanks_blank_and_keeps_personal_columns_maskable(db):
    work = db.query("returnees_worklist", as_of=D, region_code=T1)
    table = fig.worklist_table(work[work["item"] != "release_due"],
                               fig.ScreeningLabels(item={"test_overdue": "逾期"}))
    assert table["item"].tolist() == ["test_due_tomorrow", "test_due_tomorrow", "逾期", "release_overdue"]
    assert table["due_date"].tolist() == ["2022-03-21", "2022-03-21", "2022-03-16", "2022-03-15"]
    assert table["days_overdue"].tolist() == ["", "", "3", "5"]  # D - (s + 1); D - R
    assert table["responsible_person"].tolist() == ["东门网格长", "东门网格长", "", ""]  # 南门 has no grid unit
    shown = privacy.mask_frame(table)
    assert shown["name"].iloc[0] == "测***" and shown["phone"].iloc[0] == "138****0001"
    assert shown["responsible_phone"].iloc[0] == "139****0001"


def test_schedule_timeline_stages_tests_release_and_the_day(db):
    schedule = db.query("returnee_schedule", as_of=D, person_id="A4")
    spec = fig.schedule_timeline(schedule, fig.ScreeningLabels(schedule_row={"stage": "S", "test": "T", "release": "R"},
                                                               schedule_today="D"), as_of=D)
    spec = json.loads(spec.to_json())
    traces = spec["data"]
    assert [t["name"] for t in traces] == ["central_quarantine", "home_quarantine", "overdue", "upcoming", "upcoming"]
    def at(v):
        return [pd.Timestamp(x) for x in v]

    assert at(traces[2]["x"]) == [pd.Timestamp("2022-03-16 12:00")]   # test day s, drawn mid-day
    assert at(traces[3]["x"]) == [pd.Timestamp("2022-03-23 12:00")]
    assert at(traces[4]["x"]) == [pd.Timestamp("2022-03-24")]         # release day R
    assert pd.Timestamp(spec["layout"]["shapes"][0]["x0"]) == pd.Timestamp("2022-03-21")  # the end of D


# ------------------------------------------------------------------ what-if rules from the form


def test_edit_days_changes_only_the_edited_origin_risks_in_every_rule_set():
    rules = load_rules()
    in_force = "2022-02-15 high risk 10+7"
    same = control_ui.edit_days(rules, in_force, {("high", 1): 10, ("low", 1): 14})
    assert same is rules
    alt = control_ui.edit_days(rules, in_force, {("high", 1): 7, ("medium", 2): 0})
    for s in alt.sets:
        assert s.stages("high") == (Stage("central_quarantine", 7, (1, 7)), Stage("home_quarantine", 7, (7,)))
        assert s.stages("medium") == (Stage("central_quarantine", 7, (7,)),)
        assert s.stages("overseas") == rules.rule_set(s.name).stages("overseas")
    assert control_ui.rules_key(alt) != control_ui.rules_key(rules)
    assert control_ui.rules_key(rules.only("baseline")) == control_ui.rules_key(rules.only("baseline"))


# ------------------------------------------------------------------ the page on the demo city

FULL_ID = re.compile(r"\d{17}[\dXx]")
FULL_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def run_page(demo_db, monkeypatch, *, lang="zh", scope=None, as_of=None) -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    params = {"lang": lang, "scope": scope, "as_of": as_of and as_of.isoformat()}
    at = open_page("screening", **{k: v for k, v in params.items() if v})
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def chart_list(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def chart(at, title: str) -> dict:
    found = [c for c in chart_list(at) if (c["layout"].get("title") or {}).get("text") == title]
    assert len(found) == 1, [(c["layout"].get("title") or {}).get("text") for c in chart_list(at)]
    return found[0]


def decks(at) -> list[dict]:
    return [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]


def layer(deck: dict, layer_id: str) -> dict:
    return next(lyr for lyr in deck["layers"] if lyr["id"] == layer_id)


def assert_masked(at) -> None:
    for frame in at.dataframe:
        text = frame.value.astype(str).to_csv(index=False)
        assert not FULL_ID.search(text), FULL_ID.search(text).group()
        assert not FULL_PHONE.search(text), FULL_PHONE.search(text).group()


@pytest.fixture(scope="module")
def demo(demo_db):
    database = Database(demo_db)
    as_of = database.query("data_date_range")["max_date"].iloc[0].date()
    township = database.query("returnees_worklist_by_region", as_of=as_of)["region_code"].iloc[0]
    return database, as_of, township


def test_page_numbers_are_the_named_queries_numbers_at_city_scope(demo_db, demo, monkeypatch):
    database, as_of, _ = demo
    at = run_page(demo_db, monkeypatch, lang="en")
    p = {"as_of": as_of, "region_code": None}

    kpis = database.query("kpis", **p).set_index("kpi")["value"]
    shown = {m.label.split("] ")[-1]: m.value for m in at.metric}
    assert shown["Returnees registered"] == f"{kpis['returnees_registered']:,.0f}"
    assert shown["Under a measure"] == f"{kpis['returnees_under_measure']:,.0f}"
    assert shown["Tests overdue"] == f"{kpis['returnees_tests_overdue']:,.0f}"
    assert shown["Misclassified"] == f"{kpis['returnees_misclassified']:,.0f}"
    assert shown["Tests due tomorrow"] == f"{kpis['returnees_tests_due_tomorrow']:,.0f}"

    by_region = database.query("returnees_category_by_region", **p)
    assert by_region["registered"].sum() == kpis["returnees_registered"]
    bars = chart(at, "Returnees by category, per township")
    assert values(bars["data"][0]["y"]) == by_region.sort_values("registered", ascending=False, kind="stable")[
        "name"].tolist()
    assert sum(values(bars["data"][1]["x"])) == by_region["out_of_province"].sum()
    returnees_map, overdue_map = decks(at)
    polys = layer(returnees_map, "map-screening_returnees")["data"]
    assert {p["region_code"] for p in polys} == set(by_region["region_code"])
    text = {p["region_code"]: p["value_text"] for p in polys}
    top = by_region.iloc[0]
    assert text[top["region_code"]] == f"{top['registered']:,}"

    daily = database.query("returnees_daily_by_category", **p)
    arrivals = chart(at, "Arrivals per day by category")
    assert [t["name"] for t in arrivals["data"]] == [
        "In-province returnee", "Out-of-province returnee", "Overseas arrival", "Non-local staying"]
    assert sum(sum(values(t["y"])) for t in arrivals["data"]) == daily["arrivals"].sum() == \
        kpis["returnees_registered"]

    stages = database.query("returnees_stage_by_region", **p)
    spec = chart(at, "Stage on the day, per township")
    central = stages[stages["stage"] == "central_quarantine"]["persons"].sum()
    assert sum(values(spec["data"][0]["x"])) == central
    under = stages[stages["stage"] != "released"]["persons"].sum()
    assert sum(int(v) for v in spec["data"][3]["text"]) == under
    positive = database.rows("select count(*) from returnees where status = 'positive' and arrival_date <= $d",
                             {"d": as_of})[0][0]
    assert under <= kpis["returnees_under_measure"] <= under + positive

    steps = database.query("returnees_funnel", **p)
    funnel = chart(at, "Management funnel")["data"][0]
    assert values(funnel["x"]) == steps["persons"].tolist()
    assert list(funnel["y"]) == ["Registered", "Classified", "Under a measure", "Tests on schedule", "Released"]

    flows = database.query("returnees_measure_by_origin_risk", **p)
    sankey = chart(at, "Origin risk → measure recorded")["data"][0]
    assert values(sankey["link"]["value"]) == flows["persons"].tolist()
    assert sum(c.startswith("rgba(215,25,28") for c in sankey["link"]["color"]) == flows["misclassified"].sum()

    overdue = database.query("returnees_overdue_by_village", **p)
    fills = {p["region_code"]: p["fill"][:3] for p in layer(overdue_map, "map-screening_overdue")["data"]}
    assert {c for c, f in fills.items() if f == list(maps.HIGHLIGHT)} == \
        set(overdue.loc[overdue["returnees_overdue"] > 0, "village_code"])
    assert overdue["returnees_overdue"].gt(0).any()

    work = database.query("returnees_worklist_by_region", **p)
    table = at.dataframe[0].value
    assert table["Township"].tolist() == work["name"].tolist()     # region names are not masked
    assert table["Test overdue"].sum() == kpis["returnees_tests_overdue"]
    assert table["Release overdue"].sum() == kpis["returnees_release_overdue"]
    assert len(at.dataframe) == 1 and at.info      # no worklist yet: pick a township first


def test_city_worklist_after_picking_a_township_is_masked_and_gives_a_schedule(demo_db, demo, monkeypatch):
    database, as_of, township = demo
    at = run_page(demo_db, monkeypatch, lang="en")
    at.selectbox(key="screening_worklist_township").set_value(township).run()
    assert_clean(at)
    work = database.query("returnees_worklist", as_of=as_of, region_code=township)
    table = at.dataframe[1].value
    assert len(table) == len(work) > 0
    assert table["Person ID"].tolist() == work["person_id"].tolist()
    assert table["Name"].tolist() == [privacy.mask_name(n) for n in work["name"]]
    assert table["Grid owner"].tolist() == work["responsible_person"].tolist()
    assert_masked(at)

    overdue = work[work["item"].isin(["test_overdue", "test_due_tomorrow"])]
    person = (overdue if not overdue.empty else work)["person_id"].iloc[0]
    at.selectbox(key="screening_person").set_value(person).run()
    assert_clean(at)
    schedule = database.query("returnee_schedule", as_of=as_of, person_id=person)
    timeline = next(c for c in chart_list(at) if any(values(t.get("y", []))[:1] == ["Tests"] for t in c["data"]))
    markers = [t for t in timeline["data"] if t["mode"] == "markers"]
    assert sum(len(t["x"]) for t in markers) == (schedule["event"] == "test").sum()


def test_township_scope_worklist_equals_the_query_and_shows_no_personal_data(demo_db, demo, monkeypatch):
    database, as_of, township = demo
    at = run_page(demo_db, monkeypatch, lang="zh", scope=township)
    by_village = database.query("returnees_worklist_by_region", as_of=as_of, region_code=township)
    assert at.dataframe[0].value["村/社区"].tolist() == by_village["name"].tolist()
    work = database.query("returnees_worklist", as_of=as_of, region_code=township)
    table = at.dataframe[1].value
    assert len(table) == len(work)
    assert table["事项"].value_counts().to_dict() == \
        work["item"].map({"test_due_tomorrow": "明日应检", "test_overdue": "核酸逾期", "release_due": "今明应解除",
                          "release_overdue": "逾期未解除", "misclassified": "措施不符"}).value_counts().to_dict()
    assert_masked(at)
    polys = layer(decks(at)[0], "map-screening_returnees")["data"]
    assert {p["region_code"][:9] for p in polys} == {township[:9]}
    kpis = database.query("kpis", as_of=as_of, region_code=township).set_index("kpi")["value"]
    assert {m.label.split("] ")[-1]: m.value for m in at.metric}["核酸检测逾期人员"] == \
        f"{kpis['returnees_tests_overdue']:,.0f}人"


def test_whatif_another_rule_set_and_edited_days(demo_db, demo, monkeypatch):
    database, _, _ = demo
    as_of = date(2022, 2, 5)  # the wave: many people under a measure, judged by the baseline
    rules = load_rules()
    at = run_page(demo_db, monkeypatch, lang="en", as_of=as_of)
    chosen = at.selectbox(key="screening_whatif_set").value
    assert chosen == "2022-02-15 high risk 10+7"          # the sets not in force on D
    shift = database.query("returnees_whatif_release_shift", as_of=as_of, alt_rules=rules.only(chosen))
    summary = fig.shift_summary(shift)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Released earlier"] == f"{summary['earlier']:,}" and summary["earlier"] > 0
    assert metrics["Released later"] == f"{summary['later']:,}"
    # the people of the what-if are those the KPI counts under a measure
    assert summary["persons"] == database.query("kpis", as_of=as_of).set_index("kpi").loc[
        "returnees_under_measure", "value"]
    central = database.query("returnees_whatif_central_daily", as_of=as_of, alt_rules=rules.only(chosen))
    lines = chart(at, "People in central quarantine, next 28 days")["data"]
    assert values(lines[0]["y"]) == central["central_current"].tolist()
    assert values(lines[1]["y"]) == central["central_alternative"].tolist()

    at.radio(key="screening_whatif_mode").set_value("days").run()
    assert_clean(at)
    at.number_input(key="screening_whatif_baseline_high_1").set_value(7)
    at.number_input(key="screening_whatif_baseline_overseas_2").set_value(0)
    next(b for b in at.button if b.label == "Run").click().run()
    assert_clean(at)
    alt = control_ui.edit_days(rules, "baseline", {("high", 1): 7, ("overseas", 2): 0})
    shift = database.query("returnees_whatif_release_shift", as_of=as_of, alt_rules=alt)
    summary = fig.shift_summary(shift)
    assert {m.label: m.value for m in at.metric}["Released earlier"] == f"{summary['earlier']:,}"
    bars = chart(at, "People whose release day moves")["data"]
    moved = shift[shift["release_shift_days"] != 0]
    assert sum(sum(values(t["y"])) for t in bars) == moved["persons"].sum() == summary["earlier"]
    assert set(shift.loc[shift["release_shift_days"] != 0, "release_shift_days"]) <= {-7, -4}

"""The monitoring page ("one net"): its queries on a small hand-checked city, its figure builders,
and the page itself under AppTest on the demo city.

Hand-built city (tests/builders.tiny_regions): 城东街道 T1 with 东门 V1, 南门 V2, 西门 V3; 河西镇 T2 with
上村 V4 (groups G1, G2) and 下村 V5. D = 2022-03-31.

Grid units (五有 = guide, system_owner, materials, medical_support, isolation_transfer):
  T1 李市长 city leader, all five          T2 王市长 city leader, no materials
  V1 township cadre, all five              V2 township cadre, no guide, no isolation/transfer
  V3 no grid unit at all                   V4 township cadre, all five
  G1 village cadre, all five               G2 village cadre, no medical support
  V5 township cadre, system_owner left empty (counts as missing)
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from builders import build_db, open_page, tiny_regions
from sitrep import maps
from sitrep.db import ROOT, Database
from sitrep.figures import monitoring as fig

C = "451481000000"
T1, T2 = "451481001000", "451481002000"
V1, V2, V3, V4, V5 = "451481001001", "451481001002", "451481001003", "451481002001", "451481002002"
G1, G2 = "451481002001001", "451481002001002"
D = date(2022, 3, 31)
HAVES = list(fig.FIVE_HAVES)


def unit(code, person, level, missing=(), empty=(), checked=None):
    row = {"region_code": code, "responsible_person": person, "phone": "13912345678", "responsible_level": level,
           "checked_date": checked}
    for h in HAVES:
        row[h] = None if h in empty else (h not in missing)
    return row


def day(n: int) -> date:
    """D - n."""
    return D - timedelta(days=n)


def report(d, site, visits, fever=None, flagged=None):
    return {"date": d, "site_id": site, "visits": visits, "fever": fever, "flagged": flagged}


TABLES = {
    "regions": tiny_regions(),
    "grid_units": [
        unit(T1, "李市长", "city_leader"),
        unit(T2, "王市长", "city_leader", missing=["has_materials"]),
        unit(V1, "张一", "township_cadre", checked=date(2022, 1, 10)),
        unit(V2, "张二", "township_cadre", missing=["has_guide", "has_isolation_transfer"], checked=date(2022, 1, 11)),
        unit(V4, "张四", "township_cadre"),
        unit(G1, "赵一", "village_cadre"),
        unit(G2, "赵二", "village_cadre", missing=["has_medical_support"], checked=date(2022, 1, 12)),
        unit(V5, "张五", "township_cadre", empty=["has_system_owner"]),
    ],
    "sentinel_sites": [
        {"site_id": "S1", "site_name": "东门发热门诊", "site_type": "fever_clinic", "region_code": V1,
         "lon": 106.7615, "lat": 22.1112},
        {"site_id": "S2", "site_name": "上村药店", "site_type": "pharmacy", "region_code": V4},   # no position
        {"site_id": "S3", "site_name": "一组药店", "site_type": "pharmacy", "region_code": G1,
         "lon": 106.7013, "lat": 22.0853},
        {"site_id": "S4", "site_name": "河西中学", "site_type": "school", "region_code": T2},     # a township site
    ],
    "sentinel_reports": [
        report(D, "S1", 30, 10, True), report(day(1), "S1", 20, 5), report(day(6), "S1", 10, 1),
        report(day(7), "S1", 100, 50),                 # outside the 7-day window, inside the 8 weeks
        report(day(55), "S1", 7, 1),                   # first day of the 8 weeks
        report(day(56), "S1", 999, 999),               # one day before them
        report(D, "S2", 12, 2), report(day(3), "S2", 8, 0),
        report(D, "S3", 5), report(day(6), "S3", 4, 1),
        report(day(1), "S4", 50, 3),                   # the school did not report on D
        report(D + timedelta(days=1), "S1", 500, 500),  # after D: never counted
    ],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    return build_db(tmp_path_factory.mktemp("monitoring") / "m.duckdb", TABLES)


def values(v) -> list:
    """A plotly data array as a list: plotly encodes numeric arrays as {dtype, bdata} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def rows(df: pd.DataFrame, cols: list[str]) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in df[cols].itertuples(index=False)]


# ------------------------------------------------------------------ grid queries


def test_grid_haves_by_village_counts_a_have_only_when_the_village_and_all_its_groups_have_it(db):
    got = db.query("grid_haves_by_village")
    assert rows(got, ["region_code", "haves", "has_unit", "units", "units_with_holes"]) == [
        (V1, 5, True, 1, 0),
        (V2, 3, True, 1, 1),
        (V3, None, False, 0, 0),   # no grid unit: no score, a hole on the map
        (V4, 4, True, 3, 1),       # its own unit is complete, group G2 lacks medical support
        (V5, 4, True, 1, 1),       # an empty flag counts as missing
    ]
    assert db.query("grid_haves_by_village", region_code=T2)["region_code"].tolist() == [V4, V5]


def test_grid_holes_lists_villages_without_a_unit_first_with_the_township_leader_answering(db):
    got = db.query("grid_holes")
    assert rows(got, ["region_code", "township", "village", "region_name", "level", "hole", "responsible_person",
                      "responsible_level"]) == [
        (V3, "城东街道", "西门社区", "西门社区", "village", "no_unit", "李市长", "city_leader"),
        (V2, "城东街道", "南门社区", "南门社区", "village", "missing_haves", "张二", "township_cadre"),
        (T2, "河西镇", None, "河西镇", "township", "missing_haves", "王市长", "city_leader"),
        (G2, "河西镇", "上村", "上村二组", "group", "missing_haves", "赵二", "village_cadre"),
        (V5, "河西镇", "下村", "下村", "village", "missing_haves", "张五", "township_cadre"),
    ]
    assert [list(m) for m in got["missing"]] == [
        [], ["has_guide", "has_isolation_transfer"], ["has_materials"], ["has_medical_support"], ["has_system_owner"]]
    assert got["checked_date"].iloc[1] == pd.Timestamp("2022-01-11")
    assert db.query("grid_holes", region_code=T1)["region_code"].tolist() == [V3, V2]
    assert db.query("grid_holes", region_code=V4)["region_code"].tolist() == [G2]


def test_grid_haves_missing_counts_units_missing_each_have_in_the_speech_order(db):
    got = db.query("grid_haves_missing")
    assert rows(got, ["have", "units_missing", "units"]) == [
        ("has_guide", 1, 8), ("has_system_owner", 1, 8), ("has_materials", 1, 8),
        ("has_medical_support", 1, 8), ("has_isolation_transfer", 1, 8)]
    got = db.query("grid_haves_missing", region_code=T2)
    assert got["units_missing"].tolist() == [0, 1, 1, 1, 0]
    assert set(got["units"]) == {5}


def test_grid_units_by_level_lists_all_four_levels_with_the_regions_they_cover(db):
    got = db.query("grid_units_by_level")
    assert rows(got, ["responsible_level", "units", "units_complete", "units_with_holes", "regions"]) == [
        ("city_leader", 2, 1, 1, 2), ("township_cadre", 4, 2, 2, 5), ("village_cadre", 2, 1, 1, 2),
        ("group_cadre", 0, 0, 0, None)]
    got = db.query("grid_units_by_level", region_code=T1)
    assert rows(got, ["responsible_level", "units", "regions"]) == [
        ("city_leader", 1, 1), ("township_cadre", 2, 3), ("village_cadre", 0, 0), ("group_cadre", 0, None)]


# ------------------------------------------------------------------ sentinel queries


def test_sentinel_daily_covers_the_8_weeks_up_to_d_with_gaps_for_days_without_reports(db):
    got = db.query("sentinel_daily_by_site_type", as_of=D)
    assert len(got) == 56 * 3  # three site types in the city
    assert got["date"].min() == pd.Timestamp(day(55)) and got["date"].max() == pd.Timestamp(D)
    by = {(r.site_type, r.date.date()): r for r in got.itertuples()}
    assert (by["fever_clinic", D].visits, by["fever_clinic", D].fever) == (30, 10)
    assert by["fever_clinic", day(55)].visits == 7
    assert pd.isna(by["fever_clinic", day(2)].visits) and by["fever_clinic", day(2)].sites_reporting == 0
    assert (by["pharmacy", D].visits, by["pharmacy", D].fever, by["pharmacy", D].sites_reporting) == (17, 2, 2)
    assert by["school", day(1)].visits == 50 and pd.isna(by["school", D].visits)
    assert set(db.query("sentinel_daily_by_site_type", as_of=D, region_code=T1)["site_type"]) == {"fever_clinic"}


def test_sentinel_sites_on_day_with_position_fallback_and_7_day_visits(db):
    got = db.query("sentinel_sites_on_day", as_of=D)
    assert rows(got, ["site_id", "site_type", "place", "lon", "lat", "visits", "fever", "flagged", "visits_7d"]) == [
        ("S1", "fever_clinic", "东门社区", 106.7615, 22.1112, 30, 10, True, 60),
        ("S2", "pharmacy", "上村", 106.701, 22.085, 12, 2, None, 20),       # at its village's centre
        ("S3", "pharmacy", "上村", 106.7013, 22.0853, 5, None, None, 9),
        ("S4", "school", "河西镇", 106.70, 22.08, None, None, None, 50),    # no report on D
    ]
    assert db.query("sentinel_sites_on_day", as_of=D, region_code=V4)["site_id"].tolist() == ["S2", "S3"]


def test_sentinel_by_village_on_day_sums_the_sites_of_each_village(db):
    got = db.query("sentinel_by_village_on_day", as_of=D)
    assert rows(got, ["region_code", "sites", "sites_reporting", "visits", "fever"]) == [
        (V1, 1, 1, 30, 10), (T2, 1, 0, None, None), (V4, 2, 2, 17, 2)]


# ------------------------------------------------------------------ builders


def test_haves_missing_bar_in_the_speech_order_with_counts_and_shares(db):
    labels = {h: h.upper() for h in HAVES}
    spec = fig.haves_missing_bar(db.query("grid_haves_missing", region_code=T2),
                                 fig.MonitoringLabels(have=labels)).to_dict()
    bar = spec["data"][0]
    assert list(bar["y"]) == [labels[h] for h in HAVES]
    assert values(bar["x"]) == [0, 1, 1, 1, 0]
    assert list(bar["text"]) == ["0 (0.0%)", "1 (20.0%)", "1 (20.0%)", "1 (20.0%)", "0 (0.0%)"]
    # a count axis steps by whole units: plotly's own step is 0.5 here, which ",d" prints as 0, 1, 1
    assert spec["layout"]["xaxis"]["dtick"] == 1 and spec["layout"]["xaxis"]["tickformat"] == ",d"


def test_grid_levels_bar_stacks_complete_and_holes_and_labels_units_over_regions(db):
    spec = fig.grid_levels_bar(db.query("grid_units_by_level"),
                               fig.MonitoringLabels(units_complete="ok", units_with_holes="hole")).to_dict()
    complete, holes, text = spec["data"]
    assert values(complete["x"]) == [1, 2, 1, 0] and values(holes["x"]) == [1, 2, 1, 0]
    assert list(text["text"]) == ["2 / 2", "4 / 5", "2 / 2", "0"]


def test_small_multiples_one_panel_per_site_type_with_its_own_axis(db):
    series = db.query("sentinel_daily_by_site_type", as_of=D)
    spec = fig.sentinel_small_multiples(series, fig.MonitoringLabels(site_type={"school": "学校"}),
                                        measure="fever").to_dict()
    assert [t["name"] for t in spec["data"]] == ["fever_clinic", "pharmacy", "学校"]
    assert len({t["yaxis"] for t in spec["data"]}) == 3
    assert values(spec["data"][0]["y"])[-1] == 10  # fever at the fever clinic on D


def test_site_points_and_holes_table(db):
    sites = db.query("sentinel_sites_on_day", as_of=D)
    pts = fig.site_points(sites, fig.MonitoringLabels(site_type={"school": "学校"}, no_report="-", flagged="!"),
                          measure="visits")
    assert pts["value_text"].tolist() == ["30", "12", "5", "-"]
    assert pts["flag"].tolist() == ["!", "", "", ""]
    assert pts["name"].iloc[3] == "河西中学(学校)"
    assert pts["colour"].iloc[0] == list(fig.SITE_TYPE_COLOURS["fever_clinic"]) + [235]
    table = fig.holes_table(db.query("grid_holes"),
                            fig.MonitoringLabels(have={h: h[4:] for h in HAVES}, hole={"no_unit": "none"}))
    assert table["missing"].tolist() == ["", "guide、isolation_transfer", "materials", "medical_support", "system_owner"]
    assert table["hole"].iloc[0] == "none" and "phone" in table.columns
    assert table["region_name"].tolist() == ["西门社区", "南门社区", "河西镇", "上村 · 上村二组", "下村"]


def test_score_classes_give_each_score_its_colour_and_share_the_low_one():
    classes = fig.score_classes(fig.MonitoringLabels(score={5: "a", 4: "b", 3: "c", "low": "d"}))
    assert classes[5].colour == fig.SCORE_COLOURS[5] and classes[0] is classes[2]
    assert maps.HIGHLIGHT not in {c.colour for c in classes.values()}


# ------------------------------------------------------------------ the page on the demo city


def run_page(demo_db, monkeypatch, *, lang="zh", scope=None) -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    params = {"lang": lang, "scope": scope}
    at = open_page("monitoring", **{k: v for k, v in params.items() if v})
    return at


def layer(deck: dict, layer_id: str) -> dict:
    return next(lyr for lyr in deck["layers"] if lyr["id"] == layer_id)


def decks(at) -> list[dict]:
    return [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]


def charts(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def test_page_shows_the_grid_holes_and_the_sentinel_sites_of_the_demo_city(demo_db, monkeypatch):
    from sitrep.demo.city import build_city
    from sitrep.demo.scenario import build_scenario

    database = Database(demo_db)
    as_of = database.query("data_date_range")["max_date"].iloc[0].date()
    at = run_page(demo_db, monkeypatch, lang="en")
    assert [m.label.split("] ")[-1] for m in at.metric] == [
        "Grid units with all five haves", "Villages without a grid owner", "Sentinel visits today"]

    grid_deck, sentinel_deck = decks(at)[:2]  # the alert map follows (tests/test_alerts.py)
    polys = layer(grid_deck, "map-monitoring_grid")["data"]
    holes = {p["region_code"] for p in polys if p["fill"][:3] == list(maps.HIGHLIGHT)}
    assert holes == set(build_scenario(build_city(42), 42).grid_holes)  # the demo's planted holes
    assert {tuple(p["fill"][:3]) for p in polys} <= {*fig.SCORE_COLOURS.values(), maps.HIGHLIGHT}
    points = layer(sentinel_deck, "map-monitoring_sentinel-points")["data"]
    sites = database.query("sentinel_sites_on_day", as_of=as_of)
    assert len(points) == len(sites)
    assert {tuple(p["colour"][:3]) for p in points} == {fig.SITE_TYPE_COLOURS[t] for t in set(sites["site_type"])}

    haves, levels, lines = charts(at)[:3]  # then the alert explanation
    assert haves["data"][0]["y"][0] == "A prevention guide"
    expected = database.query("grid_haves_missing")["units_missing"].tolist()
    assert values(haves["data"][0]["x"]) == expected
    assert levels["data"][0]["y"][0] == "City leaders cover townships"
    assert len([d for d in lines["data"] if d["mode"] == "lines"]) == sites["site_type"].nunique()
    # the alarm days (C2, as the alerts count them) marked on each site type's line
    from sitrep.warning import ears

    start = max(as_of - timedelta(days=55), database.query("data_date_range")["min_date"].iloc[0].date())
    alarms = ears.alarm_days(ears.aberrations(database, as_of=as_of, date_from=start), ["c2"])
    marks = [d for d in lines["data"] if d["mode"] == "markers"]
    assert marks and all(d["name"] == "alarm day" for d in marks)
    assert sum(len(values(d["x"])) for d in marks) == len(alarms)
    n_holes = len(database.query("grid_holes"))
    assert [e.label for e in at.expander if e.label.startswith("Grid holes")] == [
        f"Grid holes and who answers for them ({n_holes})"]

    at.radio(key="monitoring_measure").set_value("fever").run()
    lines = charts(at)[2]
    assert lines["layout"]["title"]["text"].startswith("People with fever")
    series = database.query("sentinel_daily_by_site_type", as_of=as_of)
    fever = series[series["site_type"] == "fever_clinic"].sort_values("date")["fever"].tolist()
    shown = values(next(t for t in lines["data"] if t["name"] == "Fever clinic")["y"])
    assert [None if pd.isna(v) else v for v in fever] == [None if pd.isna(v) else v for v in shown]


def test_page_at_township_scope_shows_only_its_villages(demo_db, monkeypatch):
    database = Database(demo_db)
    township = database.rows("select min(region_code) from regions where level = 'township'")[0][0]
    at = run_page(demo_db, monkeypatch, scope=township)
    polys = layer(decks(at)[0], "map-monitoring_grid")["data"]
    assert {p["region_code"][:9] for p in polys} == {township[:9]}
    assert charts(at)[0]["data"][0]["y"][0] == "有疫情防控指南"

"""The publicity page ("one flag"): its queries on a small hand-checked city, its figure builders,
and the page itself under AppTest on the demo city.

Hand-built city (tests/builders.tiny_regions): 城东街道 T1 (6000) with 东门 V1 (3000), 南门 V2 (2000),
西门 V3 (1000); 河西镇 T2 (2500) with 上村 V4 (1500; groups G1, G2) and 下村 V5 (1000). D = 2022-03-31.

Publicity (date: village, channel, activities, reach, theme):
  D      V1 vehicle 2, 500, knowledge        D-6 (03-25)  V1 wechat 1, 300, policy
  D-7    V2 poster 1, 100, protection        (out of the 7-day window, in the 14-day one)
  D-2    G1 village broadcast 3, 800, confidence   (a group's record counts for its village V4)
  D-13   V4 leaflet 1, 200, no theme
  D-29   V5 sms 1, 900, vaccination          (first day of the 30-day window)
  D-30   V5 sms 1, 50, vaccination           (one day before it)
  D+1    V3 vehicle 1, 100                   (after D: never counted; V3 has nothing up to D)
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
from sitrep.figures import publicity as fig

T1, T2 = "451481001000", "451481002000"
V1, V2, V3, V4, V5 = "451481001001", "451481001002", "451481001003", "451481002001", "451481002002"
G1 = "451481002001001"
D = date(2022, 3, 31)


def day(n: int) -> date:
    return D - timedelta(days=n)


def pub(d, code, channel, activities, reach, theme=None):
    return {"date": d, "region_code": code, "channel": channel, "activities": activities, "reach": reach,
            "theme": theme}


TABLES = {
    "regions": tiny_regions(),
    "publicity": [
        pub(D, V1, "vehicle", 2, 500, "knowledge"),
        pub(day(6), V1, "wechat", 1, 300, "policy"),
        pub(day(7), V2, "poster", 1, 100, "protection"),
        pub(day(2), G1, "village_broadcast", 3, 800, "confidence"),
        pub(day(13), V4, "leaflet", 1, 200),
        pub(day(29), V5, "sms", 1, 900, "vaccination"),
        pub(day(30), V5, "sms", 1, 50, "vaccination"),
        pub(D + timedelta(days=1), V3, "vehicle", 1, 100),
    ],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    return build_db(tmp_path_factory.mktemp("publicity") / "p.duckdb", TABLES)


def rows(df: pd.DataFrame, cols: list[str]) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in df[cols].itertuples(index=False)]


def values(v) -> list:
    """A plotly data array as a list: plotly encodes numeric arrays as {dtype, bdata} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


# ------------------------------------------------------------------ queries


def test_coverage_by_village_over_7_days_with_blind_spots_first(db):
    got = db.query("publicity_coverage_by_village", as_of=D, days=7)
    assert rows(got, ["region_code", "village", "activities", "reach", "channels", "covered", "days_since_last"]) == [
        (V3, "西门社区", 0, 0, 0, False, None),   # never any publicity up to D
        (V5, "下村", 0, 0, 0, False, 29),
        (V2, "南门社区", 0, 0, 0, False, 7),      # D-7 is outside a 7-day window
        (V4, "上村", 3, 800, 1, True, 2),         # through its group
        (V1, "东门社区", 3, 800, 2, True, 0),     # D-6 is inside
    ]
    assert got["last_date"].iloc[1] == pd.Timestamp(day(29))


def test_coverage_window_of_14_and_30_days(db):
    got = db.query("publicity_coverage_by_village", as_of=D, days=14)
    assert got.loc[~got["covered"], "region_code"].tolist() == [V3, V5]
    assert got.set_index("region_code").loc[V4, ["activities", "reach", "channels"]].tolist() == [4, 1000, 2]
    got = db.query("publicity_coverage_by_village", as_of=D, days=30)
    assert got.loc[~got["covered"], "region_code"].tolist() == [V3]
    assert got.set_index("region_code").loc[V5, "reach"] == 900       # D-30 is outside
    got = db.query("publicity_coverage_by_village", as_of=D, days=30, region_code=T1)
    assert got["region_code"].tolist() == [V3, V2, V1]


def test_channel_mix_lists_every_channel_in_order(db):
    got = db.query("publicity_by_channel", as_of=D, days=30)
    assert rows(got, ["channel", "activities", "reach", "villages"]) == [
        ("vehicle", 2, 500, 1), ("cable_tv", 0, 0, 0), ("village_broadcast", 3, 800, 1), ("loudspeaker", 0, 0, 0),
        ("bulletin_board", 0, 0, 0), ("poster", 1, 100, 1), ("leaflet", 1, 200, 1), ("sms", 1, 900, 1),
        ("wechat", 1, 300, 1)]
    got = db.query("publicity_by_channel", as_of=D, days=30, region_code=T2)
    assert got.loc[got["activities"] > 0, "channel"].tolist() == ["village_broadcast", "leaflet", "sms"]


def test_reach_per_head_one_level_below_the_scope(db):
    got = db.query("publicity_reach_per_head_by_region", as_of=D, days=30)
    assert rows(got, ["region_code", "population", "reach", "reach_per_head", "scope_reach_per_head"]) == [
        (T2, 2500, 1900, 0.76, 0.33), (T1, 6000, 900, 0.15, 0.33)]     # 2800 / 8500 = 0.329
    got = db.query("publicity_reach_per_head_by_region", as_of=D, days=30, region_code=T1)
    assert rows(got, ["region_code", "reach", "reach_per_head", "scope_reach_per_head"]) == [
        (V1, 800, 0.27, 0.15), (V2, 100, 0.05, 0.15), (V3, 0, 0.0, 0.15)]
    got = db.query("publicity_reach_per_head_by_region", as_of=D, days=30, region_code=V4)
    assert rows(got, ["region_code", "reach", "reach_per_head"]) == [(V4, 1000, 0.67)]


def test_weekly_themes_end_on_d_and_leave_out_a_partial_first_week(db):
    got = db.query("publicity_weekly_by_theme", as_of=D)
    assert rows(got, ["week_start", "week_end", "theme", "activities", "reach"]) == [
        (pd.Timestamp("2022-03-18"), pd.Timestamp("2022-03-24"), "protection", 1, 100),
        (pd.Timestamp("2022-03-18"), pd.Timestamp("2022-03-24"), None, 1, 200),
        (pd.Timestamp("2022-03-25"), pd.Timestamp("2022-03-31"), "confidence", 3, 800),
        (pd.Timestamp("2022-03-25"), pd.Timestamp("2022-03-31"), "knowledge", 2, 500),
        (pd.Timestamp("2022-03-25"), pd.Timestamp("2022-03-31"), "policy", 1, 300),
    ]  # the week 02-25..03-03 starts before the first record (03-01): left out


# ------------------------------------------------------------------ builders


def test_channel_mix_figure(db):
    spec = fig.channel_mix(db.query("publicity_by_channel", as_of=D, days=30),
                           fig.PublicityLabels(channel={"vehicle": "流动宣传车"}, activities="次数", reach="人次",
                                               lang="zh")).to_dict()
    acts, reach = spec["data"]
    assert acts["y"][0] == "流动宣传车" and len(acts["y"]) == 9
    assert values(acts["x"])[:3] == [2, 0, 3]
    assert reach["text"][7] == "900"
    assert fig.big_number(5_471_279, "zh") == "547万" and fig.big_number(5_471_279, "en") == "5.47M"
    assert fig.big_number(12_345, "en") == "12.3K" and fig.big_number(9_999, "zh") == "9,999"


def test_reach_per_head_figure_marks_the_overall_value(db):
    df = db.query("publicity_reach_per_head_by_region", as_of=D, days=30, region_code=T1)
    spec = fig.reach_per_head(df, fig.PublicityLabels(reach_axis="x", reach_average="合计 {v}")).to_dict()
    assert list(spec["data"][0]["y"]) == ["东门社区", "南门社区", "西门社区"]
    assert spec["layout"]["shapes"][0]["x0"] == 0.15
    assert spec["layout"]["annotations"][0]["text"] == "合计 0.15"


def test_themes_by_week_stacks_in_the_contract_order_with_unspecified_last(db):
    spec = fig.themes_by_week(db.query("publicity_weekly_by_theme", as_of=D),
                              fig.PublicityLabels(theme={"knowledge": "防疫知识"}, theme_unspecified="未注明",
                                                  themes_week="w")).to_dict()
    assert [t["name"] for t in spec["data"]] == ["防疫知识", "protection", "policy", "confidence", "未注明"]
    assert spec["layout"]["barmode"] == "stack"


# ------------------------------------------------------------------ the page on the demo city


def run_page(demo_db, monkeypatch, *, lang="zh", scope=None) -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    params = {"lang": lang, "scope": scope}
    at = open_page("publicity", **{k: v for k, v in params.items() if v})
    return at


def coverage_layer(at) -> list[dict]:
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return next(lyr for lyr in deck["layers"] if lyr["id"] == "map-publicity_coverage")["data"]


def test_page_finds_the_demo_blind_villages_for_every_window(demo_db, monkeypatch):
    from sitrep.demo.city import build_city
    from sitrep.demo.scenario import build_scenario

    blind = sorted(build_scenario(build_city(42), 42).blind_villages)   # silent for the last 30 days
    n_villages = Database(demo_db).rows("select count(*) from regions where level = 'village'")[0][0]
    at = run_page(demo_db, monkeypatch, lang="en")
    for days in (7, 14, 30):
        if days != 7:
            at.radio(key="publicity_days").set_value(days).run()
        assert not at.exception
        highlighted = sorted(p["region_code"] for p in coverage_layer(at) if p["fill"][:3] == list(maps.HIGHLIGHT))
        assert highlighted == blind, days
        metrics = {m.label: m.value for m in at.metric}
        assert metrics[f"Villages reached · Last {days} days"] == f"{n_villages - len(blind)}/{n_villages}"
        assert metrics[f"Blind spots · Last {days} days"] == str(len(blind))
        table = at.dataframe[0].value
        assert sorted(table["Region code"]) == blind
        assert not table["Village"].str.contains(r"\*").any()   # place names are not personal data
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    channels, reach, themes = charts
    assert channels["layout"]["title"]["text"] == "Channels, last 30 days"
    assert len(channels["data"][0]["y"]) == 9
    n_townships = Database(demo_db).rows("select count(*) from regions where level = 'township'")[0][0]
    assert len(reach["data"][0]["y"]) == n_townships
    assert {t["name"] for t in themes["data"]} <= {"Knowledge", "Protection", "Policy", "Vaccination", "Confidence",
                                                   "Not given"}


def test_page_at_village_scope(demo_db, monkeypatch):
    database = Database(demo_db)
    village = database.rows("select min(region_code) from regions where level = 'village'")[0][0]
    at = run_page(demo_db, monkeypatch, scope=village)
    assert [p["region_code"] for p in coverage_layer(at)] == [village]
    reach = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert len(reach["data"][0]["y"]) == 1

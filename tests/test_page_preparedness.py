"""Preparedness (一本账): its queries on a hand-checked city, its figure builders, and the
page under AppTest on the demo city (the numbers it draws are the queries' numbers)."""

from __future__ import annotations

import base64
import json
import math
from datetime import date

import numpy as np

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from builders import CITY, build_db, open_page, tiny_regions
from sitrep import catalogue
from sitrep.db import ROOT, Database
from sitrep.figures import STATUS_COLOURS
from sitrep.figures import preparedness as fig

D = date(2022, 1, 15)
T1, T2 = "451481001000", "451481002000"  # 城东街道, 河西镇
V11 = "451481001001"  # 东门社区, in T1


def cap(day, lab, region, tubes, pool, tested, tat, points=None, staff=None):
    return {"date": day, "lab_id": lab, "lab_name": f"{lab} lab", "lab_type": "hospital", "region_code": region,
            "capacity_tubes": tubes, "pool_size": pool, "tubes_tested": tested, "turnaround_hours": tat,
            "sampling_points": points, "staff": staff}


def stock(day, wh, region, item, on_hand, use, target=None):
    return {"date": day, "warehouse_id": wh, "warehouse_name": f"{wh} store", "region_code": region,
            "item_code": item, "item_name": {"M": "mask", "G": "glove"}[item], "unit": "pc",
            "on_hand": on_hand, "daily_use": use, "target_days": target}


def money(day, source, purpose, allocated, disbursed, spent):
    return {"date": day, "source": source, "purpose": purpose, "allocated": allocated, "disbursed": disbursed,
            "spent": spent}


TABLES = {
    "regions": tiny_regions(),
    "test_capacity": [
        cap(date(2022, 1, 14), "L1", T1, 1000, 10, 500, 6.0),
        cap(D, "L1", T1, 1000, 10, 850, 8.0, 3, 10),
        cap(D, "L2", T2, 500, 5, 100, 4.0, 2, 6),
        cap(D, "L3", None, 200, None, None, None),  # no region, no pool size, nothing tested
        cap(date(2022, 1, 16), "L1", T1, 1000, 10, 999, 9.0),  # after D: never counted
    ],
    "reserves": [
        stock(D, "W0", CITY, "M", 3000, 100),  # the city's own store: exactly 30 days, not below
        stock(D, "W0", CITY, "G", 290, 10),  # 29 days: below 30
        stock(date(2022, 1, 8), "W1", V11, "M", 1000, 10),  # an older row of W1: replaced by D's
        stock(D, "W1", V11, "M", 200, 10),  # 20 days: below
        stock(D, "W1", V11, "G", 500, 0),  # no use: no days of supply, never below
        stock(date(2022, 1, 12), "W2", T2, "M", 999, 20, target=60),  # weekly store: latest row D-3; 49.95 d < 60
        stock(date(2022, 1, 12), "W2", T2, "G", 100, None),
        stock(date(2022, 1, 16), "W2", T2, "M", 1, 1),  # after D
        stock(D, "W4", None, "M", 50, 5),  # no region: 10 days
    ],
    "funds": [
        money(date(2022, 1, 1), "central", "testing", 100, 80, 50),
        money(date(2022, 1, 10), "central", "testing", 120, 100, 60),  # latest <= D
        money(date(2022, 1, 20), "central", "testing", 200, 150, 100),  # after D
        money(date(2022, 1, 5), "municipal", "testing", 50, 40, 26),
        money(D, "municipal", "materials", 30, 30, None),  # nothing spent reported yet
    ],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    return build_db(tmp_path_factory.mktemp("prep") / "prep.duckdb", TABLES)


def rows(df: pd.DataFrame, cols: list[str]) -> list[tuple]:
    return [tuple(None if (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT else v
                  for v in r) for r in df[cols].itertuples(index=False)]


def day(v) -> date:
    return pd.Timestamp(v).date()


def arr(v) -> list:
    """A plotly array as a list (plotly 7 writes numeric arrays as base64 'bdata')."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


# ------------------------------------------------------------------ testing capacity


def test_capacity_daily_sums_labs_and_weights_turnaround_by_tubes(db):
    df = db.query("test_capacity_daily", as_of=D)
    assert [day(d) for d in df["date"]] == [date(2022, 1, 14), D]
    cols = ["labs", "capacity_tubes", "tubes_tested", "use_pct", "capacity_persons_per_day", "turnaround_hours",
            "turnaround_hours_max", "sampling_points", "staff"]
    assert rows(df, cols) == [
        (1, 1000, 500, 50.0, 10000, 6.0, 6.0, None, None),
        # 950 / 1700; persons 1000x10 + 500x5 + 200x1; turnaround (8x850 + 4x100) / 950 = 7.58
        (3, 1700, 950, 55.9, 12700, 7.6, 8.0, 5, 16),
    ]


def test_capacity_daily_in_a_township_counts_only_its_labs(db):
    df = db.query("test_capacity_daily", as_of=D, region_code=T2)
    assert rows(df, ["labs", "capacity_tubes", "tubes_tested", "use_pct", "capacity_persons_per_day"]) == [
        (1, 500, 100, 20.0, 2500)]


def test_capacity_by_lab_on_d_with_the_week(db):
    df = db.query("test_capacity_by_lab", as_of=D)
    assert rows(df, ["lab_id", "region_name", "pool_size", "capacity_persons_per_day", "use_pct", "use_pct_7d"]) == [
        ("L1", "城东街道", 10, 10000, 85.0, 67.5),  # week: (500 + 850) / 2000
        ("L2", "河西镇", 5, 2500, 20.0, 20.0),
        ("L3", None, 1, 200, None, None),
    ]


def test_capacity_summary_agrees_with_the_kpis(db):
    for scope, population, days, use in ((None, 8500, 0.67, 55.9), (T2, 2500, 0.2, 20.0)):
        s = db.query("test_capacity_summary", as_of=D, region_code=scope).iloc[0]
        assert (s.city_labs, s.city_capacity_tubes, s.city_capacity_persons_per_day) == (3, 1700, 12700)
        assert (s.scope_population, s.days_to_test_everyone, s.use_pct) == (population, days, use)
        kpis = dict(db.query("kpis", as_of=D, region_code=scope)[["kpi", "value"]].values)
        assert kpis["days_to_test_everyone"] == days and kpis["test_capacity_use_pct"] == use


# ------------------------------------------------------------------ reserves


def test_reserves_ledger_takes_each_warehouses_latest_row(db):
    df = db.query("reserves_by_warehouse_item", as_of=D)
    assert rows(df, ["warehouse_id", "item_code", "on_hand", "days_of_supply", "target_days", "below_target",
                     "days_since_report", "region_name"]) == [
        ("W4", "M", 50, 10.0, 30, True, 0, None),
        ("W1", "M", 200, 20.0, 30, True, 0, "东门社区"),
        ("W0", "G", 290, 29.0, 30, True, 0, "示范市"),
        ("W2", "M", 999, 49.9, 60, True, 3, "河西镇"),  # 49.95 cut, not rounded up
        ("W0", "M", 3000, 30.0, 30, False, 0, "示范市"),
        ("W1", "G", 500, None, 30, False, 0, "东门社区"),
        ("W2", "G", 100, None, 30, False, 3, "河西镇"),
    ]


def test_reserves_ledger_in_a_township(db):
    df = db.query("reserves_by_warehouse_item", as_of=D, region_code=T1)
    assert rows(df, ["warehouse_id", "item_code", "days_of_supply"]) == [("W1", "M", 20.0), ("W1", "G", None)]


def test_reserves_by_item_totals_the_warehouses(db):
    df = db.query("reserves_by_item", as_of=D)
    assert rows(df, ["item_code", "on_hand", "daily_use", "days_of_supply", "target_days", "below_target",
                     "warehouses", "warehouses_below_target", "lowest_warehouse_days"]) == [
        ("G", 890, 10, 89.0, 30, False, 3, 1, 29.0),
        # 4249 / 135 = 31.47 days against the largest target (60)
        ("M", 4249, 135, 31.4, 60, True, 4, 3, 10.0),
    ]
    assert [day(d) for d in df["first_stock_date"]] == [date(2022, 1, 12)] * 2


def test_reserves_by_region_per_township_and_village(db):
    town = db.query("reserves_by_region", as_of=D, level="township")
    # the city's store and the store with no region are in no township
    assert rows(town, ["region_code", "lowest_days_of_supply", "warehouses", "items_below_target"]) == [
        (T1, 20.0, 1, 1), (T2, 49.9, 1, 1)]
    village = db.query("reserves_by_region", as_of=D, level="village")
    assert rows(village, ["region_code", "lowest_days_of_supply"]) == [(V11, 20.0)]


def test_reserves_warehouses_as_points(db):
    df = db.query("reserves_warehouses", as_of=D)
    assert rows(df, ["warehouse_id", "items", "items_below_target", "lowest_days_of_supply", "lowest_item_name"]) == [
        ("W0", 2, 1, 29.0, "glove"), ("W1", 2, 1, 20.0, "mask"), ("W2", 2, 1, 49.9, "mask"),
        ("W4", 1, 1, 10.0, "mask")]
    lon = dict(zip(df["warehouse_id"], df["lon"].round(4)))
    # W4 has no region: at the city's point, nudged east of the city's own store W0
    assert (lon["W0"], lon["W1"], lon["W2"], lon["W4"]) == (106.75, 106.761, 106.70, 106.76)


# ------------------------------------------------------------------ funds


def test_funds_ledger_latest_rows_with_subtotals(db):
    df = db.query("funds_by_source_purpose", as_of=D)
    cols = ["source", "purpose", "is_source_total", "is_purpose_total", "is_total", "allocated", "disbursed", "spent",
            "disbursed_pct", "execution_pct", "unspent"]
    assert rows(df, cols) == [
        ("central", "testing", False, False, False, 120, 100, 60, 83.3, 50.0, 60),
        ("central", None, True, False, False, 120, 100, 60, 83.3, 50.0, 60),
        ("municipal", "materials", False, False, False, 30, 30, None, 100.0, None, 30),
        ("municipal", "testing", False, False, False, 50, 40, 26, 80.0, 52.0, 24),
        ("municipal", None, True, False, False, 80, 70, 26, 87.5, 32.5, 54),
        (None, "materials", False, True, False, 30, 30, None, 100.0, None, 30),
        (None, "testing", False, True, False, 170, 140, 86, 82.4, 50.6, 84),
        (None, None, False, False, True, 200, 170, 86, 85.0, 43.0, 114),
    ]
    kpis = dict(db.query("kpis", as_of=D)[["kpi", "value"]].values)
    assert kpis["funds_execution_pct"] == 43.0


def test_funds_ledger_for_display_orders_by_the_contract():
    data = pd.DataFrame([
        ("municipal", "testing", False, False, False, 50.0),
        ("central", "testing", False, False, False, 120.0),
        ("municipal", "materials", False, False, False, 30.0),
        ("central", None, True, False, False, 120.0),
        ("municipal", None, True, False, False, 80.0),
        (None, "testing", False, True, False, 170.0),
        (None, None, False, False, True, 200.0),
    ], columns=["source", "purpose", "is_source_total", "is_purpose_total", "is_total", "allocated"])
    for c in ("as_of_date", "disbursed", "spent", "disbursed_pct", "execution_pct", "unspent"):
        data[c] = None
    out = fig.funds_ledger(data, fig.PreparednessLabels(source={"central": "中央", "provincial": "省级", "municipal": "市级"},
                                                        purpose={"testing": "核酸检测", "materials": "物资"},
                                                        subtotal="小计", total="合计"))
    assert list(zip(out["source"], out["purpose"], out["allocated"])) == [
        ("中央", "核酸检测", 120.0), ("中央", "小计", 120.0),
        ("市级", "核酸检测", 50.0), ("市级", "物资", 30.0), ("市级", "小计", 80.0),
        ("合计", "", 200.0)]


# ------------------------------------------------------------------ figure builders


def test_kpi_gauge_has_the_catalogue_thresholds():
    cat = catalogue.by_key()
    use = fig.kpi_gauge(85.0, cat["test_capacity_use_pct"], fig.PreparednessLabels(lang="en"), maximum=100).to_dict()["data"][0]
    assert use["value"] == 85.0 and use["gauge"]["threshold"]["value"] == 80
    assert [s["range"] for s in use["gauge"]["steps"]] == [[0, 80], [80, 90], [90, 100]]
    assert use["gauge"]["bar"]["color"] == STATUS_COLOURS["amber"]
    funds = fig.kpi_gauge(30.0, cat["funds_execution_pct"], fig.PreparednessLabels(lang="zh"), maximum=100).to_dict()["data"][0]
    assert [s["range"] for s in funds["gauge"]["steps"]] == [[0, 40], [40, 60], [60, 100]]  # up is good
    assert funds["gauge"]["bar"]["color"] == STATUS_COLOURS["red"]
    empty = fig.kpi_gauge(None, cat["funds_execution_pct"], fig.PreparednessLabels(lang="en", no_data="No data")).to_dict()
    assert empty["data"] == [] and "No data" in empty["layout"]["annotations"][0]["text"]


def test_supply_bullets_cut_long_bars_and_split_warehouses():
    items = pd.DataFrame({"item_code": ["A", "B", "C"], "item_name": ["a", "b", "c"], "unit": ["u"] * 3,
                          "days_of_supply": [12.5, 200.0, None], "target_days": [30, 30, 30],
                          "below_target": [True, False, False], "on_hand": [125, 2000, 5], "daily_use": [10, 10, 0]})
    houses = pd.DataFrame({"item_name": ["a", "a", "b"], "warehouse_name": ["w1", "w2", "w1"],
                           "days_of_supply": [5.0, 40.0, 300.0], "below_target": [True, False, False]})
    labels = dict.fromkeys(["scope_total", "warehouse", "warehouse_short", "target", "days", "on_hand",
                            "daily_use"], "x")
    labels.update(warehouse="ok", warehouse_short="short")
    data = fig.supply_bullets(items, houses, fig.PreparednessLabels(supply=labels)).to_dict()["data"]
    bar = data[0]
    assert arr(bar["y"]) == ["a", "b"]  # an item with no use has no bar
    assert arr(bar["x"]) == [12.5, 90.0] and list(bar["text"]) == ["12.5", "200.0 ›"]
    assert bar["marker"]["color"] == [STATUS_COLOURS["red"], fig.PALETTE[0]]
    ok, short = data[1], data[2]
    assert (ok["name"], arr(ok["x"])) == ("ok", [40.0, 90.0 * 1.04])
    assert ok["marker"]["symbol"] == ["circle", "triangle-right"]
    assert (short["name"], arr(short["x"])) == ("short", [5.0])
    assert arr(data[3]["x"]) == [30, 30]


def test_shortfalls_are_listed_per_warehouse_shortest_first(db):
    stock = db.query("reserves_by_warehouse_item", as_of=D)
    got = [(w, day(d), items) for w, d, items in fig.shortfalls_by_warehouse(stock)]
    assert got == [
        ("W4 store", D, [("mask", 10.0, 30)]),
        ("W1 store", D, [("mask", 20.0, 30)]),
        ("W0 store", D, [("glove", 29.0, 30)]),
        ("W2 store", date(2022, 1, 12), [("mask", 49.9, 60)]),
    ]


# ------------------------------------------------------------------ the page


@pytest.fixture(scope="module")
def demo_as_of(demo_db) -> date:
    return pd.Timestamp(Database(demo_db).query("data_date_range")["max_date"].iloc[0]).date()


def run_page(db_path, monkeypatch, *, lang="en", scope=None, as_of=None) -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(db_path))
    params = {"lang": lang, "scope": scope, "as_of": as_of and as_of.isoformat()}
    at = open_page("preparedness", **{k: v for k, v in params.items() if v})
    assert not at.error, [e.value for e in at.error]
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def test_page_draws_the_queries_numbers(demo_db, demo_as_of, monkeypatch):
    at = run_page(demo_db, monkeypatch, as_of=demo_as_of)
    database = Database(demo_db)
    cat = catalogue.by_key()
    kpis = dict(database.query("kpis", as_of=demo_as_of)[["kpi", "value"]].values)
    keys = [k.key for k in catalogue.for_pillar("preparedness")]
    shown = {m.label.split("] ")[-1]: m.value for m in at.metric}
    assert {k: shown[cat[k].en] for k in keys} == {k: cat[k].format(kpis[k], "en") for k in keys}

    charts = specs(at)
    gauges = {c["data"][0]["title"]["text"]: c["data"][0]["value"] for c in charts
              if c["data"] and c["data"][0]["type"] == "indicator"}
    assert gauges == {cat[k].en: kpis[k] for k in ("test_capacity_use_pct", "days_to_test_everyone",
                                                    "funds_execution_pct")}

    daily = database.query("test_capacity_daily", as_of=demo_as_of)
    trend = next(c for c in charts if any(t.get("name") == "Tubes tested" for t in c["data"]))
    assert arr(trend["data"][0]["y"]) == daily["tubes_tested"].tolist()

    items = database.query("reserves_by_item", as_of=demo_as_of)
    bullets = next(c for c in charts if c["data"] and c["data"][0].get("name") == "Total in scope")
    assert arr(bullets["data"][0]["y"]) == items["item_name"].tolist()
    assert arr(bullets["data"][0]["x"]) == [min(d, 90.0) for d in items["days_of_supply"]]
    short = database.query("reserves_by_warehouse_item", as_of=demo_as_of)
    short = short[short["below_target"]]
    assert len(short) >= 1  # the demo plants shortfalls
    listed = [m.value for m in at.markdown if m.value.startswith(":red[■]")]
    assert len(listed) == short["warehouse_id"].nunique()  # one line per warehouse, its short items on it

    funds = database.query("funds_by_source_purpose", as_of=demo_as_of)
    purposes = next(c for c in charts if c["data"] and c["data"][0].get("name") == "Allocated")
    assert sorted(arr(purposes["data"][0]["x"])) == sorted(funds.loc[funds["is_purpose_total"], "allocated"])

    (deck,) = [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]
    layers = {layer["id"]: layer for layer in deck["layers"]}
    warehouses = database.query("reserves_warehouses", as_of=demo_as_of)
    points = layers["map-prep_reserves-points"]["data"]
    assert sorted(p["name"] for p in points) == sorted(warehouses["warehouse_name"])
    assert sum(p["colour"] == list(fig.WAREHOUSE_SHORT) for p in points) == int(
        (warehouses["items_below_target"] > 0).sum())

    tables = [df.value for df in at.dataframe]
    ledger = next(t for t in tables if "Allocated (10k yuan)" in t.columns)
    total = funds[funds["is_total"]].iloc[0]
    assert ledger.iloc[-1]["Source"] == "Total" and ledger.iloc[-1]["Allocated (10k yuan)"] == total["allocated"]
    reserves = next(t for t in tables if "Days of supply" in t.columns)
    assert len(reserves) == len(database.query("reserves_by_warehouse_item", as_of=demo_as_of))


def test_page_in_a_township_maps_that_township(demo_db, demo_as_of, monkeypatch):
    database = Database(demo_db)
    township = database.rows("select min(region_code) from reserves where region_code like '%000' "
                             "and region_code not like '%000000'")[0][0]
    at = run_page(demo_db, monkeypatch, lang="zh", scope=township, as_of=demo_as_of)
    (deck,) = [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]
    regions = next(layer for layer in deck["layers"] if layer["id"] == "map-prep_reserves")
    assert [r["region_code"] for r in regions["data"]] == [township]
    items = database.query("reserves_by_item", as_of=demo_as_of, region_code=township)
    bullets = next(c for c in specs(at) if c["data"] and c["data"][0].get("name") == "范围内合计")
    assert arr(bullets["data"][0]["y"]) == items["item_name"].tolist()


def test_page_runs_on_a_city_with_no_boundaries_and_no_later_data(db, monkeypatch):
    """The hand-built city has no boundary file and a capacity row after D: nothing breaks."""
    at = run_page(db.path, monkeypatch, lang="zh", as_of=D)
    assert at.title[0].value == "应急准备保障有力,做好疫情防控“一本账”"
    at = run_page(db.path, monkeypatch, lang="en", scope="451481002002", as_of=D)  # a village with nothing
    assert any("No laboratory" in i.value for i in at.info)

"""The cases page: its queries on a small hand-built city (exact numbers worked out by hand below), its
figure builders, and the page itself under AppTest (the specs it builds), on that city and on the demo.

D = 2022-01-15. The city is tests/builders.tiny_regions(): 城东街道 T1 (villages V1 东门, V2 南门, V3 西门) and
河西镇 T2 (villages V4 上村 with group G41, V5 下村).

Cases (cluster K1: a1 -> a2 -> a3, a1 -> a4 -> a5; K2: a8 alone, its infector unknown; K3: c1 <-> c2, a loop):
  a1  T1/V1  reported 01-10 onset 01-08  confirmed    local     screening           K1  discharged 01-14
  a2  T1/V1  reported 01-12 onset 01-11  confirmed    local     contact_tracing     K1  infector a1, hospitalised
  a3  T2/G41 reported 01-13 no onset     asymptomatic local     central_quarantine  K1  infector a2, discharged 01-16
  a4  T2/V5  reported 01-15 onset 01-14  confirmed    local     mass_testing        K1  infector a1, no position
  a5  T1/V2  reported 01-16 (after D)    confirmed    local                         K1  infector a4
  a6  T1/V3  reported 2021-12-20 onset 12-18 confirmed overseas central_quarantine      discharged 01-05
  a7  T1/V2  reported 01-14              suspected    local     fever_clinic
  a8  T2/V4  reported 01-11              confirmed    domestic  (not recorded)      K2  infector a99 (unknown)
  c1  T2/V5  reported 01-05              confirmed    local     contact_tracing     K3  infector c2, discharged 01-10
  c2  T2/V5  reported 01-06              confirmed    local     contact_tracing     K3  infector c1, discharged 01-10
a1 and a2 live in one household (same coordinates).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from builders import build_db, open_page, tiny_regions
from sitrep.figures import cases as fig
from sitrep.figures import nice_step

T1, T2 = "451481001000", "451481002000"
V1, V2, V3, V4, V5 = "451481001001", "451481001002", "451481001003", "451481002001", "451481002002"
G41 = "451481002001001"
D = "2022-01-15"
HOME = {"lon": 106.761, "lat": 22.111}


def case(case_id, report, region, category="确诊病例", source="本土", **kw):
    return {"case_id": case_id, "report_date": report, "region_code": region, "category": category,
            "source": source, **kw}


TABLES = {
    "regions": tiny_regions(),
    "cases": [
        case("a1", "2022-01-10", V1, onset_date="2022-01-08", found_by="主动筛查", cluster_id="K1", status="出院",
             discharge_date="2022-01-14", **HOME),
        case("a2", "2022-01-12", V1, onset_date="2022-01-11", found_by="密接排查", cluster_id="K1",
             infector_case_id="a1", status="住院", **HOME),
        case("a3", "2022-01-13", G41, category="无症状感染者", found_by="集中隔离", cluster_id="K1",
             infector_case_id="a2", status="出院", discharge_date="2022-01-16", lon=106.7012, lat=22.0852),
        case("a4", D, V5, onset_date="2022-01-14", found_by="全员核酸", cluster_id="K1", infector_case_id="a1",
             status="住院"),
        case("a5", "2022-01-16", V2, cluster_id="K1", infector_case_id="a4"),
        case("a6", "2021-12-20", V3, source="境外输入", onset_date="2021-12-18", found_by="集中隔离", status="出院",
             discharge_date="2022-01-05", lon=106.755, lat=22.108),
        case("a7", "2022-01-14", V2, category="疑似病例", found_by="发热门诊"),
        case("a8", "2022-01-11", V4, source="外地输入", cluster_id="K2", infector_case_id="a99"),
        case("c1", "2022-01-05", V5, found_by="密接排查", cluster_id="K3", infector_case_id="c2", status="出院",
             discharge_date="2022-01-10"),
        case("c2", "2022-01-06", V5, found_by="密接排查", cluster_id="K3", infector_case_id="c1", status="出院",
             discharge_date="2022-01-10"),
    ],
    "contacts": [
        # k1: in quarantine 01-10 .. 01-14 (released on D: out on D)
        {"contact_id": "k1", "case_id": "a1", "contact_type": "密接", "identified_date": "2022-01-10",
         "quarantine_start": "2022-01-10", "quarantine_place": "集中", "release_date": D, "region_code": V1},
        # k2: in from 01-11, not released
        {"contact_id": "k2", "case_id": "a1", "contact_type": "密接", "identified_date": "2022-01-11",
         "quarantine_start": "2022-01-11", "quarantine_place": "居家", "region_code": V1},
        # k3: identified 01-13, in from 01-14
        {"contact_id": "k3", "case_id": "a2", "contact_type": "次密接", "identified_date": "2022-01-13",
         "quarantine_start": "2022-01-14", "quarantine_place": "集中", "release_date": "2022-01-20",
         "region_code": V4},
        # k4: identified on D, quarantine not started, place not recorded
        {"contact_id": "k4", "case_id": "a2", "contact_type": "次密接", "identified_date": D, "region_code": V4},
        # k5: identified after D
        {"contact_id": "k5", "case_id": "a4", "contact_type": "密接", "identified_date": "2022-01-16",
         "quarantine_start": "2022-01-16", "quarantine_place": "集中", "region_code": V5},
    ],
}


@pytest.fixture(scope="module")
def cases_db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("cases") / "cases.duckdb", TABLES)


def rows(df: pd.DataFrame, cols: list[str]) -> list[tuple]:
    out = []
    for r in df[cols].itertuples(index=False):
        out.append(tuple(None if (v is None or (not isinstance(v, str) and pd.isna(v))) else
                         (v.date().isoformat() if isinstance(v, pd.Timestamp) else v) for v in r))
    return out


# -- queries ---------------------------------------------------------------------------------------------------

def test_epidemic_curve_by_report_date(cases_db):
    df = cases_db.query("cases_daily_by_source_category", as_of=D)
    assert rows(df, ["day", "source", "category", "cases"]) == [
        ("2021-12-20", "overseas", "confirmed", 1),
        ("2022-01-05", "local", "confirmed", 1),
        ("2022-01-06", "local", "confirmed", 1),
        ("2022-01-10", "local", "confirmed", 1),
        ("2022-01-11", "domestic_imported", "confirmed", 1),
        ("2022-01-12", "local", "confirmed", 1),
        ("2022-01-13", "local", "asymptomatic", 1),
        ("2022-01-14", "local", "suspected", 1),
        ("2022-01-15", "local", "confirmed", 1),   # a5, reported D+1, is not known on D
    ]
    township = cases_db.query("cases_daily_by_source_category", as_of=D, region_code=T1)
    assert township["cases"].sum() == 4  # a1, a2, a6, a7


def test_epidemic_curve_by_onset_date_keeps_the_cases_with_no_onset_apart(cases_db):
    df = cases_db.query("cases_daily_by_source_category", as_of=D, date_basis="onset")
    assert rows(df, ["day", "source", "category", "cases"]) == [
        ("2021-12-18", "overseas", "confirmed", 1),
        ("2022-01-08", "local", "confirmed", 1),
        ("2022-01-11", "local", "confirmed", 1),
        ("2022-01-14", "local", "confirmed", 1),
        (None, "domestic_imported", "confirmed", 1),   # a8
        (None, "local", "asymptomatic", 1),           # a3
        (None, "local", "confirmed", 2),              # c1, c2
        (None, "local", "suspected", 1),              # a7
    ]


def test_cases_by_village_count_groups_in_their_village_and_agree_with_the_kpi(cases_db):
    df = cases_db.query("cases_by_village", as_of=D)
    assert rows(df, ["region_code", "cases_cumulative", "cases_active", "cases_14d"]) == [
        (V1, 2, 1, 2),   # a1 discharged 01-14, a2 active
        (V2, 0, 0, 0),   # a7 suspected, a5 after D
        (V3, 1, 0, 0),   # a6 reported 2021-12-20, before D-13
        (V4, 2, 2, 2),   # a3 (group G41, discharged after D) and a8
        (V5, 3, 1, 3),   # a4 active; c1, c2 discharged 01-10
    ]
    kpis = dict(cases_db.query("kpis", as_of=D)[["kpi", "value"]].values)
    assert df["cases_active"].sum() == kpis["cases_active"] == 4
    assert list(cases_db.query("cases_by_village", as_of=D, region_code=V4)["region_code"]) == [V4]


def test_case_points_share_a_household(cases_db):
    df = cases_db.query("cases_points", as_of=D)
    assert rows(df, ["case_ids", "cases", "active", "village", "township"]) == [
        ("a6", 1, 0, "西门社区", "城东街道"),
        ("a1、a2", 2, 1, "东门社区", "城东街道"),
        ("a3", 1, 1, "上村", "河西镇"),
    ]
    assert len(cases_db.query("cases_points", as_of="2022-01-11")) == 2  # a6; a1 alone at home


def test_found_by_leaves_out_suspected_and_keeps_not_recorded(cases_db):
    df = cases_db.query("cases_by_found_by", as_of=D)
    assert rows(df, ["found_by", "source", "cases"]) == [
        ("central_quarantine", "local", 1),
        ("central_quarantine", "overseas", 1),
        ("contact_tracing", "local", 3),
        ("mass_testing", "local", 1),
        ("screening", "local", 1),
        (None, "domestic_imported", 1),
    ]


def test_contacts_per_day_by_type_and_place(cases_db):
    df = cases_db.query("contacts_daily_by_type_place", as_of=D)
    assert df["day"].min() == pd.Timestamp("2022-01-10") and df["day"].max() == pd.Timestamp(D)
    assert len(df) == 6 * 4  # 6 days x (close central, close home, secondary central, secondary unknown)
    on = {(r.contact_type, r.quarantine_place): (r.identified, r.in_quarantine)
          for r in df[df["day"] == pd.Timestamp(D)].itertuples()}
    assert on == {("close", "central"): (0, 0), ("close", "home"): (0, 1),
                  ("secondary", "central"): (0, 1), ("secondary", "unknown"): (1, 0)}
    day14 = df[df["day"] == pd.Timestamp("2022-01-14")]
    assert day14["in_quarantine"].sum() == 3 and day14["identified"].sum() == 0
    kpis = dict(cases_db.query("kpis", as_of=D)[["kpi", "value"]].values)
    assert df[df["day"] == pd.Timestamp(D)]["in_quarantine"].sum() == kpis["contacts_in_quarantine"] == 2
    assert len(cases_db.query("contacts_daily_by_type_place", as_of=D, region_code=T1)) == 6 * 2
    assert cases_db.query("contacts_daily_by_type_place", as_of="2022-01-09").empty


def test_clusters_list(cases_db):
    df = cases_db.query("clusters_list", as_of=D)
    assert rows(df, ["cluster_id", "cases", "confirmed", "asymptomatic", "cases_in_scope", "active", "first_report",
                     "last_report", "townships"]) == [
        ("K1", 4, 3, 1, 4, 3, "2022-01-10", "2022-01-15", "城东街道、河西镇"),
        ("K2", 1, 1, 0, 1, 1, "2022-01-11", "2022-01-11", "河西镇"),
        ("K3", 2, 2, 0, 2, 0, "2022-01-05", "2022-01-06", "河西镇"),
    ]
    township = cases_db.query("clusters_list", as_of=D, region_code=T1)
    assert rows(township, ["cluster_id", "cases", "cases_in_scope"]) == [("K1", 4, 2)]


def test_cluster_chain_generations_scope_and_status_on_the_day(cases_db):
    df = cases_db.query("clusters_chain", as_of=D, region_code=T1, cluster_id="K1")
    assert rows(df, ["case_id", "infector_case_id", "generation", "in_scope", "status_on_day"]) == [
        ("a1", None, 0, True, "discharged"),
        ("a2", "a1", 1, True, "hospitalised"),
        ("a4", "a1", 1, False, "hospitalised"),
        ("a3", "a2", 2, False, "hospitalised"),   # discharged after D
    ]
    early = cases_db.query("clusters_chain", as_of="2022-01-12", cluster_id="K1")
    assert list(early["case_id"]) == ["a1", "a2"]
    unknown = cases_db.query("clusters_chain", as_of=D, cluster_id="K2")
    assert rows(unknown, ["case_id", "infector_case_id", "generation"]) == [("a8", None, 0)]
    loop = cases_db.query("clusters_chain", as_of=D, cluster_id="K3")
    assert rows(loop, ["case_id", "infector_case_id", "generation"]) == [("c1", "c2", None), ("c2", "c1", None)]


# -- figure builders -------------------------------------------------------------------------------------------

LABELS = fig.CasesLabels(category={"confirmed": "C", "asymptomatic": "A", "suspected": "S"},
                         source={"local": "L", "overseas": "O", "domestic_imported": "D"},
                         found_by={}, status={"hospitalised": "H", "discharged": "X"}, generation="G{n}",
                         outside="outside", hover={k: k for k in ("infector", "source", "found_by", "reported",
                                                                  "onset", "place", "status")})


def node_positions(figure) -> dict[str, tuple[float, float]]:
    out = {}
    for trace in figure.data:
        if trace.mode == "markers+text":
            for x, y, text in zip(trace.x, trace.y, trace.text):
                out[text.split("</b>")[0].removeprefix("<b>")] = (x, y)
    return out


def test_transmission_tree_puts_each_case_under_its_infector(cases_db):
    chain = cases_db.query("clusters_chain", as_of=D, region_code=T1, cluster_id="K1")
    figure = fig.transmission_tree(chain, LABELS)
    pos = node_positions(figure)
    # leaves left to right by report date: a3 (under a2), then a4; a2 above a3, a1 above the middle
    assert pos == {"a1": (0.5, 0), "a2": (0.0, 1), "a3": (0.0, 2), "a4": (1.0, 1)}
    names = [t.name for t in figure.data if t.mode == "markers+text"]
    assert names == ["C", "outside"]  # a1, a2 in scope (confirmed); a3, a4 outside T1
    assert list(figure.layout.yaxis.ticktext) == ["G0", "G1", "G2"]
    edges = figure.data[0]
    assert edges.mode == "lines" and len(edges.x) == 3 * 5  # three links, 4 points + a break each


def test_transmission_tree_survives_a_loop(cases_db):
    chain = cases_db.query("clusters_chain", as_of=D, cluster_id="K3")
    pos = node_positions(fig.transmission_tree(chain, LABELS))
    assert sorted(pos.values()) == [(0, 0), (1, 0)]


def test_epi_curve_colours_by_source_and_patterns_by_category(cases_db):
    df = cases_db.query("cases_daily_by_source_category", as_of=D)
    figure = fig.epi_curve_by_category(df, LABELS, start=date(2021, 12, 1), end=date(2022, 1, 15))
    traces = {t.name: t for t in figure.data}
    assert list(traces) == ["L · C", "L · A", "L · S", "D · C", "O · C"]
    assert traces["L · A"].marker.pattern.shape == "/" and traces["L · C"].marker.pattern.shape == ""
    assert traces["L · C"].marker.color == fig.SOURCE_COLOURS["local"]
    assert sum(sum(t.y) for t in figure.data) == 9
    assert figure.layout.yaxis.dtick == 1


def test_found_by_bar_lists_every_way_in_order_with_totals(cases_db):
    df = cases_db.query("cases_by_found_by", as_of=D)
    found = {"central_quarantine": "CQ", "home_quarantine": "HQ", "screening": "SC", "fever_clinic": "FC",
             "contact_tracing": "CT", "mass_testing": "MT"}
    figure = fig.found_by_bar(df, replace(LABELS, found_by=found, found_unknown="?"))
    assert list(figure.data[0].y) == ["CQ", "HQ", "CT", "SC", "MT", "FC", "?"]
    totals = figure.data[-1]
    assert list(totals.text) == ["2", "0", "3", "1", "1", "0", "1"]


def test_nice_step():
    assert [nice_step(v) for v in (0, 1, 4, 7, 12, 85, 400)] == [1, 1, 1, 2, 5, 20, 100]
    assert [nice_step(t) for t in (2, 6, 11, 26, 51, 101, 220, 2206)] == [1, 2, 5, 10, 20, 50, 50, 500]
    assert nice_step(float("nan")) == 1


def test_case_points_colour_active_households(cases_db):
    points = fig.case_points(cases_db.query("cases_points", as_of=D),
                             fig.CasesLabels(point_reported="{first}–{last}", point_active="in", point_past="out"))
    assert list(points["name"]) == ["a6(西门社区)", "a1、a2(东门社区)", "a3(上村)"]
    assert list(points["flag"]) == ["out", "in", "in"]
    assert list(points["value_text"]) == ["2021-12-20", "2022-01-10–2022-01-12", "2022-01-13"]
    assert points["colour"].iloc[1] == fig.ACTIVE_POINT


# -- the page --------------------------------------------------------------------------------------------------

def run_cases_page(db_path, monkeypatch, **query_params) -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(db_path))
    return open_page("cases", timeout=60, **query_params)


def test_page_on_the_hand_built_city(cases_db, monkeypatch):
    at = run_cases_page(cases_db.path, monkeypatch, lang="en", as_of=D)
    assert at.title[0].value.startswith("Cases")
    metrics = {m.label.split("] ")[-1]: m.value for m in at.metric}
    assert metrics == {"New cases": "1", "Confirmed, cumulative": "7", "Active cases": "4",
                       "Contacts in quarantine": "2",
                       # the Rt section (tests/test_alerts.py): this city has too few local cases
                       "Latest Rt": "too few cases", "Doubling / halving time": "too few cases"}
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    assert len(charts) == 4  # curve, contacts, found by, tree (no Rt chart: every window has too few cases)
    curve, contacts, found_by, tree = charts
    assert sum(sum(t.get("y", [])) for t in curve["data"]) == 9
    assert {t["name"] for t in curve["data"]} >= {"Local · Confirmed", "Local · Asymptomatic"}
    assert contacts["data"][0]["name"] == "Close contact · Centralised"
    assert "Not recorded" in found_by["data"][0]["y"]
    texts = [s for t in tree["data"] if t.get("mode") == "markers+text" for s in t["text"]]
    assert [s.split("</b>")[0] for s in texts] == ["<b>a1", "<b>a2", "<b>a4", "<b>a3"]
    # the cluster picker holds the three clusters, latest first; the table lists the picked cluster's cases
    assert at.selectbox(key="cases_cluster").options[0].startswith("K1: 4 cases")
    table = at.dataframe[0].value
    assert list(table["Case"]) == ["a1", "a2", "a4", "a3"] and list(table["Onset"]) == ["2022-01-08", "2022-01-11",
                                                                                        "2022-01-14", ""]
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    points = [layer for layer in deck["layers"] if layer["id"].endswith("-points")]
    assert len(points) == 1 and len(points[0]["data"]) == 3


def test_page_by_onset_date_says_how_many_cases_have_none(cases_db, monkeypatch):
    at = run_cases_page(cases_db.path, monkeypatch, lang="en", as_of=D)
    at.radio(key="cases_basis").set_value("onset").run()
    assert any("5 cases have no onset date" in c.value for c in at.caption)
    curve = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert sum(sum(t.get("y", [])) for t in curve["data"]) == 4


def test_page_in_a_village_with_no_cluster_or_contacts(cases_db, monkeypatch):
    at = run_cases_page(cases_db.path, monkeypatch, lang="zh", as_of=D, scope=V3)
    infos = [i.value for i in at.info]
    assert "截至当日范围内没有聚集性疫情。" in infos and "截至当日范围内没有密接记录。" in infos


def test_page_on_the_demo_shows_the_planted_cluster(demo_db, monkeypatch):
    at = run_cases_page(demo_db, monkeypatch, lang="en")
    tree = json.loads(at.get("plotly_chart")[3].proto.spec)
    ids = [s.split("</b>")[0].removeprefix("<b>") for t in tree["data"] if t.get("mode") == "markers+text"
           for s in t["text"]]
    assert len(ids) == 10  # the demo's local cluster: ten cases, four generations
    assert tree["layout"]["yaxis"]["ticktext"] == ["Generation 0", "Generation 1", "Generation 2", "Generation 3"]

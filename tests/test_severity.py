"""The severity model (data/severity.toml, sitrep.severity) on a hand-built city whose state is known: the local
cases lead - in the overview's headline and first decision row, the daily briefing (DOCX, PDF, HTML) and the
projection overview, each naming the township and village; a day without a local case says so; the order, the
folding and the township ranking are exact; the model file is checked on load; map labels do not overlap."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from io import BytesIO

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sitrep import briefing, catalogue, decisions, maps, severity
from sitrep.briefing.context import Context
from sitrep.db import ROOT

from builders import build_db, open_page, tiny_regions

D = date(2022, 1, 16)
T1, T2 = "451481001000", "451481002000"  # 城东街道, 河西镇
V11, V12, V13, V21, V22 = "451481001001", "451481001002", "451481001003", "451481002001", "451481002002"
G211 = "451481002001001"  # 上村一组 (a group of 上村)
HAVES = dict(has_guide=True, has_system_owner=True, has_materials=True, has_medical_support=True,
             has_isolation_transfer=True)

# The tiny city (builders.tiny_regions) up to 2022-01-16 (D). Planted:
#  - local case c1 (confirmed) reported on D at 上村一组 (a group of 上村, 河西镇) and local case c2 (asymptomatic)
#    reported on D-1 at 上村, both of cluster K1: a local cluster of 2 (red, first) and a new local case on D in
#    河西镇上村 (red, second); the last local case is on D, so on D+4 it is "4 days without one";
#  - imported case c3 (overseas, confirmed) on D in 东门社区 (城东街道): amber;
#  - testing capacity on D: lab L1 in 东门社区 uses 950 of 1000 tubes (95.0%), lab L2 in 上村 920 of 1000 (92.0%):
#    red at the city (93.5%) and in both townships - one folded row; on D-1 both used 500 (50.0%, ok);
#  - every village has a grid unit with the five haves, publicity on D and D-1, and is fully vaccinated, so
#    nothing else is red or amber.
TABLES = {
    "cases": [
        {"case_id": "c1", "report_date": "2022-01-16", "category": "确诊病例", "source": "本土", "region_code": G211,
         "status": "住院", "cluster_id": "K1"},
        {"case_id": "c2", "report_date": "2022-01-15", "category": "无症状感染者", "source": "本土", "region_code": V21,
         "status": "住院", "cluster_id": "K1"},
        {"case_id": "c3", "report_date": "2022-01-16", "category": "确诊病例", "source": "境外输入", "region_code": V11,
         "status": "住院"},
    ],
    "grid_units": [{"region_code": c, "responsible_person": p, "phone": ph, **HAVES}
                   for c, p, ph in ((T1, "李镇长", "13800001111"), (T2, "周镇长", "13800006666"),
                                    (V11, "吴书记", "13800007777"), (V12, "王书记", "13800002222"),
                                    (V13, "赵书记", "13800003333"), (V21, "钱书记", "13800004444"),
                                    (V22, "孙书记", "13800005555"))],
    "publicity": [{"date": d, "region_code": c, "channel": "村村响", "activities": 1}
                  for d in ("2022-01-15", "2022-01-16") for c in (V11, V12, V13, V21, V22)],
    "vaccinations": [{"date": "2022-01-10", "region_code": c, "age_group": "18-59", "dose": "全程", "doses": n}
                     for c, n in ((V11, 3000), (V12, 2000), (V13, 1000), (V21, 1500), (V22, 1000))],
    "test_capacity": [{"date": d, "lab_id": lab, "region_code": c, "capacity_tubes": 1000, "pool_size": 10,
                       "tubes_tested": n}
                      for d, lab, c, n in (("2022-01-15", "L1", V11, 500), ("2022-01-15", "L2", V21, 500),
                                           ("2022-01-16", "L1", V11, 950), ("2022-01-16", "L2", V21, 920))],
    "duty_roster": [{"date": d, "shift": s, "leader": "王指挥"} for d in ("2022-01-15", "2022-01-16")
                    for s in ("白班", "夜班")],
}
HEADLINE_ZH = ("截至1月16日24时，全市新增本土确诊病例1例（河西镇上村），累计本土病例2例；新增境外输入确诊病例1例；"
               "较前日，检测能力使用率由50.0%变为93.5%（转为红色）、现有病例由1例变为3例；共5项需决策事项。")
HEADLINE_EN = ("As of 24:00 on Jan 16 (Whole city): new local cases: 1 case confirmed (上村, 河西镇); local cases so far: "
               "2 cases; new imported: 1 case confirmed (imported from overseas); worse than the day before: Testing "
               "capacity in use 50.0% → 93.5% (now red), Active cases 1 → 3; 5 items need a decision.")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("severity") / "city.duckdb", {"regions": tiny_regions(), **TABLES})


def assess(db, as_of=D, scope=None, lang="zh"):
    ctx = Context.make(db.query, as_of=as_of, scope=scope, lang=lang)
    return severity.assess(db.query, as_of=as_of, scope=scope, lang=lang, scope_name=ctx.scope_name,
                           regions=ctx.regions)


# ---------------------------------------------------------------- the model file


def test_the_shipped_model_loads():
    cfg = severity.load_config()
    assert cfg.levels == ("red", "amber", "info")
    assert [r.key for r in cfg.rules] == ["local_cluster", "local_case", "sentinel_c2", "imported_case", "kpi"]
    assert cfg.local_case_rule().sources == ("local",)


@pytest.mark.parametrize("text, message", [
    ('[[rule]]\nkey = "x"\nkind = "rumour"', "kind must be one of"),
    ('[[rule]]\nkey = "x"\nkind = "case"\nlevel = "red"\nweight = 1\nsources = ["local"]\ncategories = []\ncolour = 1',
     "unknown keys colour"),
    ('[[rule]]\nkey = "x"\nkind = "case"\nlevel = "red"\nweight = 1\nsources = ["local"]', "missing key categories"),
    ('[[rule]]\nkey = "k"\nkind = "kpi"\nexclude = ["no_such_kpi"]', "not KPIs of data/kpis.toml: no_such_kpi"),
    ('[levels]\norder = ["red", "amber"]', "order must list red, amber, info"),
    ("mood = 1", "unknown keys mood"),
])
def test_a_bad_model_names_the_rule_and_key(text, message, tmp_path):
    path = tmp_path / "severity.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(severity.SeverityConfigError, match=re.escape(message)):
        severity.load_config(path)


# ---------------------------------------------------------------- items, order, folding, ranking


def test_items_are_ordered_by_level_weight_and_size(city):
    sit = assess(city)
    got = sit.items[["rule", "level", "kpi", "where", "value_text", "responsible_person"]].fillna("-").values.tolist()
    assert got == [
        ["local_cluster", "red", "-", "河西镇上村", "2例（当日新增1例）", "钱书记"],
        ["local_case", "red", "-", "河西镇上村", "1例", "钱书记"],
        # the same weight: the larger exceedance first (95.0% is further past 90% than 93.5% and 92.0%)
        ["kpi", "red", "test_capacity_use_pct", "城东街道", "95.0%", "李镇长"],
        ["kpi", "red", "test_capacity_use_pct", "全市", "93.5%", "—"],
        ["kpi", "red", "test_capacity_use_pct", "河西镇", "92.0%", "周镇长"],
        # amber: the day's imported case before a KPI (rule weights 75 and 70)
        ["imported_case", "amber", "-", "城东街道东门社区", "1例", "吴书记"],
        # active cases count the imported case too: 3 in the city, 2 in 河西镇, 1 in 城东街道
        ["kpi", "amber", "cases_active", "全市", "3例", "—"],
        ["kpi", "amber", "cases_active", "河西镇", "2例", "周镇长"],
        ["kpi", "amber", "cases_active", "城东街道", "1例", "李镇长"],
    ]
    # a case recorded at a group counts in its village; the imported case says its source
    assert sit.items.loc[1, "detail"] == "本土确诊病例1例"
    assert sit.items.loc[5, "detail"] == "境外输入确诊病例1例"
    assert len(sit.decisions) == 5


def test_one_kpi_red_in_several_places_is_one_row(city):
    rows = assess(city).folded
    assert [(f.rule, f.level, f.count) for f in rows] == [
        ("local_cluster", "red", 1), ("local_case", "red", 1), ("kpi", "red", 3), ("imported_case", "amber", 1),
        ("kpi", "amber", 3)]
    assert rows[0].text == "本土聚集性疫情 · 河西镇上村 2例（当日新增1例）"
    assert rows[1].text == "新增本土病例 · 河西镇上村 1例"
    # the scope's own value first, then the places, largest first; the row opens to each of them
    assert rows[2].text == "检测能力使用率 · 全市 93.5%；2处：城东街道 95.0%、河西镇 92.0%"
    assert rows[2].places["where"].tolist() == ["全市", "城东街道", "河西镇"]
    en = assess(city, lang="en").folded
    assert en[2].text == "Testing capacity in use · Whole city 93.5%; places (2): 城东街道 95.0%; 河西镇 92.0%"


def test_folding_names_three_places_and_says_there_are_more():
    items = pd.DataFrame({
        "rule": ["kpi"] * 5, "level": ["red"] * 5, "weight": [50.0] * 5, "size": [0.5, 0.4, 0.3, 0.2, 0.1],
        "kpi": ["test_capacity_use_pct"] * 5, "item": ["检测能力使用率"] * 5,
        "region_code": ["a", "b", "c", "d", "e"], "where": ["甲镇", "乙镇", "丙镇", "丁镇", "戊镇"],
        "value_text": ["99.0%", "98.0%", "97.0%", "96.0%", "95.0%"]})
    (row,) = severity.fold(items, "zh", scope="x")
    assert row.text == "检测能力使用率 · 5处：甲镇 99.0%、乙镇 98.0%、丙镇 97.0%等"
    assert row.count == 5


def test_the_ranking_puts_the_township_with_the_local_case_first(city):
    r = assess(city).ranking
    assert r.values.tolist() == [
        [1, T2, "河西镇", "red", 3, 1, "本土聚集性疫情、新增本土病例、检测能力使用率"],
        [2, T1, "城东街道", "red", 1, 2, "检测能力使用率、新增输入病例、现有病例"],
    ]
    # at a township's scope the villages are ranked; items of the township itself belong to none of them
    village = assess(city, scope=T2).ranking
    # (上村's own lab makes its testing capacity red; its two cases make active cases amber)
    assert village[["name", "level", "red", "amber"]].values.tolist() == [["上村", "red", 3, 1], ["下村", "ok", 0, 0]]


def test_a_local_case_makes_new_cases_red_whatever_the_count(city):
    sit = assess(city)
    now = decisions.kpi_values(city.query, D, None)
    assert now["cases_new"] == 2 and catalogue.by_key()["cases_new"].status(2) == "amber"
    assert sit.card_statuses(now)["cases_new"] == "red"
    later = assess(city, as_of=date(2022, 1, 20))
    assert later.card_statuses(decisions.kpi_values(city.query, date(2022, 1, 20), None))["cases_new"] == "ok"


# ---------------------------------------------------------------- the headline


def test_the_headline_leads_with_the_local_case_and_its_village(city):
    assert assess(city).headline == HEADLINE_ZH
    assert assess(city, lang="en").headline == HEADLINE_EN


def test_a_day_without_a_local_case_says_so(city):
    sit = assess(city, as_of=date(2022, 1, 20))
    assert sit.headline.startswith("截至1月20日24时，全市无新增本土病例，已连续4天无新增本土病例（末例报告于1月16日）；"
                                   "无新增输入病例；")
    assert sit.facts.days_since_local == 4 and sit.facts.local_count == 0
    # the cluster's last case is within 7 days: still red, and first
    assert sit.folded[0].rule == "local_cluster"
    # before any local case
    first = assess(city, as_of=date(2022, 1, 14))
    assert "无新增本土病例，尚无本土病例报告" in first.headline and first.facts.days_since_local is None
    # in a township with no case at all
    assert "无新增本土病例，尚无本土病例报告" in assess(city, scope=T1).headline


# ---------------------------------------------------------------- every place that says it


def test_the_overview_leads_with_the_case(city, monkeypatch):
    monkeypatch.setenv("SITREP_DB", str(city.path))
    at = open_page("overview", lang="zh", as_of=D.isoformat())
    bodies = [h.proto.body for h in at.get("html")]
    (headline,) = [b for b in bodies if b.startswith('<p class="sit-headline')]
    assert f">{HEADLINE_ZH}</p>" in headline and "sit-red" in headline
    (rows,) = [b for b in bodies if b.startswith('<div class="sit-list">') and "sit-red" in b]
    first = re.search(r'<div class="sit-row sit-red" data-rule="(\w+)">(.*?)</div>', rows)
    assert first.group(1) == "local_cluster"
    assert re.sub("<[^>]+>", "", first.group(2)) == "■红色本土聚集性疫情 · 河西镇上村 2例（当日新增1例） · 包干责任人：钱书记"
    assert at.subheader[0].value == "需决策事项（5项）"
    from builders import kpi_strip_cards

    cards = kpi_strip_cards(at)
    assert (cards["cases_local_new"]["status"], cards["cases_local_new"]["value"]) == ("red", "1例")
    assert (cards["cases_imported_new"]["status"], cards["cases_imported_new"]["value"]) == ("amber", "1例")
    assert cards["cases_days_since_local"]["value"] == "0天"
    assert cards["cases_new"]["status"] == "red"
    assert "黄色：≥80%；红色：≥90%" in cards["test_capacity_use_pct"]["help"]


def test_the_projection_overview_leads_with_the_case(city, monkeypatch):
    monkeypatch.setenv("SITREP_DB", str(city.path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    at.query_params.update({"mode": "screen", "screen": "overview", "paused": "1", "as_of": D.isoformat()})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    body = "\n".join(el.proto.body for el in at.get("html"))
    assert f">{HEADLINE_ZH}</p>" in body
    rows = re.findall(r'<tr class="sit-(\w+)"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>', body)
    clean = [(lvl, re.sub("<[^>]+>", "", a), b, c) for lvl, a, b, c in rows]
    assert clean[:3] == [("red", "■ 红色 本土聚集性疫情", "河西镇上村 2例（当日新增1例）", "钱书记"),
                         ("red", "■ 红色 新增本土病例", "河西镇上村 1例", "钱书记"),
                         ("red", "■ 红色 检测能力使用率", "全市 93.5%；2处：城东街道 95.0%、河西镇 92.0%", "")]
    assert "需决策事项（5项）" in body
    assert re.search(r'data-kpi="cases_new" title="[^"]*"><div class="screen-kpi-label"><span class=ico>■</span>'
                     r"<span class=word>红色</span>新增病例", body)


def test_the_briefing_leads_with_the_case_in_every_format(city, tmp_path):
    import docx

    ctx = Context.make(city.query, as_of=D, lang="zh")
    b = briefing.build(ctx, images=False)
    assert b.headline.startswith(HEADLINE_ZH)
    assert b.decisions.values.tolist()[:2] == [["本土聚集性疫情", "河西镇上村", "2例（当日新增1例）", "钱书记", "138****4444"],
                                               ["新增本土病例", "河西镇上村", "1例", "钱书记", "138****4444"]]
    cases = next(s for s in b.sections if s.key == "cases")
    assert cases.red["item"].tolist() == ["本土聚集性疫情", "新增本土病例"]  # no more "本部分没有红色事项"
    assert next(line for line in cases.kpis if line.key == "cases_new").status == "red"

    html = briefing.render(b, "html").decode("utf-8")
    assert f'<p class="headline">{HEADLINE_ZH}' in html
    first_row = re.search(r'<section id="decisions">.*?<tbody><tr>(.*?)</tr>', html, re.S).group(1)
    assert re.sub("<[^>]+>", "|", first_row).strip("|").split("||")[:2] == ["本土聚集性疫情", "河西镇上村"]

    document = docx.Document(BytesIO(briefing.render(b, "docx")))
    assert any(p.text.startswith(HEADLINE_ZH) for p in document.paragraphs)
    first = [c.text for c in document.tables[0].rows[1].cells]
    assert first[:2] == ["本土聚集性疫情", "河西镇上村"]

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: scripts/install_browser_deps.sh installs poppler-utils")
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(briefing.render(b, "pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", HEADLINE_ZH) in flat
    table = flat[flat.index("以下5项为当日红色事项"):]
    assert table.index("本土聚集性疫情河西镇上村") < table.index("新增本土病例河西镇上村") < table.index("检测能力使用率")


# ---------------------------------------------------------------- labels on the map


def test_labels_that_would_overlap_move_apart_and_the_first_keeps_its_place():
    view = maps.pdk.ViewState(longitude=106.75, latitude=22.10, zoom=11)
    names = pd.DataFrame({"name": ["城西街道", "城东街道", "江北街道", "江滨街道"],
                          "lon": [106.750, 106.752, 106.750, 106.7505], "lat": [22.100, 22.100, 22.099, 22.0995]})
    placed = maps.place_labels(names, view, size_px=14)
    assert placed.loc[0, "offset"] == [0, 0]
    boxes = list(zip(placed["x"], placed["y"], placed["w"], placed["h"]))
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert maps._overlap(boxes[i], boxes[j]) == 0, (placed.loc[i, "name"], placed.loc[j, "name"])
    # far apart: every label stays on its point
    apart = names.assign(lon=[106.70, 106.80, 106.70, 106.80], lat=[22.05, 22.05, 22.15, 22.15])
    assert maps.place_labels(apart, view)["offset"].tolist() == [[0, 0]] * 4


def test_a_kpi_red_at_the_city_and_amber_in_townships_is_two_rows():
    items = pd.DataFrame({
        "rule": ["kpi"] * 3, "level": ["red", "amber", "amber"], "weight": [40.0] * 3, "size": [0.9, 0.5, 0.2],
        "kpi": ["returnees_misclassified"] * 3, "item": ["管控措施不符人员"] * 3,
        "region_code": [None, "t1", "t2"], "where": ["全市", "甲镇", "乙镇"], "value_text": ["190人", "17人", "16人"]})
    red, amber = severity.fold(items, "zh", scope=None)
    assert (red.level, red.text, red.count) == ("red", "管控措施不符人员 · 全市 190人", 1)
    assert (amber.level, amber.text, amber.count) == ("amber", "管控措施不符人员 · 2处：甲镇 17人、乙镇 16人", 2)


def test_the_cases_page_shows_new_cases_red_on_a_local_case_as_the_overview_does(demo_env):
    from builders import open_page

    at = open_page("cases", lang="zh", as_of="2022-01-16")  # the demo's outbreak: a local case that day
    page = "".join(str(block.proto) for block in at.main)  # the cards' keyed containers carry their status
    assert "kpicard-red-cases_new" in page and "kpicard-amber-cases_new" not in page

"""Every page under streamlit.testing.v1.AppTest: two as-of dates, three scopes (city, a
township, a village), both languages; no exception, and the maps and charts it builds
are offline-safe and carry data."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sitrep.db import ROOT, Database

PAGES = ["overview", "cases", "command", "monitoring", "screening", "publicity", "preparedness", "data"]


@pytest.fixture(scope="module")
def demo_facts(demo_db):
    database = Database(demo_db)
    township = database.rows("select min(region_code) from regions where level = 'township'")[0][0]
    village = database.rows("select min(region_code) from regions where level = 'village' and parent_code = $t",
                            {"t": township})[0][0]
    bounds = database.query("data_date_range")
    lo, hi = (pd.Timestamp(bounds[c].iloc[0]).date() for c in ("min_date", "max_date"))
    return {"township": township, "village": village, "dates": [hi, lo + (hi - lo) // 2]}


def run_page(demo_db, monkeypatch, page: str, *, lang="zh", scope=None, as_of: date | None = None) -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    if scope:
        at.query_params["scope"] = scope
    if as_of:
        at.query_params["as_of"] = as_of.isoformat()
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    return at


def assert_clean(at: AppTest, where: str) -> None:
    assert not at.exception, f"{where}: {[e.message for e in at.exception]}"
    assert not at.error, f"{where}: {[e.value for e in at.error]}"


def decks(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_for_every_date_scope_and_language(page, demo_db, demo_facts, monkeypatch):
    for lang in ("zh", "en"):
        for scope in (None, demo_facts["township"], demo_facts["village"]):
            for as_of in demo_facts["dates"]:
                where = f"{page} lang={lang} scope={scope} as_of={as_of}"
                at = run_page(demo_db, monkeypatch, page, lang=lang, scope=scope, as_of=as_of)
                assert_clean(at, where)
                assert at.title, f"{where}: no title"
                # the URL keeps the view, so a link opens the same view
                assert _param(at, "lang") == lang
                for deck in decks(at):
                    text = json.dumps(deck)
                    assert "http" not in text, f"{where}: a map refers to a remote resource"
                    assert deck["mapStyle"] == "__MAP_STYLE__", f"{where}: a map has a basemap style"


def test_overview_shows_every_kpi_with_status_and_a_township_map(demo_db, demo_facts, monkeypatch):
    from sitrep import catalogue

    at = run_page(demo_db, monkeypatch, "overview", lang="en", as_of=demo_facts["dates"][0])
    assert_clean(at, "overview")
    from builders import kpi_strip_cards

    cards = kpi_strip_cards(at)
    for kpi in catalogue.load():
        assert cards[kpi.key]["label"] == kpi.en, kpi.key
        assert cards[kpi.key]["status"] in catalogue.STATUSES, kpi.key
    (deck,) = decks(at)
    regions = [layer for layer in deck["layers"] if layer["id"] == "map-overview"][0]
    database = Database(demo_db)
    townships = database.rows("select count(*) from regions where level = 'township'")[0][0]
    assert len(regions["data"]) >= townships
    assert charts(at), "no epidemic curve"


def test_overview_numbers_match_the_cli_query(demo_db, demo_facts, monkeypatch):
    """What a leader sees is what `python -m sitrep query kpis` prints."""
    from sitrep import catalogue

    as_of = demo_facts["dates"][0]
    at = run_page(demo_db, monkeypatch, "overview", lang="zh", as_of=as_of)
    values = Database(demo_db).query("kpis", as_of=as_of)
    from builders import kpi_strip_cards

    cards = kpi_strip_cards(at)
    cat = catalogue.by_key()
    for kpi, value in zip(values["kpi"], values["value"]):
        assert cards[kpi]["label"] == cat[kpi].zh
        expected = cat[kpi].format(None if value != value else float(value), "zh")
        assert cards[kpi]["value"] == expected, kpi
        if kpi not in ("cases_new", "sentinel_alarms_today"):  # the severity model judges these two
            assert cards[kpi]["status"] == cat[kpi].status(None if value != value else float(value)), kpi
        # the help says what the number is, its thresholds, and why it is "—" when it is
        assert cards[kpi]["help"].startswith(cat[kpi].def_zh) and cat[kpi].thresholds_text("zh") in cards[kpi]["help"]
        if value != value:
            assert "“—”" in cards[kpi]["help"], kpi


def test_scope_in_the_url_drills_the_overview_down(demo_db, demo_facts, monkeypatch):
    at = run_page(demo_db, monkeypatch, "overview", lang="zh", scope=demo_facts["township"])
    assert_clean(at, "overview township")
    (deck,) = decks(at)
    regions = [layer for layer in deck["layers"] if layer["id"] == "map-overview"][0]
    codes = {row["region_code"] for row in regions["data"]}
    assert codes and all(c.startswith(demo_facts["township"][:9]) for c in codes)
    assert all(len(c) == 12 and not c.endswith("000") for c in codes)  # villages of that township


# ------------------------------------------------------------------ the overview on a city whose state is known

OV_D = "2022-01-15"
OV_T1 = "451481001000"
OV_V11, OV_V12, OV_V13, OV_V21, OV_V22 = "451481001001", "451481001002", "451481001003", "451481002001", "451481002002"
OV_HAVES = dict(has_guide=True, has_system_owner=True, has_materials=True, has_medical_support=True,
                has_isolation_transfer=True)
# The tiny city (builders.tiny_regions) on 2022-01-15, every table imported just now (so fresh) with data up
# to the day (so not lagging) and the day's reports all in (complete). Planted:
#  - 5 local confirmed cases reported on D in 东门社区 (V11), which has no grid unit: new cases 5 = red at
#    the city and in 城东街道 (T1); case alerts; rule case_village_without_grid_unit (major, monitoring) 5 rows;
#  - returnee r1 in V11 with a positive test on D-1 and status managed: rule positive_test_status_not_positive
#    (critical, screening); the cases in V11 on D are within 3 days of the sample, so no cases-pillar rule;
#  - 5 supervision issues in 南门社区 (V12, T1) due 01-12, open: overdue from 01-13, 5 = red at the city and
#    in T1 since 01-13: two KPI alerts, which also cover those two red KPIs in the decision list;
#  - publicity in every village on 01-09 and D: coverage 100% on every day of the data (no alert).
OV_TABLES = {
    "cases": [{"case_id": f"c{i}", "report_date": OV_D, "category": "确诊病例", "source": "本土",
               "region_code": OV_V11, "status": "住院"} for i in range(1, 6)],
    "contacts": [{"contact_id": "k1", "case_id": "c1", "contact_type": "密接", "identified_date": "2022-01-10",
                  "quarantine_start": "2022-01-10", "release_date": "2022-01-12", "region_code": OV_V21}],
    "returnees": [{"person_id": "r1", "name": "张一", "origin_category": "省内返乡", "origin_risk": "低风险",
                   "arrival_date": "2022-01-12", "region_code": OV_V11, "measure": "居家健康监测",
                   "measure_start": "2022-01-12", "status": "在管"}],
    "tests": [{"person_id": "r1", "sample_date": "2022-01-14", "result": "阳性"}],
    "grid_units": [{"region_code": c, "responsible_person": p, "phone": ph, **OV_HAVES}
                   for c, p, ph in ((OV_T1, "李镇长", "13800001111"), (OV_V12, "王书记", "13800002222"),
                                    (OV_V13, "赵书记", "13800003333"), (OV_V21, "钱书记", "13800004444"),
                                    (OV_V22, "孙书记", "13800005555"))],
    "supervision": [{"issue_id": f"s{i}", "found_date": "2022-01-10", "region_code": OV_V12,
                     "due_date": "2022-01-12"} for i in range(1, 6)],
    "orders": [{"order_id": "o1", "issued_at": "2022-01-15 09:00", "task_force": "流调",
                "deadline": "2022-01-15 18:00", "closed_at": "2022-01-15 12:00"}],
    "vaccinations": [{"date": OV_D, "region_code": OV_T1, "age_group": "18-59", "dose": "第一剂", "doses": 10}],
    "duty_roster": [{"date": OV_D, "shift": s, "leader": "王指挥"} for s in ("白班", "夜班")],
    "sentinel_sites": [{"site_id": "S1", "site_name": "南门药店", "site_type": "药店", "region_code": OV_V12}],
    "sentinel_reports": [{"date": OV_D, "site_id": "S1", "visits": 10}],
    "publicity": [{"date": d, "region_code": c, "channel": "村村响", "activities": 1}
                  for d in ("2022-01-09", OV_D) for c in (OV_V11, OV_V12, OV_V13, OV_V21, OV_V22)],
    "test_capacity": [{"date": OV_D, "lab_id": "L1", "region_code": OV_V12, "capacity_tubes": 1000,
                       "pool_size": 10, "tubes_tested": 100}],
    "reserves": [{"date": OV_D, "warehouse_id": "W1", "region_code": OV_V12, "item_code": "mask",
                  "on_hand": 1000, "daily_use": 1}],
    "funds": [{"date": OV_D, "source": "中央", "purpose": "核酸检测", "allocated": 100, "spent": 80}],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_shows_data_trust_and_open_alerts(lang, tmp_path, monkeypatch):
    import re

    from builders import build_db, tiny_regions

    db = build_db(tmp_path / "known.duckdb", {"regions": tiny_regions(), **OV_TABLES})
    at = run_page(db.path, monkeypatch, "overview", lang=lang, as_of=date(2022, 1, 15))
    assert_clean(at, "overview on the known city")

    (trust,) = [m for m in at.markdown if m.value.startswith(("**数据可信度**", "**Data trust**"))]
    line, when = trust.value.split("  \n")
    if lang == "zh":
        assert line == ("**数据可信度**:疫情 :green[✓ 可信]\u2003一盘棋 :green[✓ 可信]\u2003一张网 :orange[▲ 存疑]\u2003"
                        "一堵墙 :red[■ 不可信]\u2003一面旗 :green[✓ 可信]\u2003一本账 :green[✓ 可信]")
        assert re.fullmatch(r":gray\[截至2022年1月15日 · 核查于 \d{4}-\d\d-\d\d \d\d:00\]", when)
        assert trust.proto.help.split("\n\n")[1:] == [
            "一张网:规则未通过(病例所在村(社区)没有网格包干单元 (5))",
            "一堵墙:规则未通过(返乡人员有阳性检测结果,但人员状态不是“阳性” (1))"]
    else:
        assert line == ("**Data trust**: Cases :green[✓ trusted]\u2003Command :green[✓ trusted]\u2003"
                        "Monitoring :orange[▲ doubtful]\u2003Screening & control :red[■ untrusted]\u2003"
                        "Publicity :green[✓ trusted]\u2003Preparedness :green[✓ trusted]")
        assert re.fullmatch(r":gray\[as of Jan 15, 2022 · checked \d{4}-\d\d-\d\d \d\d:00\]", when)

    items, alerts, ranking = at.dataframe[0].value, at.dataframe[1].value, at.dataframe[2].value
    (headline,) = [h.proto.body for h in at.get("html") if h.proto.body.startswith("<p class=\"sit-headline")]
    (decisions,) = [h.proto.body for h in at.get("html") if 'data-rule="local_case"' in h.proto.body]
    if lang == "zh":
        # the day's local cases lead: red whatever the count, with their township and village
        assert headline.endswith("截至1月15日24时，全市新增本土确诊病例5例（城东街道东门社区），累计本土病例5例；"
                                 "无新增输入病例；较前日，现有病例由0例变为5例（转为黄色）；共3项需决策事项。</p>")
        assert decisions.index("新增本土病例 · 城东街道东门社区 5例") < decisions.index("逾期未整改问题 · 全市 5个；1处：城东街道 5个")
        assert items.values.tolist()[:3] == [
            ["红色", "新增本土病例", "城东街道东门社区", "5例", "—", ""],
            ["红色", "逾期未整改问题", "全市", "5个", "—", ""],
            ["红色", "逾期未整改问题", "城东街道", "5个", "李镇长", "138****1111"],
        ]
        assert [s.value for s in at.subheader][0] == "需决策事项（3项）"
        # open alerts: the Monitoring page's open ones (5 case alerts + 2 KPI alerts), the cases of one village one row
        assert "待处置预警（7条）" in [e.label for e in at.expander]
        assert alerts.values.tolist() == [
            ["本土病例5例待处置", "东门社区", "2022年1月15日", "未落实", ""],
            ["指标预警:逾期未整改问题 5个", "示范市", "2022年1月13日", "王指挥(当日带班领导)", ""],
            ["指标预警:逾期未整改问题 5个", "城东街道", "2022年1月13日", "李镇长", "138****1111"],
        ]
        assert list(alerts.columns) == ["事项", "地区", "起始日期", "包干责任人", "联系电话"]
        assert ranking.values.tolist() == [[1, "城东街道", "■ 红色", 2, 2, "新增本土病例、逾期未整改问题、现有病例"],
                                           [2, "河西镇", "✓ 正常", 0, 0, ""]]
    else:
        assert "new local cases: 5 cases confirmed (东门社区, 城东街道)" in headline
        assert alerts.values.tolist()[0] == ["5 local cases open", "东门社区", "Jan 15, 2022", "nobody assigned", ""]
        assert items["Item"].tolist()[:3] == ["New local cases", "Supervision issues overdue", "Supervision issues overdue"]


def test_bad_url_parameters_fall_back_to_defaults(demo_db, monkeypatch):
    monkeypatch.setenv("SITREP_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params.update({"lang": "xx", "as_of": "not-a-date", "scope": "999999999999"})
    at.run()
    assert_clean(at, "bad url")
    assert _param(at, "lang") == "zh"
    assert "scope" not in at.query_params
    hi = pd.Timestamp(Database(demo_db).query("data_date_range")["max_date"].iloc[0]).date()
    assert _param(at, "as_of") == hi.isoformat()


def _param(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[0] if isinstance(value, list) else value


def test_a_cards_change_is_coloured_only_when_the_kpi_has_thresholds(demo_db, demo_facts, monkeypatch):
    """Green/red for a change says good/bad: only a KPI with thresholds (and a direction) can say so; an
    informational KPI's change (returnees registered, arrivals) is grey whichever way it goes."""
    from sitrep import catalogue

    from builders import kpi_strip_cards

    at = run_page(demo_db, monkeypatch, "overview", lang="en", as_of=demo_facts["dates"][0])
    seen = {"grey": 0, "coloured": 0}
    for key, card in kpi_strip_cards(at).items():
        kpi = catalogue.by_key().get(key)
        if kpi is None or not card["delta"]:  # the severity model's own case cards have no change
            continue
        rising = card["delta"].startswith("↑")
        if kpi.amber is None:
            assert card["sense"] == "off", (key, card)
            seen["grey"] += 1
        else:
            assert card["sense"] == ("good" if rising == kpi.up_is_good else "bad"), (key, card)
            seen["coloured"] += 1
    assert seen["grey"] and seen["coloured"], seen

"""A click on a chart's mark opens the records behind it (sitrep/drill.py): on the hand-built city of
tests/test_kpis.py the marks give exactly the hand-checked records, as of the mark's day; on the demo city every
mark of a chart lists as many records as the mark draws; the URL carries a mark and reopens it; every chart key
of the pages has an entry or a reason why its marks have none."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from builders import build_db
from sitrep import catalogue, drill
from sitrep import regions as region_tree
from sitrep.figures import cases as case_figs
from sitrep.figures import monitoring as monitoring_figs
from sitrep.figures import screening as screening_figs
from test_kpis import D, TABLES

# the words of the charts do not matter here: the marks carry their codes (meta)
CASES = case_figs.CasesLabels.of("en")
MONITORING = monitoring_figs.MonitoringLabels.of("en")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("drill") / "d.duckdb", TABLES)


def records(db, m: drill.Mark, as_of=D, region_code=None) -> pd.DataFrame:
    """The records a mark opens, as the dialog reads them (the chart's query on the mark's day, then its filter)."""
    entry = drill.DRILLS[m.chart]
    return drill.select(db.query(entry.records, as_of=m.day or as_of, region_code=region_code), m)


def click(chart: str, fig, trace: int, index: int, state=None) -> drill.Mark | None:
    """The mark a click on a figure's point gives (the point as Streamlit reports it)."""
    tr = fig.data[trace]
    horizontal = getattr(tr, "orientation", None) == "h"
    point = {"curve_number": trace, "point_index": index, "x": tr.x[index], "y": tr.y[index]}
    if horizontal:
        point["x"], point["y"] = tr.x[index], tr.y[index]
    return drill.mark(chart, point, tr.meta, state)


def trace_of(fig, **meta) -> int:
    return next(i for i, tr in enumerate(fig.data) if isinstance(tr.meta, dict)
                and all(tr.meta.get(k) == v for k, v in meta.items()))


# -- the hand-built city -------------------------------------------------------------------------------------

def test_the_curves_local_confirmed_bar_on_a_day_lists_exactly_that_days_local_confirmed_cases(db):
    curve = db.query("cases_daily_by_source_category", as_of=D)
    fig = case_figs.epi_curve_by_category(curve, CASES)
    i = trace_of(fig, source="local", category="confirmed")
    on_d = list(pd.to_datetime(fig.data[i].x)).index(pd.Timestamp(D))
    m = click("cases_curve", fig, i, on_d)
    assert m.day == date(2022, 1, 15)
    assert list(records(db, m)["case_id"]) == ["c1"]      # c5 that day is suspected; c2 is reported D+1
    suspected = click("cases_curve", fig, trace_of(fig, source="local", category="suspected"), 0)
    assert list(records(db, suspected)["case_id"]) == ["c5"]


def test_a_bar_lists_its_cases_as_they_stood_that_day(db):
    """c4 (overseas, reported 01-12, discharged 01-16) is hospitalised in the records of its bar on 01-12."""
    curve = db.query("cases_daily_by_source_category", as_of="2022-01-16")
    fig = case_figs.epi_curve_by_category(curve, CASES)
    m = click("cases_curve", fig, trace_of(fig, source="overseas", category="confirmed"), 0)
    assert m.day == date(2022, 1, 12)
    rows = records(db, m).set_index("case_id")
    assert list(rows.index) == ["c4"] and rows.loc["c4", "status"] == "hospitalised"
    assert pd.isna(rows.loc["c4", "discharge_date"])


def test_by_onset_a_bar_lists_the_cases_known_on_the_views_day(db):
    m = drill.mark("cases_curve", {"x": "2022-01-15", "point_index": 0}, {"source": "local", "category": "confirmed"},
                   {"cases_basis": "onset"})
    assert m.day is None and m.filters["onset_date"] == ("2022-01-15",)
    assert records(db, m).empty  # the hand-built cases have no onset dates


def test_the_overview_curve_and_the_found_by_bar(db):
    curve = db.query("cases_daily_by_source", as_of=D)
    fig = case_figs.epi_curve(curve, CASES)
    i = trace_of(fig, source="local")
    m = click("overview_curve", fig, i, list(pd.to_datetime(fig.data[i].x)).index(pd.Timestamp(D)))
    assert sorted(records(db, m)["case_id"]) == ["c1", "c5"]  # every category, as the bar counts them
    found = case_figs.found_by_bar(db.query("cases_by_found_by", as_of=D), CASES)
    i = trace_of(found, source="local")
    m = click("cases_found_by", found, i, len(found.data[i].y) - 1)  # "not recorded", the last bar
    assert m.filters["found_by"] == ("",)
    assert sorted(records(db, m)["case_id"]) == ["c1", "c3", "c6"]  # no suspected c5, no c2 reported D+1
    assert found.data[i].x[-1] == 3


def test_the_contacts_chart_in_quarantine_and_traced_on_a_day(db):
    contacts = db.query("contacts_daily_by_type_place", as_of=D)
    fig = case_figs.contacts_over_time(contacts, CASES)
    area = trace_of(fig, contact_type="close", series="in_quarantine")
    on_d = list(pd.to_datetime(fig.data[area].x)).index(pd.Timestamp(D))
    m = click("cases_contacts", fig, area, on_d)
    assert m.filters["quarantine_place"] == ("",)  # the place is not recorded in the hand-built city
    assert sorted(records(db, m)["contact_id"]) == ["k2", "k4"] == sorted(
        db.query("kpi_records_contacts_in_quarantine", as_of=D)["contact_id"])  # k1 released on D: out
    bars = trace_of(fig, contact_type="secondary", series="identified")
    m = click("cases_contacts", fig, bars, list(pd.to_datetime(fig.data[bars].x)).index(pd.Timestamp(D)))
    assert list(records(db, m)["contact_id"]) == ["k3"]


def test_arrivals_of_a_category_on_a_day_and_the_grid_marks(db):
    daily = db.query("returnees_daily_by_category", as_of=D)
    fig = screening_figs.arrivals_daily(daily, screening_figs.ScreeningLabels.of("en"))
    i = trace_of(fig, origin_category="in_province")
    m = click("screening_arrivals", fig, i, list(pd.to_datetime(fig.data[i].x)).index(pd.Timestamp(D)))
    assert list(records(db, m)["person_id"]) == ["r1"]  # r4, in-province too, arrives D+1
    haves = monitoring_figs.haves_missing_bar(db.query("grid_haves_missing"), MONITORING)
    m = click("monitoring_haves", haves, 0, list(haves.data[0].meta["have"]).index("has_materials"))
    assert list(records(db, m)["region_code"]) == ["451481001002"]  # V12 has no materials
    levels = monitoring_figs.grid_levels_bar(db.query("grid_units_by_level"), MONITORING)
    holes = trace_of(levels, complete=False)
    m = click("monitoring_levels", levels, holes, 0)
    assert m.filters["complete"] == ("false",)
    assert len(records(db, m)) == levels.data[holes].x[0]


def test_an_items_bar_lists_its_warehouses_and_a_dot_its_warehouse_as_of_the_day(db):
    from sitrep.figures import preparedness as prep_figs

    def named(df):  # the hand-built items have no names: the dots find their bar by name
        return df.assign(item_name=df["item_name"].fillna(df["item_code"]))

    stock = named(db.query("reserves_by_warehouse_item", as_of=D))
    fig = prep_figs.supply_bullets(named(db.query("reserves_by_item", as_of=D)), stock, prep_figs.PreparednessLabels.of("en"))
    glove = list(fig.data[0].meta["item_code"]).index("glove")
    rows = records(db, click("prep_supply_bullets", fig, 0, glove))
    assert sorted(rows["warehouse_id"]) == ["W1", "W2"] and set(rows["on_hand"]) == {100, 10}
    short = next(i for i, tr in enumerate(fig.data) if tr.meta and "warehouse_id" in tr.meta
                 and "W2" in tr.meta["warehouse_id"] and "glove" in tr.meta["item_code"])
    at = [(c, w) for c, w in zip(fig.data[short].meta["item_code"], fig.data[short].meta["warehouse_id"])]
    rows = records(db, click("prep_supply_bullets", fig, short, at.index(("glove", "W2"))))
    assert list(rows["warehouse_id"]) == ["W2"] and list(rows["item_code"]) == ["glove"]


def test_a_purposes_bar_lists_its_funds_rows_as_of_the_day(db):
    from sitrep.figures import preparedness as prep_figs

    funds = db.query("funds_by_source_purpose", as_of=D)
    fig = prep_figs.funds_by_purpose(funds[funds["is_purpose_total"]], prep_figs.PreparednessLabels.of("en"))
    testing = list(fig.data[0].meta["purpose"]).index("testing")
    rows = records(db, click("prep_funds_purpose", fig, 2, testing))
    assert len(rows) == 1 and rows["spent"].iloc[0] == 50  # the 01-10 row: the 01-16 one comes after D
    assert rows["spent"].sum() == fig.data[2].x[testing]


# -- the demo city: every mark lists as many records as it draws ---------------------------------------------

@pytest.fixture(scope="module")
def demo(demo_db):
    from sitrep.db import Database

    return Database(demo_db)


def every_mark(chart: str, fig, state=None):
    for trace, tr in enumerate(fig.data):
        if tr.meta is None or tr.type not in ("bar", "scatter", "funnel"):
            continue
        across = getattr(tr, "orientation", None) == "h" or tr.type == "funnel"  # a funnel's values are its x
        for index, value in enumerate(tr.x if across else tr.y):
            yield click(chart, fig, trace, index, state), value


@pytest.mark.parametrize("basis", ["report", "onset"])
def test_every_bar_of_the_demo_epidemic_curve_lists_as_many_cases_as_it_draws(demo, basis):
    as_of = "2022-01-16"
    curve = demo.query("cases_daily_by_source_category", as_of=as_of, date_basis=basis)
    fig = case_figs.epi_curve_by_category(curve, CASES)
    seen = 0
    for m, value in every_mark("cases_curve", fig, {"cases_basis": basis}):
        assert len(records(demo, m, as_of=as_of)) == value, m
        seen += value
    assert seen == len(demo.query("cases_records_reported", as_of=as_of)) - int(curve.loc[curve["day"].isna(),
                                                                                           "cases"].sum())


def test_every_mark_of_the_demo_contacts_and_arrivals_lists_as_many_records_as_it_draws(demo):
    as_of = "2022-01-16"
    contacts = demo.query("contacts_daily_by_type_place", as_of=as_of)
    fig = case_figs.contacts_over_time(contacts, CASES)
    checked = 0
    for m, value in every_mark("cases_contacts", fig):
        if value:  # the empty days are many: the days with contacts say enough
            assert len(records(demo, m, as_of=as_of)) == value, m
            checked += 1
    assert checked > 10
    daily = demo.query("returnees_daily_by_category", as_of=as_of)
    fig = screening_figs.arrivals_daily(daily, screening_figs.ScreeningLabels.of("en"))
    for m, value in every_mark("screening_arrivals", fig):
        if value:
            assert len(records(demo, m, as_of=as_of)) == value, m


# -- the URL ---------------------------------------------------------------------------------------------------

def test_a_mark_survives_the_url():
    m = drill.Mark("cases_curve", date(2022, 1, 12), (("report_date", ("2022-01-12",)), ("source", ("local",)),
                                                      ("category", ("confirmed", "asymptomatic"))))
    params = drill.to_params(m)
    assert params == {"records": "cases_curve", "records_day": "2022-01-12",
                      "records_filter": "report_date:2022-01-12,source:local,category:confirmed|asymptomatic"}
    assert drill.from_params(params) == m
    assert drill.from_params({"records": "cases_active"}) is None  # a KPI's records, not a chart's
    assert drill.from_params({"records": "cases_curve", "records_day": "12 Jan"}) is None
    assert drill.from_params({"records": "cases_curve", "records_filter": "source;drop table:x"}) is None


def test_a_filter_on_a_column_the_records_lack_opens_nothing(db):
    m = drill.Mark("cases_curve", None, (("no_such_column", ("x",)),))
    assert drill.select(db.query("cases_records_reported", as_of=D), m) is None


# -- every chart is covered ----------------------------------------------------------------------------------

def chart_keys() -> set[str]:
    """The key of every ``w.chart(...)`` / ``chart(...)`` call in pages/ and sitrep/ (an f-string's module
    constants filled in)."""
    keys = set()
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("sitrep/**/*.py"), ROOT / "dashboard.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                     for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            name = getattr(node.func, "attr", getattr(node.func, "id", None)) if isinstance(node, ast.Call) else None
            if name != "chart":
                continue
            for kw in node.keywords:
                if kw.arg != "key":
                    continue
                if isinstance(kw.value, ast.Constant):
                    keys.add(kw.value.value)
                elif isinstance(kw.value, ast.JoinedStr):
                    keys.add("".join(str(v.value) if isinstance(v, ast.Constant) else constants[v.value.id]
                                     for v in kw.value.values))
                else:
                    raise AssertionError(f"{path}: a chart key that is not a literal: {ast.unparse(kw.value)}")
    return keys


def test_every_chart_has_records_behind_its_marks_or_a_reason_why_not():
    keys = chart_keys()
    assert len(keys) > 30
    missing = keys - set(drill.DRILLS) - set(drill.NO_RECORDS)
    assert not missing, f"charts with no entry in sitrep.drill.DRILLS nor NO_RECORDS: {sorted(missing)}"
    assert not set(drill.DRILLS) & set(drill.NO_RECORDS)
    assert not (set(drill.DRILLS) | set(drill.NO_RECORDS)) - keys, "entries for charts that are gone"
    assert not set(drill.DRILLS) & set(catalogue.by_key()), "a chart key that is also a KPI's: ?records= is both"
    assert all(why.strip() for why in drill.NO_RECORDS.values())


# -- the dialog --------------------------------------------------------------------------------------------------

MARK_URL = {"records": "cases_curve", "records_day": "2022-01-15",
            "records_filter": "report_date:2022-01-15,source:local,category:confirmed"}
TITLES = {"zh": "2022年1月15日报告 · 本土 · 确诊病例 · 病例", "en": "Reported Jan 15, 2022 · Local · Confirmed · cases"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_url_of_a_mark_opens_its_records_in_the_dialog(demo_env, lang):
    from builders import open_page
    from sitrep.db import Database

    at = open_page("cases", lang=lang, as_of="2022-01-16", **MARK_URL)
    assert str(at.query_params["records_filter"]) == MARK_URL["records_filter"]  # kept while the dialog is open
    expected = Database(demo_env).query("cases_records_reported", as_of="2022-01-15")
    expected = expected[(expected["report_date"] == "2022-01-15") & (expected["source"] == "local")
                        & (expected["category"] == "confirmed")]
    assert len(expected) > 0
    header = "病例编号" if lang == "zh" else "case id"
    shown = [d.value for d in at.dataframe if header in d.value.columns and len(d.value.columns) == 13]
    assert len(shown) == 1 and sorted(shown[0][header]) == sorted(expected["case_id"])
    captions = [c.value for c in at.caption]
    assert any(c.startswith(TITLES[lang]) for c in captions), [c for c in captions if "15" in c]  # what the mark is


def test_a_mark_after_the_views_day_opens_nothing(demo_env):
    from builders import open_page

    at = open_page("cases", lang="zh", as_of="2022-01-10", **MARK_URL)
    assert not any(c.value.startswith(TITLES["zh"]) for c in at.caption)


def test_every_mark_of_the_demo_orders_supervision_and_publicity_charts_lists_as_many_records_as_it_draws(demo):
    from sitrep.figures import command as command_figs
    from sitrep.figures import publicity as publicity_figs

    as_of = "2022-01-16"
    for days in (7, 0):
        orders = demo.query("orders_by_task_force", as_of=as_of, days=days or None)
        figs = {"command_task_forces": command_figs.orders_by_task_force(orders, command_figs.CommandLabels.of("en")),
                "command_funnel": command_figs.orders_funnel(orders[orders["is_total"]].iloc[0], command_figs.CommandLabels.of("en"))}
        for chart, fig in figs.items():
            total = 0
            for m, value in every_mark(chart, fig, {"command_days": days}):
                assert m.filters.get("order_state", ("closed_on_time",))[0] in command_figs.ORDER_SEGMENTS
                assert dict(m.params) == ({"days": str(days)} if days else {})
                got = drill.select(demo.query("orders_records_issued", as_of=as_of, **dict(m.params)), m)
                assert len(got) == value, (chart, m)
                total += value
            assert total > 0
    issues = demo.query("supervision_funnel", as_of=as_of).iloc[0]
    fig = command_figs.supervision_funnel(issues, command_figs.CommandLabels.of("en"))
    found = [(m, value) for m, value in every_mark("command_supervision", fig)]
    assert [len(records(demo, m, as_of=as_of)) for m, _ in found] == [v for _, v in found] and found[0][1] > 0
    fig = publicity_figs.channel_mix(demo.query("publicity_by_channel", as_of=as_of, days=14), publicity_figs.PublicityLabels.of("en"))
    for trace, measure in enumerate(("activities", "reach")):
        for index, value in enumerate(fig.data[trace].x):
            m = click("publicity_channels", fig, trace, index, {"publicity_days": 14})
            assert dict(m.params) == {"days": "14"}
            got = drill.select(demo.query("publicity_records_in_window", as_of=as_of, **dict(m.params)), m)
            assert got[measure].sum() == value, m  # a bar sums its records (one a village, channel and day)
    weekly = demo.query("publicity_weekly_by_theme", as_of=as_of)
    fig = publicity_figs.themes_by_week(weekly, publicity_figs.PublicityLabels.of("en"))
    for m, value in every_mark("publicity_themes", fig):
        got = drill.select(demo.query("publicity_records_in_window", as_of=m.day, **dict(m.params)), m)
        assert got["activities"].sum() == value, m


def test_a_marks_query_parameters_survive_the_url_and_no_other_is_taken():
    m = drill.Mark("command_task_forces", None, (("task_force", ("vaccine",)), ("order_state", ("open_overdue",))),
                   (("days", "7"),))
    params = drill.to_params(m)
    assert params["records_params"] == "days:7" and drill.from_params(params) == m
    assert drill.from_params({**params, "records_params": "region_code:451481001000"}) is None  # scope is the view's
    assert drill.from_params({"records": "cases_curve", "records_params": "days:7"}) is None
    assert drill.from_params({**params, "records_params": "days:x"}) is None  # a window is a number of days


def test_every_charts_records_have_chinese_headers_and_labels(db):
    """No English header or enumeration code in Chinese mode, whichever chart's mark opened the records."""
    from sitrep import records as present

    regions = region_tree.index(db.query)
    for chart, entry in drill.DRILLS.items():
        df = db.query(entry.records, as_of=D, **({"days": 7} if entry.params else {}))
        shown, headers = present.present(df, tables=entry.tables, lang="zh", regions=regions)
        assert len(set(headers.values())) == len(headers), chart
        latin = {c: h for c, h in headers.items() if any("a" <= ch.lower() <= "z" for ch in h)}
        assert latin == {}, (chart, latin)
        codes = {v for c in shown.columns if shown[c].dtype == object for v in shown[c].dropna()
                 if isinstance(v, str) and v.replace("_", "").isalpha() and v.isascii() and "_" in v}
        assert codes == set(), (chart, codes)

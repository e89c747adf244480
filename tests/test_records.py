"""The records behind a number: as they stood at the end of the as-of day, and in the reader's language
(sitrep/records.py), on the hand-built city of tests/test_kpis.py."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from builders import build_db
from sitrep import catalogue, records
from sitrep import regions as region_tree
from test_kpis import C, D, T1, TABLES, V11, V21


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("records") / "r.duckdb", TABLES)


def test_a_case_discharged_after_d_shows_as_hospitalised_on_d(db):
    rows = db.query("kpi_records_cases_active", as_of=D).set_index("case_id")
    assert rows.loc["c4", "status"] == "hospitalised"     # discharged on 01-16
    assert pd.isna(rows.loc["c4", "discharge_date"])
    after = db.query("kpi_records_cases_confirmed_cumulative", as_of="2022-01-16").set_index("case_id")
    assert after.loc["c4", "status"] == "discharged" and after.loc["c4", "discharge_date"].date() == date(2022, 1, 16)


def test_a_returnee_released_after_d_shows_under_measure_on_d(db):
    rows = db.query("kpi_records_returnees_under_measure", as_of="2022-01-14").set_index("person_id")
    assert rows.loc["r2", "status"] == "managed"          # released on D = 01-15
    assert pd.isna(rows.loc["r2", "measure_end"])
    on_d = db.query("kpi_records_returnees_registered", as_of=D).set_index("person_id")
    assert on_d.loc["r2", "status"] == "released" and on_d.loc["r2", "measure_end"].date() == date(2022, 1, 15)


def test_a_contact_released_after_d_has_no_release_date_on_d(db):
    rows = db.query("kpi_records_contacts_in_quarantine", as_of=D).set_index("contact_id")
    assert set(rows.index) == {"k2", "k4"} and pd.isna(rows.loc["k4", "release_date"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_records_in_the_readers_language(db, lang):
    regions = region_tree.index(db.query)
    df = db.query("kpi_records_cases_active", as_of=D, region_code=T1)
    shown, headers = records.present(df, tables=("cases",), lang=lang, regions=regions)
    row = shown.set_index("case_id").loc["c1"]
    if lang == "zh":
        assert headers["report_date"] == "报告日期" and headers["category"] == "类别"
        assert (row["category"], row["source"], row["status"]) == ("确诊病例", "本土", "住院")
        assert headers["township"] == "乡镇(街道)" and headers["village"] == "村(社区)"
    else:
        assert headers["report_date"] == "report date"
        assert (row["category"], row["source"], row["status"]) == ("Confirmed", "Local", "Hospitalised")
    assert (row["township"], row["village"], row["region_code"]) == ("东镇", "一村", V11)  # the code stays
    assert row["report_date"] == date(2022, 1, 15)    # a date, not a timestamp at 00:00:00
    assert row["discharge_date"] == ""                # empty, not "None"
    assert list(shown.columns).index("village") == list(shown.columns).index("region_code") + 2


def test_every_records_column_has_a_chinese_header(db):
    """No English header in Chinese mode: every column of every records query is labelled."""
    regions = region_tree.index(db.query)
    for kpi in catalogue.load():
        df = db.query(kpi.records, as_of=D)
        shown, headers = records.present(df, tables=kpi.tables, lang="zh", regions=regions)
        assert len(set(headers.values())) == len(headers), kpi.records  # no two columns with one header
        latin = {c: h for c, h in headers.items() if any("a" <= ch.lower() <= "z" for ch in h) and h != "C2统计量"}
        assert latin == {}, kpi.records
        codes = {v for c in shown.columns if shown[c].dtype == object for v in shown[c].dropna()
                 if isinstance(v, str) and v.replace("_", "").isalpha() and v.isascii() and "_" in v}
        assert codes == set(), (kpi.records, codes)  # no enumeration code left (e.g. central_quarantine)


def test_a_township_row_names_the_township_and_no_village(db):
    regions = region_tree.index(db.query)
    df = pd.DataFrame({"region_code": [T1, V21, None, C]})
    shown, _ = records.present(df, tables=("orders",), lang="zh", regions=regions)
    assert shown["township"].tolist()[:2] == ["东镇", "西镇"]
    assert shown["village"].iloc[0] == "" and shown["village"].iloc[1] == "三村"
    assert shown["township"].iloc[2] == "" and shown["township"].iloc[3] == ""  # no region; the city
    assert shown["village"].iloc[3] == ""


def test_the_url_opens_the_records_behind_a_kpi_in_a_dialog(demo_env):
    from builders import open_page

    at = open_page("cases", lang="zh", records="cases_active", as_of="2022-01-16")
    assert "cases_active" in str(at.query_params["records"])  # kept in the URL while the dialog is open
    frames = [d.value for d in at.dataframe]
    shown = [f for f in frames if "病例编号" in f.columns]
    assert shown, "the dialog's table of cases"
    from sitrep.db import Database

    count = Database(demo_env).query("kpis", as_of="2022-01-16").set_index("kpi")["value"]["cases_active"]
    assert len(shown[0]) == int(count) > 0  # the records are exactly the ones the number counts


def test_a_kpi_card_opens_its_records(demo_env):
    from builders import open_page

    at = open_page("cases", lang="zh", as_of="2022-01-16")
    at.button(key="open_records_cases_active").click().run()
    at.run()
    assert "cases_active" in str(at.query_params["records"])
    assert any("病例编号" in d.value.columns for d in at.dataframe)


def test_the_overviews_cards_link_to_their_records():
    from sitrep import situation_html as sh

    card = sh.Card("cases_active", "现有病例", "3例", "red", "…", "", "off")
    html = sh.kpi_strip_html([("疫情", [card])], "zh", link=lambda key: f"?lang=zh&records={key}")
    assert '<a class="kpi-link" href="?lang=zh&amp;records=cases_active" target="_self">' in html
    assert "<a " not in sh.kpi_strip_html([("疫情", [card])], "zh")

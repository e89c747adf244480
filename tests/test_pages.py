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
    labels = [m.label for m in at.metric]
    for kpi in catalogue.load():
        assert any(label.endswith(kpi.en) for label in labels), kpi.key
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
    by_label = {m.label.split("] ")[-1]: m.value for m in at.metric}
    cat = catalogue.by_key()
    for kpi, value in zip(values["kpi"], values["value"]):
        shown = by_label[cat[kpi].zh]
        expected = cat[kpi].format(None if value != value else float(value), "zh")
        assert shown == expected, kpi


def test_scope_in_the_url_drills_the_overview_down(demo_db, demo_facts, monkeypatch):
    at = run_page(demo_db, monkeypatch, "overview", lang="zh", scope=demo_facts["township"])
    assert_clean(at, "overview township")
    (deck,) = decks(at)
    regions = [layer for layer in deck["layers"] if layer["id"] == "map-overview"][0]
    codes = {row["region_code"] for row in regions["data"]}
    assert codes and all(c.startswith(demo_facts["township"][:9]) for c in codes)
    assert all(len(c) == 12 and not c.endswith("000") for c in codes)  # villages of that township


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

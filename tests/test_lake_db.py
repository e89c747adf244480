"""The dashboard over a lake (sitrep.lake_db): the cube job's cube and facts with the lake's Parquet, served as one
database; the whole scope is the counties' prefecture (root_region()); every figure at a county equals that county's
own database; every page runs at the prefecture, a county, and a township and village of another county."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from builders import open_page
from streamlit.testing.v1 import AppTest
from conftest import N_COUNTIES

from sitrep import cube_job
from sitrep import regions as region_tree
from sitrep.db import ROOT, Database, QueryError, connect_memory
from sitrep.demo.counties import PREFECTURE_CODE
from sitrep.lake_db import LakeDatabase, LakeReadOnly, served_database

pytestmark = pytest.mark.slow  # three demo counties, their lake and its cube

# days of the outbreak, of the returnees' wave, and after it (open orders with no region, reports of each county's
# duty roster)
DAYS = ["2022-01-10", "2022-01-16", "2022-02-20", "2022-03-01"]


@pytest.fixture(scope="module")
def served(county_lake, county_cube, lake_served) -> LakeDatabase:
    return LakeDatabase(county_lake, county_cube, path=lake_served)


def values(df: pd.DataFrame) -> dict[str, float | None]:
    return {k: (None if pd.isna(v) else float(v)) for k, v in zip(df["kpi"], df["value"])}


def test_the_whole_scope_is_the_prefecture_of_the_counties_and_a_county_database_its_own_city(served, county_dbs):
    assert served.rows("SELECT root_region()") == [(PREFECTURE_CODE,)]
    regions = region_tree.index(served.query)
    assert region_tree.root(regions) == PREFECTURE_CODE
    counties = region_tree.children(None, regions)
    assert counties == sorted(c.region_code for c, _ in county_dbs) and len(counties) == N_COUNTIES
    assert region_tree.child_level(None, regions) == "county"
    assert region_tree.child_level(counties[0], regions) == "township"
    assert region_tree.parent(counties[0], regions) is None
    township = region_tree.children(counties[0], regions)[0]
    assert region_tree.parent(township, regions) == counties[0]
    assert region_tree.whole_key(regions) == "common.whole_prefecture"
    # a county's own database: the county is the root, as before the lake existed
    own = Database(county_dbs[1][1])
    assert own.rows("SELECT root_region()") == [(county_dbs[1][0].region_code,)]
    own_regions = region_tree.index(own.query)
    assert region_tree.root(own_regions) == county_dbs[1][0].region_code
    assert region_tree.child_level(None, own_regions) == "township"
    assert region_tree.whole_key(own_regions) == "common.whole_county"


def test_every_kpi_at_a_county_equals_the_countys_own_database_and_counts_add_up_at_the_prefecture(served, county_dbs):
    for day in DAYS:
        total: dict[str, float] = {}
        for county, path in county_dbs:
            own = values(Database(path).query("kpis", as_of=day))
            lake = values(served.query("kpis", as_of=day, region_code=county.region_code))
            assert set(own) == set(lake)
            for k in own:
                assert lake[k] == pytest.approx(own[k], abs=1e-9) if own[k] is not None else lake[k] is None, \
                    (day, county.code, k)
            for k in ("cases_new", "cases_active", "returnees_registered", "returnees_under_measure"):
                total[k] = total.get(k, 0) + own[k]
        whole = values(served.query("kpis", as_of=day))
        assert {k: whole[k] for k in total} == total, day
        # a share per head at the prefecture is over the people of its counties in the lake
        pops = {c.region_code: served.rows("SELECT population FROM regions WHERE region_code = $c",
                                           {"c": c.region_code})[0][0] for c, _ in county_dbs}
        shares = {c.region_code: values(Database(p).query("kpis", as_of=day))["vaccination_full_pct"]
                  for c, p in county_dbs}
        weighted = sum(shares[c] * pops[c] for c in pops) / sum(pops.values())
        assert whole["vaccination_full_pct"] == pytest.approx(weighted, abs=0.1), day
        # the ranking's rows: one per county, each with its own numbers
        by_region = served.query("kpis_by_region", as_of=day)
        assert sorted(by_region["region_code"].unique()) == sorted(c.region_code for c, _ in county_dbs)


def test_the_records_behind_a_number_at_a_county_are_that_countys_records(served, county_dbs):
    county, path = county_dbs[1]
    for day in DAYS:
        for key in ("returnees_under_measure", "cases_active"):
            own = Database(path).query(f"kpi_records_{key}", as_of=day)
            lake = served.query(f"kpi_records_{key}", as_of=day, region_code=county.region_code)
            id_col = own.columns[0]
            assert sorted(lake[id_col]) == sorted(own[id_col]), (day, key)
            assert len(lake) == values(served.query("kpis", as_of=day, region_code=county.region_code))[key]


def test_counties_are_drawn_as_the_polygons_of_their_townships(served, county_dbs):
    shapes = served.query("boundaries_by_level", level="county")
    assert sorted(shapes["region_code"]) == sorted(c.region_code for c, _ in county_dbs)
    for row in shapes.itertuples():
        geometry = json.loads(row.geometry)
        townships = served.rows("SELECT count(*) FROM boundaries b JOIN regions r USING (region_code) "
                                "WHERE r.parent_code = $c", {"c": row.region_code})[0][0]
        assert geometry["type"] == "MultiPolygon" and len(geometry["coordinates"]) == townships > 0


def test_a_new_cube_is_served_on_the_next_read_and_writes_are_refused(county_lake, county_cube, tmp_path):
    cube = tmp_path / "cube"  # a week's cube, made by the cube job (quicker to change than the whole one)
    cube_job.run("duckdb", county_lake, cube, date_from=date(2022, 1, 12), date_to=date(2022, 1, 18))
    served = LakeDatabase(county_lake, cube, path=tmp_path / "served.duckdb")
    day = "2022-01-16"
    before = values(served.query("kpis", as_of=day))["cases_new"]
    version = served.version()
    # the nightly cube: here, the same cube with one number changed
    part = next((cube / "kpi_cube").glob("*.parquet"))
    con = connect_memory()
    changed = tmp_path / "changed.parquet"
    con.execute(f"COPY (SELECT region_code, day, kpi, CASE WHEN kpi = 'cases_new' AND region_code = $r AND day = $d "
                f"THEN value + 100 ELSE value END AS value FROM read_parquet('{part}')) TO '{changed}' (FORMAT parquet)",
                {"r": PREFECTURE_CODE, "d": day})
    con.close()
    shutil.move(changed, part)
    job = cube / "kpi_cube" / "_job.json"
    job.write_text(job.read_text())
    os.utime(job, ns=(job.stat().st_atime_ns, job.stat().st_mtime_ns + 10**9))
    assert served.version() != version
    assert values(served.query("kpis", as_of=day))["cases_new"] == before + 100
    with pytest.raises(LakeReadOnly, match="lake export --append"):
        with served.writer():
            pass


def test_a_lake_without_its_cube_names_the_command_that_makes_it(county_lake, tmp_path, monkeypatch):
    monkeypatch.setenv("SITREP_LAKE", str(county_lake))
    monkeypatch.setenv("SITREP_CUBE", str(tmp_path / "no_cube"))
    database = served_database(tmp_path / "served.duckdb")
    assert isinstance(database, LakeDatabase) and not database.exists()
    with pytest.raises(QueryError, match=r"no KPI cube .*python -m sitrep cube --lake"):
        database.query("kpis", as_of="2022-01-16")


PAGES = ["overview", "cases", "command", "monitoring", "screening", "publicity", "preparedness", "data", "explorer"]
BELOW_COUNTY = ("overview", "cases", "screening")


@pytest.mark.slow
def test_every_page_runs_over_the_lake_at_the_prefecture_a_county_and_another_countys_township_and_village(
        served, county_lake, county_cube, lake_served, county_dbs, monkeypatch):
    monkeypatch.setenv("SITREP_LAKE", str(county_lake))
    monkeypatch.setenv("SITREP_CUBE", str(county_cube))
    monkeypatch.setenv("SITREP_DB", str(lake_served))
    county = county_dbs[1][0].region_code
    regions = region_tree.index(served.query)
    township = region_tree.children(county, regions)[0]
    village = region_tree.children(township, regions)[0]
    for page in PAGES:
        # every page at the prefecture and at a county; the pages with maps and rankings below that too
        for scope in (None, county, *((township, village) if page in BELOW_COUNTY else ())):
            params = {"lang": "zh", "as_of": "2022-01-16", **({"scope": scope} if scope else {})}
            at = open_page(page, **params)
            assert not at.error, (page, scope, [e.value for e in at.error])
            assert at.query_params.get("scope") == scope, (page, scope)
    # the overview at the prefecture (the default page, one run): the counties in the pickers, the ranking, the
    # headline naming each place with its county
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params.update({"lang": "zh", "as_of": "2022-01-16"})
    at.run()
    assert not at.exception and not at.error
    names = {c: regions[c]["name"] for c in region_tree.children(None, regions)}
    picker = at.selectbox(key="w_county")
    assert picker.label == "县(市、区)" and picker.value is None
    assert picker.options == ["全市", *(names[c] for c in sorted(names))]
    assert "红黑榜（县(市、区)）" in [s.value for s in at.subheader]
    html = "".join(el.proto.body for el in at.get("html"))
    assert all(f"{name}" in html for name in names.values())
    # at a county: its name in the county picker, its townships in the picker below
    county = sorted(names)[1]
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params.update({"lang": "zh", "as_of": "2022-01-16", "scope": county})
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="w_county").value == county
    townships = at.selectbox(key="w_township")
    assert townships.options == ["全部乡镇(街道)", *(regions[c]["name"] for c in region_tree.children(county, regions))]
    assert "红黑榜（乡镇/街道）" in [s.value for s in at.subheader]

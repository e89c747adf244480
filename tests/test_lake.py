"""The province path's store: demo counties under one prefecture (demo --counties), scopes
above the city, and the lake of their exports (lake export, --append and its key check)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import N_COUNTIES

from sitrep import contract, db, lake
from sitrep.auth import roles
from sitrep.cli import main
from sitrep.db import Database
from sitrep.demo.counties import PREFECTURE_CODE, PROVINCE_CODE

pytestmark = pytest.mark.slow  # three demo counties are built through the import path

PROVINCE_TABLES = [t.name for t in contract.TABLES] + ["boundaries", "import_log"]


def lake_con(path):
    con = db.connect_memory()
    lake.create_views(con, path)
    for macro in db.MACROS:
        con.execute(macro)
    return con


def test_demo_counties_are_three_places_of_their_own_under_one_prefecture(county_dbs):
    codes = [c.code for c, _p in county_dbs]
    assert codes == ["451481", "451402", "451421"]
    seen_cases: set[str] = set()
    for county, path in county_dbs:
        d = Database(path)
        top = d.rows("SELECT region_code, name, level, parent_code FROM regions WHERE parent_code = $p",
                     {"p": PREFECTURE_CODE})
        assert top == [(county.code + "000000", county.name, "city" if county.index == 0 else "county",
                        PREFECTURE_CODE)]
        assert d.rows("SELECT region_code, level, parent_code FROM regions WHERE level IN ('province', 'prefecture') "
                      "ORDER BY region_code") == [(PROVINCE_CODE, "province", None),
                                                  (PREFECTURE_CODE, "prefecture", PROVINCE_CODE)]
        # every region below the county, and every record's region, carries the county's own code
        assert d.rows("SELECT count(*) FROM regions WHERE level IN ('township', 'village', 'group') "
                      "AND NOT starts_with(region_code, $c)", {"c": county.code}) == [(0,)]
        assert d.rows("SELECT count(*) FROM returnees WHERE NOT starts_with(region_code, $c)",
                      {"c": county.code}) == [(0,)]
        cases = {r[0] for r in d.rows("SELECT case_id FROM cases")}
        assert len(cases) == 16 and not cases & seen_cases
        seen_cases |= cases
        # its own name in the laboratories' names, not the demo city's
        labs = {r[0] for r in d.rows("SELECT DISTINCT lab_name FROM test_capacity")}
        assert any(county.name in n for n in labs)
        if county.index:
            assert not any("临江" in n for n in labs)
            assert all(c.startswith(county.code) for c in cases)
    assert "LJ001" in seen_cases  # the demo city keeps its own identifiers


def test_scopes_above_the_city_take_their_counties_and_the_python_mirror_agrees(county_lake):
    con = lake_con(county_lake)
    per_county = dict(con.execute("SELECT county, count(*) FROM returnees GROUP BY 1").fetchall())
    assert len(per_county) == N_COUNTIES
    total = sum(per_county.values())
    for scope, expected in [(PROVINCE_CODE, total), (PREFECTURE_CODE, total), ("451402000000", per_county["451402"]),
                            ("451481000000", per_county["451481"]), ("440000000000", 0)]:
        n = con.execute("SELECT count(*) FROM returnees WHERE in_scope(region_code, $s)", {"s": scope}).fetchall()
        assert n == [(expected,)], scope
        codes = [r[0] for r in con.execute("SELECT region_code FROM returnees WHERE hash(person_id) % 40 = 0").fetchall()]
        got = con.execute("SELECT list(in_scope(c, $s) ORDER BY i) FROM unnest($codes) WITH ORDINALITY AS t(c, i)",
                          {"s": scope, "codes": codes}).fetchall()[0][0]
        assert got == [roles.in_scope(c, scope) for c in codes], scope
    # a township scope is its township only; rows with no region belong to scopes of county level and above
    assert con.execute("SELECT in_scope(NULL, '451402000000'), in_scope(NULL, '451400000000'), "
                       "in_scope(NULL, '451402001000'), scope_prefix('450000000000'), "
                       "scope_prefix('451400000000'), scope_prefix('451402001000')").fetchall() == [
        (True, True, False, "45", "4514", "451402001")]


def test_the_lake_holds_every_table_of_every_county_partitioned_by_county_and_month(county_dbs, county_lake):
    con = lake_con(county_lake)
    for county, path in county_dbs:
        d = Database(path)
        for name in PROVINCE_TABLES:
            n_db = d.rows(f"SELECT count(*) FROM {name}")[0][0]
            if name == "regions" and county.index:
                n_db -= 2  # the province and the prefecture count once, with the first county
            n_lake = con.execute(f"SELECT count(*) FROM {name} WHERE county = $c", {"c": county.code}).fetchall()[0][0]
            assert n_lake == n_db, (county.code, name)
    months = sorted(p.name for p in (county_lake / "tests" / "county=451402").iterdir())
    assert months == ["month=2021-12", "month=2022-01", "month=2022-02", "month=2022-03"]
    assert sorted(p.name for p in (county_lake / "cases").iterdir()) == [
        "county=451402", "county=451421", "county=451481"]
    manifest = json.loads((county_lake / "_lake.json").read_text(encoding="utf-8"))
    assert sorted(manifest["counties"]) == ["451402", "451421", "451481"]
    assert manifest["counties"]["451402"]["name"] == "江州区"
    # the region tree: one province, one prefecture, the three counties under it
    assert con.execute("SELECT level, count(*) FROM regions WHERE level IN ('province', 'prefecture', 'city', "
                       "'county') GROUP BY 1 ORDER BY 1").fetchall() == [
        ("city", 1), ("county", 2), ("prefecture", 1), ("province", 1)]


def test_the_lake_rows_equal_the_databases_rows(county_dbs, county_lake):
    con = lake_con(county_lake)
    county, path = county_dbs[1]
    con.execute("ATTACH $p AS src (READ_ONLY)", {"p": str(path)})
    # import ids are numbered by each county's database: the lake's views make them unique (county * 10^9 + id)
    assert con.execute("SELECT DISTINCT _import_id // 1000000000 FROM cases WHERE county = $c",
                       {"c": county.code}).fetchall() == [(int(county.code),)]
    for name in ("cases", "tests", "funds", "orders", "returnees"):
        cols = ", ".join(c for c, _t in lake.columns(name) if c not in ("county", "_import_id"))
        # a record with no region is the county's in the lake
        theirs = cols.replace("region_code", f"coalesce(region_code, '{county.code}000000') AS region_code")
        ours = f"SELECT {cols}, _import_id % 1000000000 AS _import_id FROM {name} WHERE county = $c"
        only_db = con.execute(f"SELECT count(*) FROM (SELECT {theirs}, _import_id FROM src.{name} EXCEPT ALL {ours})",
                              {"c": county.code}).fetchall()
        only_lake = con.execute(f"SELECT count(*) FROM ({ours} EXCEPT ALL SELECT {theirs}, _import_id FROM src.{name})",
                                {"c": county.code}).fetchall()
        assert only_db == only_lake == [(0,)], name


def _files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_appending_a_county_the_lake_holds_is_refused_whole_and_nothing_is_written(county_dbs, county_lake,
                                                                                  tmp_path, capsys):
    copy = tmp_path / "lake"
    shutil.copytree(county_lake, copy)
    before = _files(copy)
    status = main(["lake", "export", "--db", str(county_dbs[1][1]), "--out", str(copy), "--append"])
    err = capsys.readouterr().err
    assert status == 1
    assert "nothing was written" in err
    assert "cases: 16 row(s) whose key (case_id) the lake holds already (e.g. 451402LJ001)" in err
    assert "funds: 64 row(s) whose key (county + date + source + purpose)" in err
    assert _files(copy) == before


def test_a_county_whose_prefecture_disagrees_with_the_lake_is_refused(county_dbs, tmp_path, capsys):
    lake_dir = tmp_path / "lake"
    assert main(["lake", "export", "--db", str(county_dbs[0][1]), "--out", str(lake_dir)]) == 0
    assert "临江市 (451481)" in capsys.readouterr().out
    other = tmp_path / "other.duckdb"
    shutil.copyfile(county_dbs[2][1], other)
    with Database(other).writer() as con:
        con.execute("UPDATE regions SET name = '别的市' WHERE region_code = $p", {"p": PREFECTURE_CODE})
    with pytest.raises(lake.LakeError, match="regions: 1 region.s. above the county differ from the lake's "
                                             r"\(e.g. 451400000000\)"):
        lake.export(other, lake_dir, append=True)
    # the same county as it should be goes in
    rep = lake.export(county_dbs[2][1], lake_dir, append=True)
    assert rep.county == "451421" and rep.rows["regions"] > 0


def test_append_needs_a_lake_and_an_export_takes_one_county(county_dbs, tmp_path):
    with pytest.raises(lake.LakeError, match="not a lake yet"):
        lake.export(county_dbs[0][1], tmp_path / "none", append=True)
    two = tmp_path / "two.duckdb"
    shutil.copyfile(county_dbs[0][1], two)
    with Database(two).writer() as con:
        con.execute("INSERT INTO regions (region_code, name, level, parent_code) "
                    "VALUES ('451499000000', '另一县', 'county', $p)", {"p": PREFECTURE_CODE})
    with pytest.raises(lake.LakeError, match="one county .* this one has 2"):
        lake.export(two, tmp_path / "lake")

"""Every contract table round-trips: a file carrying every column, in the forms exports
use (Chinese labels, 2022/1/15-style dates, 是/否), comes back as exactly the typed values."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sitrep import contract
from sitrep.db import Database
from sitrep.ingest import import_files
from tests.builders import CITY, headers_for, id_number, tiny_regions, write_csv, write_table_csv

# text written to the file -> value expected back, per contract type
SAMPLES = {
    "int": ("1,234", 1234),
    "float": ("2.5", 2.5),
    "date": ("2022/1/15", date(2022, 1, 15)),
    "timestamp": ("2022年1月15日 8时30分", datetime(2022, 1, 15, 8, 30)),
    "bool": ("是", True),
}
SPECIAL = {
    ("regions", "region_code"): ("451481002003", "451481002003"),
    ("regions", "parent_code"): ("451481002000", "451481002000"),
    ("regions", "lon"): ("106.7", 106.7),
    ("regions", "lat"): ("22.1", 22.1),
    ("returnees", "id_number"): (id_number("45148119800101001").lower(), id_number("45148119800101001")),
    ("returnees", "phone"): ("139 1234 5678", "13912345678"),
    ("grid_units", "phone"): ("13912345678", "13912345678"),
    ("test_capacity", "pool_size"): ("10", 10),
}


def sample(table: contract.Table, col: contract.Column) -> tuple[str, object]:
    """A valid text for one column and the value it must come back as. References line up
    across tables because every id is '<column>-1' (cases.case_id = contacts.case_id, ...)."""
    if (table.name, col.name) in SPECIAL:
        return SPECIAL[(table.name, col.name)]
    if col.name == "region_code":
        return "451481001001", "451481001001"
    if col.type == "enum":
        entry = col.enum[-1]
        return entry[-1], entry[0]  # the last label of the last choice
    if col.type in SAMPLES:
        return SAMPLES[col.type]
    return f"{col.name}-1", f"{col.name}-1"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Every table imported once from a GB18030 file with all its columns."""
    folder = tmp_path_factory.mktemp("roundtrip")
    db = Database(folder / "rt.duckdb")
    assert all(r.status == "loaded" for r in import_files(
        db, [write_table_csv(folder / "base_regions.csv", "regions", tiny_regions())]))
    files, expected = [], {}
    for name in contract.LOAD_ORDER:
        table = contract.TABLES_BY_NAME[name]
        pairs = [sample(table, c) for c in table.columns]
        files.append(write_csv(folder / f"{name}.csv", headers_for(name, list(table.column_names)),
                               [[text for text, _ in pairs]], encoding="gb18030"))
        expected[name] = tuple(value for _, value in pairs)
    reports = {r.table: r for r in import_files(db, files, user="rt")}
    return db, reports, expected


@pytest.mark.parametrize("name", contract.LOAD_ORDER)
def test_every_column_round_trips(loaded, name):
    db, reports, expected = loaded
    rep = reports[name]
    assert (rep.status, rep.rows_read, rep.inserted, rep.ignored_columns) == ("loaded", 1, 1, []), rep.summary("en")
    table = contract.TABLES_BY_NAME[name]
    cols = ", ".join(table.column_names)
    key = " AND ".join(f"{k} = $k{i}" for i, k in enumerate(table.key))
    params = {f"k{i}": expected[name][table.column_names.index(k)] for i, k in enumerate(table.key)}
    assert db.rows(f"SELECT {cols} FROM {name} WHERE {key}", params) == [expected[name]]
    assert db.rows(f"SELECT _import_id FROM {name} WHERE {key}", params) == [(rep.import_id,)]


def test_schema_types_match_the_contract(loaded):
    db, _, _ = loaded
    for table in contract.TABLES:
        types = dict(db.rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $t",
                             {"t": table.name}))
        assert {c.name: types[c.name] for c in table.columns} == {c.name: c.sql_type for c in table.columns}
        assert types["_import_id"] == "BIGINT"


def test_canonical_english_headers_work_too(tmp_path):
    db = Database(tmp_path / "en.duckdb")
    path = write_csv(tmp_path / "regions.csv", ["region_code", "name", "level", "parent_code"],
                     [[CITY, "示范市", "city", ""], ["451481001000", "城东街道", "township", CITY]])
    (rep,) = import_files(db, [path])
    assert (rep.status, rep.table, rep.inserted) == ("loaded", "regions", 2)

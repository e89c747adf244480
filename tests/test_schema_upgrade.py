"""A database made by an older sitrep (a macro missing, no fingerprint) is brought up to date on
first read, through the same copy-and-swap as an import; the data stays as it was."""

from datetime import date

from builders import build_db, tiny_regions

from sitrep.db import Database, schema_fingerprint, stored_fingerprint


def test_an_older_database_is_upgraded_on_first_read_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    build_db(path, {"regions": tiny_regions()})
    regions = Database(path).rows("SELECT count(*) FROM regions")[0][0]
    assert regions == len(tiny_regions())
    with Database(path).writer() as con:  # what a database of the previous version looks like
        con.execute("DROP MACRO TABLE reporting_kpis_on_day")
        con.execute("DROP TABLE sitrep_schema")
    old_inode = path.stat().st_ino

    db = Database(path)
    kpis = db.query("kpis", as_of=date(2022, 1, 10), region_code=None)

    assert "reports_missing" in set(kpis["kpi"])
    assert path.stat().st_ino != old_inode, "upgraded through a copy swapped in"
    assert db.rows("SELECT count(*) FROM regions")[0][0] == regions
    assert db.rows("SELECT fingerprint FROM sitrep_schema") == [(schema_fingerprint(),)]
    assert db.rows("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'reporting_kpis_on_day'")[0][0] > 0


def test_a_current_database_is_not_rewritten(tmp_path):
    path = tmp_path / "new.duckdb"
    build_db(path, {"regions": tiny_regions()})
    inode = path.stat().st_ino
    db = Database(path)
    db.query("kpis", as_of=date(2022, 1, 10), region_code=None)
    assert path.stat().st_ino == inode
    con = db._cursor()
    try:
        assert stored_fingerprint(con) == schema_fingerprint()
    finally:
        con.close()

"""Every named query declares exactly the parameters it uses; the query runner and the
CLI reject unknown queries and wrong parameters with exit status 2."""

import re
import subprocess
import sys

import pytest

from sitrep import catalogue, db

ROOT = db.ROOT


@pytest.mark.parametrize("name", db.query_names())
def test_declared_parameters_are_the_used_ones(name):
    q = db.load_query(name)
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", re.sub(r"--[^\n]*", "", q.sql)))
    assert used == {p.name for p in q.params}, f"{name}: declared {[p.name for p in q.params]}, used {sorted(used)}"
    assert q.doc, f"{name}: the file must open with a comment saying what it returns"


def test_every_catalogue_kpi_has_its_records_query():
    names = set(db.query_names())
    assert [k.records for k in catalogue.load() if k.records not in names] == []


def test_kpis_sql_returns_every_catalogue_kpi_in_order(tmp_path):
    database = db.Database(tmp_path / "empty.duckdb")
    with database.writer():
        pass
    got = database.query("kpis", as_of="2022-01-15")["kpi"].tolist()
    assert got == [k.key for k in catalogue.load()]


def test_bind_rejects_unknown_and_missing_parameters():
    q = db.load_query("kpis")
    with pytest.raises(db.QueryError, match="unknown parameter"):
        q.bind({"as_of": "2022-01-01", "nope": "1"})
    with pytest.raises(db.QueryError, match="missing parameter as_of"):
        q.bind({})
    with pytest.raises(db.QueryError, match="not a valid date"):
        q.bind({"as_of": "2022-13-01"})
    with pytest.raises(db.QueryError, match="unknown query"):
        db.load_query("../etc/passwd")


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "sitrep", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_query_usage_errors_exit_2(tmp_path):
    database = db.Database(tmp_path / "e.duckdb")
    with database.writer():
        pass
    for args in (["query", "no_such_query"], ["query", "kpis"], ["query", "kpis", "--param", "as_of=2022-01-01",
                 "--param", "bogus=1"], ["query", "kpis", "--param", "as_of"]):
        r = _cli(*args, "--db", str(database.path))
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "error" in r.stderr
    r = _cli("query", "kpis", "--db", str(database.path), "--param", "as_of=2022-01-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert '"kpi":"cases_new"' in r.stdout

"""The SQL explorer: escape attempts are refused with a clear message and logged, a query
that would run for minutes is interrupted, personal data is masked (as sitrep.privacy
masks it) unless the user may see it, and a township user's sandbox holds only their
township's rows. Also the page under AppTest."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from sitrep import audit, db, explorer, i18n, privacy
from sitrep.db import Database
from test_auth import access_env, fast_hashes, sign_in, submit, through_dashboard  # noqa: F401 (fixtures)


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    return tmp_path / "state.sqlite3"


@pytest.fixture(scope="module")
def boxes():
    sandboxes = explorer.Sandboxes()
    yield sandboxes
    sandboxes.close()


def run(demo_db, boxes, sql, **kwargs) -> explorer.Result:
    return explorer.execute(sql, path=demo_db, user="analyst1", role="analyst", sandboxes=boxes, **kwargs)


ESCAPES = [
    ("SELECT * FROM read_csv('/etc/passwd')", "external", "read_csv"),
    ("SELECT * FROM read_text('/etc/passwd')", "external", "read_text"),
    ("SELECT content FROM read_blob('/etc/shadow')", "external", "read_blob"),
    ("SELECT * FROM glob('/etc/*')", "external", "glob"),
    ("SELECT getenv('HOME')", "external", "getenv"),
    ("ATTACH '/tmp/other.duckdb' AS other", "not_select", "ATTACH"),
    ("COPY returnees TO '/tmp/returnees.csv'", "not_select", "COPY"),
    ("COPY (SELECT * FROM returnees) TO '/tmp/returnees.csv'", "not_select", "COPY"),
    ("EXPORT DATABASE '/tmp/everything'", "not_select", "EXPORT"),
    ("INSTALL httpfs", "not_select", "LOAD"),
    ("LOAD httpfs", "not_select", "LOAD"),
    ("PRAGMA database_list", "not_select", "PRAGMA"),
    ("SET enable_external_access = true", "not_select", "SET"),
    ("RESET lock_configuration", "not_select", "SET"),
    ("CALL pragma_version()", "not_select", "CALL"),
    ("CREATE TABLE x AS SELECT * FROM returnees", "not_select", "CREATE"),
    ("DROP TABLE returnees", "not_select", "DROP"),
    ("UPDATE returnees SET name = 'x'", "not_select", "UPDATE"),
    ("EXPLAIN SELECT 1", "not_select", "EXPLAIN"),
    ("SELECT 1; SELECT 2", "several", "2"),
    ("SELECT 1; ATTACH '/tmp/x.duckdb' AS x", "several", "2"),
    ("SELEC 1", "parse", ""),
    ("", "empty", ""),
]


@pytest.mark.parametrize("sql, reason, detail", ESCAPES)
def test_escape_attempts_are_refused_with_a_clear_message_and_logged(demo_db, boxes, state, sql, reason, detail):
    result = run(demo_db, boxes, sql)
    assert (result.status, result.reason) == ("rejected", reason)
    assert detail in result.detail
    message = i18n.t(f"explorer.rejected.{reason}", "en", detail=result.detail)
    assert not message.startswith("explorer.") and (detail in message)
    (logged,) = audit.events(event="explorer").itertuples()
    assert (logged.outcome, logged.user_name) == ("rejected", "analyst1")
    assert f'"reason": "{reason}"' in logged.detail


def test_the_sandbox_itself_refuses_files_settings_and_the_database_file(demo_db, boxes):
    """Past the checks (run straight on the sandbox), the sandbox still holds."""
    con = boxes.get(demo_db, None, False)
    for sql in ("SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/passwd')",
                "SELECT * FROM glob('/*')"):
        with pytest.raises(db.PermissionDenied):
            db.run_sandboxed(con, sql, row_cap=10, seconds=5)
    for sql in ("SELECT * FROM sitrep_source.returnees", "SELECT * FROM query_table('sitrep_source.main.returnees')",
                "SELECT * FROM query('SELECT name FROM sitrep_source.main.returnees')", "SELECT getenv('HOME')"):
        with pytest.raises(db.Error):
            db.run_sandboxed(con, sql, row_cap=10, seconds=5)
    for statement in ("SET enable_external_access = true", "SET lock_configuration = false",
                      f"ATTACH '{demo_db}' AS again (READ_ONLY)"):
        with pytest.raises(db.Error):
            db.run_sandboxed(con, statement, row_cap=10, seconds=5)
    databases, _ = db.run_sandboxed(con, "SELECT database_name FROM duckdb_databases()", row_cap=10, seconds=5)
    assert set(databases["database_name"]) == {"memory", "system", "temp"}, "the database file is not attached"


def test_a_query_that_would_run_for_minutes_is_interrupted_and_logged(demo_db, boxes, state):
    result = run(demo_db, boxes, "SELECT count(*) FROM tests a, tests b, tests c WHERE a.person_id < b.person_id",
                 seconds=1.0)
    assert result.status == "timeout"
    assert i18n.t("explorer.timeout", "en", seconds=result.detail) == (
        "The query ran longer than 1 seconds and was stopped. Narrow it down or aggregate first.")
    assert list(audit.events(event="explorer")["outcome"]) == ["timeout"]
    after = run(demo_db, boxes, "SELECT 42 AS answer")
    assert after.status == "ok", (after.reason, after.detail)
    assert after.frame["answer"].tolist() == [42], "the sandbox still works"


def test_rows_are_capped_keeping_the_query_order(demo_db, boxes, state):
    result = run(demo_db, boxes, "SELECT person_id FROM returnees ORDER BY person_id DESC", row_cap=7)
    assert result.status == "ok" and result.truncated
    expected = [r[0] for r in Database(demo_db).rows(
        "SELECT person_id FROM returnees ORDER BY person_id DESC LIMIT 7")]
    assert result.frame["person_id"].tolist() == expected
    small = run(demo_db, boxes, "WITH t AS (SELECT 1 AS x UNION ALL SELECT 2) SELECT * FROM t ORDER BY x; -- done")
    assert small.frame["x"].tolist() == [1, 2] and not small.truncated


def test_personal_columns_are_masked_as_the_pages_mask_them(demo_db, boxes, state):
    raw = Database(demo_db).sql("SELECT person_id, name, id_number, phone FROM returnees ORDER BY person_id")
    result = run(demo_db, boxes, "SELECT person_id, name, id_number, phone FROM returnees ORDER BY person_id",
                 row_cap=1_000_000)
    assert len(result.frame) == len(raw)
    pd.testing.assert_frame_equal(result.frame.reset_index(drop=True), privacy.mask_frame(raw), check_dtype=False)
    grid = run(demo_db, boxes, "SELECT phone FROM grid_units WHERE phone IS NOT NULL", row_cap=1_000_000).frame
    assert grid["phone"].map(lambda p: re.fullmatch(r"\d{3}\*+\d{4}", p) is not None).all()
    # aliases, expressions and the views do not get round it
    secrets = set(raw["id_number"].dropna()) | set(raw["phone"].dropna())
    for sql in ("SELECT name AS n, id_number || '' AS i, upper(phone) AS p FROM returnees",
                "SELECT * FROM returnee_tests JOIN returnees USING (person_id)"):
        frame = run(demo_db, boxes, sql, row_cap=1_000_000).frame
        cells = {str(v) for v in frame.to_numpy().ravel()}
        assert not cells & secrets
        assert not any(re.fullmatch(r"\d{17}[\dX]|1[3-9]\d{9}", c) for c in cells)
    assert list(audit.events(event="unmask")["event"]) == []


def test_a_user_who_may_unmask_sees_the_data_and_each_query_is_logged(demo_db, boxes, state):
    result = run(demo_db, boxes, "SELECT id_number FROM returnees WHERE id_number IS NOT NULL LIMIT 3", unmask=True)
    assert all(re.fullmatch(r"\d{17}[\dX]", v) for v in result.frame["id_number"])
    (logged,) = audit.events(event="unmask").itertuples()
    assert '"source": "explorer"' in logged.detail and logged.user_name == "analyst1"


def test_a_township_users_sandbox_holds_only_their_township(demo_db, boxes, state):
    database = Database(demo_db)
    township = database.rows("SELECT min(region_code) FROM regions WHERE level = 'township'")[0][0]
    prefix = township[:9]
    con = boxes.get(demo_db, township, False)
    regional = list(db.run_sandboxed(
        con, "SELECT DISTINCT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
        "USING (table_schema, table_name) WHERE c.column_name = 'region_code' AND t.table_type = 'BASE TABLE'",
        row_cap=100, seconds=15)[0]["table_name"])
    assert {"returnees", "cases", "contacts", "grid_units", "vaccinations", "regions"} <= set(regional)
    for table in regional:
        outside = run(demo_db, boxes, f"SELECT count(*) AS n FROM {table} "
                      f"WHERE NOT starts_with(region_code, '{prefix}')", scope=township).frame["n"][0]
        assert outside == 0, table
    mine = run(demo_db, boxes, "SELECT count(*) AS n FROM returnees", scope=township).frame["n"][0]
    assert mine == database.rows("SELECT count(*) FROM returnees WHERE region_code LIKE $p",
                                 {"p": prefix + "%"})[0][0] > 0
    tests = run(demo_db, boxes, "SELECT count(*) AS n FROM tests", scope=township).frame["n"][0]
    assert tests == database.rows(
        "SELECT count(*) FROM tests WHERE person_id IN (SELECT person_id FROM returnees WHERE region_code LIKE $p "
        "UNION SELECT contact_id FROM contacts WHERE region_code LIKE $p)", {"p": prefix + "%"})[0][0]
    assert run(demo_db, boxes, "SELECT count(*) AS n FROM import_log", scope=township).frame["n"][0] == 0


def test_schema_lists_tables_views_and_labels(demo_db, boxes):
    schema = explorer.schema(demo_db, lang="zh", sandboxes=boxes)
    assert {"returnees", "tests", "region_names", "returnee_tests"} <= set(schema["table_name"])
    row = schema[(schema["table_name"] == "returnees") & (schema["column_name"] == "id_number")].iloc[0]
    assert row["label"] == "身份证号"


def test_chart_builder():
    df = pd.DataFrame({"day": ["a", "b", "c"], "n": [1, 3, 2], "kind": ["x", "y", "x"]})
    for kind in explorer.CHART_KINDS:
        fig = explorer.chart(df, "day", "n", kind)
        assert list(fig.data[0].y) == [1, 3, 2]
    assert len(explorer.chart(df, "day", "n", "bar", color="kind").data) == 2
    assert explorer.numeric_columns(df) == ["n"]
    with pytest.raises(ValueError):
        explorer.chart(df, "day", "n", "pie")


# ------------------------------------------------------------------ the page


def test_the_page_runs_a_query_draws_a_chart_and_offers_a_csv(access_env):
    at = sign_in("analyst1")
    at.switch_page("pages/explorer.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "SQL explorer"
    at.selectbox(key="explorer_example").set_value("returnees_by_township").run()
    assert "GROUP BY ALL" in at.text_area(key="explorer_sql").value
    submit(at)
    assert not at.exception and not at.error
    result = at.dataframe[-1].value
    assert list(result.columns) == ["township_name", "origin_category", "persons"]
    assert result["persons"].sum() == Database(access_env["db"]).rows("SELECT count(*) FROM returnees")[0][0]
    assert at.get("plotly_chart"), "the chart builder draws the result"
    assert [b.proto.label for b in at.get("download_button")] == ["CSV", "Excel"]
    at.text_area(key="explorer_sql").input("SELECT * FROM read_csv('/etc/passwd')")
    submit(at)
    assert [e.value for e in at.error] == [
        "Queries cannot read files, the network, environment variables or server settings (read_csv)."]
    logged = audit.events(event="explorer")
    assert list(logged["outcome"]) == ["rejected", "ok"]


@pytest.mark.parametrize("user", ["leader1", "officer1", "admin1"])
def test_the_page_is_not_there_for_other_roles(access_env, user):
    at = sign_in(user)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in their navigation
        at.switch_page("pages/explorer.py")

"""The cube job (sitrep.cube_job): SQL steps over a lake on DuckDB and on Apache Spark.

The Spark tests share one local session (tests/conftest.py: ``spark``); they run the KPI cube over
a week around the demo's outbreak so that they stay fast, and ask for identical cubes: every place,
day and KPI, numbers to 1e-9.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from sitrep import cube_job, db, lake
from sitrep.cli import main

CHECK_TIME = datetime(2022, 4, 1, 8, 0)
WEEK = (date(2022, 1, 12), date(2022, 1, 18))

# Two small steps of our own: the DuckDB SQL uses scalar macros, FILTER, GROUP BY ALL and a bound date.
SMALL_STEPS = [
    cube_job.Step("township_cases", """
        select township_code(region_code) as region_code, report_date as day,
               count(*) filter (where category = 'confirmed') as confirmed, count(*) as cases
        from cases
        where in_scope(region_code, '451400000000') and ($date_from is null or report_date >= $date_from)
        group by all"""),
    cube_job.Step("small_cube", """
        select region_code, day, 'cases_confirmed_new' as kpi, confirmed::double as value from township_cases
        union all
        select left(region_code, 6) || '000000', day, 'cases_new', sum(cases)::double from township_cases group by all
        union all
        select r.region_code, t.day, 'cases_per_100k', round(1e5 * sum(t.cases) / any_value(r.population), 3)
        from township_cases t join regions r on r.region_code = t.region_code group by all"""),
]


def cube_rows(out) -> dict[tuple[str, date, str], float | None]:
    con = db.connect_memory()
    try:
        rows = con.execute("SELECT region_code, day, kpi, value FROM read_parquet($glob)",
                           {"glob": str(out / "*.parquet")}).fetchall()
    finally:
        con.close()
    return {(r, d, k): v for r, d, k, v in rows}


def differences(a: dict, b: dict) -> list:
    keys = set(a) | set(b)
    return sorted(k for k in keys if k not in a or k not in b
                  or not ((a[k] is None and b[k] is None)
                          or (a[k] is not None and b[k] is not None and abs(a[k] - b[k]) <= 1e-9)))


# ---------------------------------------------------------------- transpiling (no Spark needed)


def test_spark_sql_writes_out_the_scalar_macros_and_keeps_parameters_bound():
    sql = cube_job.spark_sql(SMALL_STEPS[0], tables={"cases", "regions"})
    assert not re.search(r"(?i)\b(in_scope|township_code|scope_prefix)\s*\(", sql)
    assert "LEFT((region_code), 9) || '000'" in sql
    assert ":date_from" in sql and "$date_from" not in sql
    assert "COUNT(*) FILTER(WHERE category = 'confirmed')" in sql


def test_the_cube_steps_in_spark_sql_have_no_duckdb_macro_left_and_take_the_overrides():
    macros = cube_job.load_macros()
    sql = {step.name: text for step, text in cube_job.spark_steps(cube_job.cube_steps())}
    assert list(sql) == ["cube_days", "kpi_facts_control", "kpi_facts_reporting", "kpi_facts",
                         "kpi_cube_additive_part", "kpi_cube_direct_part", "kpi_cube"]
    table_macros = [m for m in macros.values() if m.table]
    for name, text in sql.items():
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # the definitions' comments travel along
        left = [m.name for m in table_macros if re.search(rf"(?i)\b{m.name}\s*\(", text)]
        assert left == [], name
        assert "ASOF" not in text.upper() and "&&" not in text and "TO_HOURS" not in text.upper(), name
    # the overrides of queries/cube/spark/ are in place of what SQLGlot cannot say in Spark
    assert "POSEXPLODE(" in sql["kpi_facts_control"]                      # returnee_test.rule_tests
    assert "FROM_JSON(" in sql["kpi_facts_control"]                       # quarantine_rule_rows.unnested
    assert "INLINE(FROM_JSON(" in sql["kpi_facts_reporting"]              # reporting_status.settings
    assert "LEAD(date) OVER" in sql["kpi_cube_direct_part"]               # kpi_cube_direct.reserve_below
    assert "DATEDIFF(date, prev) > 7" in sql["kpi_facts"]                 # kpi_facts_net
    # every CTE of a written-out macro has a name of its own (Spark's SQL takes them to the top level)
    ctes = re.findall(r"(?i)(?:WITH|,)\s+(\w+)\s+AS\s+\(", sql["kpi_facts_control"])
    assert len(ctes) == len(set(ctes))


def test_qualify_becomes_a_filter_on_columns_of_a_subquery():
    step = cube_job.Step("latest", "select k.a, k.b from t k qualify k.b = max(k.b) over (partition by k.a)")
    sql = cube_job.spark_sql(step, tables={"t"})
    assert sql == ("SELECT a, b FROM (SELECT k.a, k.b, MAX(k.b) OVER (PARTITION BY k.a) AS _w0, k.b AS _q1 "
                   "FROM t AS k) AS _q WHERE _q1 = _w0")


# ---------------------------------------------------------------- the runner on DuckDB and Spark


@pytest.mark.spark
@pytest.mark.slow
def test_the_runner_gives_the_same_table_on_both_engines_and_the_numbers_of_the_databases(
        spark, county_lake, county_dbs, tmp_path):
    params = {"date_from": date(2022, 1, 1)}
    on_duckdb = cube_job.run_duckdb(SMALL_STEPS, county_lake, tmp_path / "duckdb", params)
    on_spark = cube_job.run_spark(SMALL_STEPS, county_lake, tmp_path / "spark", params, spark=spark)
    a, b = cube_rows(on_duckdb.out), cube_rows(on_spark.out)
    assert on_duckdb.rows == on_spark.rows == len(a) > 0
    assert differences(a, b) == []
    # each county's new cases of 2022 are its database's
    for county, path in county_dbs:
        n = db.Database(path).rows("SELECT count(*) FROM cases WHERE report_date >= DATE '2022-01-01'")[0][0]
        total = sum(v for (r, _d, k), v in a.items() if k == "cases_new" and r == county.region_code)
        assert total == n > 0, county.code


@pytest.mark.spark
@pytest.mark.slow
def test_an_override_file_replaces_a_step_that_does_not_transpile(spark, county_lake, tmp_path):
    # a DuckDB list comprehension: Spark SQL has no such syntax; the override says it with transform()
    steps = [cube_job.Step("doubled", "select region_code, [x * 2 for x in [population, households]] as pair "
                                      "from regions where level = 'township'"),
             cube_job.Step("doubled_sum", "select sum(pair[1]) as population2, sum(pair[2]) as households2 "
                                          "from doubled")]
    overrides = tmp_path / "spark"
    overrides.mkdir()
    (overrides / "doubled.sql").write_text("select region_code, transform(array(population, households), x -> x * 2) "
                                           "as pair from regions where level = 'township'")
    (overrides / "doubled_sum.sql").write_text("select sum(pair[0]) as population2, sum(pair[1]) as households2 "
                                               "from doubled")
    on_duckdb = cube_job.run_duckdb(steps, county_lake, tmp_path / "d")
    on_spark = cube_job.run_spark(steps, county_lake, tmp_path / "s", spark=spark, overrides=overrides)
    con = db.connect_memory()
    got = [con.execute("SELECT * FROM read_parquet($g)", {"g": str(r.out / "*.parquet")}).fetchall()
           for r in (on_duckdb, on_spark)]
    lake_con = db.connect_memory()
    lake.create_views(lake_con, county_lake)
    expected = lake_con.execute("SELECT 2 * sum(population), 2 * sum(households) FROM regions "
                                "WHERE level = 'township'").fetchall()
    assert got[0] == got[1] == expected


# ---------------------------------------------------------------- the KPI cube


@pytest.fixture(scope="module")
def city_lake(demo_db, tmp_path_factory):
    """The demo city (the suite's demo database) as a lake of one county."""
    path = tmp_path_factory.mktemp("city_lake") / "lake"
    assert main(["lake", "export", "--db", str(demo_db), "--out", str(path)]) == 0
    return path


def test_the_cube_from_the_lake_on_duckdb_is_the_cube_the_import_made(demo_db, city_lake, tmp_path, capsys):
    assert main(["cube", "--lake", str(city_lake), "--out", str(tmp_path), "--from", WEEK[0].isoformat(),
                 "--to", WEEK[1].isoformat()]) == 0
    assert re.fullmatch(rf"cube: [\d,]+ rows by duckdb in [\d.]+ s -> {re.escape(str(tmp_path))}/kpi_cube\n",
                        capsys.readouterr().out)
    lake_cube = cube_rows(tmp_path / "kpi_cube")
    stored = {(r, d, k): v for r, d, k, v in db.Database(demo_db).rows(
        "SELECT region_code, day, kpi, value FROM kpi_cube WHERE day BETWEEN $a AND $b", {"a": WEEK[0], "b": WEEK[1]})}
    # the reporting KPIs depend on when the reports are checked (the import's own time there, CHECK_TIME here)
    reporting = ("reports_complete_pct", "reports_on_time_pct", "reports_missing")
    assert differences({k: v for k, v in lake_cube.items() if k[2] not in reporting},
                       {k: v for k, v in stored.items() if k[2] not in reporting}) == []
    assert len(lake_cube) == len(stored) > 0


def test_the_cube_command_refuses_what_it_cannot_do(tmp_path, capsys):
    assert main(["cube", "--lake", str(tmp_path), "--out", str(tmp_path / "o"), "--master", "local[2]"]) == 2
    assert "--master is for --engine spark" in capsys.readouterr().err
    assert main(["cube", "--lake", str(tmp_path), "--out", str(tmp_path / "o")]) == 1
    assert "is not a sitrep lake" in capsys.readouterr().err
    assert main(["cube", "--lake", str(tmp_path), "--out", str(tmp_path / "o"), "--from", "2022-13-01"]) == 2


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("which", ["city", "counties"])
def test_the_kpi_cube_is_the_same_on_duckdb_and_spark(which, spark, request, tmp_path):
    lake_dir = request.getfixturevalue("city_lake" if which == "city" else "county_lake")
    kw = dict(date_from=WEEK[0], date_to=WEEK[1], check_time=CHECK_TIME)
    on_duckdb = cube_job.run("duckdb", lake_dir, tmp_path / "duckdb", **kw)
    on_spark = cube_job.run("spark", lake_dir, tmp_path / "spark", spark=spark, **kw)
    a, b = cube_rows(on_duckdb.out), cube_rows(on_spark.out)
    assert on_duckdb.rows == on_spark.rows == len(a)
    assert differences(a, b) == []
    con = cube_job._duckdb_connection(lake_dir)
    assert {k for _r, _d, k in a} == {r[0] for r in con.execute("SELECT kpi FROM kpi_cube_kinds()").fetchall()}
    con.close()
    days = sorted({d for _r, d, _k in a})
    assert days[0] == WEEK[0] and days[-1] == WEEK[1] and len(days) == 7
    # the outbreak is in the week: cases, contacts and alarms are there, not only zeros
    assert sum(v for (_r, _d, k), v in a.items() if k == "cases_new") > 0
    assert any(v for (_r, _d, k), v in a.items() if k == "contacts_in_quarantine")


@pytest.mark.spark
@pytest.mark.slow
def test_spark_rounds_doubles_as_duckdb_does(spark):
    """DuckDB rounds the exact binary value (42.65 is 42.6499... -> 42.6); Spark's round() the decimal text."""
    import random

    rng = random.Random(7)
    values = [42.65, 28.65, 0.125, 2.675, -42.65, 12.5, 1234567.25, 0.35, 1.005, 99.95, 2559 / 6000 * 100]
    values += [100.0 * rng.randint(0, 5000) / rng.randint(1, 5000) for _ in range(500)]
    rows = [(v, n) for v in values for n in (0, 1, 2)]
    spark.sql(cube_job.DUCKDB_ROUND)
    spark.createDataFrame(rows, "x double, n int").createOrReplaceTempView("round_cases")
    got = {(r.x, r.n): r.r for r in spark.sql("SELECT x, n, sitrep_duckdb_round(x, n) AS r FROM round_cases").collect()}
    con = db.connect_memory()
    expected = {(x, n): r for x, n, r in con.execute(
        "SELECT x, n, round(x, n) FROM (SELECT unnest($xs)::DOUBLE AS x, unnest($ns)::INTEGER AS n)",
        {"xs": [x for x, _n in rows], "ns": [n for _x, n in rows]}).fetchall()}
    assert got == expected
    assert got[(42.65, 1)] == 42.6 and got[(0.125, 2)] == 0.13 and got[(-42.65, 1)] == -42.6

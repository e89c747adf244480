"""The cube job: an ordered list of SQL steps run over a lake (sitrep.lake) on DuckDB or on
Apache Spark, the last step's table written as Parquet.

A step is (name, DuckDB SQL): a SELECT whose result becomes the table ``name``, reading the
lake's tables and earlier steps, with bound parameters (``$date_from``). The DuckDB engine runs
the SQL as it is, over views of the lake's Parquet, with the project's macros. The Spark engine
runs the same definitions as Spark SQL: each step is transpiled by SQLGlot (dialect duckdb ->
spark), with the project's scalar macros (sitrep.db.MACROS: in_scope, township_code, ...)
inlined first, unless ``queries/cube/spark/<step>.sql`` exists: that file, written for Spark,
replaces the step where transpiling is not faithful (table macros, list parameters, ASOF
joins ...). Parameters stay bound on both engines (``:date_from`` in Spark SQL, ``args=``).

pyspark is imported only by the Spark engine: ``make run`` does not install it.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from sitrep import db, lake

SPARK_OVERRIDES = db.QUERY_DIR / "cube" / "spark"
DEFAULT_MASTER = "local[2]"

# DuckDB storage type -> Spark SQL type, for the lake's views.
SPARK_TYPES = {"VARCHAR": "STRING", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "DATE": "DATE",
               "TIMESTAMP": "TIMESTAMP_NTZ", "BOOLEAN": "BOOLEAN"}


@dataclass(frozen=True)
class Step:
    """One step of a job: the table ``name`` made by ``sql`` (DuckDB SQL, a SELECT)."""

    name: str
    sql: str


@dataclass
class RunResult:
    engine: str
    out: Path
    rows: int
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)


class CubeJobError(RuntimeError):
    """A step that failed, named, with the engine's message."""


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain step name: {name!r}")


def used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a statement names ($name in DuckDB SQL, :name in Spark SQL)."""
    return {k: v for k, v in params.items() if re.search(rf"[$:]{k}\b", sql)}


# ---------------------------------------------------------------- transpiling


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    body: Any  # sqlglot expression (DuckDB dialect)


def scalar_macros() -> dict[str, Macro]:
    """The project's scalar macros (sitrep.db.MACROS), parsed for inlining."""
    import sqlglot

    found = {}
    for text in db.MACROS:
        m = re.match(r"\s*CREATE OR REPLACE MACRO (\w+)\(([^)]*)\) AS (.*)$", text, re.S)
        if not m:
            raise ValueError(f"cannot read macro: {text[:60]}")
        params = tuple(p.strip() for p in m.group(2).split(",") if p.strip())
        found[m.group(1).lower()] = Macro(m.group(1).lower(), params, sqlglot.parse_one(m.group(3), read="duckdb"))
    return found


def inline_macros(tree, macros: dict[str, Macro]):
    """tree with every call of a scalar macro replaced by its body (arguments substituted),
    until none is left (macros may call macros)."""
    from sqlglot import exp

    def expand(node):
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in macros:
            macro = macros[str(node.this).lower()]
            args = node.expressions
            if len(args) != len(macro.params):
                raise ValueError(f"{macro.name} takes {len(macro.params)} arguments, got {len(args)}")
            values = dict(zip(macro.params, args))

            def substitute(n):
                if isinstance(n, exp.Column) and not n.table and n.name in values:
                    return exp.Paren(this=values[n.name].copy())
                return n

            return exp.Paren(this=macro.body.copy().transform(substitute))
        return node

    for _ in range(10):
        before = tree.sql(dialect="duckdb")
        tree = tree.transform(expand)
        if tree.sql(dialect="duckdb") == before:
            return tree
    raise ValueError("macros nest more than 10 deep")


def spark_sql(step: Step, overrides: Path | None = SPARK_OVERRIDES, macros: dict[str, Macro] | None = None) -> str:
    """The Spark SQL of a step: its override file when there is one, else the DuckDB SQL with the
    project's macros inlined, transpiled by SQLGlot."""
    if overrides is not None:
        path = Path(overrides) / f"{step.name}.sql"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    import sqlglot

    tree = sqlglot.parse_one(step.sql, read="duckdb")
    tree = inline_macros(tree, scalar_macros() if macros is None else macros)
    return tree.sql(dialect="spark")


# ---------------------------------------------------------------- DuckDB


def _duckdb_connection(lake_dir):
    con = db.connect_memory()
    lake.create_views(con, lake_dir)
    for macro in db.MACROS:
        con.execute(macro)
    for path in sorted((db.QUERY_DIR / "macros").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    return con


def run_duckdb(steps: list[Step], lake_dir, out_dir, params: dict[str, Any] | None = None,
               *, threads: int | None = None) -> RunResult:
    """Run the steps on DuckDB over the lake; write the last step's table as Parquet under
    out_dir/<name>/."""
    params = params or {}
    t0 = time.perf_counter()
    con = _duckdb_connection(lake_dir)
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        times = {}
        for step in steps:
            _check_name(step.name)
            t = time.perf_counter()
            try:
                con.execute(f"CREATE OR REPLACE TABLE {step.name} AS {step.sql}", used_params(step.sql, params))
            except db.Error as e:
                raise CubeJobError(f"step {step.name} (duckdb): {e}") from None
            times[step.name] = time.perf_counter() - t
        last = steps[-1].name
        target = _fresh(Path(out_dir) / last)
        con.execute(f"COPY {last} TO '{str(target / 'part-0.parquet').replace(chr(39), chr(39) * 2)}' "
                    f"(FORMAT parquet)")
        rows = con.execute(f"SELECT count(*) FROM {last}").fetchall()[0][0]
    finally:
        con.close()
    return _finish(RunResult("duckdb", Path(out_dir) / last, rows, time.perf_counter() - t0, times))


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _finish(result: RunResult) -> RunResult:
    (result.out / "_job.json").write_text(json.dumps({
        "engine": result.engine, "rows": result.rows, "seconds": round(result.seconds, 3),
        "step_seconds": {k: round(v, 3) for k, v in result.step_seconds.items()},
    }, indent=1), encoding="utf-8")
    return result


# ---------------------------------------------------------------- Spark


def spark_session(master: str | None = None, *, memory: str = "2g"):
    """A Spark session for the job: local[2] unless told (spark://host:7077, or a Spark Connect
    sc://host:15002). Partition columns stay strings; times are UTC; no web UI."""
    from pyspark.sql import SparkSession

    master = master or DEFAULT_MASTER
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master)
    else:
        builder = (SparkSession.builder.master(master)
                   .config("spark.ui.enabled", "false")
                   .config("spark.driver.memory", memory)
                   .config("spark.sql.shuffle.partitions", "8"))
    spark = (builder.appName("sitrep-cube")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
             .getOrCreate())
    if not master.startswith("sc://"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def register_lake_views(spark, lake_dir) -> list[str]:
    """Temp views named after the tables over the lake's Parquet, typed as in the database."""
    lake.read_manifest(lake_dir)
    for name in lake.table_names():
        cols = lake.columns(name)
        if lake.has_files(lake_dir, name):
            path = str(Path(lake_dir).resolve() / name)
            df = spark.read.option("basePath", path).option("mergeSchema", "false").parquet(path)
            df = df.selectExpr(*[f"CAST({c} AS {SPARK_TYPES[t]}) AS {c}" for c, t in cols])
            if name == "regions":
                df = df.distinct()
        else:
            df = spark.createDataFrame([], ", ".join(f"{c} {SPARK_TYPES[t]}" for c, t in cols))
        df.createOrReplaceTempView(name)
    return lake.table_names()


def run_spark(steps: list[Step], lake_dir, out_dir, params: dict[str, Any] | None = None, *,
              master: str | None = None, spark=None, overrides: Path | None = SPARK_OVERRIDES) -> RunResult:
    """Run the steps as Spark SQL over the lake; write the last step's table as Parquet under
    out_dir/<name>/. ``spark``: a session to use (tests share one), else one is started on
    ``master`` and stopped at the end."""
    from pyspark import StorageLevel

    params = params or {}
    t0 = time.perf_counter()
    own = spark is None
    if own:
        spark = spark_session(master)
    try:
        register_lake_views(spark, lake_dir)
        macros = scalar_macros()
        times = {}
        for step in steps:
            _check_name(step.name)
            sql = spark_sql(step, overrides, macros)
            t = time.perf_counter()
            try:
                df = spark.sql(sql, args=used_params(sql, params) or None)
                df = df.persist(StorageLevel.MEMORY_AND_DISK)
                df.count()  # materialised here, so each step's time is its own
            except Exception as e:  # pyspark raises its own classes (AnalysisException, Py4JJavaError ...)
                raise CubeJobError(f"step {step.name} (spark): {str(e).splitlines()[0][:2000]}\n{sql}") from None
            df.createOrReplaceTempView(step.name)
            times[step.name] = time.perf_counter() - t
        last = steps[-1].name
        target = Path(out_dir) / last
        shutil.rmtree(target, ignore_errors=True)
        final = spark.table(last)
        final.write.mode("overwrite").parquet(str(target.resolve()))
        rows = final.count()
        for step in steps:
            spark.catalog.dropTempView(step.name)
    finally:
        if own:
            spark.stop()
    return _finish(RunResult("spark", target, rows, time.perf_counter() - t0, times))


# ---------------------------------------------------------------- the KPI cube


def cube_steps() -> list[Step]:
    """The KPI cube's steps (sitrep.cube, the lead's definition)."""
    try:
        from sitrep import cube
    except ImportError:
        raise CubeJobError("the KPI cube's steps (sitrep.cube) are not in this version") from None
    return [Step(name, sql) for name, sql in cube.steps()]


def cube_params(lake_dir, date_from: date | None, date_to: date | None) -> dict[str, Any]:
    return {"date_from": date_from, "date_to": date_to}


def run(engine: str, lake_dir, out_dir, *, date_from: date | None = None, date_to: date | None = None,
        master: str | None = None, spark=None, steps: Iterable[Step] | None = None) -> RunResult:
    steps = list(steps) if steps is not None else cube_steps()
    params = cube_params(lake_dir, date_from, date_to)
    if engine == "duckdb":
        return run_duckdb(steps, lake_dir, out_dir, params)
    if engine == "spark":
        return run_spark(steps, lake_dir, out_dir, params, master=master, spark=spark)
    raise ValueError(f"unknown engine {engine!r}")


def cli_cube(args) -> int:
    """`python -m sitrep cube --lake DIR --out DIR [--engine duckdb|spark] [--master URL] [--from --to]`."""
    from sitrep.cli import UsageError

    try:
        date_from = date.fromisoformat(args.date_from) if args.date_from else None
        date_to = date.fromisoformat(args.date_to) if args.date_to else None
    except ValueError as e:
        raise UsageError(f"--from/--to take YYYY-MM-DD: {e}") from None
    if args.master and args.engine != "spark":
        raise UsageError("--master is for --engine spark")
    if args.engine == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise UsageError("--engine spark needs pyspark: pip install -r requirements-spark.txt") from None
    try:
        lake.read_manifest(args.lake)
        result = run(args.engine, args.lake, args.out, date_from=date_from, date_to=date_to, master=args.master)
    except (lake.LakeError, CubeJobError) as e:
        print(f"cube: {e}", file=sys.stderr)
        return 1
    print(f"cube: {result.rows:,} rows by {result.engine} in {result.seconds:.1f} s -> {result.out}")
    return 0

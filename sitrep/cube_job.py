"""The cube job: an ordered list of SQL steps run over a lake (sitrep.lake) on DuckDB or on
Apache Spark, the last step's table (and the steps marked ``keep``) written as Parquet.

A step is (name, DuckDB SQL): a SELECT whose result becomes the table ``name``, reading the
lake's tables and earlier steps, with bound parameters (``$date_from``). The DuckDB engine runs
the SQL as it is, over views of the lake's Parquet, with the project's macros. The Spark engine
runs the same definitions as Spark SQL: each step is transpiled by SQLGlot (dialect duckdb ->
spark), with the project's scalar macros (sitrep.db.MACROS: in_scope, township_code, ...)
inlined first, unless ``queries/cube/spark/<step>.sql`` exists: that file, written for Spark,
replaces the step where transpiling is not faithful (table macros, list parameters, ASOF
joins ...). Parameters stay bound on both engines (``:date_from`` in Spark SQL, ``args=``).

pyspark is imported only by the Spark engine, and SQLGlot is used only by it: ``make run`` installs neither
(requirements-spark.txt).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

from sitrep import cube, db, lake, quality, rules
from sitrep.errors import UsageError

try:  # the Spark engine's SQL translation (requirements-spark.txt); the DuckDB engine needs none of it
    import sqlglot
    from sqlglot import exp
except ImportError:
    sqlglot = exp = None

SPARK_OVERRIDES = db.QUERY_DIR / "cube" / "spark"
DEFAULT_MASTER = "local[2]"

# DuckDB storage type -> Spark SQL type, for the lake's views. DuckDB's TIMESTAMP has no time zone: the Spark
# session runs in UTC, so a TIMESTAMP there means the same wall-clock time.
SPARK_TYPES = {"VARCHAR": "STRING", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "DATE": "DATE",
               "TIMESTAMP": "TIMESTAMP", "BOOLEAN": "BOOLEAN"}


@dataclass(frozen=True)
class Step:
    """One step of a job: the table ``name`` made by ``sql`` (DuckDB SQL, a SELECT).

    ``engines``: where it runs. A Spark-only step materialises a view that later steps read
    (Spark analyses a written-out view again at every use, and a big plan costs minutes to analyse)."""

    name: str
    sql: str
    engines: tuple[str, ...] = ("duckdb", "spark")
    keep: bool = False  # written out beside the last step's table (the dashboard over a lake reads it)


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
#
# DuckDB's macros have no Spark equivalent, so the Spark SQL of a step is the step with every
# macro written out: a scalar macro call (sitrep.db.MACROS: in_scope, township_code ...) becomes
# its expression, a table macro in FROM (queries/macros/*.sql: kpi_cube_range, returnee_rule ...)
# and a view of those files (kpi_facts ...) become a subquery of their body, arguments put in
# place of the parameters, as DuckDB itself expands them. What SQLGlot cannot say faithfully in
# Spark SQL is written for Spark in queries/cube/spark/: <step>.sql replaces a step,
# <macro>.sql a table macro's or view's body, <macro>.<cte>.sql one CTE of it.


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    body: str      # DuckDB SQL: an expression (scalar) or a query (table macro, view)
    table: bool


def _statements(text: str) -> list[str]:
    """The statements of a macro file: full-line comments dropped, split at a ";" that ends a line."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() for s in re.split(r";[ \t]*(?:\n|$)", "\n".join(lines)) if s.strip()]


def load_macros() -> dict[str, Macro]:
    """Every macro and view of the project: sitrep.db.MACROS and queries/macros/*.sql."""
    texts = list(db.MACROS)
    for path in db.macro_files():
        texts += _statements(path.read_text(encoding="utf-8"))
    found = {}
    for text in texts:
        m = re.match(r"CREATE OR REPLACE MACRO (\w+)\(([^)]*)\) AS (TABLE\b)?(.*)$", text.strip(), re.S | re.I)
        if m:
            params = tuple(p.strip() for p in m.group(2).split(",") if p.strip())
            found[m.group(1).lower()] = Macro(m.group(1).lower(), params, m.group(4).strip(), bool(m.group(3)))
            continue
        m = re.match(r"CREATE OR REPLACE VIEW (\w+) AS(.*)$", text.strip(), re.S | re.I)
        if m:
            found[m.group(1).lower()] = Macro(m.group(1).lower(), (), m.group(2).strip(), True)
    return found


class _Expander:
    """Writes macros out in a sqlglot tree (DuckDB dialect in, any dialect out)."""

    def __init__(self, macros: dict[str, Macro], overrides: Path | None, tables: set[str]):
        self.macros, self.overrides, self.tables = macros, overrides, tables
        self._parsed: dict[str, Any] = {}

    def _override(self, name: str) -> str | None:
        if self.overrides is None:
            return None
        path = Path(self.overrides) / f"{name}.sql"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def body(self, macro: Macro):
        """The macro's body, parsed once, with its Spark overrides (whole body or one CTE) in place."""
        if macro.name not in self._parsed:
            whole = self._override(macro.name)
            if whole is not None:
                tree = sqlglot.parse_one(whole, read="spark")
            elif macro.table:
                tree = sqlglot.parse_one(macro.body, read="duckdb")
                for cte in list(tree.find_all(exp.CTE)):
                    text = self._override(f"{macro.name}.{cte.alias}")
                    if text is not None:
                        cte.set("this", sqlglot.parse_one(text, read="spark"))
            else:
                tree = sqlglot.parse_one(macro.body, read="duckdb")
            self._parsed[macro.name] = tree
        return self._parsed[macro.name].copy()

    def _renamed(self, macro: Macro, tree):
        """tree with its CTEs renamed for this use of the macro: SQLGlot's Spark output moves every
        CTE to the top level of the statement, where two uses (or the step's own CTEs) would clash."""
        self._uses = getattr(self, "_uses", 0) + 1
        names = {cte.alias.lower(): f"{macro.name}_{self._uses}_{cte.alias}" for cte in tree.find_all(exp.CTE)}
        if not names:
            return tree

        def rename(n):
            if isinstance(n, exp.CTE) and n.alias.lower() in names:
                n.set("alias", exp.TableAlias(this=exp.to_identifier(names[n.alias.lower()])))
            elif isinstance(n, exp.Table) and isinstance(n.this, exp.Identifier) and not n.args.get("db") \
                    and n.name.lower() in names:
                if not n.args.get("alias"):
                    n.set("alias", exp.TableAlias(this=exp.to_identifier(n.name)))
                n.set("this", exp.to_identifier(names[n.name.lower()]))
            return n

        return tree.transform(rename)

    def substituted(self, macro: Macro, args: list):
        if len(args) != len(macro.params):
            raise ValueError(f"{macro.name} takes {len(macro.params)} arguments, got {len(args)}")
        values = dict(zip(macro.params, args))

        def put(n):
            if isinstance(n, exp.Column) and not n.table and n.name.lower() in values:
                return exp.Paren(this=values[n.name.lower()].copy())
            return n

        tree = self._renamed(macro, self.body(macro))
        return tree.transform(put) if values else tree

    def expand(self, tree):
        def one(node):
            if isinstance(node, exp.Anonymous):
                macro = self.macros.get(str(node.this).lower())
                if macro and not macro.table:
                    return exp.Paren(this=self.substituted(macro, list(node.expressions)))
            if isinstance(node, exp.Table):
                call = node.this
                if isinstance(call, exp.Anonymous):
                    macro = self.macros.get(str(call.this).lower())
                    if macro and macro.table:
                        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(macro.name))
                        return exp.Subquery(this=self.substituted(macro, list(call.expressions)), alias=alias)
                elif isinstance(call, exp.Identifier) and not node.args.get("db"):
                    name = call.name.lower()
                    macro = self.macros.get(name)
                    if macro and macro.table and not macro.params and name not in self.tables:
                        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
                        return exp.Subquery(this=self._renamed(macro, self.body(macro)), alias=alias)
            return node

        for _ in range(30):
            before = tree.sql(dialect="spark")
            tree = tree.transform(one)
            if tree.sql(dialect="spark") == before:
                return tree
        raise ValueError("macros nest more than 30 deep")


def _without_qualify(tree):
    """QUALIFY (DuckDB) as a filter over a subquery: SQLGlot's own rewrite for Spark keeps the
    table qualifiers of the condition (``k.effective_from = _w``) where the subquery has none.
    Here the condition's windows and columns become columns of the subquery (_w0, _q0 ...)."""
    def fix(node):
        if not isinstance(node, exp.Select) or not node.args.get("qualify"):
            return node
        if any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star))
               for p in node.expressions):
            return node  # SQLGlot's rewrite is right for these
        condition = node.args["qualify"].this.copy()
        inner = node.copy()
        inner.set("qualify", None)
        outputs = [p.alias_or_name for p in node.expressions]
        extra = []

        def lift(n):
            if isinstance(n, exp.Window):
                name = f"_w{len(extra)}"
                extra.append(exp.alias_(n.copy(), name))
                return exp.column(name)
            return n

        condition = condition.transform(lift)

        def lift_columns(n):
            if isinstance(n, exp.Column) and not n.name.startswith("_w"):
                name = f"_q{len(extra)}"
                extra.append(exp.alias_(n.copy(), name))
                return exp.column(name)
            return n

        condition = condition.transform(lift_columns)
        inner.set("expressions", [*inner.expressions, *extra])
        return (exp.select(*[exp.column(o) for o in outputs])
                .from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("_q"))))
                .where(condition))

    return tree.transform(fix)


# round(x, n) of a DOUBLE as DuckDB does it, as a Spark SQL function: the exact binary value of x times 10^n
# (p + err, the product and its rounding error by Dekker's two-product with Veltkamp's split, all exact in
# doubles) against the midpoint floor(p) + 0.5, then half away from zero. Spark's own round() would take the
# shortest decimal text of x instead, and 2559 / 6000 * 100 = 42.6499999999999986 would become 42.7.
DUCKDB_ROUND = """
CREATE OR REPLACE TEMPORARY FUNCTION sitrep_duckdb_round(x DOUBLE, n INT) RETURNS DOUBLE RETURN
CASE WHEN x IS NULL OR n IS NULL THEN NULL
     WHEN isnan(x) OR abs(x) = double('infinity') THEN x
     ELSE sign(x) * (floor(abs(x) * power(10, n)) + CASE WHEN
        (abs(x) * power(10, n) - (floor(abs(x) * power(10, n)) + 0.5D))
        + ((((134217729D * abs(x)) - ((134217729D * abs(x)) - abs(x)))
              * ((134217729D * power(10, n)) - ((134217729D * power(10, n)) - power(10, n)))
            - abs(x) * power(10, n))
           + ((134217729D * abs(x)) - ((134217729D * abs(x)) - abs(x)))
             * (power(10, n) - ((134217729D * power(10, n)) - ((134217729D * power(10, n)) - power(10, n))))
           + (abs(x) - ((134217729D * abs(x)) - ((134217729D * abs(x)) - abs(x))))
             * ((134217729D * power(10, n)) - ((134217729D * power(10, n)) - power(10, n))))
        + (abs(x) - ((134217729D * abs(x)) - ((134217729D * abs(x)) - abs(x))))
          * (power(10, n) - ((134217729D * power(10, n)) - ((134217729D * power(10, n)) - power(10, n))))
        >= 0 THEN 1 ELSE 0 END) / power(10, n)
END
"""


def _spark_fixes(tree):
    """What SQLGlot's Spark output gets wrong for these queries, rewritten to the same meaning:
    ``CAST(EXPLODE(list) AS T)`` (Spark takes no generator inside an expression: the elements are
    cast instead) and list_has_any (``a && b``, which Spark does not parse: arrays_overlap, the same
    inside the coalesce(..., false) the queries put around it), and the arithmetic of "/" and
    round(), so that numbers agree to the last bit."""
    def fix(node):
        if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
            node.set("materialized", None)  # a hint to DuckDB's planner; Spark has no such keyword
            return node
        if isinstance(node, exp.ArrayOverlaps):  # SQLGlot writes "a && b", which Spark does not parse
            return exp.Anonymous(this="ARRAYS_OVERLAP", expressions=[node.this.copy(), node.expression.copy()])
        if isinstance(node, exp.Div) and not getattr(node, "_sitrep_double", False):
            # DuckDB's "/" divides in DOUBLE (integers and decimals alike); Spark divides decimals exactly
            div = exp.Div(this=exp.Cast(this=node.this.copy(), to=exp.DataType.build("DOUBLE")),
                          expression=node.expression.copy())
            div._sitrep_double = True
            return div
        if isinstance(node, exp.Round) and node.args.get("decimals") is not None:
            # DuckDB rounds a DOUBLE's exact binary value half away from zero (42.65 is 42.6499... -> 42.6);
            # Spark's round() goes through the shortest decimal text ("42.65" -> 42.7): see DUCKDB_ROUND
            return exp.Anonymous(this="SITREP_DUCKDB_ROUND", expressions=[
                exp.Cast(this=node.this.copy(), to=exp.DataType.build("DOUBLE")), node.args["decimals"].copy()])
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "to_hours":
            # DuckDB's to_hours(n): an interval of n hours; added to a date it makes a timestamp, as in Spark
            return exp.Anonymous(this="MAKE_DT_INTERVAL", expressions=[exp.Literal.number(0), node.expressions[0].copy()])
        if isinstance(node, exp.Cast) and isinstance(node.this, (exp.Explode, exp.Unnest)):
            inner = node.this.this if isinstance(node.this, exp.Explode) else node.this.expressions[0]
            to = node.args["to"].sql(dialect="spark")
            lam = sqlglot.parse_one(f"TRANSFORM(x, e -> CAST(e AS {to}))", read="spark")
            lam.set("this", inner.copy())
            return exp.Explode(this=lam)
        return node

    return tree.transform(fix)


def spark_sql(step: Step, overrides: Path | None = SPARK_OVERRIDES, macros: dict[str, Macro] | None = None,
              tables: Iterable[str] = ()) -> str:
    """The Spark SQL of a step: its override file when there is one, else the DuckDB SQL with the
    project's macros written out, transpiled by SQLGlot. ``tables``: names that are tables of the
    job (the lake's and earlier steps'), never expanded as views."""
    expander = _Expander(load_macros() if macros is None else macros, overrides, set(tables))
    text = expander._override(step.name)
    tree = sqlglot.parse_one(text, read="spark") if text is not None else sqlglot.parse_one(step.sql, read="duckdb")
    tree = _spark_fixes(_without_qualify(expander.expand(tree)))
    return tree.sql(dialect="spark")


def spark_steps(steps: list[Step], overrides: Path | None = SPARK_OVERRIDES,
                tables: Iterable[str] | None = None) -> list[tuple[Step, str]]:
    """(step, its Spark SQL) of the steps that run on Spark, in order: each step's table is a
    table for the steps after it (not a view to write out again)."""
    macros = load_macros()
    known = set(lake.table_names() if tables is None else tables)
    out = []
    for step in steps:
        _check_name(step.name)
        if "spark" not in step.engines:
            continue
        out.append((step, spark_sql(step, overrides, macros, known)))
        known.add(step.name)
    return out


# ---------------------------------------------------------------- DuckDB


def _duckdb_connection(lake_dir):
    con = db.connect_memory()
    lake.create_views(con, lake_dir)
    for macro in db.MACROS:
        con.execute(macro)
    for path in db.macro_files():
        con.execute(path.read_text(encoding="utf-8"))
    lake.create_county_views(con)
    return con


def run_duckdb(steps: list[Step], lake_dir, out_dir, params: dict[str, Any] | None = None,
               *, threads: int | None = None) -> RunResult:
    """Run the steps on DuckDB over the lake; write the last step's table (and those marked keep) as Parquet under
    out_dir/<name>/."""
    params = dict(params or {})
    t0 = time.perf_counter()
    con = _duckdb_connection(lake_dir)
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        times = {}
        for step in steps:
            _check_name(step.name)
            if "duckdb" not in step.engines:
                continue
            t = time.perf_counter()
            try:
                con.execute(f"CREATE OR REPLACE TABLE {step.name} AS {step.sql}", used_params(step.sql, params))
            except db.Error as e:
                raise CubeJobError(f"step {step.name} (duckdb): {e}") from None
            times[step.name] = time.perf_counter() - t
            if step.name in PARAM_STEPS:
                cur = con.execute(f"SELECT * FROM {step.name}")
                names = [d[0] for d in cur.description]
                params.update(zip(names, cur.fetchall()[0]))
        last = steps[-1].name
        for name in [s.name for s in steps if s.keep and s.name != last] + [last]:
            target = _fresh(Path(out_dir) / name)
            con.execute(f"COPY {name} TO '{str(target / 'part-0.parquet').replace(chr(39), chr(39) * 2)}' "
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


def spark_session(master: str | None = None, *, memory: str = "2g", small: bool = False):
    """A Spark session for the job: local[2] unless told (spark://host:7077, or a Spark Connect
    sc://host:15002). Partition columns stay strings; times are UTC; no web UI.

    ``small`` (the tests: a small lake on a busy machine): no generated code (compiling it takes
    longer than running these plans on a few thousand rows) and two shuffle partitions."""
    from pyspark.sql import SparkSession  # optional (requirements-spark.txt), ~0.5 s to import

    master = master or DEFAULT_MASTER
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master)
    else:
        builder = (SparkSession.builder.master(master)
                   .config("spark.ui.enabled", "false")
                   .config("spark.driver.memory", memory)
                   .config("spark.sql.shuffle.partitions", "2" if small else "8"))
        if small:
            builder = (builder.config("spark.sql.codegen.wholeStage", "false")
                       .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
                       .config("spark.sql.adaptive.enabled", "false"))
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
            df = df.selectExpr(*[f"CAST({e} AS {SPARK_TYPES[t]}) AS {c}" for c, e, t in lake.view_columns(name)])
            if name == "regions":
                df = df.distinct()
        else:
            df = spark.createDataFrame([], ", ".join(f"{c} {SPARK_TYPES[t]}" for c, t in cols))
        df.createOrReplaceTempView(name)
    for name, select in lake.COUNTY_VIEWS.items():
        spark.sql(select).createOrReplaceTempView(name)
    return lake.table_names() + list(lake.COUNTY_VIEWS)


def run_spark(steps: list[Step], lake_dir, out_dir, params: dict[str, Any] | None = None, *,
              master: str | None = None, spark=None, overrides: Path | None = SPARK_OVERRIDES) -> RunResult:
    """Run the steps as Spark SQL over the lake; write the last step's table (and those marked keep) as Parquet under
    out_dir/<name>/. ``spark``: a session to use (tests share one), else one is started on
    ``master`` and stopped at the end."""
    # structs (the quarantine rules) travel as JSON: the Spark overrides read them with from_json; a list of
    # plain values (the KPIs) is an array
    params = {k: (json.dumps(v, default=str) if isinstance(v, dict) or (isinstance(v, list) and any(
        isinstance(e, dict) for e in v)) else v) for k, v in (params or {}).items()}
    t0 = time.perf_counter()
    own = spark is None
    if own:
        spark = spark_session(master)
    try:
        work = Path(out_dir) / "_work"
        shutil.rmtree(work, ignore_errors=True)
        tables = register_lake_views(spark, lake_dir)
        spark.sql(DUCKDB_ROUND)
        times = {}
        for step, sql in spark_steps(steps, overrides, tables):
            t = time.perf_counter()
            try:
                # materialised here (each step's time is its own), as Parquet in the job's work folder, and
                # read back: a later step's plan then holds a scan of this step's rows, not its whole query,
                # which Spark would analyse again (minutes for the cube). localCheckpoint() would do it in
                # memory, but Spark 4.3 loses a column of a union of two checkpoints (key not found: day#..).
                path = str((work / step.name).resolve())
                spark.sql(sql, args=used_params(sql, params) or None).write.mode("overwrite").parquet(path)
                df = spark.read.parquet(path)
            except Exception as e:  # pyspark raises its own classes (AnalysisException, Py4JJavaError ...)
                lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
                first = " / ".join(([lines[0]] if lines else [type(e).__name__])
                                   + [ln for ln in lines[1:] if "Exception" in ln or "Error" in ln][:2])
                error = CubeJobError(f"step {step.name} (spark): {first[:2000]}")
                error.sql = sql
                raise error from None
            df.createOrReplaceTempView(step.name)
            times[step.name] = time.perf_counter() - t
            if step.name in PARAM_STEPS:
                params.update(df.collect()[0].asDict())
        last = steps[-1].name
        for name in [s.name for s in steps if s.keep and s.name != last and "spark" in s.engines] + [last]:
            target = Path(out_dir) / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.move(str(work / name), str(target))
        rows = spark.read.parquet(str(target.resolve())).count()
        for step in steps:
            spark.catalog.dropTempView(step.name)
        shutil.rmtree(work, ignore_errors=True)
    finally:
        if own:
            spark.stop()
    return _finish(RunResult("spark", target, rows, time.perf_counter() - t0, times))


# ---------------------------------------------------------------- the KPI cube


def cube_steps() -> list[Step]:
    """The KPI cube's steps, from the definitions sitrep.cube runs at every import (one definition,
    two engines): the day range, the facts that take the quarantine rules and the reporting settings
    (queries/cube/*.sql), the additive KPIs and the direct ones (queries/macros/kpi_facts.sql), the
    cube. ``cube_days`` gives the parameters $d_first, $d_last and $kpis (every KPI and measure of
    kpi_cube_kinds) of the later steps."""
    read = cube.sql_text
    return [
        Step("cube_days", "select coalesce($date_from, d_first) as d_first, coalesce($date_to, d_last) as d_last, "
                          "(select list(kpi) from kpi_cube_kinds()) as kpis from kpi_cube_day_range()"),
        Step("kpi_facts_control", read("facts_control"), keep=True),
        Step("kpi_facts_reporting", read("facts_reporting"), keep=True),
        Step("kpi_facts", "select * from kpi_facts", engines=("spark",)),
        Step("kpi_cube_additive_part", "select * from kpi_cube_additive($d_first, $d_last, $kpis)"),
        Step("kpi_cube_direct_part", "select * from kpi_cube_direct($d_first, $d_last, $kpis)"),
        Step("kpi_cube", "select * from kpi_cube_additive_part union all select * from kpi_cube_direct_part"),
    ]


# steps whose one row gives parameters to the later steps
PARAM_STEPS = ("cube_days",)


def cube_params(date_from: date | None, date_to: date | None, check_time: datetime | None = None) -> dict[str, Any]:
    """The parameters of the cube's steps besides the day range: the quarantine rules and reporting
    settings (the default files, as sitrep.cube takes them) and when the reports are checked."""
    return {"date_from": date_from, "date_to": date_to,
            "rules": rules.load_rules().as_param(), "settings": quality.load_config().reporting_json(),
            "check_time": check_time or datetime.now().replace(microsecond=0)}


def run(engine: str, lake_dir, out_dir, *, date_from: date | None = None, date_to: date | None = None,
        check_time: datetime | None = None, master: str | None = None, spark=None,
        steps: Iterable[Step] | None = None) -> RunResult:
    steps = list(steps) if steps is not None else cube_steps()
    params = cube_params(date_from, date_to, check_time)
    if engine == "duckdb":
        return run_duckdb(steps, lake_dir, out_dir, params)
    if engine == "spark":
        return run_spark(steps, lake_dir, out_dir, params, master=master, spark=spark)
    raise ValueError(f"unknown engine {engine!r}")


def cli_cube(args) -> int:
    """`python -m sitrep cube --lake DIR --out DIR [--engine duckdb|spark] [--master URL] [--from --to]`."""
    try:
        date_from = date.fromisoformat(args.date_from) if args.date_from else None
        date_to = date.fromisoformat(args.date_to) if args.date_to else None
    except ValueError as e:
        raise UsageError(f"--from/--to take YYYY-MM-DD: {e}") from None
    if args.master and args.engine != "spark":
        raise UsageError("--master is for --engine spark")
    if args.engine == "spark":
        try:
            import pyspark  # noqa: F401  (optional: requirements-spark.txt)
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

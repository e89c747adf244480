"""The province's lake: every county's tables as Parquet in one folder, for the cube job
(sitrep.cube_job, on DuckDB or Spark) and for the dashboard over many counties.

Layout (hive-partitioned, readable by DuckDB and Spark alike)::

    DIR/_lake.json                                   counties in the lake, when each was exported
    DIR/<table>/county=<6 digits>/part-<id>.parquet  small tables
    DIR/<table>/county=<6 digits>/month=<YYYY-MM>/part-<id>.parquet   large tables (MONTH_COLUMN)

Every table of the data contract is there, with the region tree (``regions``, province and
prefecture rows included), the boundaries and the import log; each row carries ``county``,
the county whose database it came from. A lake of many counties is the union of their
exports (``--append``), refused whole when an export brings a key the lake already holds.

Keys: the contract's natural keys. Identifiers are issued by counties and region codes start
with the county's code, so those keys are unique across a province; the keys of a county
headquarters' own tables (funds, the duty roster) and of the import log are repeated by every
county and are unique within a county only (COUNTY_KEYED). Regions above the county
(province, prefecture) are in every county's export: they must agree, and count once.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sitrep.errors import UsageError
from sitrep import contract, db

MANIFEST = "_lake.json"
# Large tables are partitioned by month of this column as well as by county.
MONTH_COLUMN = {"tests": "sample_date", "returnees": "arrival_date", "sentinel_reports": "date",
                "publicity": "date", "reserves": "date", "test_capacity": "date"}
COUNTY_KEYED = ("funds", "duty_roster", "import_log")
ABOVE_COUNTY = ("province", "prefecture")
COUNTY_LEVELS = ("city", "county")

# The importer's own tables that travel with the contract's: (name, key, DDL).
EXTRA_TABLES = {"boundaries": ("region_code",), "import_log": ("import_id",)}


class LakeError(ValueError):
    """A database that cannot be exported, or an export that overlaps the lake."""


def table_names() -> list[str]:
    return [t.name for t in contract.TABLES] + list(EXTRA_TABLES)


def table_key(name: str) -> tuple[str, ...]:
    key = contract.TABLES_BY_NAME[name].key if name in contract.TABLES_BY_NAME else EXTRA_TABLES[name]
    return (("county",) + tuple(key)) if name in COUNTY_KEYED else tuple(key)


def _ddl_columns(name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a table as the database stores it (the contract's DDL)."""
    if name in contract.TABLES_BY_NAME:
        t = contract.TABLES_BY_NAME[name]
        return [(c.name, c.sql_type) for c in t.columns] + [("_import_id", "BIGINT")]
    ddl = contract.BOUNDARIES_DDL if name == "boundaries" else contract.IMPORT_LOG_DDL
    cols = []
    for line in ddl.split("(", 1)[1].rsplit(")", 1)[0].splitlines():
        line = line.split("--")[0].strip().rstrip(",")
        if line:
            cols.append((line.split()[0], line.split()[1]))
    return cols


def columns(name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a lake table: the database's columns and ``county``."""
    return _ddl_columns(name) + [("county", "VARCHAR")]


def view_columns(name: str) -> list[tuple[str, str, str]]:
    """(column, expression over the stored Parquet, DuckDB type) of a table as the cube job and the
    dashboard see it, in SQL that DuckDB and Spark read alike. Import ids are numbered by each
    county's database: in the lake they are made unique by the county (county * 10^9 + id), so
    that the rows of a county still join their own import log. A record with no region takes its
    county's code."""
    out = []
    for c, t in columns(name):
        expr = c
        if c in ("_import_id", "import_id"):
            expr = f"CAST(county AS BIGINT) * 1000000000 + {c}"
        elif c == "region_code" and name not in ("regions", "boundaries"):
            # a record with no region belongs to its county (in a county's database, to the one county there is;
            # in the lake it must not count in every county's scope)
            expr = "coalesce(region_code, county || '000000')"
        out.append((c, expr, t))
    return out


def parquet_glob(lake_dir, name: str) -> str:
    return str(Path(lake_dir) / name / "**" / "*.parquet")


def has_files(lake_dir, name: str) -> bool:
    return any((Path(lake_dir) / name).rglob("*.parquet"))


def read_manifest(lake_dir) -> dict:
    path = Path(lake_dir) / MANIFEST
    if not path.is_file():
        raise LakeError(f"{lake_dir} is not a sitrep lake (no {MANIFEST}); make one with `python -m sitrep lake export`")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class ExportReport:
    county: str
    county_name: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0


def _select_sql(name: str, source: str, county: str) -> str:
    cols = ", ".join(c for c, _t in _ddl_columns(name))
    month = MONTH_COLUMN.get(name)
    month_sql = f", strftime({month}, '%Y-%m') AS month" if month else ""
    # the county code is a constant of this module's own making (6 digits, checked), not user input
    return f"SELECT {cols}, '{county}' AS county{month_sql} FROM {source}.{name}"


def _county_of(con) -> tuple[str, str]:
    rows = con.execute("SELECT region_code, name FROM src.regions WHERE level IN ('city', 'county') "
                       "ORDER BY region_code").fetchall()
    if len(rows) != 1:
        raise LakeError(f"a lake export takes a database of one county (a region of level city or county); "
                        f"this one has {len(rows)}")
    code, name = rows[0]
    county = code[:6]
    if not (county.isdigit() and len(county) == 6 and code == county + "000000"):
        raise LakeError(f"the county's region code {code!r} is not 6 digits and 000000")
    return county, name


def export(db_path, lake_dir, *, append: bool = False) -> ExportReport:
    """Write every table of the database at db_path into the lake at lake_dir.

    Without ``append`` the lake is made anew (earlier lake tables there are removed). With it,
    the database's rows are added, after checking every table's keys against the lake: an
    overlap refuses the whole export (LakeError, nothing written). Files are written to a
    staging folder first and moved into place when all are written.
    """
    db_path, lake = Path(db_path), Path(lake_dir)
    if not db_path.is_file():
        raise LakeError(f"no database at {db_path}")
    if append and not (lake / MANIFEST).is_file():
        raise LakeError(f"--append: {lake} is not a lake yet; export the first county without --append")
    con = db.connect_memory()
    try:
        con.execute("ATTACH $path AS src (READ_ONLY)", {"path": str(db_path)})
        county, county_name = _county_of(con)
        manifest = read_manifest(lake) if append else {"format": 1, "counties": {}}
        if append:
            _check_overlaps(con, lake, county)
        staging = lake / f".staging-{uuid.uuid4().hex[:12]}"
        staging.mkdir(parents=True)
        report = ExportReport(county, county_name)
        try:
            for name in table_names():
                sql = _select_sql(name, "src", county)
                if name == "regions" and append:
                    # rows above the county are in the lake already (checked equal): count once
                    sql += f" WHERE level NOT IN {ABOVE_COUNTY}"
                n = con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]
                report.rows[name] = n
                if not n:
                    continue
                parts = "county, month" if name in MONTH_COLUMN else "county"
                con.execute(f"COPY ({sql}) TO '{quote(staging / name)}' "
                            f"(FORMAT parquet, PARTITION_BY ({parts}), FILENAME_PATTERN 'part-{{uuid}}')")
            if not append:
                for name in table_names():
                    shutil.rmtree(lake / name, ignore_errors=True)
            for path in sorted(staging.rglob("*.parquet")):
                target = lake / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                report.files += 1
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        manifest["counties"][county] = {
            "name": county_name, "database": db_path.name,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rows": report.rows,
        }
        tmp = lake / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, lake / MANIFEST)
        return report
    finally:
        con.close()


def quote(path: Path) -> str:
    """A path inside a single-quoted SQL string."""
    return str(path).replace("'", "''")


def _check_overlaps(con, lake: Path, county: str) -> None:
    """Refuse an export whose keys the lake already holds (every table checked, all reported)."""
    problems = []
    for name in table_names():
        if not has_files(lake, name):
            continue
        key = table_key(name)
        lake_rows = f"read_parquet('{quote(Path(parquet_glob(lake, name)))}', hive_partitioning = true, " \
                    f"hive_types = {{'county': VARCHAR}})"
        incoming = _select_sql(name, "src", county)
        if name == "regions":
            # the province and prefecture rows come with every county: they must agree with the lake's
            cols = ", ".join(c for c, _t in _ddl_columns(name) if c != "_import_id")
            differ = con.execute(
                f"SELECT region_code FROM (SELECT {cols} FROM ({incoming}) WHERE level IN {ABOVE_COUNTY}) i "
                f"WHERE NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT {cols} FROM {lake_rows}) l "
                f"WHERE l.region_code = i.region_code AND (l.name, l.level, l.parent_code) "
                f"IS NOT DISTINCT FROM (i.name, i.level, i.parent_code)) "
                f"AND EXISTS (SELECT 1 FROM {lake_rows} l WHERE l.region_code = i.region_code) "
                f"ORDER BY 1").fetchall()
            if differ:
                problems.append(f"regions: {len(differ)} region(s) above the county differ from the lake's "
                                f"(e.g. {differ[0][0]})")
            incoming += f" WHERE level NOT IN {ABOVE_COUNTY}"
        match = " AND ".join(f"coalesce(l.{k}::VARCHAR, '') = coalesce(i.{k}::VARCHAR, '')" for k in key)
        rows = con.execute(
            f"SELECT count(*), min(concat_ws(' / ', {', '.join(f'i.{k}' for k in key)})) "
            f"FROM ({incoming}) i WHERE EXISTS (SELECT 1 FROM {lake_rows} l WHERE {match})").fetchall()
        n, example = rows[0]
        if n:
            problems.append(f"{name}: {n:,} row(s) whose key ({' + '.join(key)}) the lake holds already "
                            f"(e.g. {example})")
    if problems:
        raise LakeError("the export overlaps the lake; nothing was written:\n  " + "\n  ".join(problems))


def create_views(con, lake_dir, *, date_from=None, date_to=None) -> list[str]:
    """Views named after the tables (``regions``, ``cases``, ...) over the lake's Parquet on a
    DuckDB connection, with the database's column types (and ``county``); an empty table is an
    empty table of the right columns. Returns the names."""
    read_manifest(lake_dir)
    for name in table_names():
        cols = columns(name)
        if has_files(lake_dir, name):
            select = ", ".join(f"CAST({e} AS {t}) AS {c}" for c, e, t in view_columns(name))
            source = (f"read_parquet('{quote(Path(parquet_glob(lake_dir, name)))}', hive_partitioning = true, "
                      f"hive_types = {{'county': VARCHAR}}, union_by_name = true)")
            distinct = "DISTINCT " if name == "regions" else ""
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {distinct}{select} FROM {source}")
        else:
            defs = ", ".join(f"{c} {t}" for c, t in cols)
            con.execute(f"CREATE OR REPLACE TABLE {name} ({defs})")
    return table_names()


# Views of the cube's definitions (queries/macros/kpi_facts.sql) that a lake gives from its own columns: in a
# database they stand for one county, in a lake each row knows its county.
COUNTY_VIEWS = {"funds_county": "SELECT * FROM funds", "duty_roster_county": "SELECT * FROM duty_roster"}


def create_county_views(con) -> list[str]:
    """The lake's COUNTY_VIEWS on a DuckDB connection (after the project's macros, which they replace)."""
    for name, select in COUNTY_VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
    return list(COUNTY_VIEWS)


def cli_lake(args) -> int:
    """`python -m sitrep lake export --db DB --out DIR [--append]`."""
    if args.lake_command != "export":
        raise UsageError(f"unknown lake command {args.lake_command}")
    try:
        rep = export(db.resolve_db_path(args.db), args.out, append=args.append)
    except LakeError as e:
        print(f"lake: {e}", file=sys.stderr)
        return 1
    total = sum(rep.rows.values())
    print(f"lake: {rep.county_name} ({rep.county}): {total:,} rows of {sum(1 for n in rep.rows.values() if n)} "
          f"tables in {rep.files} Parquet files {'added to' if args.append else 'written to'} {args.out}")
    return 0

"""The command line: `python -m sitrep COMMAND ...`.

Each command parses its arguments here and hands over to the module that does the work
(imported lazily, so `--help` stays fast). Exit status: 0 done, 1 rejected for its
content, 2 wrong usage (argparse's own convention).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys

from sitrep.auth.cli import add_parser as add_users_parser
from sitrep.auth.cli import cli_users
from sitrep.errors import UsageError

PROG = "python -m sitrep"




def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database file (default: $SITREP_DB, else data/sitrep.duckdb)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="sitrep: epidemic prevention situation dashboard")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="write the demo city's export files and build the database by importing them")
    _add_db(p)
    p.add_argument("--scale", type=float, default=1, help="multiply people and records (default 1)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", help="folder for the export files (default: data/demo_exports)")
    p.add_argument("--if-missing", action="store_true", help="do nothing when the database already exists")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--counties", type=int, default=1,
                   help="build N counties under one prefecture: the demo city at --db, the others beside it "
                        "(sitrep_<code>.duckdb), exports in --out/<code> (default 1: the demo city only)")
    p.add_argument("--lake", metavar="DIR", help="with --counties: also export them all into a lake at DIR")

    p = sub.add_parser("import", help="import export files (CSV, XLSX, GeoJSON) into the database")
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_db(p)
    p.add_argument("--table", help="target table (default: inferred from the headers)")
    p.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
    p.add_argument("--skip-invalid", action="store_true", help="load the valid rows, write the rejected ones to --rejects")
    p.add_argument("--rejects", help="CSV (UTF-8 with BOM) for the rejected rows: row number, reasons (zh, en), then "
                   "the row as it was; needed with --skip-invalid. With several FILEs, one file per input: "
                   "rejects.csv -> rejects_<input name>.csv")
    p.add_argument("--user", help="who imports (recorded in the import log; default: $USER)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report")
    p.add_argument("--quiet", action="store_true", help="no progress output")

    p = sub.add_parser("query", help="run queries/NAME.sql with bound parameters and print the result")
    p.add_argument("name")
    _add_db(p)
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--unmask", action="store_true",
                   help="print names, ID numbers and phone numbers unmasked (a user of the users file with the "
                        "unmask grant, by operating-system account; logged)")

    p = sub.add_parser("docs", help="print the data contract as Markdown (--write: into README.md)")
    p.add_argument("--write", action="store_true")

    p = sub.add_parser("rt", help="estimate Rt on sliding windows from an incidence CSV (Cori et al., as EpiEstim)")
    p.add_argument("--incidence", required=True, metavar="FILE.csv",
                   help="columns: day or date, and local + imported counts (or one incidence column)")
    p.add_argument("--si-mean", type=float, help="mean serial interval, days (default: data/early_warning.toml)")
    p.add_argument("--si-sd", type=float, help="sd of the serial interval, days (default: data/early_warning.toml)")
    p.add_argument("--si-distr", metavar="FILE.csv", help="discrete serial interval: column w for 0, 1, 2, ... days")
    p.add_argument("--window", type=int, help="days in each sliding window (default: data/early_warning.toml)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")

    p = sub.add_parser("check", help="data quality report; exit 1 when a critical rule is broken")
    _add_db(p)
    p.add_argument("--as-of", help="the as-of day, e.g. 2022-03-31 (default: the last day of the daily data)")
    p.add_argument("--region", help="scope: a township's region code (default: the whole city)")
    p.add_argument("--days", type=int, default=28, help="days of reports and outliers up to the as-of day (default 28)")
    p.add_argument("--config", help="quality settings and rules (default: $SITREP_QUALITY, else data/quality_rules.toml)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report")
    p.add_argument("--bench", action="store_true", help="print how long each check takes instead")

    p = sub.add_parser("briefing", help="write the daily briefing (每日简报) as DOCX, PDF or self-contained HTML")
    _add_db(p)
    p.add_argument("--as-of", help="the day, e.g. 2022-03-31 (default: the last day of the daily data)")
    p.add_argument("--scope", help="a township's or village's region code (default: the whole city)")
    p.add_argument("--format", choices=("docx", "pdf", "html"), help="default: from the --out file's extension")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the briefing")
    p.add_argument("--no-images", action="store_true", help="leave the charts and maps out (tables only)")
    p.add_argument("--user", help="who writes it (recorded in the audit log; default: $USER)")
    p.add_argument("--quiet", action="store_true", help="no progress output on stderr")

    p = sub.add_parser("alerts", help="the alert list of a day with its response state")
    _add_db(p)
    p.add_argument("--as-of", help="the as-of day, e.g. 2022-01-10 (default: the last day of the daily data)")
    p.add_argument("--region", help="scope: a township's or village's region code (default: the whole city)")
    p.add_argument("--state", help="response store (default: $SITREP_STATE, else state.sqlite3 beside the database)")
    p.add_argument("--record", action="store_true",
                   help="record the listed alerts as first listed now (response times count from then)")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the titles")

    p = sub.add_parser("bench", help="print benchmark figures (import throughput, memory, page times)")
    p.add_argument("what", nargs="*", default=["import"], help="which benchmarks: import, demo, cube, pages, sessions, briefing")
    p.add_argument("--scale", type=float, action="append", help="demo scale(s) to benchmark")
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the synthetic returnee CSV")

    p = sub.add_parser("lake", help="the province's lake: a county's tables as Parquet (sitrep.lake)")
    lake_sub = p.add_subparsers(dest="lake_command", required=True, metavar="ACTION")
    e = lake_sub.add_parser("export", help="write every table of the database as Parquet under DIR/<table>/")
    _add_db(e)
    e.add_argument("--out", required=True, metavar="DIR", help="the lake folder")
    e.add_argument("--append", action="store_true",
                   help="add this county to the lake (refused when its keys overlap the lake's)")

    p = sub.add_parser("cube", help="compute the KPI cube from a lake, on DuckDB or Spark, as Parquet")
    p.add_argument("--lake", required=True, metavar="DIR", help="the lake (python -m sitrep lake export)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the cube's Parquet")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    p.add_argument("--master", help="Spark master: local[2] (default), spark://host:7077 or sc://host:15002")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="first day of the cube (default: the data's)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last day of the cube (default: the data's)")

    add_users_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Each command imports its module when it runs: `python -m sitrep --help` (or a usage error) stays at
    # ~0.05 s instead of loading pandas, DuckDB, plotly and Babel (0.4-0.9 s) for every command.
    try:
        if args.command == "demo":
            from sitrep.demo import cli_demo

            return cli_demo(args)
        if args.command == "import":
            from sitrep.ingest import cli_import
            from sitrep.audit import os_user, record_quietly

            status = cli_import(args)
            record_quietly("import", "ok" if status == 0 else "failed", user=args.user or os_user(),
                           via="cli", files=[os.path.basename(f) for f in args.files], table=args.table,
                           db_path=args.db)
            return status
        if args.command == "query":
            return cli_query(args)
        if args.command == "docs":
            from sitrep.docs import cli_docs

            return cli_docs(args)
        if args.command == "rt":
            from sitrep.warning.rt import cli_rt

            return cli_rt(args)
        if args.command == "check":
            from sitrep.quality import cli_check

            return cli_check(args)
        if args.command == "users":
            return cli_users(args)
        if args.command == "briefing":
            from sitrep.briefing import cli_briefing

            return cli_briefing(args)
        if args.command == "alerts":
            from sitrep.alerts.cli import cli_alerts

            return cli_alerts(args)
        if args.command == "lake":
            from sitrep.lake import cli_lake

            return cli_lake(args)
        if args.command == "cube":
            from sitrep.cube_job import cli_cube

            return cli_cube(args)
        if args.command == "bench":
            from sitrep.bench import cli_bench

            return cli_bench(args)
    except UsageError as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


def cli_query(args) -> int:
    """Print a named query's result as the dashboard would show it: personal columns masked
    (unless --unmask by a user who may), CSV cells that a spreadsheet would run as a formula
    neutralised, and a records query (``kpi_records_*``, or any result with personal columns)
    in the audit log before anything is printed, under the operating-system account."""
    # pandas and DuckDB: imported when the command runs (see main)
    from sitrep import audit, export, privacy
    from sitrep import db as dbm
    from sitrep.lake_db import served_database

    params = {}
    for kv in args.param:
        if "=" not in kv:
            raise UsageError(f"--param takes KEY=VALUE, got {kv!r}")
        k, v = kv.split("=", 1)
        params[k.strip()] = v
    try:
        q = dbm.load_query(args.name)
        bound = q.bind(params)
    except dbm.QueryError as e:
        raise UsageError(str(e)) from None
    database = served_database(args.db)  # over a lake when $SITREP_LAKE is set, as the dashboard
    if not database.exists():
        raise UsageError(f"no database at {database.path}")
    who = audit.os_user()
    role = _query_role(who, args)
    df = database.sql(q.sql, bound)
    personal = [str(c) for c in df.columns if str(c) in privacy.PERSONAL]
    if args.name.startswith("kpi_records_") or personal:
        try:
            audit.record("query", user=who, role=role, db_path=args.db, via="cli", query=args.name, params=params,
                         rows=len(df), columns=personal, unmasked=bool(args.unmask), format=args.format)
            if args.unmask and personal:
                audit.record("unmask", user=who, role=role, db_path=args.db, source="cli", query=args.name,
                             rows=len(df), columns=personal)
        except (OSError, sqlite3.Error) as e:
            print(f"{PROG} query: the audit log cannot be written ({e}); nothing printed", file=sys.stderr)
            return 1
    shown = df if args.unmask else privacy.mask_frame(df)
    if args.format == "json":
        sys.stdout.write(shown.to_json(orient="records", date_format="iso", force_ascii=False))
        sys.stdout.write("\n")
    else:
        export.safe_frame(shown).to_csv(sys.stdout, index=False)
    return 0


def _query_role(who: str, args) -> str | None:
    """The role of the operating-system account in the users file (None without one). --unmask
    needs a user there holding the unmask permission, once the file has users; a refusal is
    logged and is wrong usage (exit 2)."""
    from sitrep import audit  # as in cli_query: when the command runs
    from sitrep.auth import users

    try:
        uf = users.load()
    except users.UsersError as e:
        if args.unmask:
            raise UsageError(f"--unmask: the users file cannot be read: {e}") from None
        return None
    user = uf.users.get(who)
    role = user.role if user else None
    if args.unmask and uf.users and (user is None or user.disabled or not user.principal().can("unmask")):
        audit.record_quietly("unmask", "refused", user=who, role=role, db_path=args.db, source="cli", query=args.name)
        raise UsageError(f"--unmask: {who} may not see personal data unmasked (users file {uf.path}: "
                         "a user of that name with the unmask grant)")
    return role

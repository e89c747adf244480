"""The built-in demo city (临江市): writes the city's data as realistic export files and
builds the database by importing those files through the production import path
(``sitrep.ingest.import_files``), so every demo run proves the import path.

Public API: :func:`write_exports`, :func:`build`, and :func:`cli_demo` for
``python -m sitrep demo``. Everything is deterministic from the seed; ``scale``
multiplies the people-driven tables (returnees, tests, contacts, sentinel magnitudes)
but not the region structure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from sitrep import lake
from sitrep.db import Database, resolve_db_path
from sitrep.demo import tables
from sitrep.demo.city import CITY_NAME, build_city
from sitrep.demo.counties import County, counties, relabel, relabel_geojson
from sitrep.demo.returnees import new_counters, returnee_chunks
from sitrep.demo.scenario import END, build_scenario
from sitrep.demo.writers import CsvSink, FileSpec, write_geojson, write_table
from sitrep.errors import UsageError
from sitrep.ingest import import_files

Progress = Callable[[float, str], None]

_AS_OF = f"{END.year}年{END.month}月{END.day}日"
_FILLED_BY = f"填报单位：{CITY_NAME}疫情防控指挥部办公室    截至：{_AS_OF}"

# How each office sends its export (encodings, date styles, labels vary on purpose).
SPECS: dict[str, FileSpec] = {s.table: s for s in (
    FileSpec("regions", "regions.csv", "utf-8-sig", keep=("level",)),
    FileSpec("cases", "cases.csv", "utf-8-sig", dates="cn"),
    FileSpec("contacts", "contacts.csv", "utf-8", dates="slash"),
    FileSpec("returnees", "returnees.csv", "gb18030", dates="slash"),
    FileSpec("tests", "tests_{month}.csv", "gb18030", dates="iso"),
    FileSpec("test_capacity", "test_capacity.csv", "utf-8-sig", dates="iso", enums="code"),
    FileSpec("reserves", "reserves.csv", "gb18030", dates="slash"),
    FileSpec("funds", "funds.xlsx", dates="excel", title=f"{CITY_NAME}疫情防控经费执行情况表（单位：万元）",
             subtitle=_FILLED_BY),
    FileSpec("grid_units", "grid_units.xlsx", dates="slash", bools=("有", "无"),
             title=f"{CITY_NAME}四级网格包干责任表", subtitle=_FILLED_BY),
    FileSpec("sentinel_sites", "sentinel_sites.csv", "utf-8-sig"),
    FileSpec("sentinel_reports", "sentinel_reports.csv", "utf-8", dates="compact"),
    FileSpec("publicity", "publicity.csv", "gb18030", dates="cn", region="names"),
    FileSpec("orders", "orders.xlsx", dates="excel", title=f"{CITY_NAME}疫情防控指挥部指令调度台账"),
    FileSpec("duty_roster", "duty_roster.xlsx", dates="cn", title=f"{CITY_NAME}疫情防控指挥部24小时值守排班表"),
    FileSpec("supervision", "supervision.xlsx", dates="excel", bools=("√", "×"),
             title=f"{CITY_NAME}疫情防控督导问题整改台账", subtitle=_FILLED_BY),
    FileSpec("vaccinations", "vaccinations.csv", "utf-8-sig", dates="iso"),
)}
BOUNDARY_FILES = {"township": "boundaries_township.geojson", "village": "boundaries_village.geojson"}


class DemoBuildError(RuntimeError):
    """An export of the demo was not loaded cleanly by the importer."""


def _demo_files(out: Path) -> list[Path]:
    names = {s.filename for s in SPECS.values() if "{" not in s.filename} | set(BOUNDARY_FILES.values())
    return [p for p in out.iterdir() if p.name in names or (p.name.startswith("tests_") and p.suffix == ".csv")]


def _stage(progress: Progress | None, lo: float, hi: float) -> Progress:
    def report(fraction: float, message: str = "") -> None:
        if progress is not None:
            progress(lo + (hi - lo) * max(0.0, min(1.0, float(fraction))), message)
    return report


def write_exports(out_dir, *, seed: int = 42, scale: float = 1.0, progress: Progress | None = None,
                  county: County | None = None) -> list[Path]:
    """Write the demo city's export files into out_dir (earlier demo files there are
    removed first; other files are left alone). Returns the paths written.

    ``county`` (sitrep.demo.counties): write them as that county of a multi-county demo
    exports them (its seed, scale, codes, names, place and identifiers)."""
    if county is not None:
        seed, scale = county.seed, scale * county.scale_factor

    def spec(name: str) -> FileSpec:
        s = SPECS[name]
        if county is None or county.index == 0:
            return s
        return dataclasses.replace(s, title=county.text(s.title), subtitle=county.text(s.subtitle))

    def own(name: str, df: pd.DataFrame) -> pd.DataFrame:
        return df if county is None else relabel(county, name, df)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    report = _stage(progress, 0.0, 1.0)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for p in _demo_files(out):
        p.unlink()
    paths: list[Path] = []

    def table(name: str, df: pd.DataFrame, names=None) -> None:
        paths.append(write_table(out / SPECS[name].filename, spec(name), own(name, df), names))

    report(0.0, "regions")
    city = build_city(seed)
    scen = build_scenario(city, seed)
    table("regions", tables.regions(city))
    for level, fname in BOUNDARY_FILES.items():
        collection = tables.boundaries(city, level)
        paths.append(write_geojson(out / fname, collection if county is None else relabel_geojson(county, collection)))

    # returnees and tests, one township at a time; tests split by month
    counters = new_counters(seed)
    returnees = CsvSink(out / SPECS["returnees"].filename, spec("returnees"))
    test_sinks: dict[str, CsvSink] = {}

    def write_tests(df: pd.DataFrame) -> None:
        month = df["sample_date"].to_numpy().astype("datetime64[M]").astype(str)
        for m in np.unique(month):
            if m not in test_sinks:
                fname = SPECS["tests"].filename.format(month=m)
                test_sinks[m] = CsvSink(out / fname, spec("tests"))
            test_sinks[m].write(own("tests", df[month == m]))

    n_towns = len(city.townships)
    for k, (_code, people_df, tests_df) in enumerate(returnee_chunks(scen, seed, scale, counters)):
        report(0.05 + 0.6 * k / n_towns, "returnees and tests")
        returnees.write(own("returnees", people_df))
        write_tests(tests_df)
    paths.append(returnees.close())

    report(0.65, "cases and contacts")
    plan = tables.case_plan(scen, counters.imported, seed)
    table("cases", tables.cases(plan))
    contacts_df, contact_tests = tables.contacts(scen, plan, seed, scale, counters)
    table("contacts", contacts_df)
    write_tests(contact_tests)
    paths += [s.close() for _m, s in sorted(test_sinks.items())]

    report(0.75, "capacity, reserves, funds")
    table("test_capacity", tables.test_capacity(scen, seed))
    table("reserves", tables.reserves(scen, seed))
    table("funds", tables.funds(seed))
    report(0.8, "grid, sentinels, publicity")
    table("grid_units", tables.grid_units(scen, seed))
    sites = tables.sentinel_sites(scen, seed)
    table("sentinel_sites", sites)
    table("sentinel_reports", tables.sentinel_reports(scen, sites, seed, scale))
    names = {(v.code if county is None else county.code + v.code[6:]): (city.regions[v.parent].name, v.name)
             for v in city.villages}
    table("publicity", tables.publicity(scen, seed), names)
    report(0.9, "orders, duty, supervision, vaccinations")
    table("orders", tables.orders(scen, plan, seed))
    table("duty_roster", tables.duty_roster(seed))
    table("supervision", tables.supervision(scen, seed))
    table("vaccinations", tables.vaccinations(scen, seed))
    report(1.0, "exports written")
    return paths


def _remove(p: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        p.unlink()


def build(db_path, *, seed: int = 42, scale: float = 1.0, out_dir=None, progress: Progress | None = None,
          county: County | None = None) -> list:
    """Write the exports and build a fresh database at db_path by importing them.

    The database is built at a temporary path beside db_path and then renamed over it,
    so a dashboard serving db_path sees either the old or the new database, never a
    half-built one. Raises DemoBuildError when any file is not loaded cleanly.
    Returns the importer's reports (one per file).
    """
    db_path = Path(db_path)
    out = Path(out_dir) if out_dir else db_path.parent / "demo_exports"
    paths = write_exports(out, seed=seed, scale=scale, progress=_stage(progress, 0.0, 0.4), county=county)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.demo-{os.getpid()}.tmp")
    leftovers = [tmp, Path(f"{tmp}.wal"), Path(f"{tmp}.lock")]
    for p in leftovers:
        _remove(p)
    database = Database(tmp)
    try:
        import_progress = _stage(progress, 0.4, 1.0)
        reports = import_files(database, paths, user="demo", progress=import_progress)
        bad = [r for r in reports if getattr(r, "status", None) != "loaded"]
        if bad:
            raise DemoBuildError(_describe_failures(bad))
        database.close()
        os.replace(tmp, db_path)
    finally:
        database.close()
        for p in leftovers:
            _remove(p)
    return reports


def county_db_path(db_path, county: County) -> Path:
    """Where ``demo --counties N`` puts a county's database: the first (the demo city) at
    db_path, the others beside it named after their code (sitrep_451402.duckdb)."""
    db_path = Path(db_path)
    return db_path if county.index == 0 else db_path.with_name(f"{db_path.stem}_{county.code}{db_path.suffix}")


def build_counties(db_path, n: int, *, seed: int = 42, scale: float = 1.0, out_dir=None,
                   progress: Progress | None = None) -> list[tuple[County, Path]]:
    """Build n county databases under one prefecture (sitrep.demo.counties), each through the
    import path from its own exports (out_dir/<county code>/). Returns (county, database path)."""
    db_path = Path(db_path)
    out = Path(out_dir) if out_dir else db_path.parent / "demo_exports"
    built = []
    for county in counties(n, seed):
        path = county_db_path(db_path, county)
        build(path, seed=seed, scale=scale, out_dir=out / county.code, county=county,
              progress=_stage(progress, county.index / n, (county.index + 1) / n))
        built.append((county, path))
    return built


def _describe_failures(bad: list) -> str:
    lines = [f"{len(bad)} demo export(s) not loaded cleanly:"]
    for r in bad:
        lines.append(f"  {Path(str(r.file)).name}: {r.status}")
        problems = [p for p in getattr(r, "problems", []) if getattr(p, "is_error", True)]
        for p in problems[:5]:
            lines.append("    " + (p.describe("en") if hasattr(p, "describe") else str(p)))
        if len(problems) > 5:
            lines.append(f"    ... and {len(problems) - 5} more")
    return "\n".join(lines)


def cli_demo(args) -> int:
    """`python -m sitrep demo`: build (or rebuild from scratch) the demo database."""
    db_path = resolve_db_path(args.db)
    if args.if_missing and db_path.exists():
        print(f"demo: database {db_path} exists; nothing to do (--if-missing)")
        return 0
    if not args.scale > 0:
        raise UsageError(f"--scale must be positive, got {args.scale}")
    out = Path(args.out) if args.out else db_path.parent / "demo_exports"
    state = {"pct": -1, "what": None}

    def progress(fraction: float, message: str) -> None:
        # one line per stage or file (the importer says "file: step"), or per 5 %
        pct = int(fraction * 100)
        what = message.split(":")[0]
        if what != state["what"] or pct >= state["pct"] + 5:
            state.update(pct=pct, what=what)
            print(f"[{pct:3d}%] {message}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    n = getattr(args, "counties", 1) or 1
    if n != 1:
        return _cli_counties(args, db_path, out, n, None if args.quiet else progress, t0)
    try:
        reports = build(db_path, seed=args.seed, scale=args.scale, out_dir=out,
                        progress=None if args.quiet else progress)
    except DemoBuildError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    rows = sum(getattr(r, "inserted", 0) or 0 for r in reports)
    if not args.quiet:
        print(f"demo: {CITY_NAME} (seed {args.seed}, scale {args.scale:g}): {len(reports)} files, "
              f"{rows:,} rows imported into {db_path} in {time.perf_counter() - t0:.1f} s; exports in {out}",
              file=sys.stderr)
    return 0


def _cli_counties(args, db_path: Path, out: Path, n: int, progress, t0: float) -> int:
    try:
        built = build_counties(db_path, n, seed=args.seed, scale=args.scale, out_dir=out, progress=progress)
    except ValueError as e:
        raise UsageError(str(e)) from None
    except DemoBuildError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    if getattr(args, "lake", None):
        for k, (_county, path) in enumerate(built):
            lake.export(path, args.lake, append=k > 0)
    if not args.quiet:
        names = ", ".join(f"{c.name} {c.code} ({p.name})" for c, p in built)
        lake_note = f"; lake in {args.lake}" if getattr(args, "lake", None) else ""
        print(f"demo: {n} counties (seed {args.seed}, scale {args.scale:g}): {names}, in "
              f"{time.perf_counter() - t0:.1f} s; exports in {out}/<code>{lake_note}", file=sys.stderr)
    return 0

"""Benchmarks that print figures: import throughput and peak memory, demo build time,
each page's server-side run time (cold and warm), and the daily briefing in each format.

`python -m sitrep bench import demo cube pages sessions briefing [--scale 1 --scale 20 --scale 100] [--rows 1000000]`.
Each measured step runs in a child process so its peak memory (ru_maxrss) is its own.
Targets (issue 2 and 3): scale-1 demo in < 60 s; a 1,000,000-row GB18030 returnee CSV
imported at >= 200,000 rows/s with < 2 GB peak memory; every page < 300 ms warm at
scale 1 and < 1 s warm at scale 20. The daily briefing: a full one (charts and maps as
images) in < 20 s at scale 1, in each format, as `python -m sitrep briefing` makes it
(interpreter start and imports included). The KPI cube (issue 12): its full build and a write that changes
nothing at each scale; each page cold (a fresh process: nothing cached) and warm at each scale, with the ratio of
the largest scale to the smallest (target: at most 3x cold); the overview for 10 sessions at once against one.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sitrep.errors import UsageError
from sitrep import contract
from sitrep.db import ROOT, Database

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK_CHARS = np.array(list("10X98765432"))


WHAT = ("import", "demo", "cube", "pages", "sessions", "briefing")
BRIEFING_FORMATS = ("docx", "pdf", "html")
BRIEFING_TARGET_S = 20


def _child(args: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run `python -m sitrep ARGS` in a child; return (seconds, peak RSS in MB, stderr tail)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    code = ("import resource, runpy, sys; sys.argv = ['sitrep'] + sys.argv[1:];\n"
            "try:\n    runpy.run_module('sitrep', run_name='__main__')\n"
            "finally:\n    print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))
    seconds = time.perf_counter() - start
    peak_kb = max([int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_KB")]
                  or [resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss - before])
    if proc.returncode != 0:
        raise RuntimeError(f"`sitrep {' '.join(args)}` failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, peak_kb / 1024, proc.stderr[-3000:]


def write_returnee_csv(path: Path, rows: int, village_codes: list[str], seed: int = 7) -> None:
    """A returnee export of `rows` valid rows with Chinese headers, in GB18030, written in chunks."""
    rng = np.random.default_rng(seed)
    table = contract.TABLES_BY_NAME["returnees"]
    cols = ["person_id", "name", "id_number", "phone", "origin_category", "origin_risk", "arrival_date",
            "region_code", "measure", "measure_start", "status"]
    labels = {c: {e[0]: e[1] for e in table.column(c).enum} for c in ("origin_category", "origin_risk", "measure", "status")}
    surnames = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"))
    given = np.array(list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"))
    villages = np.array(village_codes)
    with open(path, "w", encoding="gb18030", newline="") as f:
        f.write(",".join(table.column(c).zh for c in cols) + "\n")
        chunk = 200_000
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            idx = np.arange(start, start + n)
            birth = np.datetime64("1950-01-01") + rng.integers(0, 365 * 60, n).astype("timedelta64[D]")
            body = np.char.add(np.char.add("451481", np.datetime_as_string(birth).astype("U10")), "")
            body = np.char.replace(body, "-", "")
            seq = np.char.zfill(rng.integers(0, 1000, n).astype("U3"), 3)
            first17 = np.char.add(body, seq)
            digits = np.array([list(s) for s in first17], dtype=np.int64)
            check = CHECK_CHARS[(digits * ID_WEIGHTS).sum(axis=1) % 11]
            ids = np.char.add(first17, check)
            names = np.char.add(np.char.add(surnames[rng.integers(0, len(surnames), n)],
                                            given[rng.integers(0, len(given), n)]),
                                given[rng.integers(0, len(given), n)])
            phones = np.char.add("13", np.char.zfill(rng.integers(0, 10**9, n).astype("U9"), 9))
            arrival = np.datetime64("2022-01-01") + rng.integers(0, 45, n).astype("timedelta64[D]")
            arrival_text = np.char.replace(np.datetime_as_string(arrival).astype("U10"), "-", "/")
            cat = np.array(list(labels["origin_category"].values()))[rng.integers(0, 4, n)]
            risk = np.array(list(labels["origin_risk"].values()))[rng.integers(0, 5, n)]
            measure = np.array(list(labels["measure"].values()))[rng.integers(0, 4, n)]
            status = np.array(list(labels["status"].values()))[rng.integers(0, 2, n)]
            region = villages[rng.integers(0, len(villages), n)]
            pid = np.char.add("R", np.char.zfill(idx.astype("U9"), 9))
            lines = [pid, names, ids, phones, cat, risk, arrival_text, region, measure, arrival_text, status]
            out = lines[0]
            for part in lines[1:]:
                out = np.char.add(np.char.add(out, ","), part)
            f.write("\n".join(out.tolist()))
            f.write("\n")


def bench_import(rows: int, work: Path) -> dict:
    """Import a `rows`-row GB18030 returnee CSV into a database that has the demo's regions."""
    base = work / "import_base.duckdb"
    if not base.exists():
        _child(["demo", "--scale", "0.02", "--db", str(base), "--out", str(work / "base_exports"), "--quiet"])
    villages = [r[0] for r in Database(base).rows("select region_code from regions where level = 'village'")]
    csv = work / f"returnees_{rows}.csv"
    t0 = time.perf_counter()
    write_returnee_csv(csv, rows, villages)
    gen_s = time.perf_counter() - t0
    target = work / "import_target.duckdb"
    target.write_bytes(base.read_bytes())
    seconds, peak_mb, _ = _child(["import", str(csv), "--db", str(target), "--quiet", "--user", "bench"])
    loaded = Database(target).rows("select count(*) from returnees where _import_id = (select max(import_id) from import_log)")[0][0]
    return {"rows": rows, "csv_mb": round(csv.stat().st_size / 2**20, 1), "csv_written_s": round(gen_s, 1),
            "import_s": round(seconds, 2), "rows_per_s": round(rows / seconds), "peak_mb": round(peak_mb),
            "rows_loaded": loaded}


def bench_demo(scale: float, work: Path) -> dict:
    db = work / f"demo_{scale:g}.duckdb"
    seconds, peak_mb, _ = _child(["demo", "--scale", str(scale), "--db", str(db), "--out",
                                  str(work / f"demo_{scale:g}_exports"), "--quiet"])
    counts = {t.name: Database(db).rows(f"select count(*) from {t.name}")[0][0] for t in contract.TABLES}
    return {"scale": scale, "build_s": round(seconds, 1), "peak_mb": round(peak_mb),
            "db_mb": round(db.stat().st_size / 2**20, 1), "rows": sum(counts.values()),
            "returnees": counts["returnees"], "tests": counts["tests"]}


PAGES = ["overview", "cases", "command", "monitoring", "screening", "publicity", "preparedness", "data"]


# A page run in a fresh process: AppTest switched to the page before its first run, so nothing is cached; then a
# second run of the same page (warm: the data cache holds every query).
_PAGE_CHILD = """
import json, sys, time
from streamlit.testing.v1 import AppTest
root, page = sys.argv[1], sys.argv[2]
at = AppTest.from_file(root + '/dashboard.py', default_timeout=900)
if page != 'overview':
    at.switch_page('pages/' + page + '.py')
t0 = time.perf_counter(); at.run(); cold = time.perf_counter() - t0
warm = []
for _ in range(2):
    t0 = time.perf_counter(); at.run(); warm.append(time.perf_counter() - t0)
print(json.dumps({'cold': cold, 'warm': min(warm), 'error': at.exception[0].message if at.exception else None}))
"""


def bench_pages(db: Path) -> list[dict]:
    """Server-side run time of each page under AppTest: cold (a fresh process) and warm (the same page again)."""
    results = []
    for page in PAGES:
        proc = subprocess.run([sys.executable, "-c", _PAGE_CHILD, str(ROOT), page], cwd=ROOT, capture_output=True,
                              text=True, env=dict(os.environ, SITREP_DB=str(db)))
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"{page}: {proc.stderr[-2000:]}")
        r = json.loads(lines[-1])
        if r["error"]:
            raise RuntimeError(f"{page}: {r['error']}")
        results.append({"page": page, "cold_ms": round(r["cold"] * 1000), "warm_ms": round(r["warm"] * 1000)})
    return results


# N sessions opening the overview at the same moment on one server (threads of one process sharing its caches,
# as Streamlit's sessions do), against one session alone; each measurement starts with empty caches.
_SESSIONS_CHILD = """
import json, sys, threading, time
import streamlit as st
from streamlit.testing.v1 import AppTest
root, n = sys.argv[1], int(sys.argv[2])
def run_one(out, i):
    at = AppTest.from_file(root + '/dashboard.py', default_timeout=900)
    t0 = time.perf_counter(); at.run(); out[i] = time.perf_counter() - t0
warmup = [0.0]
run_one(warmup, 0)  # imports and the first connection: not what a session waits for
st.cache_data.clear()
one = [0.0]
run_one(one, 0)
st.cache_data.clear()
many = [0.0] * n
threads = [threading.Thread(target=run_one, args=(many, i)) for i in range(n)]
t0 = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
wall = time.perf_counter() - t0
print(json.dumps({'one': one[0], 'wall': wall, 'slowest': max(many), 'mean': sum(many) / n}))
"""


def bench_sessions(db: Path, sessions: int = 10) -> dict:
    proc = subprocess.run([sys.executable, "-c", _SESSIONS_CHILD, str(ROOT), str(sessions)], cwd=ROOT,
                          capture_output=True, text=True, env=dict(os.environ, SITREP_DB=str(db)))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"sessions: {proc.stderr[-2000:]}")
    r = json.loads(lines[-1])
    return {"sessions": sessions, "one_ms": round(r["one"] * 1000), "wall_ms": round(r["wall"] * 1000),
            "slowest_ms": round(r["slowest"] * 1000), "mean_ms": round(r["mean"] * 1000)}


def bench_cube(db: Path) -> dict:
    """The demo's full cube build (as its import recorded it) and a write that changes no table."""
    database = Database(db)
    full_s, rows = database.rows("SELECT seconds, rows FROM kpi_cube_meta")[0]
    facts = database.rows("SELECT (SELECT count(*) FROM kpi_facts_control) + (SELECT count(*) FROM kpi_facts_reporting)")[0][0]
    t0 = time.perf_counter()
    with database.writer():
        pass
    write_s = time.perf_counter() - t0
    return {"full_s": round(full_s, 1), "noop_cube_s": round(database.last_cube.seconds, 2),
            "noop_write_s": round(write_s, 1), "rows": rows, "stored_facts": facts,
            "db_mb": round(db.stat().st_size / 2**20, 1)}


def bench_briefing(db: Path, work: Path, as_of: str | None = None) -> list[dict]:
    """`python -m sitrep briefing` on `db` in each format (the last day of the data unless `as_of`):
    wall time of the whole command, the part the command reports itself (build and write, after the
    imports), peak memory, file size, and the note the briefing carries when it has no images."""
    results = []
    for fmt in BRIEFING_FORMATS:
        out = work / f"briefing_{db.stem}.{fmt}"
        args = ["briefing", "--db", str(db), "--format", fmt, "--out", str(out), "--lang", "zh"]
        if as_of:
            args += ["--as-of", as_of]
        # its audit-log entry goes to the work folder's state store, not to a real one
        seconds, peak_mb, tail = _child(args, env={"SITREP_STATE": str(work / "state.sqlite3")})
        wrote = re.search(r"wrote .* in ([0-9.]+) s", tail)
        notes = [line.split(":", 1)[1].strip() for line in tail.splitlines()
                 if line.startswith("briefing:") and not re.match(r"briefing:\s+\d+%", line) and " wrote " not in line]
        results.append({"format": fmt, "total_s": round(seconds, 1),
                        "build_write_s": float(wrote.group(1)) if wrote else None, "peak_mb": round(peak_mb),
                        "kb": round(out.stat().st_size / 1024), "note": notes[-1] if notes else None})
    return results


def cli_bench(args) -> int:
    unknown = [w for w in args.what if w not in WHAT]
    if unknown:
        raise UsageError(f"unknown benchmark {', '.join(unknown)} (one or more of {', '.join(WHAT)})")
    work = Path(os.environ.get("SITREP_BENCH_DIR") or tempfile.mkdtemp(prefix="sitrep_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    scales = args.scale or [1.0]
    report: dict = {"work_dir": str(work)}
    if "import" in args.what:
        r = bench_import(args.rows, work)
        report["import"] = r
        print(f"import: {r['rows']:,} GB18030 returnee rows ({r['csv_mb']} MB) in {r['import_s']} s = "
              f"{r['rows_per_s']:,} rows/s, peak memory {r['peak_mb']} MB (target >= 200,000 rows/s, < 2048 MB)")
    for scale in scales:
        if any(w in args.what for w in ("demo", "cube", "pages", "sessions", "briefing")):
            r = bench_demo(scale, work)
            report.setdefault("demo", []).append(r)
            print(f"demo scale {scale:g}: built in {r['build_s']} s, peak {r['peak_mb']} MB, database "
                  f"{r['db_mb']} MB, {r['rows']:,} rows ({r['returnees']:,} returnees, {r['tests']:,} tests)")
        db = work / f"demo_{scale:g}.duckdb"
        if "cube" in args.what:
            r = bench_cube(db)
            report.setdefault("cube", {})[f"{scale:g}"] = r
            print(f"cube scale {scale:g}: full build {r['full_s']} s ({r['rows']:,} rows, {r['stored_facts']:,} stored "
                  f"facts); a write that changes nothing: cube {r['noop_cube_s']} s, whole write {r['noop_write_s']} s")
        if "pages" in args.what:
            rows = bench_pages(db)
            report.setdefault("pages", {})[f"{scale:g}"] = rows
            for r in rows:
                print(f"page {r['page']:<13} scale {scale:g}: cold {r['cold_ms']:>6} ms, warm {r['warm_ms']:>6} ms")
        if "sessions" in args.what:
            r = bench_sessions(db)
            report.setdefault("sessions", {})[f"{scale:g}"] = r
            print(f"overview scale {scale:g}: one session {r['one_ms']} ms; {r['sessions']} at once: all done in "
                  f"{r['wall_ms']} ms (slowest {r['slowest_ms']} ms, mean {r['mean_ms']} ms) = "
                  f"{r['wall_ms'] / max(r['one_ms'], 1):.1f}x one")
        if "briefing" in args.what:
            rows = bench_briefing(db, work)
            report.setdefault("briefing", {})[f"{scale:g}"] = rows
            for r in rows:
                own = f" (build and write {r['build_write_s']} s)" if r["build_write_s"] is not None else ""
                note = f" - {r['note']}" if r["note"] else ""
                print(f"briefing {r['format']:<4} scale {scale:g}: {r['total_s']} s{own}, peak {r['peak_mb']} MB, "
                      f"{r['kb']:,} KB (target < {BRIEFING_TARGET_S} s at scale 1){note}")
    pages = report.get("pages", {})
    if len(pages) > 1:
        lo, hi = min(pages, key=float), max(pages, key=float)
        for a, b in zip(pages[lo], pages[hi]):
            print(f"page {a['page']:<13} cold scale {hi} / scale {lo}: {b['cold_ms'] / max(a['cold_ms'], 1):.1f}x "
                  f"(target <= 3x)")
    print(json.dumps(report, ensure_ascii=False), file=sys.stderr)
    return 0

"""Benchmark of the province path: a demo of N counties at a scale, its lake, and the KPI cube on
DuckDB and on Spark (local[2]), each engine in a child process (`python -m sitrep cube`) so that
its time and peak memory (the resident memory of the process and its children, the JVM included,
sampled every 0.2 s) are its own.

    python scripts/bench_province.py --counties 10 --scale 0.02 [--from 2022-01-12 --to 2022-01-18] DIR

Then the dashboard over the lake and its DuckDB cube (sitrep.lake_db): the time to build the served file, and
each page's cold time (a fresh process) and warm time at the whole scope (sitrep.bench.bench_pages).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants (Spark's JVM is pyspark's child), from /proc."""
    parents, rss = {}, {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        ppid = re.search(r"PPid:\s+(\d+)", status)
        vm = re.search(r"VmRSS:\s+(\d+)", status)
        parents[int(d.name)] = int(ppid.group(1)) if ppid else 0
        rss[int(d.name)] = int(vm.group(1)) if vm else 0
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += [p for p, pp in parents.items() if pp == pid]
    return total


def measured(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak resident MB of the command and its children together, sampled every 0.2 s)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - t0
    _out, err = proc.communicate()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return seconds, peak / 1024


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--counties", type=int, default=10)
    p.add_argument("--scale", type=float, default=0.02)
    p.add_argument("--from", dest="date_from")
    p.add_argument("--to", dest="date_to")
    p.add_argument("--engines", default="duckdb,spark")
    p.add_argument("--no-pages", action="store_true", help="skip the dashboard over the lake")
    args = p.parse_args()
    folder = Path(args.dir)
    lake = folder / "lake"
    py = sys.executable
    if not (lake / "_lake.json").is_file():
        s, mb = measured([py, "-m", "sitrep", "demo", "--quiet", "--counties", str(args.counties), "--scale",
                          str(args.scale), "--db", str(folder / "sitrep.duckdb"), "--lake", str(lake)])
        print(f"demo of {args.counties} counties at scale {args.scale} and their lake: {s:.1f} s, {mb:.0f} MB",
              flush=True)
    rows = sum(sum(c["rows"].values()) for c in json.loads((lake / "_lake.json").read_text())["counties"].values())
    size = sum(f.stat().st_size for f in lake.rglob("*.parquet")) / 2**20
    print(f"lake: {rows:,} rows, {size:.1f} MB of Parquet", flush=True)
    window = (["--from", args.date_from] if args.date_from else []) + (["--to", args.date_to] if args.date_to else [])
    for engine in args.engines.split(","):
        out = folder / f"cube_{engine}"
        s, mb = measured([py, "-m", "sitrep", "cube", "--lake", str(lake), "--out", str(out), "--engine", engine,
                          *window])
        job = json.loads((out / "kpi_cube" / "_job.json").read_text())
        print(f"cube on {engine}: {s:.1f} s wall ({job['seconds']:.1f} s in the job), peak {mb:.0f} MB, "
              f"{job['rows']:,} rows; steps {job['step_seconds']}", flush=True)
    if not args.no_pages:
        bench_pages_over_lake(folder, lake, folder / f"cube_{args.engines.split(',')[0]}")


def bench_pages_over_lake(folder: Path, lake: Path, cube: Path) -> None:
    """The dashboard over the lake: the served file's build, then every page cold and warm at the whole scope."""
    import os

    from sitrep import bench
    from sitrep.lake_db import LakeDatabase

    served = folder / "sitrep_lake.duckdb"
    served.unlink(missing_ok=True)
    t0 = time.perf_counter()
    LakeDatabase(lake, cube, path=served).version()
    print(f"served file from the lake and the cube: {time.perf_counter() - t0:.1f} s, "
          f"{served.stat().st_size / 2**20:.0f} MB", flush=True)
    os.environ.update(SITREP_LAKE=str(lake), SITREP_CUBE=str(cube))
    for r in bench.bench_pages(served):
        print(f"page {r['page']:<13} cold {r['cold_ms'] / 1000:5.2f} s  warm {r['warm_ms'] / 1000:5.2f} s", flush=True)


if __name__ == "__main__":
    main()

"""`python -m sitrep bench briefing` runs and prints its figures (no timed assertions: speed is
reported by the benchmark, not asserted)."""

import json
import os
import re
import subprocess
import sys

import pytest

from sitrep.db import ROOT


@pytest.mark.slow
def test_bench_briefing_prints_a_line_per_format(tmp_path):
    env = {"SITREP_BENCH_DIR": str(tmp_path), "SITREP_USERS": str(tmp_path / "no_users.toml"),
           "SITREP_STATE": str(tmp_path / "state.sqlite3")}
    proc = subprocess.run([sys.executable, "-m", "sitrep", "bench", "briefing", "--scale", "0.02"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, **env))
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert any(line.startswith("demo scale 0.02: built in ") for line in lines), proc.stdout
    for fmt in ("docx", "pdf", "html"):
        line = next((x for x in lines if x.startswith(f"briefing {fmt}")), None)
        assert line, f"no briefing {fmt} line in:\n{proc.stdout}"
        assert re.match(rf"briefing {fmt}\s+scale 0\.02: [0-9.]+ s \(build and write [0-9.]+ s\), peak \d+ MB, "
                        r"[0-9,]+ KB \(target < 20 s at scale 1\)", line), line
        assert (tmp_path / f"briefing_demo_0.02.{fmt}").stat().st_size > 1000
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert [r["format"] for r in report["briefing"]["0.02"]] == ["docx", "pdf", "html"]


def test_bench_refuses_an_unknown_benchmark():
    proc = subprocess.run([sys.executable, "-m", "sitrep", "bench", "briefings"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "unknown benchmark briefings" in proc.stderr

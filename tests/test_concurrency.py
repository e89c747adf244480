"""The dashboard reads while an import runs in another process: every read sees either
the data before the import or all of it, never half, and the new data shows without a
restart (the reader follows the replaced file)."""

import subprocess
import sys
import threading
import time

from builders import build_db, headers_for, write_csv
from sitrep.db import ROOT, Database

T, V = "451481001000", "451481001001"


def test_reads_during_a_command_line_import_never_see_half_of_it(tmp_path):
    db = build_db(tmp_path / "live.duckdb", {
        "regions": [
            {"region_code": "451481000000", "name": "测试市", "level": "市"},
            {"region_code": T, "name": "东镇", "level": "乡镇", "parent_code": "451481000000"},
            {"region_code": V, "name": "一村", "level": "村", "parent_code": T},
        ],
        "sentinel_sites": [{"site_id": "S1", "site_name": "一村卫生室", "site_type": "村卫生室", "region_code": V}],
    })
    # 20,000 daily reports for 20,000 made-up sites would need sites; use the publicity table instead:
    # one row per (day, channel) for many days, large enough that the import takes a while.
    cols = ["date", "region_code", "channel", "activities"]
    channels = ["村村响", "宣传栏", "海报", "宣传单", "短信", "微信", "有线电视", "宣传喇叭", "流动宣传车"]
    rows = []
    day = 0
    while len(rows) < 60_000:
        d = f"{2000 + day // 360}-{day // 30 % 12 + 1:02d}-{day % 30 + 1:02d}"
        if d.endswith("-02-29") or d.endswith("-02-30"):
            day += 1
            continue
        rows.extend([d, V, c, 1] for c in channels)
        day += 1
    path = write_csv(tmp_path / "publicity.csv", headers_for("publicity", cols), rows)
    expected = len(rows)

    reader = Database(db.path)
    assert reader.rows("select count(*) from publicity")[0][0] == 0
    seen, errors, done = [], [], threading.Event()

    def keep_reading():
        while not done.is_set():
            try:
                seen.append(reader.rows("select count(*) from publicity")[0][0])
            except Exception as e:  # noqa: BLE001 - any failure to read is what we look for
                errors.append(repr(e))
            time.sleep(0.01)

    t = threading.Thread(target=keep_reading)
    t.start()
    proc = subprocess.run([sys.executable, "-m", "sitrep", "import", str(path), "--db", str(db.path), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    time.sleep(0.2)
    done.set()
    t.join()
    assert proc.returncode == 0, proc.stderr
    assert errors == []
    assert len(seen) > 5
    assert set(seen) <= {0, expected}, sorted(set(seen))
    # the reader follows the replaced file: the new data without reopening anything
    assert reader.rows("select count(*) from publicity")[0][0] == expected

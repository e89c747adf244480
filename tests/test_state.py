"""The alert response store (sitrep.alert_responses): responses recorded with who, when and a note, the status read from
them, response times by hand, and writes from several threads and a command-line import at the same time."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from builders import build_db, tiny_regions, write_table_csv
from sitrep.db import ROOT, Database
from sitrep.alert_responses import AlertRef, StateError, StateStore, resolve_state_path

T0 = datetime(2022, 1, 10, 8, 0, tzinfo=timezone.utc)


def ref(n: int, kind: str = "sentinel", township: str | None = "451481001000") -> AlertRef:
    return AlertRef(f"{kind}:451481001000:visits.pharmacy:2022-01-{n:02d}", kind, "451481001000", township,
                    "visits.pharmacy", date(2022, 1, n))


def test_the_store_lives_beside_the_database_unless_told(tmp_path, monkeypatch):
    monkeypatch.delenv("SITREP_STATE", raising=False)
    assert resolve_state_path(db_path=tmp_path / "x" / "city.duckdb") == tmp_path / "x" / "state.sqlite3"
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "elsewhere.sqlite3"))
    assert resolve_state_path(db_path=tmp_path / "city.duckdb") == tmp_path / "elsewhere.sqlite3"
    assert resolve_state_path(tmp_path / "given.sqlite3") == tmp_path / "given.sqlite3"


def test_the_file_is_in_wal_mode(tmp_path):
    s = StateStore(tmp_path / "s.sqlite3")
    s.record_seen([ref(1)], now=T0)
    with sqlite3.connect(tmp_path / "s.sqlite3") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1


def test_first_listed_is_kept_and_only_new_alerts_count(tmp_path):
    s = StateStore(tmp_path / "s.sqlite3")
    assert s.record_seen([ref(1), ref(2)], now=T0) == 2
    assert s.record_seen([ref(1), ref(3)], now=T0 + timedelta(hours=5)) == 1
    st = s.statuses().set_index("alert_id")
    assert st.loc[ref(1).alert_id, "first_seen_at"] == pd.Timestamp(T0)
    assert st.loc[ref(3).alert_id, "first_seen_at"] == pd.Timestamp(T0 + timedelta(hours=5))
    assert set(st["status"]) == {"open"}
    assert s.record_seen([]) == 0


def test_acknowledge_then_close_with_who_when_and_a_note(tmp_path):
    s = StateStore(tmp_path / "s.sqlite3")
    s.record_seen([ref(1)], now=T0)
    s.acknowledge(ref(1), "  李明 ", "已通知卫生院", now=T0 + timedelta(hours=1))
    st = s.statuses([ref(1).alert_id]).iloc[0]
    assert (st["status"], st["acknowledged_by"], st["acknowledge_note"]) == ("acknowledged", "李明", "已通知卫生院")
    assert st["acknowledged_at"] == pd.Timestamp(T0 + timedelta(hours=1)) and pd.isna(st["closed_at"])
    # a second acknowledgement is recorded but the first one counts
    s.acknowledge(ref(1), "王芳", now=T0 + timedelta(hours=2))
    s.close(ref(1), "王芳", "排查完毕,无异常", now=T0 + timedelta(hours=6))
    st = s.statuses([ref(1).alert_id]).iloc[0]
    assert (st["status"], st["acknowledged_by"], st["closed_by"], st["close_note"], st["responses"]) == \
        ("closed", "李明", "王芳", "排查完毕,无异常", 3)
    hist = s.history(ref(1).alert_id)
    assert hist["action"].tolist() == ["acknowledge", "acknowledge", "close"]
    assert hist["who"].tolist() == ["李明", "王芳", "王芳"]
    assert hist["at"].iloc[-1] == pd.Timestamp(T0 + timedelta(hours=6))


def test_a_response_to_an_alert_never_listed_registers_it(tmp_path):
    s = StateStore(tmp_path / "s.sqlite3")
    s.close(ref(4), "李明", now=T0)
    st = s.statuses().iloc[0]
    assert (st["alert_id"], st["status"], st["first_seen_at"]) == (ref(4).alert_id, "closed", pd.Timestamp(T0))


def test_bad_responses_are_refused_and_nothing_is_written(tmp_path):
    s = StateStore(tmp_path / "s.sqlite3")
    with pytest.raises(StateError, match="required"):
        s.acknowledge(ref(1), "   ")
    with pytest.raises(StateError, match="longer"):
        s.acknowledge(ref(1), "李" * 51)
    with pytest.raises(StateError, match="longer"):
        s.close(ref(1), "李明", "x" * 2001)
    with pytest.raises(StateError, match="action"):
        s.respond(ref(1), "reopen", "李明")
    assert s.statuses().empty and s.history(ref(1).alert_id).empty


def test_response_times_by_township_and_kind_worked_by_hand(tmp_path):
    s = StateStore(tmp_path / "s.sqlite3")
    a, b, c = ref(1), ref(2), ref(3)
    city = AlertRef("kpi:451481000000:orders_open_overdue:2022-01-05", "kpi", "451481000000", None,
                    "orders_open_overdue", date(2022, 1, 5))
    s.record_seen([a, b, c, city], now=T0)
    s.acknowledge(a, "甲", now=T0 + timedelta(hours=1))    # acknowledged after 1 h
    s.close(a, "甲", now=T0 + timedelta(hours=4))          # closed after 4 h
    s.close(b, "乙", now=T0 + timedelta(hours=2))          # closed at once after 2 h: acknowledged after 2 h too
    # c: no response
    s.acknowledge(city, "丙", now=T0 + timedelta(minutes=30))
    times = s.response_times()
    assert times[["township_code", "kind", "alerts", "acknowledged", "closed"]].values.tolist() == [
        [None, "kpi", 1, 1, 0], ["451481001000", "sentinel", 3, 2, 2]]
    sentinel = times.iloc[1]
    assert sentinel["median_hours_to_acknowledge"] == 1.5    # median of 1 and 2
    assert sentinel["median_hours_to_close"] == 3.0          # median of 4 and 2
    assert times.iloc[0]["median_hours_to_acknowledge"] == 0.5 and pd.isna(times.iloc[0]["median_hours_to_close"])
    # one township: the city's own alerts left out
    assert s.response_times(["451481001000"])["kind"].tolist() == ["sentinel"]
    assert s.response_times(["451481002000"]).empty


def test_two_threads_respond_to_different_alerts_at_once(tmp_path):
    path = tmp_path / "s.sqlite3"
    per_thread = 60
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(first: int):
        store = StateStore(path)  # one store per session, like two dashboard users
        try:
            start.wait()
            for i in range(per_thread):
                r = ref(1, township="451481001000")
                r = AlertRef(f"{r.alert_id}:{first + i}", r.kind, r.place_code, r.township_code, r.series, r.start_day)
                store.record_seen([r])
                store.acknowledge(r, f"user{first}", f"note {i}")
                if i % 2:
                    store.close(r, f"user{first}")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    st = StateStore(path).statuses()
    assert len(st) == 2 * per_thread
    assert (st["status"] == "closed").sum() == per_thread and (st["status"] == "acknowledged").sum() == per_thread
    assert sorted(st["acknowledged_by"].unique()) == ["user0", "user1000"]


def test_responses_go_on_while_an_import_runs_in_another_process(tmp_path, monkeypatch):
    """The state file is not the database: an import (which writes a copy of the database and swaps it in)
    and responses written at the same time both complete, and nothing of either is lost."""
    monkeypatch.delenv("SITREP_STATE")  # the default place, beside the database (conftest sets one per test)
    db_path = tmp_path / "city.duckdb"
    build_db(db_path, {"regions": tiny_regions()})
    sites = [{"site_id": f"S{i}", "site_name": f"哨点{i}", "site_type": "药店", "region_code": "451481001001"}
             for i in range(200)]
    csv = write_table_csv(tmp_path / "sites.csv", "sentinel_sites", sites)
    store = StateStore(resolve_state_path(db_path=db_path))   # beside the database, as the dashboard does
    proc = subprocess.Popen([sys.executable, "-m", "sitrep", "import", str(csv), "--db", str(db_path), "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    written = 0
    while proc.poll() is None or written < 20:
        r = ref(1)
        r = AlertRef(f"{r.alert_id}:{written}", r.kind, r.place_code, r.township_code, r.series, r.start_day)
        store.acknowledge(r, "值班员", f"第{written}条")
        written += 1
        time.sleep(0.005)
    out = proc.stdout.read().decode()
    assert proc.returncode == 0, out
    assert len(store.statuses()) == written
    assert Database(db_path).rows("select count(*) from sentinel_sites")[0][0] == 200
    assert Path(store.path).parent == db_path.parent and store.path != db_path

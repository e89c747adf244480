"""`python -m sitrep import`: exit codes, report, JSON, progress."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sitrep.cli import main
from sitrep.db import ROOT, Database
from tests.builders import id_number, tiny_regions, write_csv, write_table_csv

HEADER = ["人员编号", "姓名", "身份证号", "人员类别", "来源地风险等级", "抵达日期", "区划代码"]
GOOD = ["R1", "张三", id_number("45148119900101123"), "省外返乡", "低风险", "2022-01-05", "451481002001"]
BAD = ["R2", "李四", "451481199001011235", "省外返乡", "低风险", "2022-01-05", "451481002001"]


@pytest.fixture
def files(tmp_path):
    return {
        "regions": write_table_csv(tmp_path / "regions.csv", "regions", tiny_regions()),
        "good": write_csv(tmp_path / "good.csv", HEADER, [GOOD], encoding="gb18030"),
        "bad": write_csv(tmp_path / "bad.csv", HEADER, [GOOD, BAD], encoding="gb18030"),
    }


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["import", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_0_loaded_and_report_in_both_languages(tmp_path, files, capsys):
    db = tmp_path / "x.duckdb"
    code, out, err = run(capsys, files["good"], files["regions"], "--db", db)
    assert code == 0
    assert "regions.csv → 行政区划：已导入" in out and "good.csv → 返乡/入境人员：已导入" in out
    assert "%]" in err and "regions.csv" in err  # progress on stderr
    code, out, err = run(capsys, files["good"], "--db", db, "--lang", "en", "--quiet")
    assert code == 0 and err == ""
    assert "good.csv -> Returnees: loaded. 1 rows read, 0 inserted, 1 updated, 0 invalid." in out


def test_exit_1_rejected_and_json(tmp_path, files, capsys):
    db = tmp_path / "x.duckdb"
    run(capsys, files["regions"], "--db", db, "--quiet")
    code, out, _ = run(capsys, files["bad"], "--db", db, "--json", "--quiet")
    assert code == 1
    (rep,) = json.loads(out)
    assert (rep["file"], rep["table"], rep["status"], rep["rows_read"], rep["rejected"]) == (
        "bad.csv", "returnees", "rejected", 2, 1)
    assert [(p["row"], p["column"], p["value"], p["reason"]) for p in rep["problems"]] == [
        (3, "身份证号", "451481199001011235", "bad_check_digit")]
    assert rep["problems"][0]["message_zh"] == "身份证号校验位错误"
    assert rep["problems"][0]["message_en"] == "ID number check digit is wrong"
    assert len(rep["sha256"]) == 64 and rep["import_id"] == 2
    assert Database(db).rows("SELECT count(*) FROM returnees") == [(0,)]


def test_exit_1_for_empty_and_binary_files(tmp_path, files, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    code, out, _ = run(capsys, empty, binary, files["regions"], "--db", tmp_path / "x.duckdb", "--quiet")
    assert code == 1
    assert "文件为空" in out and "不是表格或文本文件" in out and "行政区划：已导入" in out


def test_skip_invalid_exit_0_with_rejects_file(tmp_path, files, capsys):
    db = tmp_path / "x.duckdb"
    run(capsys, files["regions"], "--db", db, "--quiet")
    rejects = tmp_path / "rejects.csv"
    code, out, _ = run(capsys, files["bad"], "--db", db, "--skip-invalid", "--rejects", rejects, "--quiet")
    assert code == 0
    assert "部分导入" in out and str(rejects) in out
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[1].startswith("3,")
    assert Database(db).rows("SELECT person_id FROM returnees") == [("R1",)]


def test_skip_invalid_with_several_files_writes_one_rejects_file_each(tmp_path, files, capsys):
    db = tmp_path / "x.duckdb"
    rejects = tmp_path / "rejects.csv"
    code, _, _ = run(capsys, files["regions"], files["bad"], "--db", db, "--skip-invalid", "--rejects", rejects,
                     "--quiet")
    assert code == 0
    assert (tmp_path / "rejects_bad.csv").is_file() and (tmp_path / "rejects_regions.csv").is_file()
    assert len((tmp_path / "rejects_regions.csv").read_text(encoding="utf-8-sig").splitlines()) == 1  # header only


@pytest.mark.parametrize("args", [
    ["nope.csv"],
    ["{good}", "--table", "no_such_table"],
    ["{good}", "--skip-invalid"],
    ["{good}", "--rejects", "r.csv"],
])
def test_exit_2_usage(tmp_path, files, capsys, args):
    args = [a.format(good=files["good"]) for a in args]
    code, _, err = run(capsys, *args, "--db", tmp_path / "x.duckdb")
    assert code == 2 and "error" in err
    assert not (tmp_path / "x.duckdb").exists()


def test_module_entry_point(tmp_path, files):
    proc = subprocess.run([sys.executable, "-m", "sitrep", "import", str(files["regions"]), "--db",
                           str(tmp_path / "x.duckdb"), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["inserted"] == 10
    assert "100.0%" in proc.stderr

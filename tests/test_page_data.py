"""Data page: uploads go through the one import path and show the CLI's report; bad input
gets a clear error and changes nothing; the import log, table counts and the data
dictionary come from the database and the contract; the page works with no database."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from builders import build_db, tiny_regions, write_csv
from sitrep import contract, db as dbmod
from sitrep.db import ROOT, Database
from sitrep.ui import uploads

GOOD_FUNDS = ("funds.csv", ["日期", "资金来源", "用途", "下达", "支出", "备注"],
              [["2022-01-10", "中央", "核酸检测", 100, 40, "x"], ["2022/1/12", "市级", "物资", 50, 10, "y"]])
BAD_FUNDS = ("bad funds.csv", ["日期", "资金来源", "用途", "下达"],
             [["2022-01-10", "中央", "核酸检测", 100], ["2022-13-01", "火星", "核酸检测", -5],
              ["2022-01-11", "省级", "物资", 20]])


def csv_bytes(tmp_path: Path, spec, encoding="utf-8") -> tuple[str, bytes]:
    name, header, rows = spec
    path = write_csv(tmp_path / "src" / name, header, rows, encoding=encoding)
    return name, path.read_bytes()


@pytest.fixture
def city_db(tmp_path) -> Database:
    return build_db(tmp_path / "city.duckdb", {"regions": tiny_regions()})


def count(database: Database, table: str) -> int:
    return database.rows(f"select count(*) from {table}")[0][0]


def open_data_page(db_path: Path, monkeypatch, lang="en") -> AppTest:
    monkeypatch.setenv("SITREP_DB", str(db_path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    if Path(db_path).exists():
        at.switch_page("pages/data.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def upload(at: AppTest, files: list[tuple[str, bytes]], *, skip_invalid=False) -> AppTest:
    at.file_uploader(key="data_files").set_value([(n, b, "application/octet-stream") for n, b in files])
    if skip_invalid:
        at.checkbox(key="data_skip_invalid").check()
    submit = next(b for b in at.button if b.proto.is_form_submitter)
    submit.click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


# ------------------------------------------------------------------ helpers, no Streamlit


def test_uploads_keep_their_names_and_never_overwrite_each_other(tmp_path):
    paths = uploads.save_uploads([("a.csv", b"1"), ("a.csv", b"2"), ("C:\\Users\\x\\b.xlsx", b"3"), ("..", b"4")],
                                 tmp_path)
    assert [p.name for p in paths] == ["a.csv", "a.csv", "b.xlsx", "upload"]
    assert [p.read_bytes() for p in paths] == [b"1", b"2", b"3", b"4"]
    assert all(tmp_path in p.parents for p in paths)


def test_dictionary_lists_every_contract_column():
    for lang in ("zh", "en"):
        d = uploads.dictionary(lang)
        assert list(zip(d["table"], d["column"])) == [(t.name, c.name) for t in contract.TABLES for c in t.columns]
    d = uploads.dictionary("zh").set_index(["table", "column"])
    assert d.loc[("funds", "source"), "type"] == "enum: central=中央; provincial=省级; municipal=市级; donation=社会捐赠"
    assert d.loc[("funds", "source"), "header"] == "资金来源" and d.loc[("funds", "source"), "key"]
    assert d.loc[("tests", "result"), "type"].endswith("pending=待出 (待检)")
    assert d.loc[("reserves", "target_days"), "notes"] == "nonneg, 默认 30"
    assert uploads.dictionary("en").set_index(["table", "column"]).loc[("reserves", "target_days"), "notes"] == (
        "nonneg, default 30")


def test_table_counts_lists_every_contract_table_once():
    sql = dbmod.load_query("table_counts").sql
    listed = re.findall(r"select\s+\d+(?:\s+as\s+position)?,\s+'(\w+)'", sql)
    assert listed == [contract.LOAD_ORDER[0], "boundaries", *contract.LOAD_ORDER[1:]]


def test_table_counts_and_import_log_on_a_small_city(city_db, tmp_path):
    name, content = csv_bytes(tmp_path, GOOD_FUNDS)
    (tmp_path / name).write_bytes(content)
    uploads.run_import(city_db, [tmp_path / name], folder=tmp_path, user="analyst")
    counts = city_db.query("table_counts").set_index("table_name")
    assert counts.loc["regions", "row_count"] == 10 and counts.loc["regions", "imports"] == 1
    assert counts.loc["funds", ["row_count", "date_column", "imports"]].tolist() == [2, "date", 1]
    assert [pd.Timestamp(counts.loc["funds", c]).date().isoformat() for c in ("first_date", "last_date")] == [
        "2022-01-10", "2022-01-12"]
    assert counts.loc["cases", "row_count"] == 0 and pd.isna(counts.loc["cases", "first_date"])
    log = city_db.query("import_log_list", table_name="funds")
    assert log[["user_name", "file_name", "table_name", "rows_inserted", "rows_updated", "status"]].values.tolist() == [
        ["analyst", "funds.csv", "funds", 2, 0, "loaded"]]
    assert len(log["sha256_short"].iloc[0]) == 12
    assert len(city_db.query("import_log_list", status="rejected")) == 0
    assert len(city_db.query("import_log_list")) == 2  # regions, funds


# ------------------------------------------------------------------ the page


def test_upload_loads_and_reports_like_the_cli(city_db, tmp_path, monkeypatch):
    at = open_data_page(city_db.path, monkeypatch)
    good = csv_bytes(tmp_path, GOOD_FUNDS, encoding="gb18030")
    bad = csv_bytes(tmp_path, BAD_FUNDS, encoding="utf-8-sig")
    upload(at, [good, bad, ("notes.csv", bytes(range(256)) * 8), ("empty.csv", b"")])

    assert "4 files: 1 loaded, 0 partly loaded, 3 rejected; 2 rows inserted, 0 updated." in [e.value for e in at.error]
    report = table_with(at, "Rows read")
    assert report[["File", "Table", "Status", "Rows read", "Inserted", "Invalid",
                   "Ignored columns"]].values.tolist() == [
        ["funds.csv", "Funds", "Loaded", 2, 2, 0, "备注"],
        ["bad funds.csv", "Funds", "Rejected", 3, 0, 1, ""],
        ["notes.csv", "not recognised", "Rejected", 0, 0, 0, ""],
        ["empty.csv", "not recognised", "Rejected", 0, 0, 0, ""],
    ]
    problems = table_with(at, "Row (Excel)")
    assert problems[["File", "Row (Excel)", "Column", "Value", "Reason code"]].astype(object).where(
        problems[["File", "Row (Excel)", "Column", "Value", "Reason code"]].notna(), None).values.tolist() == [
        ["bad funds.csv", 3, "日期", "2022-13-01", "bad_date"],
        ["bad funds.csv", 3, "资金来源", "火星", "bad_enum"],
        ["bad funds.csv", 3, "下达", "-5", "negative"],
        ["notes.csv", None, "", "", "not_text"],
        ["empty.csv", None, "", "", "empty"],
    ]
    assert problems["Reason"].iloc[2] == "may not be negative"
    # the same text as `python -m sitrep import`
    (cli,) = [c.value for c in at.code]
    assert cli.splitlines()[0] == "funds.csv -> Funds: loaded. 2 rows read, 2 inserted, 0 updated, 0 invalid."
    assert "  - row 3 column '资金来源': value '火星': not one of the accepted values" in cli
    # only the good file changed the database; every file is in the log
    assert count(city_db, "funds") == 2
    log = city_db.query("import_log_list")
    assert sorted(log["file_name"]) == sorted(["regions.csv", "funds.csv", "bad funds.csv", "notes.csv", "empty.csv"])
    # the log tab on the same run already shows the new rows
    shown = table_with(at, "Checksum")
    assert shown["File name"].tolist()[:4] == ["empty.csv", "notes.csv", "bad funds.csv", "funds.csv"]


def test_skip_invalid_loads_the_valid_rows_and_offers_the_rejects(city_db, tmp_path, monkeypatch):
    at = open_data_page(city_db.path, monkeypatch, lang="zh")
    upload(at, [csv_bytes(tmp_path, BAD_FUNDS)], skip_invalid=True)
    assert "共 1 个文件：已导入 0 个，部分导入 1 个，未导入 0 个；新增 2 行，更新 0 行。" in [w.value for w in at.warning]
    assert count(city_db, "funds") == 2
    (button,) = [b for b in at.get("download_button") if "bad funds_rejects.csv" in b.proto.label]
    assert button.proto.label == "下载无效行：bad funds_rejects.csv"
    problems = table_with(at, "行号（Excel）")
    assert problems["原因"].tolist()[0].startswith("不是有效日期")


def test_empty_submit_asks_for_files_and_changes_nothing(city_db, monkeypatch):
    before = city_db.version()
    at = open_data_page(city_db.path, monkeypatch)
    next(b for b in at.button if b.proto.is_form_submitter).click().run()
    assert "Choose the files to import first." in [w.value for w in at.warning]
    assert city_db.version() == before


def test_the_log_filters_by_table_and_status(city_db, tmp_path, monkeypatch):
    at = open_data_page(city_db.path, monkeypatch)
    upload(at, [csv_bytes(tmp_path, GOOD_FUNDS), csv_bytes(tmp_path, BAD_FUNDS)])
    at.selectbox(key="data_log_status").set_value("rejected").run()
    assert table_with(at, "Checksum")["File name"].tolist() == ["bad funds.csv"]
    at.selectbox(key="data_log_status").set_value(None)
    at.selectbox(key="data_log_table").set_value("regions").run()
    assert table_with(at, "Checksum")["File name"].tolist() == ["regions.csv"]


def test_counts_and_dictionary_tabs(city_db, monkeypatch):
    at = open_data_page(city_db.path, monkeypatch)
    counts = table_with(at, "Date column")
    assert counts["Table"].tolist() == [contract.LOAD_ORDER[0], "boundaries", *contract.LOAD_ORDER[1:]]
    assert counts.set_index("Table").loc["regions", "Rows"] == 10
    dictionary = table_with(at, "Chinese header")
    assert len(dictionary) == sum(len(t.columns) for t in contract.TABLES)
    at.selectbox(key="data_dictionary_table").set_value("funds").run()
    assert table_with(at, "Chinese header")["Column"].tolist() == list(contract.TABLES_BY_NAME["funds"].column_names)


def test_the_first_upload_creates_the_database(tmp_path, monkeypatch):
    path = tmp_path / "new" / "sitrep.duckdb"
    at = open_data_page(path, monkeypatch, lang="zh")
    assert at.title[0].value == "数据"
    assert any("还没有数据库" in i.value for i in at.info)
    regions = [[r[k] for k in ("region_code", "name", "level", "parent_code", "population")] for r in tiny_regions()]
    src = write_csv(tmp_path / "行政区划.csv", ["区划代码", "名称", "层级", "上级代码", "常住人口"], regions)
    upload(at, [(src.name, src.read_bytes())])
    assert path.is_file()
    assert count(Database(path), "regions") == 10
    assert [s.value for s in at.success][-1] == "数据库已创建。刷新页面或点击下方按钮即可查看各个页面。"
    at.button(key="data_show_pages").click().run()
    assert not at.exception, [e.message for e in at.exception]


def test_the_demo_database_shows_its_import_log(demo_db, tmp_path, monkeypatch):
    copy = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, copy)
    at = open_data_page(copy, monkeypatch)
    log = table_with(at, "Checksum")
    files = Database(copy).query("import_log_list")
    assert len(log) == len(files) and set(log["Status"]) == {"Loaded"}
    counts = table_with(at, "Date column").set_index("Table")
    assert counts.loc["tests", "Imports"] == Database(copy).rows(
        "select count(*) from import_log where table_name = 'tests'")[0][0]

"""The import path: messy exports in, exact rows (or exact problems) out.

Every file is generated in tmp_path the way Chinese office software writes it; every
database is a real DuckDB file built through ``import_files``.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sitrep import contract
from sitrep.db import Database
from sitrep.ingest import FileReport, ImportUsageError, Problem, import_files
from tests.builders import (CITY, build_db, headers_for, id_number, tiny_regions, write_csv, write_table_csv,
                            write_xlsx)

ID_A = id_number("45148119900101123")  # 451481199001011234
ID_B = id_number("11010519491231002")  # 11010519491231002X
RETURNEE_HEADER = ["人员编号", "姓名", "身份证号", "联系电话", "人员类别", "来源地风险等级", "抵达日期", "乡镇/街道", "村/社区"]


def returnee_row(pid, name="张三", idn=ID_A, phone="13800000000", cat="省外返乡", risk="低风险", arrival="2022-01-05",
                 town="河西镇", village="上村"):
    return [pid, name, idn, phone, cat, risk, arrival, town, village]


@pytest.fixture
def city(city_template, tmp_path) -> Database:
    """A fresh copy of the tiny city with one case, one contact, two returnees."""
    import shutil

    shutil.copyfile(city_template, tmp_path / "city.duckdb")
    return Database(tmp_path / "city.duckdb")


@pytest.fixture(scope="module")
def city_template(tmp_path_factory):
    """Built once through the import path; each test works on a copy."""
    path = tmp_path_factory.mktemp("city") / "city.duckdb"
    build_db(path, {
        "regions": tiny_regions(),
        "cases": [{"case_id": "C1", "report_date": "2022-01-10", "category": "确诊病例", "source": "本土",
                   "region_code": "451481001001"}],
        "contacts": [{"contact_id": "K1", "case_id": "C1", "contact_type": "密接", "identified_date": "2022-01-10",
                      "region_code": "451481001001"}],
        "returnees": [
            {"person_id": "R1", "name": "张三", "id_number": ID_A, "origin_category": "省外返乡", "origin_risk": "低风险",
             "arrival_date": "2022-01-05", "township": "河西镇", "village": "上村"},
            {"person_id": "R2", "name": "李四", "id_number": ID_B, "origin_category": "境外入境", "origin_risk": "境外",
             "arrival_date": "2022-01-06", "region_code": "451481001002"},
        ],
    })
    Database(path).close()
    return path


def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Full content of every data table (rows sorted), for before/after comparisons."""
    tables = [*contract.LOAD_ORDER, "boundaries"]
    return {t: sorted(db.rows(f"SELECT * FROM {t}"), key=repr) for t in tables}


def log_rows(db: Database) -> list[tuple]:
    return db.rows("SELECT file_name, table_name, rows_inserted, rows_updated, rows_rejected, status "
                   "FROM import_log ORDER BY import_id")


def one(db: Database, path, **kw) -> FileReport:
    reports = import_files(db, [path], user="tester", **kw)
    assert len(reports) == 1
    return reports[0]


def errors(rep: FileReport) -> list[tuple]:
    """(row, column, value, reason) of each error, in report order."""
    return [(p.row, p.column, p.value, p.reason) for p in rep.errors]


# ---------------------------------------------------------------- encodings, layouts, headers


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings_load_the_same_rows(city, tmp_path, encoding):
    path = write_csv(tmp_path / "ret.csv", RETURNEE_HEADER,
                     [returnee_row("R9", name="王五", village="下村", arrival="2022/1/7")], encoding=encoding)
    rep = one(city, path)
    assert (rep.status, rep.table, rep.rows_read, rep.inserted, rep.updated) == ("loaded", "returnees", 1, 1, 0)
    assert city.rows("SELECT person_id, name, region_code, arrival_date, origin_category FROM returnees "
                     "WHERE person_id = 'R9'") == [("R9", "王五", "451481002002", date(2022, 1, 7), "out_of_province")]


def test_xlsx_with_title_row_and_real_excel_cells(city, tmp_path):
    path = write_xlsx(tmp_path / "ret.xlsx", RETURNEE_HEADER + ["联系电话2"], [
        ["R10", "赵六", ID_A, 13800000001, "省内返乡", "中风险", datetime(2022, 1, 8), "城东街道", "东门社区", "x"],
        ["R11", "钱七", ID_B, "13800000002", "省内返乡", "中风险", 44576, "城东街道", None, None],
    ], title="XX市返乡人员登记表")
    rep = one(city, path)
    assert (rep.status, rep.header_row, rep.rows_read, rep.inserted) == ("loaded", 2, 2, 2)
    assert rep.ignored_columns == ["联系电话2"]
    assert city.rows("SELECT person_id, phone, arrival_date, region_code FROM returnees WHERE person_id IN "
                     "('R10', 'R11') ORDER BY 1") == [
        ("R10", "13800000001", date(2022, 1, 8), "451481001001"),
        ("R11", "13800000002", date(2022, 1, 15), "451481001000"),  # serial 44576; township only
    ]


def test_xlsx_other_sheet_and_excel_row_numbers(city, tmp_path):
    import openpyxl

    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["这张表不是数据"])
    ws = wb.create_sheet("返乡人员")
    ws.append(["返乡人员登记表"])
    ws.append([])
    ws.append(RETURNEE_HEADER)
    ws.append(returnee_row("R20"))
    ws.append([])  # a blank row still counts in Excel's numbering
    ws.append(returnee_row("R21", idn="451481199001011238"))
    wb.save(path)
    rep = one(city, path, sheet="返乡人员")
    assert rep.status == "rejected"
    assert (rep.header_row, rep.rows_read) == (3, 2)
    assert errors(rep) == [(6, "身份证号", "451481199001011238", "bad_check_digit")]
    rep = one(city, path, sheet="没有这张")
    assert [p.reason for p in rep.problems] == ["no_sheet"]


def test_csv_title_rows_blank_lines_and_multiline_cells_keep_excel_row_numbers(city, tmp_path):
    text = ("XX市返乡人员登记表,,,,,,,,\r\n填报单位：河西镇,,,,,,,,\r\n" + ",".join(RETURNEE_HEADER) + "\r\n"
            + ",".join(returnee_row("R30")) + "\r\n"
            + "\r\n"  # row 5: blank
            + 'R31,"王\n五",' + ",".join(returnee_row("R31")[2:]) + "\r\n"  # row 6 spans two lines
            + ",".join(returnee_row("R32", arrival="2022-02-30")) + "\r\n")  # row 7
    path = tmp_path / "ret.csv"
    path.write_bytes(text.encode("gb18030"))
    rep = one(city, path)
    assert (rep.header_row, rep.rows_read) == (3, 3)
    assert errors(rep) == [(7, "抵达日期", "2022-02-30", "bad_date")]


def test_headers_match_across_width_case_and_spacing(city, tmp_path):
    header = ["日期", "机构编号", "  日检测能力（管） ", "混检比例", "ＬＡＢ＿ＮＡＭＥ", "区划代码", "Staff"]
    path = write_csv(tmp_path / "cap.csv", header, [["2022-01-15", "L1", "1,200", "", "市疾控", "451481001000", "8"]])
    rep = one(city, path)
    assert (rep.status, rep.table) == ("loaded", "test_capacity")
    assert city.rows("SELECT date, lab_id, capacity_tubes, pool_size, lab_name, region_code, staff "
                     "FROM test_capacity") == [(date(2022, 1, 15), "L1", 1200, 1, "市疾控", "451481001000", 8)]


def test_region_names_with_full_width_brackets_in_headers(city, tmp_path):
    header = ["人员编号", "姓名", "人员类别", "来源地风险等级", "抵达日期", "乡镇（街道）", "村（社区）"]
    path = write_csv(tmp_path / "ret.csv", header, [
        ["R40", "甲", "省内返乡", "无", "2022-01-05", " 城东街道 ", "南门社区"],
        ["R41", "乙", "省内返乡", "无", "2022-01-05", "河西镇", ""],
    ])
    rep = one(city, path)
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT person_id, region_code FROM returnees WHERE person_id IN ('R40', 'R41') ORDER BY 1") == [
        ("R40", "451481001002"), ("R41", "451481002000")]


# ---------------------------------------------------------------- value formats


@pytest.mark.parametrize("text,expected", [
    ("2022-01-15", date(2022, 1, 15)),
    ("2022/1/15", date(2022, 1, 15)),
    ("2022年1月15日", date(2022, 1, 15)),
    ("20220115", date(2022, 1, 15)),
    ("2022.1.15", date(2022, 1, 15)),
    ("44576", date(2022, 1, 15)),  # Excel serial number
    ("2022-01-15 00:00:00", date(2022, 1, 15)),  # a date cell exported with its time
    ("２０２２－０１－１５", date(2022, 1, 15)),  # full-width digits
])
def test_date_formats(city, tmp_path, text, expected):
    path = write_csv(tmp_path / "d.csv", ["日期", "班次", "带班领导"], [[text, "白班", "王主任"]])
    rep = one(city, path)
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT date FROM duty_roster") == [(expected,)]


@pytest.mark.parametrize("text,expected", [
    ("2022-01-15 08:30", datetime(2022, 1, 15, 8, 30)),
    ("2022-01-15 08:30:45", datetime(2022, 1, 15, 8, 30, 45)),
    ("2022/1/15 8:30", datetime(2022, 1, 15, 8, 30)),
    ("2022年1月15日 8时30分", datetime(2022, 1, 15, 8, 30)),
    ("2022年1月15日8时30分", datetime(2022, 1, 15, 8, 30)),
    ("2022-01-15", datetime(2022, 1, 15, 0, 0)),  # date only: midnight
    ("44576.5", datetime(2022, 1, 15, 12, 0)),  # Excel serial date-time
])
def test_timestamp_formats(city, tmp_path, text, expected):
    path = write_csv(tmp_path / "o.csv", ["指令编号", "下达时间", "专班", "办结时限"],
                     [["O1", text, "流调专班", "2022-12-31 23:59"]])
    rep = one(city, path)
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT issued_at, task_force FROM orders") == [(expected, "epi_investigation")]


def test_timestamp_from_a_real_excel_datetime_cell(city, tmp_path):
    path = write_xlsx(tmp_path / "o.xlsx", ["指令编号", "下达时间", "专班", "办结时限"],
                      [["O2", datetime(2022, 1, 15, 8, 30), "冷链", datetime(2022, 1, 16)]])
    rep = one(city, path)
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT issued_at, deadline FROM orders") == [
        (datetime(2022, 1, 15, 8, 30), datetime(2022, 1, 16))]


def test_enum_codes_and_labels(city, tmp_path):
    header = ["病例编号", "报告日期", "类别", "来源", "临床分型", "区划代码"]
    rows = [["C10", "2022-01-11", "确诊病例", "本土", "轻型", "451481001001"],
            ["C11", "2022-01-11", "无症状", "境外输入", " 普通型 ", "451481001001"],  # further label, spaces
            ["C12", "2022-01-11", "SUSPECTED", "domestic_imported", "Severe", "451481001001"]]  # codes, any case
    rep = one(city, write_csv(tmp_path / "c.csv", header, rows))
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT case_id, category, source, severity FROM cases WHERE case_id LIKE 'C1_' ORDER BY 1") == [
        ("C10", "confirmed", "local", "mild"),
        ("C11", "asymptomatic", "overseas", "moderate"),
        ("C12", "suspected", "domestic_imported", "severe"),
    ]


def test_bool_labels(city, tmp_path):
    header = ["区划代码", "包干责任人", "有防控指南", "有制度和责任人", "有防护物资", "有医疗力量指导", "有隔离和转运安排"]
    rows = [["451481001001", "甲", "是", "有", "√", "Y", "TRUE"],
            ["451481001002", "乙", "否", "无", "×", "n", "false"],
            ["451481002001", "丙", "1", "0", "", "yes", "No"]]
    rep = one(city, write_csv(tmp_path / "g.csv", header, rows))
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT region_code, has_guide, has_system_owner, has_materials, has_medical_support, "
                     "has_isolation_transfer FROM grid_units ORDER BY 1") == [
        ("451481001001", True, True, True, True, True),
        ("451481001002", False, False, False, False, False),
        ("451481002001", True, False, None, True, False),
    ]


def test_numbers_defaults_and_thousands(city, tmp_path):
    header = ["日期", "仓库编号", "物资编码", "库存数量", "日均消耗", "储备目标天数", "最低储备量"]
    rows = [["2022-01-15", "W1", "N95", "12,000", "350.5", "", "12.0"],
            ["2022-01-15", "W1", "GOWN", "800", "", "45", ""]]
    rep = one(city, write_csv(tmp_path / "r.csv", header, rows))
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT item_code, on_hand, daily_use, target_days, min_quantity, warehouse_name "
                     "FROM reserves ORDER BY 1") == [
        ("GOWN", 800.0, None, 45, None, None), ("N95", 12000.0, 350.5, 30, 12.0, None)]


def test_id_number_lowercase_x_is_stored_upper_and_phone_spaces_removed(city, tmp_path):
    path = write_csv(tmp_path / "r.csv", RETURNEE_HEADER,
                     [returnee_row("R50", idn=ID_B.lower(), phone="138 0000 0003")])
    rep = one(city, path)
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT id_number, phone FROM returnees WHERE person_id = 'R50'") == [(ID_B, "13800000003")]


def test_person_id_falls_back_to_id_number(city, tmp_path):
    path = write_csv(tmp_path / "r.csv", RETURNEE_HEADER,
                     [returnee_row("", idn=ID_A), returnee_row("", idn="")])
    rep = one(city, path)
    assert errors(rep) == [(3, "人员编号", None, "missing_key")]
    rep = one(city, write_csv(tmp_path / "r2.csv", RETURNEE_HEADER, [returnee_row("", idn=ID_B, name="新名字")]))
    assert (rep.status, rep.inserted, rep.updated) == ("loaded", 1, 0)
    assert city.rows("SELECT person_id, name FROM returnees WHERE id_number = $i ORDER BY 1", {"i": ID_B}) == [
        (ID_B, "新名字"), ("R2", "李四")]


# ---------------------------------------------------------------- rejected files leave the database as it was


BAD_CASES = {
    "bad check digit": ("returnees", RETURNEE_HEADER,
                        [returnee_row("R60"), returnee_row("R61", idn="451481199001011235")],
                        [(3, "身份证号", "451481199001011235", "bad_check_digit")]),
    "short id number": ("returnees", RETURNEE_HEADER, [returnee_row("R62", idn="4514811990")],
                        [(2, "身份证号", "4514811990", "bad_id_number")]),
    "unknown village": ("returnees", RETURNEE_HEADER, [returnee_row("R63", village="不存在村")],
                        [(2, "村/社区", "河西镇 / 不存在村", "unknown_region")]),
    "village in another township": ("returnees", RETURNEE_HEADER, [returnee_row("R64", town="城东街道", village="上村")],
                                    [(2, "村/社区", "城东街道 / 上村", "unknown_region")]),
    "unknown region code": ("cases", ["病例编号", "报告日期", "类别", "来源", "区划代码"],
                            [["C20", "2022-01-12", "确诊病例", "本土", "451481009009"]],
                            [(2, "区划代码", "451481009009", "unknown_region")]),
    "bad date": ("returnees", RETURNEE_HEADER, [returnee_row("R65"), returnee_row("R66", arrival="2022-13-01")],
                 [(3, "抵达日期", "2022-13-01", "bad_date")]),
    "bad mobile": ("returnees", RETURNEE_HEADER, [returnee_row("R67", phone="1380000")],
                   [(2, "联系电话", "1380000", "bad_mobile")]),
    "bad enum": ("returnees", RETURNEE_HEADER, [returnee_row("R68", cat="回乡")],
                 [(2, "人员类别", "回乡", "bad_enum")]),
    "missing required value": ("returnees", RETURNEE_HEADER, [returnee_row("R69", name="")],
                               [(2, "姓名", None, "missing_value")]),
    "unknown person in tests": ("tests", ["人员编号", "采样日期", "结果"],
                                [["R1", "2022-01-07", "阴性"], ["K1", "2022-01-07", "阴性"],
                                 ["NOBODY", "2022-01-07", "阳性"]],
                                [(4, "人员编号", "NOBODY", "unknown_reference")]),
    "negative count": ("vaccinations", ["日期", "区划代码", "年龄组", "剂次", "接种剂次"],
                       [["2022-01-15", "451481001000", "18-59岁", "加强", "-3"]],
                       [(2, "接种剂次", "-3", "negative")]),
    "fraction in a count": ("vaccinations", ["日期", "区划代码", "年龄组", "剂次", "接种剂次"],
                            [["2022-01-15", "451481001000", "60岁以上", "加强针", "2.5"]],
                            [(2, "接种剂次", "2.5", "bad_int")]),
    "not a number": ("funds", ["日期", "资金来源", "用途", "下达"], [["2022-01-15", "中央", "物资", "五十"]],
                     [(2, "下达", "五十", "bad_number")]),
    "release before start": ("contacts", ["密接编号", "关联病例", "密接类型", "判定日期", "隔离开始", "解除日期", "区划代码"],
                             [["K5", "C1", "密接", "2022-01-10", "2022-01-10", "2022-01-03", "451481001001"]],
                             [(2, "解除日期", "2022-01-03", "date_order")]),
    "pool size": ("test_capacity", ["日期", "机构编号", "日检测能力(管)", "混检比例"],
                  [["2022-01-15", "L1", "1000", "3"]], [(2, "混检比例", "3", "bad_pool_size")]),
    "bad bool": ("grid_units", ["区划代码", "包干责任人", "有防控指南"], [["451481001001", "甲", "也许"]],
                 [(2, "有防控指南", "也许", "bad_bool")]),
    "deadline before issue": ("orders", ["指令编号", "下达时间", "专班", "办结时限"],
                              [["O9", "2022-01-15 08:00", "宣传", "2022-01-14 08:00"]],
                              [(2, "办结时限", "2022-01-14 08:00", "date_order")]),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_rows_reject_the_file_and_change_nothing(city, tmp_path, case):
    table, header, rows, expected = BAD_CASES[case]
    before = snapshot(city)
    log_before = log_rows(city)
    path = write_csv(tmp_path / "bad.csv", header, rows, encoding="gb18030")
    rep = one(city, path)
    assert (rep.status, rep.table, rep.inserted, rep.updated) == ("rejected", table, 0, 0)
    assert errors(rep) == expected
    assert rep.rejected == len({r for r, *_ in expected})
    if case == "release before start":  # the other column named, no empty brackets
        assert rep.errors[0].describe("zh") == "第2行 “解除日期”：值“2022-01-03”：早于同一行的“隔离开始”"
        assert rep.errors[0].message("en") == "is before '隔离开始' on the same row"
    assert snapshot(city) == before
    assert log_rows(city) == log_before + [("bad.csv", table, 0, 0, rep.rejected, "rejected")]
    assert all(p.message("zh") and p.message("en") and p.message("zh") != p.message("en") for p in rep.problems)


def test_missing_required_column_is_a_file_problem(city, tmp_path):
    before = snapshot(city)
    path = write_csv(tmp_path / "ret.csv", [h for h in RETURNEE_HEADER if h != "来源地风险等级"], [
        [v for h, v in zip(RETURNEE_HEADER, returnee_row("R70")) if h != "来源地风险等级"]])
    rep = one(city, path, table="returnees")
    assert rep.status == "rejected"
    assert [(p.row, p.column, p.reason) for p in rep.problems] == [(None, "来源地风险等级", "missing_column")]
    assert "来源地风险等级" in rep.problems[0].message("zh")
    assert snapshot(city) == before


def test_missing_region_columns(city, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["病例编号", "报告日期", "类别", "来源"], [["C30", "2022-01-11", "确诊", "本土"]])
    rep = one(city, path, table="cases")
    assert [p.reason for p in rep.problems] == ["missing_region_column"]


@pytest.mark.parametrize("content,reason", [
    (b"", "empty"),
    (b"\r\n\r\n  \r\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "not_text"),
    (bytes(range(128, 256)) * 40, "not_text"),
    ("姓名,年龄\n张三,30\n".encode("utf-8"), "unknown_table"),
])
def test_files_that_are_not_exports(city, tmp_path, content, reason):
    before = snapshot(city)
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    rep = one(city, path)
    assert rep.status == "rejected"
    assert [(p.row, p.reason) for p in rep.problems] == [(None, reason)]
    assert snapshot(city) == before
    assert log_rows(city)[-1][-1] == "rejected"


def test_workbook_named_csv_and_broken_workbook(city, tmp_path):
    real = write_xlsx(tmp_path / "x.xlsx", RETURNEE_HEADER, [returnee_row("R80")])
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(real.read_bytes())
    rep = one(city, renamed)
    assert rep.status == "loaded", rep.summary("en")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    rep = one(city, broken)
    assert [p.reason for p in rep.problems] == ["bad_xlsx"]


def test_ragged_row_is_reported_on_its_row(city, tmp_path):
    text = ",".join(RETURNEE_HEADER) + "\n" + ",".join(returnee_row("R81")) + "\n" + \
        ",".join(returnee_row("R82")) + ",多余,值\n" + ",".join(returnee_row("R83")[:5]) + "\n"
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    rep = one(city, path)
    # row 4 lacks the risk level, the arrival date and the township
    assert [(p.row, p.column, p.reason) for p in rep.errors] == [
        (3, None, "extra_values"), (4, "来源地风险等级", "missing_value"), (4, "抵达日期", "missing_value"),
        (4, "乡镇/街道", "missing_value")]


def test_every_problem_is_listed_up_to_the_cap(city, tmp_path):
    rows = [returnee_row(f"B{i}", arrival="not a date") for i in range(1200)]
    rep = one(city, write_csv(tmp_path / "r.csv", RETURNEE_HEADER, rows))
    assert rep.status == "rejected"
    assert (rep.rejected, rep.problem_count, len(rep.problems)) == (1200, 1200, 1000)
    assert [p.row for p in rep.problems[:3]] == [2, 3, 4]
    assert "200" in rep.summary("zh") and "200 more" in rep.summary("en")


def test_table_cannot_be_told(city, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["日期", "区划代码"], [["2022-01-15", "451481001000"]])
    rep = one(city, path)
    assert [(p.row, p.reason) for p in rep.problems] == [(None, "unknown_table")]
    assert "test_capacity" in rep.problems[0].message("en") and "检测能力" in rep.problems[0].message("zh")


def test_usage_errors(city, tmp_path):
    with pytest.raises(ImportUsageError):
        import_files(city, [tmp_path / "nope.csv"])
    path = write_csv(tmp_path / "r.csv", RETURNEE_HEADER, [returnee_row("R90")])
    with pytest.raises(ImportUsageError):
        import_files(city, [path], table="no_such_table")


# ---------------------------------------------------------------- upsert, order, log


def test_reimport_is_idempotent(city, tmp_path):
    path = write_csv(tmp_path / "r.csv", RETURNEE_HEADER, [returnee_row(f"R{i}") for i in range(100, 110)])
    first = one(city, path)
    after_first = snapshot(city)
    second = one(city, path)
    assert (first.inserted, first.updated) == (10, 0)
    assert (second.inserted, second.updated) == (0, 10)
    after_second = snapshot(city)
    # same rows; only the lineage column moved to the new import
    cols = ", ".join(contract.TABLES_BY_NAME["returnees"].column_names)
    assert city.rows("SELECT count(*), count(DISTINCT person_id) FROM returnees") == [(12, 12)]
    assert {t: v for t, v in after_first.items() if t != "returnees"} == \
        {t: v for t, v in after_second.items() if t != "returnees"}
    assert sorted(city.rows(f"SELECT {cols} FROM returnees"), key=repr) == \
        sorted([r[:-1] for r in after_first["returnees"]], key=repr)
    assert city.rows("SELECT DISTINCT _import_id FROM returnees WHERE person_id LIKE 'R10_'") == [(second.import_id,)]


def test_overlapping_export_updates_and_adds(city, tmp_path):
    one(city, write_csv(tmp_path / "a.csv", RETURNEE_HEADER,
                        [returnee_row("R200", risk="低风险"), returnee_row("R201")]))
    rep = one(city, write_csv(tmp_path / "b.csv", RETURNEE_HEADER,
                              [returnee_row("R201", risk="高风险"), returnee_row("R202")]))
    assert (rep.inserted, rep.updated) == (1, 1)
    assert city.rows("SELECT person_id, origin_risk FROM returnees WHERE person_id LIKE 'R20_' ORDER BY 1") == [
        ("R200", "low"), ("R201", "high"), ("R202", "low")]


def test_duplicate_keys_in_one_file_last_row_wins(city, tmp_path):
    rep = one(city, write_csv(tmp_path / "r.csv", RETURNEE_HEADER, [
        returnee_row("R300", name="旧"), returnee_row("R301"), returnee_row("R300", name="新")]))
    assert (rep.status, rep.rows_read, rep.inserted, rep.errors) == ("loaded", 3, 2, [])
    assert [(p.row, p.reason, p.detail) for p in rep.problems] == [(2, "duplicate_key", {"later_row": 4})]
    assert city.rows("SELECT name FROM returnees WHERE person_id = 'R300'") == [("新",)]


def test_tests_key_with_empty_sample_no(city, tmp_path):
    header = ["人员编号", "采样日期", "样本编号", "结果"]
    one(city, write_csv(tmp_path / "t1.csv", header, [["R1", "2022-01-07", "", "待出"]]))
    rep = one(city, write_csv(tmp_path / "t2.csv", header, [["R1", "2022-01-07", "", "阴性"]]))
    assert (rep.inserted, rep.updated) == (0, 1)
    assert city.rows("SELECT person_id, sample_date, sample_no, result FROM tests") == [
        ("R1", date(2022, 1, 7), "", "negative")]


def test_files_load_in_dependency_order_and_one_bad_file_does_not_stop_the_rest(tmp_path):
    db = Database(tmp_path / "new.duckdb")
    regions = write_table_csv(tmp_path / "regions.csv", "regions", tiny_regions())
    tests_file = write_csv(tmp_path / "tests.csv", ["人员编号", "采样日期", "结果"], [["R1", "2022-01-07", "阴性"]])
    returnees = write_csv(tmp_path / "returnees.csv", RETURNEE_HEADER, [returnee_row("R1")])
    bad = write_csv(tmp_path / "bad_cases.csv", ["病例编号", "报告日期", "类别", "来源", "区划代码"],
                    [["C1", "someday", "确诊", "本土", CITY]])
    reports = import_files(db, [tests_file, bad, returnees, regions], user="tester")
    assert [(r.file, r.table, r.status) for r in reports] == [
        ("regions.csv", "regions", "loaded"), ("bad_cases.csv", "cases", "rejected"),
        ("returnees.csv", "returnees", "loaded"), ("tests.csv", "tests", "loaded")]
    assert db.rows("SELECT count(*) FROM cases") == [(0,)]
    assert log_rows(db) == [
        ("regions.csv", "regions", 10, 0, 0, "loaded"), ("bad_cases.csv", "cases", 0, 0, 1, "rejected"),
        ("returnees.csv", "returnees", 1, 0, 0, "loaded"), ("tests.csv", "tests", 1, 0, 0, "loaded")]
    ids = db.rows("SELECT import_id, user_name, sha256 FROM import_log ORDER BY import_id")
    assert [i for i, _, _ in ids] == [1, 2, 3, 4] and {u for _, u, _ in ids} == {"tester"}
    assert all(len(s) == 64 for _, _, s in ids)
    assert [r.import_id for r in reports] == [1, 2, 3, 4]


def test_regions_parent_may_be_in_the_same_file_but_must_exist(tmp_path):
    db = Database(tmp_path / "r.duckdb")
    rows = tiny_regions() + [{"region_code": "451481003001", "name": "孤村", "level": "村", "parent_code": "451481003000"}]
    rep = one(db, write_table_csv(tmp_path / "regions.csv", "regions", rows))
    assert errors(rep) == [(12, "上级代码", "451481003000", "unknown_reference")]
    rows[-1]["parent_code"] = "451481002000"
    assert one(db, write_table_csv(tmp_path / "regions.csv", "regions", rows)).status == "loaded"


# ---------------------------------------------------------------- skip invalid


def test_skip_invalid_loads_valid_rows_and_writes_rejects(city, tmp_path):
    import csv

    path = write_csv(tmp_path / "r.csv", RETURNEE_HEADER + ["备注"], [
        returnee_row("R400") + ["好"],
        returnee_row("R401", idn="451481199001011235") + ["校验位错"],
        returnee_row("R402", village="不存在村", arrival="2022-02-30") + ["两处错"],
        returnee_row("R403") + [""],
    ], encoding="gb18030")
    rejects = tmp_path / "out" / "rejects.csv"
    rep = one(city, path, skip_invalid=True, rejects=rejects)
    assert (rep.status, rep.rows_read, rep.inserted, rep.rejected) == ("partial", 4, 2, 2)
    assert city.rows("SELECT person_id FROM returnees WHERE person_id LIKE 'R40_' ORDER BY 1") == [("R400",), ("R403",)]
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["行号/row", "原因", "reason"] and rows[0][3:] == RETURNEE_HEADER + ["备注"]
    assert [r[0] for r in rows[1:]] == ["3", "4"]
    assert rows[1][3:] == returnee_row("R401", idn="451481199001011235") + ["校验位错"]
    assert "校验位" in rows[1][1] and "check digit" in rows[1][2]
    assert "不是有效日期" in rows[2][1] and "no such region" in rows[2][2]
    assert log_rows(city)[-1] == ("r.csv", "returnees", 2, 0, 2, "partial")


def test_problem_messages_exist_for_every_reason():
    from sitrep.ingest.report import reasons

    assert "missing_value" in reasons() and "duplicate_key" in reasons()
    for reason in reasons():
        p = Problem("f.csv", 2, "列", "v", reason, detail={k: "x" for k in ("considered", "column", "headers", "error",
                                                                            "sheet", "sheets", "count", "allowed",
                                                                            "resolved", "target", "other",
                                                                            "other_value", "fallback", "later_row",
                                                                            "chars", "limit", "part", "ratio", "size")})
        assert "{" not in p.message("zh") and "{" not in p.message("en"), reason
    assert Problem("f", 2, "姓名", None, "missing_value").describe("en") == "row 2 column '姓名': required value is empty"


# ---------------------------------------------------------------- GeoJSON boundaries


def test_geojson_boundaries(city, tmp_path):
    import json

    square = {"type": "Polygon", "coordinates": [[[106.7, 22.0], [106.8, 22.0], [106.8, 22.1], [106.7, 22.0]]]}
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"region_code": "451481001000", "name": "城东街道"}, "geometry": square},
        {"type": "Feature", "properties": {"区划代码": "451481002001"}, "geometry": square},
    ]}
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    rep = one(city, path)
    assert (rep.status, rep.table, rep.inserted) == ("loaded", "boundaries", 2)
    rows = city.rows("SELECT region_code, level, geometry FROM boundaries ORDER BY 1")
    assert [(c, lv) for c, lv, _ in rows] == [("451481001000", "township"), ("451481002001", "village")]
    assert json.loads(rows[0][2]) == square
    assert (one(city, path).updated) == 2
    fc["features"].append({"type": "Feature", "properties": {"region_code": "999"}, "geometry": square})
    path.write_text(json.dumps(fc), encoding="utf-8")
    before = snapshot(city)
    rep = one(city, path)
    assert errors(rep) == [(3, "region_code", "999", "unknown_region")]
    assert snapshot(city) == before


def test_headers_for_every_table_are_unique_within_the_table():
    """A header may not mean two columns of one table (the importer could not tell them apart)."""
    from sitrep.ingest.headers import header_index, norm_header, table_columns

    for t in contract.TABLES:
        seen = {}
        for col in table_columns(t):
            for h in col.headers:
                n = norm_header(h)
                assert seen.setdefault(n, col.name) == col.name, (t.name, h, seen[n], col.name)
        assert header_index(t.name)


def test_builders_headers_round_trip():
    assert headers_for("returnees", ["person_id", "township", "village"]) == ["人员编号", "乡镇/街道", "村/社区"]


def test_excel_text_tricks_for_long_numbers(city, tmp_path):
    """Exports keep ID numbers from turning into 4.5E+17 with ="...", a leading tab or an apostrophe."""
    text = (",".join(RETURNEE_HEADER) + "\r\n"
            + ",".join(returnee_row("R500", idn=f'="{ID_A}"', phone="\t13800000005")) + "\r\n"
            + ",".join(returnee_row("R501", idn=f"'{ID_B}", phone="'13800000006")) + "\r\n")
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode("gb18030"))
    rep = one(city, path)
    assert rep.status == "loaded", rep.summary("en")
    assert city.rows("SELECT person_id, id_number, phone FROM returnees WHERE person_id LIKE 'R50_' ORDER BY 1") == [
        ("R500", ID_A, "13800000005"), ("R501", ID_B, "13800000006")]


def test_gb18030_columns_decode_like_utf8(tmp_path):
    """Both GB18030 decoding paths (distinct values for repetitive columns, whole column
    for names) give exactly what the UTF-8 file gives, rare characters included."""
    from sitrep.ingest import readers
    from sitrep.ingest.headers import header_score

    rows = [[f"R{i}", "张王李赵𠀀"[i % 5] + "三四五六七八九十"[i % 8] + "·" * (i % 2), "省外返乡" if i % 3 else "境外入境",
             "2022-01-05", "451481002001"] for i in range(60)]
    header = ["人员编号", "姓名", "人员类别", "抵达日期", "区划代码"]
    gb = readers.read_csv(write_csv(tmp_path / "gb.csv", header, rows, encoding="gb18030"), header_score)
    u8 = readers.read_csv(write_csv(tmp_path / "u8.csv", header, rows, encoding="utf-8"), header_score)
    assert (gb.encoding, u8.encoding) == ("gb18030", "utf8")
    assert gb.data.to_pydict() == u8.data.to_pydict()
    assert gb.data.column("c1").to_pylist()[:2] == ["张三", "王四·"]


def test_region_code_and_names_must_agree(city, tmp_path):
    header = ["人员编号", "姓名", "人员类别", "来源地风险等级", "抵达日期", "区划代码", "乡镇/街道", "村/社区"]
    rows = [["R600", "甲", "省内返乡", "无", "2022-01-05", "451481002001", "河西镇", "上村"],
            ["R601", "乙", "省内返乡", "无", "2022-01-05", "451481002001", "河西镇", "下村"],
            ["R602", "丙", "省内返乡", "无", "2022-01-05", "", "河西镇", "下村"]]
    rep = one(city, write_csv(tmp_path / "r.csv", header, rows))
    assert errors(rep) == [(3, "区划代码", "451481002001 ≠ 河西镇 / 下村", "region_mismatch")]


def test_ambiguous_township_name(tmp_path):
    regions = tiny_regions() + [{"region_code": "451481003000", "name": "河西镇", "level": "township",
                                 "parent_code": CITY}]
    db = build_db(tmp_path / "amb.duckdb", {"regions": regions})
    rep = one(db, write_csv(tmp_path / "r.csv", RETURNEE_HEADER, [returnee_row("R610", village="")]))
    assert errors(rep) == [(2, "乡镇/街道", "河西镇", "ambiguous_region")]


def test_big_file_into_small_table_keeps_the_other_rows(city, tmp_path):
    """A file much bigger than its table rebuilds the table from the file: rows the file
    does not carry stay, with their own import id."""
    before = city.rows("SELECT * FROM returnees ORDER BY person_id")
    rows = [returnee_row(f"N{i:03d}") for i in range(20)] + [returnee_row("R1", name="张三改")]
    rep = one(city, write_csv(tmp_path / "big.csv", RETURNEE_HEADER, rows))
    assert (rep.status, rep.inserted, rep.updated) == ("loaded", 20, 1)
    assert city.rows("SELECT * FROM returnees WHERE person_id = 'R2'") == [r for r in before if r[0] == "R2"]
    assert city.rows("SELECT name, _import_id FROM returnees WHERE person_id = 'R1'") == [("张三改", rep.import_id)]
    assert city.rows("SELECT count(*) FROM returnees") == [(22,)]
    types = city.rows("SELECT data_type FROM information_schema.columns WHERE table_name = 'returnees' "
                      "ORDER BY ordinal_position")
    assert [t for (t,) in types] == [c.sql_type for c in contract.TABLES_BY_NAME["returnees"].columns] + ["BIGINT"]

"""Table downloads (CSV with BOM and XLSX, sitrep.export through widgets.table): cells a spreadsheet
would run as a formula are neutralised in both formats, headers too; numbers stay numbers; personal
data leaves masked exactly as the page shows it."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pandas as pd
import pytest

from sitrep import export, privacy

HOSTILE = ["=cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(1)", "\t=1+1", "\r=1+1", "=HYPERLINK(\"http://x\",\"y\")"]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel and WPS read Chinese right"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def read_xlsx(data: bytes) -> list[tuple]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return list(ws.iter_rows(values_only=True))


def hostile_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "text": HOSTILE,
        "count": [1, -2, 3, 0, 5, 6, -7],
        "share": [0.5, -1.25, 2.0, 0.0, 1e6, -0.001, 3.5],
        "=evil()": ["ok"] * 7,
        "名称": ["城东街道", "-", "+", "@", "a=b", "正常", ""],
    })


def test_formula_cells_are_neutralised_in_csv_and_xlsx():
    df = hostile_frame()
    rows_csv = read_csv(export.to_csv_bytes(df))
    rows_xlsx = read_xlsx(export.to_xlsx_bytes(df))
    for rows in (rows_csv, rows_xlsx):
        header, body = rows[0], rows[1:]
        assert list(header) == ["text", "count", "share", "'=evil()", "名称"]
        assert [r[0] for r in body] == ["'" + v for v in HOSTILE]
        # a lone sign is text too: it starts with a formula character, so it is quoted as well
        assert [r[4] for r in body][:5] == ["城东街道", "'-", "'+", "'@", "a=b"]
        for r in body:
            assert not str(r[0]).startswith(export.FORMULA_STARTS)


def test_numbers_stay_numbers():
    df = hostile_frame()
    body_xlsx = read_xlsx(export.to_xlsx_bytes(df))[1:]
    assert [r[1] for r in body_xlsx] == [1, -2, 3, 0, 5, 6, -7]
    assert all(isinstance(r[1], int) for r in body_xlsx)
    assert [r[2] for r in body_xlsx] == [0.5, -1.25, 2.0, 0.0, 1e6, -0.001, 3.5]
    body_csv = read_csv(export.to_csv_bytes(df))[1:]
    assert [r[1] for r in body_csv] == ["1", "-2", "3", "0", "5", "6", "-7"]  # negative numbers not quoted
    assert [float(r[2]) for r in body_csv] == [0.5, -1.25, 2.0, 0.0, 1e6, -0.001, 3.5]


def test_dates_and_blanks_survive():
    df = pd.DataFrame({"day": [date(2022, 3, 31), None], "note": [None, "x"],
                       "when": pd.to_datetime(["2022-03-31 08:00", "2022-03-30 00:00"]).tz_localize("Asia/Shanghai")})
    rows = read_xlsx(export.to_xlsx_bytes(df))
    assert rows[1][0].date() == date(2022, 3, 31) if hasattr(rows[1][0], "date") else rows[1][0] == date(2022, 3, 31)
    assert rows[1][1] is None and rows[2][1] == "x"
    assert rows[1][2].hour == 8  # timezone dropped (Excel cannot store it), wall time kept
    assert read_csv(export.to_csv_bytes(df))[1][0] == "2022-03-31"


PEOPLE = pd.DataFrame({
    "name": ["张三丰", "=李四", "王"],
    "id_number": ["451481199001011234", "45148119900101123X", "12345"],
    "phone": ["13812345678", "+8613812345678", None],
    "responsible_phone": ["13900001111", "", "139"],
    "name_a": ["赵六", None, "钱七"],
    "village": ["东门社区", "=上村", "下村"],
    "persons": [3, 4, 5],
})


@pytest.fixture
def downloads(monkeypatch):
    """widgets.table with Streamlit's dataframe and download button recorded instead of drawn."""
    from sitrep.ui import widgets

    shown, files = [], {}
    monkeypatch.setattr(widgets.st, "dataframe", lambda df, **kw: shown.append(df))
    monkeypatch.setattr(widgets.st, "download_button",  # a deferred file is made as a click would make it
                        lambda label, data, file_name=None, **kw: files.__setitem__(
                            file_name, data() if callable(data) else data))
    return widgets, shown, files


def _view():
    from sitrep.ui.state import View

    return View(as_of=date(2022, 3, 31), scope=None, lang="zh", min_date=date(2021, 12, 1), max_date=date(2022, 3, 31))


def test_table_downloads_are_what_the_page_shows_masked(downloads):
    widgets, shown, files = downloads
    widgets.table(_view(), PEOPLE, name="people", key="t")
    on_screen = shown[0]
    expected = privacy.mask_frame(PEOPLE)
    pd.testing.assert_frame_equal(on_screen.reset_index(drop=True), expected.reset_index(drop=True))
    assert list(on_screen["name"]) == ["张**", "=**", "王*"]
    assert list(on_screen["id_number"]) == ["4514**********1234", "4514**********123X", "*****"]
    assert list(on_screen["phone"][:2]) == ["138****5678", "+86*******5678"]
    assert list(on_screen["responsible_phone"]) == ["139****1111", "", "***"]
    assert list(on_screen["name_a"][[0, 2]]) == ["赵*", "钱*"]

    rows_csv = read_csv(files["people.csv"])
    rows_xlsx = read_xlsx(files["people.xlsx"])
    for rows in (rows_csv, rows_xlsx):
        header, body = list(rows[0]), rows[1:]
        assert header == list(PEOPLE.columns)
        by_col = {c: [r[i] for r in body] for i, c in enumerate(header)}
        assert by_col["name"] == ["张**", "'=**", "王*"]  # masked, then made formula-safe
        assert by_col["id_number"] == ["4514**********1234", "4514**********123X", "*****"]
        assert by_col["phone"][:2] == ["138****5678", "'+86*******5678"]
        assert by_col["village"] == ["东门社区", "'=上村", "下村"]  # place names are not masked
        # no unmasked personal value anywhere in the file
        flat = " ".join(str(v) for r in body for v in r)
        for secret in ("张三丰", "李四", "451481199001011234", "13812345678", "13900001111", "赵六", "钱七"):
            assert secret not in flat
    assert [r[6] for r in rows_xlsx[1:]] == [3, 4, 5]


def test_table_column_labels_are_neutralised_too(downloads):
    widgets, shown, files = downloads
    widgets.table(_view(), pd.DataFrame({"a": [1], "b": ["=1"]}), name="x", key="x",
                  column_labels={"a": "=数值", "b": "@说明"})
    assert list(shown[0].columns) == ["=数值", "@说明"]  # the page shows the label as it is
    assert read_csv(files["x.csv"])[0] == ["'=数值", "'@说明"]
    assert list(read_xlsx(files["x.xlsx"])[0]) == ["'=数值", "'@说明"]
    assert read_xlsx(files["x.xlsx"])[1] == (1, "'=1")

"""Test helpers: write export files the way Chinese office software does, and build a
real database through the production import path.

- ``write_csv(path, header, rows, encoding="utf-8")``: a CSV (``"utf-8"``,
  ``"utf-8-sig"`` for UTF-8 with BOM, ``"gb18030"``/``"gbk"``), CRLF line ends like Excel.
- ``write_xlsx(path, header, rows, title=None, sheet="Sheet1")``: a workbook, optionally
  with a merged title row above the header (dates/datetimes stay real Excel dates).
- ``build_db(path, tables)``: ``{"regions": [{"region_code": ..., "name": ...}, ...], ...}``
  (canonical column names; ``township``/``village`` names work where a table takes a
  region) -> each table written as a CSV with the contract's Chinese headers and all of
  them imported in one ``import_files`` call; asserts every file loaded.
- ``tiny_regions()``: a hand-checkable city (see its docstring).
- ``id_number(first17)``: a valid 18-character ID number (GB 11643 check digit added).
- ``open_page(page, **query_params)``: dashboard.py under AppTest on $SITREP_DB with those URL
  parameters, switched to pages/PAGE.py; no exception on either run.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from sitrep import contract
from sitrep.db import ROOT, Database
from sitrep.ingest import import_files

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """``first17`` + its GB 11643 check digit."""
    assert len(first17) == 17 and first17.isdigit(), first17
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def text(value) -> str:
    """A value as an export would write it: dates ISO, booleans 是/否, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        for row in rows:
            w.writerow([text(v) for v in row])
    return path


def write_xlsx(path, header: list[str], rows: list[list], title: str | None = None, sheet: str = "Sheet1") -> Path:
    import openpyxl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(header), 1))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def headers_for(table: str, names: list[str]) -> list[str]:
    """The contract's Chinese header of each canonical column name (township/village included)."""
    t = contract.TABLES_BY_NAME[table]
    out = []
    for n in names:
        if n == "township":
            out.append(contract.TOWNSHIP.zh)
        elif n == "village":
            out.append(contract.VILLAGE.zh)
        else:
            out.append(t.column(n).zh)
    return out


def write_table_csv(path, table: str, records: list[dict], encoding: str = "utf-8") -> Path:
    """``records`` (canonical names) as a CSV with Chinese headers, columns in contract order."""
    order = [*contract.TABLES_BY_NAME[table].column_names, "township", "village"]
    names = [n for n in order if any(n in r for r in records)]
    unknown = {k for r in records for k in r} - set(names)
    assert not unknown, f"{table}: unknown columns {unknown}"
    return write_csv(path, headers_for(table, names), [[r.get(n) for n in names] for r in records], encoding)


def build_db(path, tables: dict[str, list[dict]]) -> Database:
    """A database at ``path`` holding ``tables``, built by importing CSV exports of them."""
    path = Path(path)
    folder = path.with_name(path.stem + "_exports")
    files = [write_table_csv(folder / f"{name}.csv", name, records) for name, records in tables.items()]
    db = Database(path)
    reports = import_files(db, files, user="tests")
    bad = [r.summary("en") for r in reports if r.status != "loaded"]
    assert not bad, "\n".join(bad)
    return db


CITY = "451481000000"


def tiny_regions() -> list[dict]:
    """A city small enough to check by hand.

    示范市 451481000000 (population 8500 = the villages' sum)
      城东街道 451481001000 (urban, 6000): 东门社区 001001 (3000, 1000 households),
                                          南门社区 001002 (2000, 700), 西门社区 001003 (1000, 300)
      河西镇   451481002000 (rural, 2500): 上村 002001 (1500, 500), 下村 002002 (1000, 350)
        上村 has groups 上村一组 002001001 (800, 260) and 上村二组 002001002 (700, 240).
    """
    def r(code, name, level, parent, pop, hh, urban, lon, lat):
        return {"region_code": code, "name": name, "level": level, "parent_code": parent, "population": pop,
                "households": hh, "is_urban": urban, "lon": lon, "lat": lat}

    return [
        r(CITY, "示范市", "city", None, 8500, 2850, True, 106.75, 22.10),
        r("451481001000", "城东街道", "township", CITY, 6000, 2000, True, 106.76, 22.11),
        r("451481001001", "东门社区", "village", "451481001000", 3000, 1000, True, 106.761, 22.111),
        r("451481001002", "南门社区", "village", "451481001000", 2000, 700, True, 106.762, 22.105),
        r("451481001003", "西门社区", "village", "451481001000", 1000, 300, True, 106.755, 22.108),
        r("451481002000", "河西镇", "township", CITY, 2500, 850, False, 106.70, 22.08),
        r("451481002001", "上村", "village", "451481002000", 1500, 500, False, 106.701, 22.085),
        r("451481002002", "下村", "village", "451481002000", 1000, 350, False, 106.695, 22.075),
        r("451481002001001", "上村一组", "group", "451481002001", 800, 260, False, 106.7012, 22.0852),
        r("451481002001002", "上村二组", "group", "451481002001", 700, 240, False, 106.7008, 22.0848),
    ]


def open_page(page: str, *, timeout: int = 120, **query_params):
    """dashboard.py under AppTest (the database is $SITREP_DB, as the caller set it) with these URL
    parameters, then pages/PAGE.py; asserts that neither run raised."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
    for k, v in query_params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def kpi_strip_cards(at) -> dict[str, dict]:
    """The Overview's KPI strip (sitrep.situation_html.kpi_strip_html) as shown under AppTest:
    {kpi: {status, label, value, help, delta, sense}} (label without its icon and status word)."""
    import html as html_lib
    import re

    body = "\n".join(el.proto.body for el in at.get("html"))
    cards = {}
    for m in re.finditer(r'<div class="kpi-card sit-\w+" data-kpi="([^"]+)" data-status="(\w+)" title="([^"]*)">'
                         r'<div class="kpi-label">(.*?)</div><div class="kpi-value">(.*?)</div>'
                         r'(?:<div class="kpi-delta kpi-(\w+)">(.*?)</div>)?', body):
        label = re.sub(r"<span[^>]*>.*?</span>", "", m.group(4))
        cards[m.group(1)] = {"status": m.group(2), "help": html_lib.unescape(m.group(3)),
                             "label": html_lib.unescape(label), "value": html_lib.unescape(m.group(5)),
                             "sense": m.group(6), "delta": html_lib.unescape(m.group(7) or "")}
    return cards

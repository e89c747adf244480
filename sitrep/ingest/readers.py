"""Turning an export file into rows of text: file kind, encoding, title rows, header row.

Everything leaves here as a :class:`RawTable`: the header cells as written, an Arrow
table with one string column per file column (``c0``, ``c1``, ...) plus ``_row``, the
row number the user sees in Excel. Nothing here knows the contract's types; values are
checked later in SQL.

CSV is the bulk path (a million-row export must take seconds): the bytes are parsed by
pyarrow's multi-threaded CSV reader, which also transcodes GB18030 in blocks. Only a
file with ragged rows (a record with more or fewer fields than the header) goes through
Python's ``csv`` module, which can say exactly which row is wrong.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from openpyxl.utils import get_column_letter

from sitrep.ingest.report import both_languages

# How many rows from the top may hold titles before the header row.
HEADER_SEARCH_ROWS = 20
# Bytes looked at to tell the encoding and find the header.
PREFIX_BYTES = 1 << 16

# What an import file may hold: a hostile or broken file is refused, with a message naming the
# limit, before it costs memory (an XLSX is checked as a zip before any of it is parsed).
MAX_CELL_CHARS = 32_767            # Excel's own limit for one cell
MAX_COLUMNS = 1_000                # filled columns in a row
MAX_ROWS = 5_000_000               # data rows in a file
MAX_LINE_BYTES = 256 << 20         # one CSV record
MAX_XLSX_UNCOMPRESSED = 1 << 30    # bytes of all the parts of a workbook, unpacked
MAX_XLSX_RATIO = 100               # unpacked : packed size of one part (above 1 MB unpacked)
XLSX_RATIO_FLOOR = 1 << 20
# One cell in the sheet's XML: up to 8 bytes a character (&#21306; is one Chinese character).
_XML_RUN_BYTES = MAX_CELL_CHARS * 8 + 1024

# Python's csv module refuses fields over 128 KB with an error that says nothing of the row; the
# limits above judge a long field instead.
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))


class ReadError(Exception):
    """The file cannot be read as a table: a file-level problem with a reason code."""

    def __init__(self, reason: str, **detail):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass
class RawTable:
    headers: list[str]  # header cells as written, one per column
    data: pa.Table  # c0..c{n-1} (string) + _row (int64, Excel row number)
    header_row: int  # Excel row number of the header
    encoding: str | None = None
    sheet: str | None = None
    # (excel row, number of surplus values) for ragged CSV records
    extra_values: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Features:
    """A GeoJSON file: one entry per feature."""

    properties: list[dict]
    geometries: list[dict | None]


def column_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def file_kind(path: Path) -> str:
    """'csv', 'xlsx' or 'geojson', from the first bytes first and the extension second
    (a workbook renamed .csv is still a workbook)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    ext = path.suffix.lower()
    if ext in (".xlsx", ".xlsm"):
        return "xlsx"
    if ext in (".geojson", ".json"):
        return "geojson"
    if ext == ".xls":
        return "xls"
    return "csv"


# ---------------------------------------------------------------- CSV


def detect_encoding(prefix: bytes, complete: bool) -> str:
    """'utf8' (with or without BOM) or 'gb18030', from the first bytes of the file.

    NUL or other control bytes near the start, or bytes that are neither UTF-8 nor
    GB18030, mean the file is not text at all.
    """
    head = prefix[:1024]
    if b"\x00" in head or any(b < 0x20 and b not in (9, 10, 12, 13, 26) for b in head):
        raise ReadError("not_text")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)("strict").decode(prefix, final=complete)
            return "utf8" if enc == "utf-8-sig" else "gb18030"
        except UnicodeDecodeError:
            continue
    raise ReadError("not_text")


def decode_prefix(prefix: bytes, encoding: str, complete: bool) -> str:
    enc = "utf-8-sig" if encoding == "utf8" else encoding
    return codecs.getincrementaldecoder(enc)("replace").decode(prefix, final=complete)


def find_header_row(rows: list[list[str]], score: Callable[[list[str]], int]) -> int:
    """Index of the header among the first rows: the row matching the most known headers
    (at least 2; the first such row on a tie). Title rows above it are skipped. With no
    such row, the first non-blank row is taken as the header (and mapping will say
    what is missing)."""
    best, best_score = None, 1
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        s = score(cells)
        if s > best_score:
            best, best_score = i, s
    if best is not None:
        return best
    for i, cells in enumerate(rows):
        if any(str(c).strip() for c in cells):
            return i
    raise ReadError("empty")


def peek_csv(path: Path, score: Callable[[list[str]], int]) -> tuple[list[str], int, str]:
    """Header cells, header record index (0-based) and encoding, from the first bytes."""
    with open(path, "rb") as f:
        prefix = f.read(PREFIX_BYTES + 1)
    complete = len(prefix) <= PREFIX_BYTES
    prefix = prefix[:PREFIX_BYTES]
    if not prefix.strip() or not prefix.lstrip(b"\xef\xbb\xbf").strip():
        raise ReadError("empty")
    encoding = detect_encoding(prefix, complete)
    text = decode_prefix(prefix, encoding, complete)
    if not complete:  # drop the last, possibly cut, line
        text = text[: text.rfind("\n") + 1] or text
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            rows.append(cells)
            if len(rows) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        raise ReadError("not_text") from None
    if not rows:
        raise ReadError("empty")
    k = find_header_row(rows, score)
    return rows[k], k, encoding


def read_csv(path: Path, score: Callable[[list[str]], int]) -> RawTable:
    headers, k, encoding = peek_csv(path, score)
    if len(headers) > MAX_COLUMNS:
        raise ReadError("too_many_columns", row=k + 1, count=len(headers), limit=MAX_COLUMNS)
    n = max(len(headers), 1)
    headers = headers + [""] * (n - len(headers))
    header_row = k + 1
    try:
        data = _read_csv_arrow(path, n, k + 1, encoding)
        extra: list[tuple[int, int]] = []
    except _RaggedRows:
        data, headers, extra = _read_csv_python(path, headers, k + 1, encoding)
    except UnicodeDecodeError:
        if encoding != "utf8":
            raise ReadError("not_text") from None
        encoding = "gb18030"  # the first 64 KB were UTF-8 but later bytes are not: GBK after all
        try:
            data = _read_csv_arrow(path, n, k + 1, encoding)
            extra = []
        except _RaggedRows:
            data, headers, extra = _read_csv_python(path, headers, k + 1, encoding)
        except UnicodeDecodeError:
            raise ReadError("not_text") from None
    if data.num_rows > MAX_ROWS:
        raise ReadError("too_many_rows", count=data.num_rows, limit=MAX_ROWS)
    check_cells(data, headers, first_row=header_row + 1)
    rows = pa.array(range(header_row + 1, header_row + 1 + data.num_rows), type=pa.int64())
    data = data.append_column("_row", rows)
    return RawTable(headers, data, header_row, encoding=encoding, extra_values=extra)


def check_cells(data: pa.Table, headers: list[str], first_row: int) -> None:
    """ReadError ``cell_too_large`` naming the first cell (Excel row, column) longer than MAX_CELL_CHARS."""
    for i, name in enumerate(data.column_names):
        if name == "_row" or not len(data):
            continue
        lengths = pc.utf8_length(data.column(name))
        if (pc.max(lengths).as_py() or 0) > MAX_CELL_CHARS:
            at = pc.index(pc.greater(lengths, MAX_CELL_CHARS), True).as_py()
            column = headers[i] if i < len(headers) and headers[i].strip() else f"({both_languages('ingest.blank_column', n=i + 1)})"
            raise ReadError("cell_too_large", row=first_row + at, column=column,
                            chars=f"{lengths[at].as_py():,}", limit=f"{MAX_CELL_CHARS:,}")


class _RaggedRows(Exception):
    pass


def _read_csv_arrow(path: Path, n: int, skip: int, encoding: str) -> pa.Table:
    """pyarrow's parallel parser.

    GB18030 is parsed as bytes and decoded column by column afterwards: none of its
    multi-byte characters contains the byte of a comma, a quote or a line end, so the
    split is right, and decoding whole columns (or only their distinct values) is much
    cheaper than transcoding the file in front of the parser.
    """
    names = column_names(n)
    ragged = []

    def on_invalid(row):
        ragged.append(row)
        return "error"

    col_type = pa.string() if encoding == "utf8" else pa.binary()
    block = 1 << 22
    while True:
        try:
            return _read_csv_blocks(path, names, skip, encoding, col_type, block, on_invalid, ragged)
        except _LongRecord:
            # a record longer than a block (one long line): its content is judged, with blocks as
            # large as the longest record allowed
            if block >= MAX_LINE_BYTES:
                raise ReadError("line_too_long", limit=f"{MAX_LINE_BYTES >> 20} MB") from None
            block = min(block * 4, MAX_LINE_BYTES)


class _LongRecord(Exception):
    pass


def _read_csv_blocks(path: Path, names: list[str], skip: int, encoding: str, col_type, block: int, on_invalid,
                     ragged: list) -> pa.Table:
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip, block_size=block),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, newlines_in_values=True,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={c: col_type for c in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as e:
        if ragged:
            raise _RaggedRows() from None
        msg = str(e).lower()
        if "straddl" in msg or "block size" in msg:
            raise _LongRecord() from None
        if "utf8" in msg or "utf-8" in msg:
            raise UnicodeDecodeError("utf-8", b"", 0, 1, str(e)) from None
        raise ReadError("not_text") from None
    if encoding == "utf8":
        return table
    return pa.table({name: decode_column(table.column(name), encoding) for name in names})


def decode_column(col: pa.ChunkedArray, encoding: str) -> pa.ChunkedArray:
    """A binary column in ``encoding`` as UTF-8 strings. ASCII chunks are only relabelled;
    repetitive ones (categories, place names) decode their distinct values; the rest
    (names) decode in one piece with NUL separators marking where each value ends."""
    out = []
    for chunk in col.chunks:
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = chunk.buffers()[2]
        body = np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]] if data is not None else np.zeros(0)
        if not body.size or body.max() < 0x80:
            out.append(chunk.view(pa.string()))
            continue
        try:
            coded = pc.dictionary_encode(chunk)
            if len(coded.dictionary) * 4 <= len(chunk):
                words = [b.decode(encoding) for b in coded.dictionary.to_pylist()]
                out.append(pc.take(pa.array(words, pa.string()), coded.indices))
            else:
                out.append(_decode_whole(offsets, body, encoding))
        except UnicodeDecodeError:
            raise ReadError("not_text") from None
    return pa.chunked_array(out, pa.string())


def _decode_whole(offsets, body, encoding: str) -> pa.Array:
    n = len(offsets) - 1
    sep = (offsets[1:] - offsets[0]) + np.arange(n)  # where each value ends, once separators are in
    joined = np.zeros(body.size + n, dtype=np.uint8)
    keep = np.ones(joined.size, dtype=bool)
    keep[sep] = False
    joined[keep] = body
    utf8 = np.frombuffer(joined.tobytes().decode(encoding).encode("utf-8"), dtype=np.uint8)
    ends = np.flatnonzero(utf8 == 0)
    if ends.size != n:  # a NUL inside a value: not text
        raise ReadError("not_text")
    new_offsets = np.empty(n + 1, dtype=np.int64)
    new_offsets[0] = 0
    new_offsets[1:] = ends - np.arange(n)
    if new_offsets[-1] < 2**31:
        return pa.StringArray.from_buffers(n, pa.py_buffer(new_offsets.astype(np.int32)), pa.py_buffer(utf8[utf8 != 0]))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(new_offsets), pa.py_buffer(utf8[utf8 != 0])).cast(
        pa.string())


def _read_csv_python(path: Path, headers: list[str], skip: int, encoding: str):
    """The exact path: every record numbered, short records padded, surplus values reported."""
    enc = "utf-8-sig" if encoding == "utf8" else encoding
    text = path.read_bytes().decode(enc)  # raises UnicodeDecodeError for the caller
    reader = csv.reader(io.StringIO(text, newline=""))
    n = len(headers)
    cols: list[list[str]] = [[] for _ in range(n)]
    extra: list[tuple[int, int]] = []
    record = 0
    try:
        for cells in reader:
            record += 1
            if record <= skip:
                continue
            if len(cells) > n:
                surplus = [c for c in cells[n:] if c.strip()]
                if surplus:
                    extra.append((record, len(cells) - n))
            for i in range(n):
                cols[i].append(cells[i] if i < len(cells) else "")
    except csv.Error:
        raise ReadError("not_text") from None
    data = pa.table({name: pa.array(col, type=pa.string()) for name, col in zip(column_names(n), cols)})
    return data, headers, extra


# ---------------------------------------------------------------- XLSX


def cell_text(v) -> str:
    """One XLSX cell as the text a user would have typed: dates ISO, whole floats as ints."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        if v.hour == v.minute == v.second == v.microsecond == 0:
            return v.date().isoformat()
        return v.isoformat(sep=" ", timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.isoformat(timespec="seconds")
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    return str(v)


def check_xlsx(path: Path) -> None:
    """Refuse a workbook that would cost memory out of proportion before openpyxl parses any of
    it: more than MAX_XLSX_UNCOMPRESSED bytes unpacked, a part packed more than MAX_XLSX_RATIO
    times (a zip bomb), or a cell of its sheets or shared strings longer than MAX_CELL_CHARS
    (found in the XML as it is unpacked, a megabyte at a time)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ReadError("bad_xlsx", error=f"{type(e).__name__}: {e}"[:300]) from None
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > MAX_XLSX_UNCOMPRESSED:
            raise ReadError("xlsx_too_large", size=f"{total / 2 ** 20:,.0f} MB",
                            limit=f"{MAX_XLSX_UNCOMPRESSED / 2 ** 20:,.0f} MB")
        for info in infos:
            if info.file_size > XLSX_RATIO_FLOOR and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise ReadError("xlsx_ratio", part=info.filename, ratio=f"{ratio:,.0f}", limit=MAX_XLSX_RATIO)
        for info in infos:
            name = info.filename
            if name.endswith(".xml") and (name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml"):
                _check_xml_runs(zf, info)


def _check_xml_runs(zf, info) -> None:
    """ReadError when a text run of the part (bytes between two tags) could hold more than
    MAX_CELL_CHARS characters; in a sheet the message names the cell (its row and column)."""

    cell_re = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"')

    def last_cell(chunk: bytes, before: int):
        at = chunk.rfind(b"<c ", 0, before)
        return cell_re.match(chunk, at) if at >= 0 else None

    tail = 0          # length of the run still open at the end of the previous chunk
    cell = None       # the last cell reference of the previous chunks
    with zf.open(info) as f:
        while chunk := f.read(1 << 20):
            tags = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == ord("<"))
            if tags.size == 0:
                tail += len(chunk)
                longest, run_start = tail, 0
            else:
                gaps = np.diff(tags) - 1
                inner = int(gaps.max()) if gaps.size else -1
                longest, run_start = tail + int(tags[0]), 0
                if inner > longest:
                    longest, run_start = inner, int(tags[int(gaps.argmax())]) + 1
                tail = len(chunk) - int(tags[-1]) - 1
                if tail > longest:
                    longest, run_start = tail, int(tags[-1]) + 1
            if longest > _XML_RUN_BYTES:
                where = last_cell(chunk, run_start) or cell
                detail = {"limit": f"{MAX_CELL_CHARS:,}", "part": info.filename}
                if info.filename.startswith("xl/worksheets/") and where is not None:
                    raise ReadError("cell_too_large", row=int(where.group(2)), column=where.group(1).decode(),
                                    chars=f"> {MAX_CELL_CHARS:,}", **detail)
                raise ReadError("cell_too_large_part", **detail)
            cell = last_cell(chunk, len(chunk)) or cell


class _Workbook:
    """An open read-only workbook and the file under it (a file object, so a workbook
    saved under another extension still opens). Checked as a zip first (:func:`check_xlsx`)."""

    def __init__(self, path: Path):
        check_xlsx(path)
        self.file = open(path, "rb")
        try:
            self.wb = openpyxl.load_workbook(self.file, read_only=True, data_only=True)
        except Exception as e:  # zip errors, bad XML: not a workbook we can read
            self.file.close()
            raise ReadError("bad_xlsx", error=f"{type(e).__name__}: {e}"[:300]) from None

    def close(self) -> None:
        try:
            self.wb.close()
        finally:
            self.file.close()


def _open_sheet(path: Path, sheet: str | None):
    wb = _Workbook(path)
    names = wb.wb.sheetnames
    if sheet is None:
        return wb, wb.wb.worksheets[0], names[0]
    if sheet not in names:
        wb.close()
        raise ReadError("no_sheet", sheet=sheet, sheets="、".join(names))
    return wb, wb.wb[sheet], sheet


def peek_xlsx(path: Path, sheet: str | None, score: Callable[[list[str]], int]) -> list[str]:
    wb, ws, _ = _open_sheet(path, sheet)
    try:
        rows = []
        for _, cells in _sheet_rows(ws, max_row=HEADER_SEARCH_ROWS):
            rows.append(cells)
    finally:
        wb.close()
    if not rows:
        raise ReadError("empty")
    return rows[find_header_row(rows, score)]


def _sheet_rows(ws, max_row: int | None = None):
    """(Excel row number, cell texts) of each row of a read-only sheet, empty rows included,
    within the limits: a row with a filled cell past MAX_COLUMNS, more than MAX_ROWS rows or
    a cell longer than MAX_CELL_CHARS raise ReadError naming the row (and the cell).

    Every row the sheet's XML holds is read: openpyxl would otherwise stop at the size the sheet
    declares (its ``<dimension>``), and a row past it would be dropped without a word."""
    ws.reset_dimensions()
    excel_row = 0
    for values in ws.iter_rows(values_only=True, max_row=max_row):
        excel_row += 1
        if excel_row > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise ReadError("too_many_rows", count=f"> {MAX_ROWS:,}", limit=f"{MAX_ROWS:,}")
        cells = [cell_text(v) for v in values]
        if len(cells) > MAX_COLUMNS and any(c.strip() for c in cells[MAX_COLUMNS:]):
            raise ReadError("too_many_columns", row=excel_row, count=f"> {MAX_COLUMNS:,}", limit=MAX_COLUMNS)
        if cells and max(map(len, cells)) > MAX_CELL_CHARS:
            i = next(i for i, text in enumerate(cells) if len(text) > MAX_CELL_CHARS)
            raise ReadError("cell_too_large", row=excel_row, column=get_column_letter(i + 1),
                            chars=f"{len(cells[i]):,}", limit=f"{MAX_CELL_CHARS:,}")
        yield excel_row, cells[:MAX_COLUMNS]


def read_xlsx(path: Path, sheet: str | None, score: Callable[[list[str]], int]) -> RawTable:
    wb, ws, sheet_name = _open_sheet(path, sheet)
    try:
        it = _sheet_rows(ws)
        top = []
        for _, cells in it:
            top.append(cells)
            if len(top) >= HEADER_SEARCH_ROWS:
                break
        if not top:
            raise ReadError("empty")
        k = find_header_row(top, score)
        headers = list(top[k])
        cols: list[list[str]] = [[] for _ in headers]
        rows: list[int] = []

        def add(excel_row: int, cells: list) -> None:
            # Cells right of the header get columns of their own (blank header): the
            # mapping reports them as ignored instead of dropping them unseen.
            if len(cells) > len(cols):
                last = max((i for i in range(len(cols), len(cells)) if cells[i].strip()), default=-1)
                while len(cols) <= last:
                    cols.append([""] * len(rows))
                    headers.append("")
            rows.append(excel_row)
            for i, col in enumerate(cols):
                col.append(cells[i] if i < len(cells) else "")

        for j, cells in enumerate(top[k + 1:]):
            add(k + 2 + j, cells)
        # read-only sheets yield every row in order, empty ones included
        for excel_row, cells in it:
            add(excel_row, cells)
    except ReadError:
        raise
    except Exception as e:
        raise ReadError("bad_xlsx", error=f"{type(e).__name__}: {e}") from None
    finally:
        wb.close()
    if not cols:
        cols, headers = [[""] * len(rows)], [""]
    data = pa.table({name: pa.array(col, type=pa.string()) for name, col in zip(column_names(len(cols)), cols)})
    data = data.append_column("_row", pa.array(rows, type=pa.int64()))
    return RawTable(headers, data, k + 1, sheet=sheet_name)


# ---------------------------------------------------------------- GeoJSON


def read_geojson(path: Path) -> Features:
    raw = path.read_bytes()
    if not raw.strip():
        raise ReadError("empty")
    if b"\x00" in raw[:1024]:
        raise ReadError("not_text")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ReadError("bad_geojson", error=str(e)[:200]) from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        feats = [doc]
    elif isinstance(doc, dict) and isinstance(doc.get("features"), list):
        feats = doc["features"]
    else:
        raise ReadError("bad_geojson", error="not a FeatureCollection")
    props, geoms = [], []
    for f in feats:
        f = f if isinstance(f, dict) else {}
        props.append(f.get("properties") or {})
        geoms.append(f.get("geometry"))
    return Features(props, geoms)

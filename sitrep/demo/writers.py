"""Writing demo tables as the export files real offices send: Chinese headers from the
contract, enum values as Chinese labels (or codes), dates in the file's own style, CSV
in UTF-8, UTF-8 with BOM or GB18030, XLSX with a title row above the header, GeoJSON.

Big tables are written chunk by chunk (:class:`CsvSink`), so memory stays bounded.
Every file is byte-identical for the same data (XLSX time stamps are pinned).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from sitrep import contract

# XLSX files carry creation times; pin them so the same seed gives the same bytes.
PINNED_TIME = (2022, 3, 31, 18, 0, 0)
PINNED_ISO = "2022-03-31T18:00:00Z"


@dataclass(frozen=True)
class FileSpec:
    """How one office writes its export."""

    table: str
    filename: str
    encoding: str = "utf-8-sig"      # CSV only: utf-8, utf-8-sig, gb18030
    dates: str = "iso"               # iso 2022-01-15, slash 2022/1/15, cn 2022年1月15日, compact 20220115, excel (XLSX cells)
    enums: str = "zh"                # zh labels or code
    bools: tuple[str, str] = ("是", "否")
    region: str = "code"             # code, or names (township + village names)
    title: str | None = None         # XLSX: title row above the header
    subtitle: str | None = None      # XLSX: a second line (who filled it in, as of when)
    keep: tuple[str, ...] = ()       # columns already holding their final text

    @property
    def is_xlsx(self) -> bool:
        return self.filename.endswith(".xlsx")


def columns_for(spec: FileSpec, df: pd.DataFrame) -> list[contract.Column]:
    """The contract's columns present in df, in contract order; region_code replaced by
    township + village when the file names regions."""
    table = contract.TABLES_BY_NAME[spec.table]
    cols = []
    for c in table.columns:
        if c.name not in df.columns:
            continue
        if c.name == "region_code" and spec.region == "names":
            cols += [contract.TOWNSHIP, contract.VILLAGE]
        else:
            cols.append(c)
    return cols


def header(spec: FileSpec, df: pd.DataFrame) -> list[str]:
    return [c.zh for c in columns_for(spec, df)]


# ------------------------------------------------------------------------------ values

def _days(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(day numbers since 1970, missing mask) of a column of dates."""
    v = pd.to_datetime(s).to_numpy().astype("datetime64[D]")
    missing = np.isnat(v)
    return v.astype(np.int64), missing


def format_date(d: date, style: str) -> str:
    if style == "iso":
        return d.isoformat()
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "compact":
        return d.strftime("%Y%m%d")
    raise ValueError(style)


def format_timestamp(t: datetime, style: str) -> str:
    if style == "iso":
        return t.strftime("%Y-%m-%d %H:%M")
    if style == "slash":
        return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"
    if style == "cn":
        return f"{t.year}年{t.month}月{t.day}日 {t.hour}时{t.minute}分"
    raise ValueError(style)


def _blank(v) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and v != v) or v is pd.NA


def column_values(col: contract.Column, s: pd.Series, spec: FileSpec) -> np.ndarray:
    """Values of one column as written: text for CSV; numbers and dates stay typed in XLSX."""
    n = len(s)
    excel = spec.is_xlsx
    if col.name in spec.keep:
        return np.array(["" if _blank(v) else v for v in s.tolist()], dtype=object)
    if col.type == "date":
        days, missing = _days(s)
        out = np.full(n, None if excel else "", dtype=object)
        uniq, inv = np.unique(days[~missing], return_inverse=True)
        as_dates = [date.fromordinal(int(u) + 719163) for u in uniq]  # 719163 = ordinal of 1970-01-01
        texts = np.array(as_dates if spec.dates == "excel" else [format_date(d, spec.dates) for d in as_dates],
                         dtype=object)
        if len(uniq):
            out[~missing] = texts[inv]
        return out
    if col.type == "timestamp":
        vals = []
        for v in s.tolist():
            if _blank(v):
                vals.append(None if excel else "")
            else:
                v = pd.Timestamp(v).to_pydatetime()
                vals.append(v if spec.dates == "excel" else format_timestamp(v, spec.dates))
        return np.array(vals, dtype=object)
    if not excel:
        return _csv_text(col, s, spec)
    if col.type == "enum":
        mapping = {e[0]: (e[1] if spec.enums == "zh" else e[0]) for e in col.enum}
        return np.array(["" if _blank(v) else mapping.get(v, v) for v in s.tolist()], dtype=object)
    if col.type == "bool":
        yes, no = spec.bools
        return np.array(["" if _blank(v) else (yes if v else no) for v in s.tolist()], dtype=object)
    if col.type == "int":
        return np.array([None if _blank(v) else int(v) for v in s.tolist()], dtype=object)
    if col.type == "float":
        return np.array([None if _blank(v) else (int(v) if float(v).is_integer() else float(v))
                         for v in s.tolist()], dtype=object)
    return np.array([None if _blank(v) else str(v) for v in s.tolist()], dtype=object)


def _text(s: pd.Series) -> np.ndarray:
    return s.astype(object).where(s.notna(), "").to_numpy(dtype=object)


def _csv_text(col: contract.Column, s: pd.Series, spec: FileSpec) -> np.ndarray:
    """CSV cells of a non-date column, vectorised (the big tables go through here)."""
    if col.type == "enum":
        mapping = {e[0]: (e[1] if spec.enums == "zh" else e[0]) for e in col.enum}
        mapped = s.map(mapping)
        return _text(mapped.where(mapped.notna(), s))
    if col.type == "bool":
        yes, no = spec.bools
        v = s.to_numpy(dtype=object)
        missing = s.isna().to_numpy()
        return np.where(missing, "", np.where(v.astype(bool) & ~missing, yes, no)).astype(object)
    if col.type == "int" and s.dtype.kind in "iu":
        return s.astype(str).to_numpy(dtype=object)
    if col.type in ("int", "float"):
        out = []
        for v in s.tolist():
            if _blank(v):
                out.append("")
            elif col.type == "int" or float(v).is_integer():
                out.append(str(int(v)))
            else:
                out.append(repr(float(v)))
        return np.array(out, dtype=object)
    return _text(s)


def formatted(spec: FileSpec, df: pd.DataFrame, names: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """df with the file's headers and written values. `names`: region_code -> (township
    name, village name), for files that give regions by names."""
    out = {}
    for col in columns_for(spec, df):
        if col is contract.TOWNSHIP:
            out[col.zh] = np.array([names[c][0] for c in df["region_code"]], dtype=object)
        elif col is contract.VILLAGE:
            out[col.zh] = np.array([names[c][1] for c in df["region_code"]], dtype=object)
        else:
            out[col.zh] = column_values(col, df[col.name], spec)
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------ files


class CsvSink:
    """A CSV export written in chunks: header on the first chunk, then rows."""

    def __init__(self, path: Path, spec: FileSpec, names=None):
        self.path = Path(path)
        self.spec = spec
        self.names = names
        self.rows = 0
        self._fh = None

    def write(self, df: pd.DataFrame) -> None:
        f = formatted(self.spec, df, self.names)
        if self._fh is None:
            self._fh = open(self.path, "w", encoding=self.spec.encoding, newline="")
            csv.writer(self._fh, lineterminator="\r\n").writerow(list(f.columns))
        f.to_csv(self._fh, index=False, header=False, lineterminator="\r\n")
        self.rows += len(f)

    def close(self) -> Path:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        return self.path


def write_csv(path: Path, spec: FileSpec, df: pd.DataFrame, names=None) -> Path:
    sink = CsvSink(path, spec, names)
    sink.write(df)
    return sink.close()


def write_xlsx(path: Path, spec: FileSpec, df: pd.DataFrame, names=None) -> Path:
    """One sheet: the title row(s), the header, the rows (openpyxl write-only mode)."""
    f = formatted(spec, df, names)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=contract.TABLES_BY_NAME[spec.table].zh.replace("/", "_"))
    if spec.title:
        ws.append([spec.title])
    if spec.subtitle:
        ws.append([spec.subtitle])
    ws.append(list(f.columns))
    for row in f.itertuples(index=False, name=None):
        ws.append(list(row))
    wb.save(path)
    _pin_zip(Path(path))
    return Path(path)


def _pin_zip(path: Path) -> None:
    """Rewrite an XLSX with fixed time stamps (zip entries and document properties)."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              rb"\g<1>" + PINNED_ISO.encode() + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=PINNED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    path.write_bytes(buf.getvalue())


def write_geojson(path: Path, collection: dict) -> Path:
    Path(path).write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return Path(path)


def write_table(path: Path, spec: FileSpec, df: pd.DataFrame, names=None) -> Path:
    return write_xlsx(path, spec, df, names) if spec.is_xlsx else write_csv(path, spec, df, names)

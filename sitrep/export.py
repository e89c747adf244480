"""Safe table exports: CSV (UTF-8 with BOM, so Excel and WPS open it right) and XLSX.

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
return) are neutralised with a leading apostrophe. Numbers stay numbers: only text cells
are touched, so a negative number is not mangled.
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (headers too)."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    # CRLF line ends, as Excel writes: the csv module then quotes any cell holding a CR or LF, so a
    # carriage return inside a cell cannot start a new row
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    frame = safe_frame(df)
    # Excel cannot store timezone-aware datetimes.
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31] or "data")
    return buf.getvalue()

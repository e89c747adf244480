"""Safe table exports: CSV (UTF-8 with BOM, so Excel and WPS open it right) and XLSX.

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
return) are neutralised with a leading apostrophe. Numbers stay numbers: only text cells
are touched, so a negative number is not mangled.

XLSX cannot hold most control characters (XML 1.0 forbids them; openpyxl raises): they are
removed from the XLSX, before the formula check (so "\x0b=1+1" leaves as "'=1+1", never as a
formula), and a second sheet says how many cells of which columns lost which characters.
"""

from __future__ import annotations

import io
import re

import pandas as pd

from sitrep import i18n

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Control characters and spaces a spreadsheet may skip before it sees the "=".
_LEADING = re.compile(r"^[\x00-\x20]+")


def neutralise(value):
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS)
                                   or _LEADING.sub("", value, count=1).startswith(FORMULA_STARTS)):
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


# What an XLSX cell cannot hold: control characters but tab, LF and CR (openpyxl's own rule), lone
# surrogates and the two non-characters XML forbids.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
NOTES_SHEET = "说明 notes"


def xlsx_clean(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """A copy without the characters XLSX cannot hold (headers too), and {column: cells changed}."""
    out = df.copy()
    changed: dict[str, int] = {}
    headers = []
    for col in out.columns:
        text = str(col)
        clean = XLSX_ILLEGAL.sub("", text)
        if clean != text:
            changed[clean] = changed.get(clean, 0) + 1
        headers.append(clean)
    for col, header in zip(list(out.columns), headers):
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            bad = series.map(lambda v: isinstance(v, str) and XLSX_ILLEGAL.search(v) is not None)
            if bad.any():
                out[col] = series.map(lambda v: XLSX_ILLEGAL.sub("", v) if isinstance(v, str) else v)
                changed[header] = changed.get(header, 0) + int(bad.sum())
    out.columns = headers
    return out, changed


def stripped_note(changed: dict[str, int], lang: str) -> str:
    columns = ("、" if lang == "zh" else ", ").join(f"{c} ({n})" for c, n in changed.items())
    return i18n.t("common.export_stripped", lang, cells=sum(changed.values()), columns=columns)


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    cleaned, changed = xlsx_clean(df)
    frame = safe_frame(cleaned)
    # Excel cannot store timezone-aware datetimes.
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31] or "data")
        if changed:  # said in the file itself: the data sheet stays first and active
            notes = pd.DataFrame({"": [stripped_note(changed, "zh"), stripped_note(changed, "en")]})
            notes.to_excel(writer, index=False, header=False, sheet_name=NOTES_SHEET)
    return buf.getvalue()

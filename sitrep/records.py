"""The records behind a number, as a reader reads them: column headers from the contract (the Chinese header in
Chinese, the English name in English), enumeration codes as their labels, dates without a time of day, yes/no
for flags, and the township and village named beside each region code (the code stays for analysts).

A plain function over a DataFrame: masking (which works on the column names name, id_number and phone) is done
on the values :func:`present` returns, and the headers it gives are applied after it (``sitrep.ui.widgets.table``
takes them as ``column_labels``).
"""

from __future__ import annotations

import pandas as pd

from sitrep import i18n

# derived columns whose values are the returnees' measure codes, or one of these states
_STAGE_STATES = ("released", "positive", "not_started", "unclassified", "no_measure")


def _states(column: str, tables: tuple[str, ...], lang: str) -> dict[str, str] | None:
    """Labels of the codes of derived columns that are not contract enumerations."""
    if column == "stage_on_day":
        return {s: i18n.t(f"records.states.{s}", lang) for s in _STAGE_STATES}
    if column == "order_state":  # the orders' state on the day (orders_records_issued), as the command page says it
        return {s: i18n.t(f"command.stage.{s}", lang) for s in ("closed_on_time", "closed_late", "open_in_time",
                                                                "open_overdue")}
    if column == "status" and tables == ("import_log",):  # the reporting records (quality_reporting_records)
        return {s: i18n.t(f"records.reporting.{s}", lang) for s in ("on_time", "late", "unknown", "missing", "pending")}
    return None


def _is_date_only(s: pd.Series) -> bool:
    if not pd.api.types.is_datetime64_any_dtype(s):
        return False
    v = s.dropna()
    return len(v) == 0 or bool((v == v.dt.normalize()).all())


def present(df: pd.DataFrame, *, tables: tuple[str, ...], lang: str,
            regions: dict[str, dict] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """(values for the reader, {column: header}) of records read from ``tables`` (the KPI's tables in the
    catalogue): codes as labels and headers by sitrep.i18n (display_codes, display_labels), plus the states of
    derived columns, yes/no, dates without a time, and the township and village beside the region code."""
    out = i18n.display_codes(df, lang, tables)
    for col in list(out.columns):
        s = out[col]
        states = _states(col, tuple(tables), lang)
        if states is not None:
            out[col] = [states.get(v, v) if isinstance(v, str) else v for v in s]
        elif pd.api.types.is_bool_dtype(s) or (s.dtype == object and len(s.dropna())
                                               and s.dropna().map(lambda v: isinstance(v, bool)).all()):
            yes, no = i18n.t("records.yes", lang), i18n.t("records.no", lang)
            out[col] = [None if pd.isna(v) else (yes if bool(v) else no) for v in s.astype(object)]
        elif _is_date_only(s):
            out[col] = s.dt.date
    if regions is not None and "region_code" in out.columns and "village" not in out.columns:
        # the township and village beside the code, unless the records name them already
        codes = out["region_code"]

        def name(code, level: str) -> str | None:
            """The name of the township (or village) the code lies in, when there is one."""
            if not isinstance(code, str) or len(code) < 12:
                return None
            r = regions.get(code[:9] + "000" if level == "township" else code[:12])
            return r["name"] if r and r.get("level") == level else None

        at = list(out.columns).index("region_code") + 1
        if not {"township", "township_name"} & set(out.columns):
            out.insert(at, "township", codes.map(lambda c: name(c, "township")))
            at += 1
        if not {"village_name"} & set(out.columns):
            out.insert(at, "village", codes.map(lambda c: name(c, "village")))
    # an empty cell stays empty (a table would write "None", an English word, in a Chinese page); the column is
    # then text throughout (dates as 2022-01-16), so that a table (Arrow) takes it as it is
    for col in out.columns:
        if out[col].isna().any():
            out[col] = out[col].map(_cell_text)
    return out, i18n.display_labels(out.columns, lang, tables)


def _cell_text(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat(sep=" ") if hasattr(v, "hour") and (v.hour or v.minute) else v.strftime("%Y-%m-%d")
    return str(v)

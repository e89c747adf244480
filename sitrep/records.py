"""The records behind a number, as a reader reads them: column headers from the contract (the Chinese header in
Chinese, the English name in English), enumeration codes as their labels, dates without a time of day, yes/no
for flags, and the township and village named beside each region code (the code stays for analysts).

A plain function over a DataFrame: masking (which works on the column names name, id_number and phone) is done
on the values :func:`present` returns, and the headers it gives are applied after it (``sitrep.ui.widgets.table``
takes them as ``column_labels``).
"""

from __future__ import annotations

import pandas as pd

from sitrep import contract, i18n

# derived columns whose values are the returnees' measure codes, or one of these states
_STAGE_STATES = ("released", "positive", "not_started", "unclassified", "no_measure")


def _contract_column(table: str | None, column: str) -> tuple[str, contract.Column] | None:
    """The contract column of that name: in the records' own table first, else in any table."""
    tables = [contract.TABLES_BY_NAME[table]] if table in contract.TABLES_BY_NAME else []
    tables += [t for t in contract.TABLES if t.name != table]
    for t in tables:
        if column in t.column_names:
            return t.name, t.column(column)
    return None


def column_label(table: str | None, column: str, lang: str) -> str:
    """A column's header: the records strings (sitrep/strings/records.*.toml) for derived columns, else the
    contract's (Chinese header, English name)."""
    key = f"records.columns.{column}"
    label = i18n.t(key, lang)
    if label != key:
        return label
    found = _contract_column(table, column)
    if found:
        return i18n.column_label(found[0], column, lang)
    return column.replace("_", " ")


def _labels(table: str | None, column: str, lang: str) -> dict[str, str] | None:
    """code -> label for a column that holds enumeration codes."""
    if column in ("rule_measure", "stage_on_day"):
        labels = i18n.enum_labels("returnees", "measure", lang)
        labels.update({s: i18n.t(f"records.states.{s}", lang) for s in _STAGE_STATES})
        return labels
    if column == "stream":
        return {t.name: i18n.table_label(t.name, lang) for t in contract.TABLES}
    if column == "status" and table == "quality_reporting":
        return {s: i18n.t(f"records.reporting.{s}", lang) for s in ("on_time", "late", "unknown", "missing", "pending")}
    found = _contract_column(table, column)
    if found and found[1].type == "enum":
        return i18n.enum_labels(found[0], column, lang)
    return None


def _is_date_only(s: pd.Series) -> bool:
    if not pd.api.types.is_datetime64_any_dtype(s):
        return False
    v = s.dropna()
    return len(v) == 0 or bool((v == v.dt.normalize()).all())


def present(df: pd.DataFrame, *, table: str | None, lang: str,
            regions: dict[str, dict] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """(values for the reader, {column: header}) of records read from ``table`` (the KPI's first table, or
    ``quality_reporting`` for the reporting records)."""
    out = df.copy()
    for col in list(out.columns):
        s = out[col]
        labels = _labels(table, col, lang)
        if labels is not None and (s.dtype == object or pd.api.types.is_string_dtype(s)):
            out[col] = s.map(lambda v, m=labels: m.get(v, v) if isinstance(v, str) else v)
        elif pd.api.types.is_bool_dtype(s) or (s.dtype == object and s.dropna().map(type).eq(bool).all()
                                               and len(s.dropna())):
            yes, no = i18n.t("records.yes", lang), i18n.t("records.no", lang)
            out[col] = s.astype(object).map(lambda v: yes if v is True or (isinstance(v, bool) and v)
                                            else (no if isinstance(v, bool) or v is False else None)
                                            if not pd.isna(v) else None)
        elif _is_date_only(s):
            out[col] = s.dt.date
    if regions is not None and "region_code" in out.columns and "village" not in out.columns:
        codes = out["region_code"]

        def name(code, level: str) -> str | None:
            """The name of the township (or village) the code lies in, when there is one."""
            if not isinstance(code, str) or len(code) < 12:
                return None
            r = regions.get(code[:9] + "000" if level == "township" else code[:12])
            return r["name"] if r and r.get("level") == level else None

        at = list(out.columns).index("region_code") + 1
        if "township" not in out.columns:
            out.insert(at, "township", codes.map(lambda c: name(c, "township")))
            at += 1
        out.insert(at, "village", codes.map(lambda c: name(c, "village")))
    headers = {c: column_label(table, c, lang) for c in out.columns}
    return out, headers

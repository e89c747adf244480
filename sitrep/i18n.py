"""User-facing strings in Chinese (default) and English.

Strings live in ``sitrep/strings/<area>.zh.toml`` and ``<area>.en.toml``: one table per
language, split by area so that each page's strings sit together. A key is
``<area>.<name>`` (nested TOML tables add more dots). Both languages must have the same
keys and the same ``{placeholders}`` (a test checks). Enumeration labels come from the
contract (Chinese) and ``strings/enums.en.toml`` (English): the one area with a single language file, so it is
read by :func:`enum_label`, not into the string tables.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from sitrep import contract

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
STRINGS_DIR = Path(__file__).resolve().parent / "strings"
# The contract's enumeration labels: English only (the Chinese ones are in sitrep/contract.py with the codes).
ENUMS_AREA = "enums"


def _flatten(prefix: str, node: dict, out: dict[str, str]) -> None:
    for k, v in node.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            _flatten(key, v, out)
        else:
            out[key] = str(v)


@lru_cache(maxsize=None)
def table(lang: str) -> dict[str, str]:
    """Every string of one language, keyed ``area.name``."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    out: dict[str, str] = {}
    for path in sorted(STRINGS_DIR.glob(f"*.{lang}.toml")):
        area = path.name[: -len(f".{lang}.toml")]
        if area == ENUMS_AREA:
            continue
        with open(path, "rb") as f:
            _flatten(area, tomllib.load(f), out)
    return out


def t(key: str, lang: str = DEFAULT_LANG, /, **values) -> str:
    """The string for key in lang, with {placeholders} filled. A missing key shows as
    the key itself (and fails the string tests) rather than breaking a briefing."""
    text = table(lang).get(key)
    if text is None:
        return key
    return text.format(**values) if values else text


@lru_cache(maxsize=None)
def _enums_en() -> dict[str, dict[str, str]]:
    with open(STRINGS_DIR / f"{ENUMS_AREA}.en.toml", "rb") as f:
        raw = tomllib.load(f)
    return {f"{tbl}.{col}": labels for tbl, cols in raw.items() for col, labels in cols.items()}


def enum_label(table_name: str, column: str, code, lang: str = DEFAULT_LANG) -> str:
    """Label of an enumeration code: the contract's Chinese label or the English one."""
    if code is None or code != code:  # None or NaN
        return ""
    if lang == "zh":
        return contract.TABLES_BY_NAME[table_name].column(column).enum_label(code, "zh")
    return _enums_en().get(f"{table_name}.{column}", {}).get(code, str(code))


def enum_labels(table_name: str, column: str, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """code -> label for every code of one enumeration, in the contract's order."""
    col = contract.TABLES_BY_NAME[table_name].column(column)
    return {e[0]: enum_label(table_name, column, e[0], lang) for e in col.enum}


def table_label(table_name: str, lang: str = DEFAULT_LANG) -> str:
    tbl = contract.TABLES_BY_NAME[table_name]
    return tbl.zh if lang == "zh" else tbl.en


def column_label(table_name: str, column: str, lang: str = DEFAULT_LANG) -> str:
    """Header of a contract column: its Chinese name, or the canonical name in English."""
    col = contract.TABLES_BY_NAME[table_name].column(column)
    return col.zh if lang == "zh" else column.replace("_", " ")


# Derived columns that hold the codes of a contract enumeration, and columns whose codes have labels
# in a string table.
ENUM_COLUMNS = {"rule_measure": ("returnees", "measure"), "stage_on_day": ("returnees", "measure"),
                "level": ("regions", "level")}
CODE_STRINGS = {"stream": "quality.stream"}


def display_labels(columns, lang: str = DEFAULT_LANG, tables=()) -> dict[str, str]:
    """Headers for the columns of a query result as a reader sees them: a derived column's name from
    strings/columns.<lang>.toml, else the contract's name of the column in the first of ``tables``
    (then of any table) that has it, else the column name itself."""
    strings_ = table(lang)
    order = [*tables, *(x.name for x in contract.TABLES)]
    out = {}
    for c in columns:
        label = strings_.get(f"columns.{c}")
        if label is None:
            owner = next((n for n in order if n in contract.TABLES_BY_NAME
                          and c in contract.TABLES_BY_NAME[n].column_names), None)
            label = column_label(owner, c, lang) if owner else str(c)
        out[c] = label
    return out


def display_codes(df, lang: str = DEFAULT_LANG, tables=()):
    """A copy of a query result with the codes of enumerated columns (those of ``tables`` in the
    contract, and ENUM_COLUMNS, CODE_STRINGS) written as their labels in the language."""
    out = df.copy()
    for c in df.columns:
        source = next(((n, c) for n in tables if n in contract.TABLES_BY_NAME
                       and c in contract.TABLES_BY_NAME[n].column_names
                       and contract.TABLES_BY_NAME[n].column(c).enum), None) or ENUM_COLUMNS.get(c)
        if source is not None:
            out[c] = [enum_label(source[0], source[1], v, lang) if isinstance(v, str) else v for v in out[c]]
        elif c in CODE_STRINGS:
            out[c] = [t(f"{CODE_STRINGS[c]}.{v}", lang) if isinstance(v, str) else v for v in out[c]]
    return out

"""Which contract table a file is, and which file column is which contract column.

Header cells match a column's canonical name, Chinese name or aliases after NFKC
normalisation (full-width letters, digits and brackets become half-width, the
ideographic space a space), with case, whitespace and a required-marker ``*`` ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from sitrep import contract
from sitrep.contract import Column, Table

_SPACE = re.compile(r"\s+")


def norm_header(text: object) -> str:
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = _SPACE.sub("", s).strip("*")
    return s.casefold()


def table_columns(table: Table) -> tuple[Column, ...]:
    """The columns a file of this table may carry: the contract's, plus the township and
    village names for tables that take a region."""
    if table.region:
        return (*table.columns, contract.TOWNSHIP, contract.VILLAGE)
    return table.columns


@lru_cache(maxsize=None)
def header_index(table_name: str) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for col in table_columns(contract.TABLES_BY_NAME[table_name]):
        for h in col.headers:
            out.setdefault(norm_header(h), col)
    return out


@lru_cache(maxsize=None)
def _all_headers() -> frozenset[str]:
    return frozenset(h for t in contract.TABLES for h in header_index(t.name))


def header_score(cells: list[str], table: str | None = None) -> int:
    """How many distinct cells of a row are known headers (of one table, or of any)."""
    known = header_index(table) if table else _all_headers()
    return len({n for n in (norm_header(c) for c in cells) if n in known})


@dataclass
class ColumnMap:
    table: Table
    # canonical column name -> index of the file column
    index: dict[str, int] = field(default_factory=dict)
    # canonical column name -> header as written
    header: dict[str, str] = field(default_factory=dict)
    ignored: list[int] = field(default_factory=list)  # file columns that match nothing
    problems: list[tuple[str, dict]] = field(default_factory=list)  # file-level (reason, detail)

    def has(self, name: str) -> bool:
        return name in self.index

    def label(self, name: str) -> str:
        """The column as the user knows it: the file's header, else the contract's Chinese name."""
        if name in self.header:
            return self.header[name]
        if name == "township":
            return contract.TOWNSHIP.zh
        if name == "village":
            return contract.VILLAGE.zh
        return self.table.column(name).zh


def map_columns(table: Table, headers: list[str]) -> ColumnMap:
    """Match header cells to the table's columns and list what is missing."""
    m = ColumnMap(table)
    idx = header_index(table.name)
    seen: dict[str, list[str]] = {}
    for i, h in enumerate(headers):
        col = idx.get(norm_header(h))
        if col is None:
            m.ignored.append(i)
            continue
        seen.setdefault(col.name, []).append(h)
        if col.name not in m.index:
            m.index[col.name] = i
            m.header[col.name] = h.strip()
    for name, hs in seen.items():
        if len(hs) > 1:
            m.problems.append(("duplicate_column", {"column": m.label(name), "headers": "、".join(hs)}))
    for col in table.columns:
        if not col.required or col.name in m.index or col.default is not None:
            continue
        if col.name == "region_code" and table.region:
            continue  # region by names is checked below
        m.problems.append(("missing_column", {"column": col.zh, "field": col.name}))
    if table.region == "required" and not (m.has("region_code") or m.has("township")):
        m.problems.append(("missing_region_column", {"column": contract.TOWNSHIP.zh, "field": "region_code"}))
    return m


def score_table(table: Table, headers: list[str]) -> tuple[int, bool]:
    """(matched columns, all required columns present)."""
    m = map_columns(table, headers)
    return len(m.index), not m.problems


def infer_table(headers: list[str]) -> tuple[Table | None, str | None, dict]:
    """The table whose columns the headers fit best.

    A table qualifies when all its required columns are present; among those the one
    matching most columns wins (then the one whose columns are most fully covered). With
    none qualifying, the single best-matching table (at least 2 columns) is taken so the
    user hears which column is missing. Returns (table, None, {}) or (None, reason, detail).
    """
    scored = []
    for t in contract.TABLES:
        n, complete = score_table(t, headers)
        if n:
            scored.append((t, n, complete))
    complete = [(t, n) for t, n, ok in scored if ok]
    if complete:
        best = max(n for _, n in complete)
        top = [t for t, n in complete if n == best]
        if len(top) > 1:
            best_cov = max(best / len(t.columns) for t in top)
            top = [t for t in top if best / len(t.columns) == best_cov]
        if len(top) == 1:
            return top[0], None, {}
        return None, "ambiguous_table", {"considered": _names(top)}
    if scored:
        best = max(n for _, n, _ in scored)
        top = [t for t, n, _ in scored if n == best]
        if best >= 2 and len(top) == 1:
            return top[0], None, {}
    considered = sorted(scored, key=lambda x: -x[1])[:5]
    names = _names([t for t, _, _ in considered]) if considered else _names(contract.TABLES)
    return None, "unknown_table", {"considered": names}


def _names(tables) -> dict[str, str]:
    return {"zh": "、".join(f"{t.zh}({t.name})" for t in tables), "en": ", ".join(t.name for t in tables)}

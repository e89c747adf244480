"""Checking and typing a file's rows in DuckDB SQL, set-based, from the contract.

The rows arrive as an all-text Arrow table registered on the connection (``_raw``:
``c0``..``cN`` + ``_row``). From the contract's column definitions this module builds
one statement that trims and parses every column (the parsed layer: the cleaned text
``r_x`` and the parsed value ``p_x`` of each column) and keeps the stored values with a
flag for rows failing any check (``_import_stage``), one that lists every problem
(``_problems``: row, check, value; each check is a "branch" whose column, reason and
detail are known in Python; the row checks run again only on the flagged rows). No
Python loop touches the rows, which is what makes a million-row export a matter of
seconds.

Values from the file are never written into SQL text: they are only read from
``_raw``. Constants (enum labels, header names, messages) are bound parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np
import pyarrow as pa

from sitrep import contract
from sitrep.contract import Column, Table
from sitrep.ingest.headers import ColumnMap, norm_header
from sitrep.ingest.report import Problem

# NFKC for the characters exports actually contain: full-width ASCII and the ideographic space.
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
TRIM_CHARS = " \t\r\n\u3000\u00a0\ufeff"

# Dates and times: values shaped like "2022-01-15" or "2022/1/15 8:30[:00]" go straight to
# DuckDB's cast (fast); the other accepted shapes (2022年1月15日 8时30分, 20220115,
# 2022.1.15) are rewritten to that shape first. Anything else is not a date. (A list of
# try_strptime formats is ten times slower than this on a million rows.)
ISO_LIKE_RE = r"\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d+)?)?)?"
# Characters that need folding: only values containing them pay for translate().
FOLD_RE = "[\uff01-\uff5e\u3000]"
# Excel serial day numbers (base 1899-12-30): five digits cover 1927-2173.
SERIAL_RE = r"\d{5}(\.\d+)?"
DATE_MIN, DATE_MAX = "1900-01-01", "2100-12-31"
THOUSANDS_RE = r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"
BOOL_LABELS = {
    True: ("是", "有", "√", "✓", "✔", "y", "yes", "true", "t", "1", "对"),
    False: ("否", "无", "×", "✗", "✘", "n", "no", "false", "f", "0", "没有"),
}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
POOL_SIZES = (1, 5, 10, 20)


def q(name: str) -> str:
    """Quote an identifier (ours, never the file's)."""
    return '"' + name.replace('"', '""') + '"'


class Params:
    """Bound parameters of one statement."""

    def __init__(self):
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return "$" + name


@dataclass
class Branch:
    """One check: the column it is about and what it means when it fires."""

    field: str | None
    column: str | None
    reason: str
    detail: dict = dc_field(default_factory=dict)


@dataclass
class Validation:
    rows_read: int = 0
    problem_count: int = 0  # errors + information
    bad_rows: int = 0
    branches: list[Branch] = dc_field(default_factory=list)
    first_problems: list[tuple[int, int, str | None]] = dc_field(default_factory=list)  # (row, branch, value)
    duplicates: int = 0
    first_duplicates: list[tuple[int, int, str]] = dc_field(default_factory=list)  # (row, later row, key)
    final_rows: int = 0


def _enum_keys(col: Column) -> dict[str, str]:
    """Normalised label -> code (the code itself, its Chinese label and further labels)."""
    out: dict[str, str] = {}
    for entry in col.enum:
        for label in entry:
            out.setdefault(norm_header(label), entry[0])
    return out


def _allowed(col: Column) -> dict[str, str]:
    return {"zh": "、".join(e[1] for e in col.enum), "en": ", ".join(e[0] for e in col.enum)}


def _cleaned(col: Column | None) -> bool:
    """Whether full-width characters are folded before parsing (everything but free text)."""
    if col is None:
        return True
    return col.type != "str" or bool(col.checks) or col.name in ("region_code", "township", "village")


class Plan:
    """The SQL of one file: which columns it has, how each is parsed and checked."""

    def __init__(self, table: Table, cmap: ColumnMap, ncols: int, profile: dict[int, "Profile"] | None = None,
                 id_checked: frozenset[str] = frozenset()):
        self.table = table
        self.cmap = cmap
        self.ncols = ncols
        # per file column: what cleaning its values need (default: everything)
        self.profile = profile or {}
        # id_number columns whose check digit was computed beforehand (``_ck_<name>`` in _raw)
        self.id_checked = id_checked
        self.params = Params()
        self.branches: list[Branch] = []
        # row checks: (branch, condition over the parsed layer, value expression)
        self.checks: list[tuple[int, str, str]] = []
        # reference checks: (branch, condition over the stage, value expression)
        self.ref_checks: list[tuple[int, str, str]] = []
        self.parsed: dict[str, str] = {}  # column -> parsed expression (in the parsed layer)
        self.joins: list[str] = []
        for col in table.columns:
            if col.name == "region_code" and table.region:
                continue
            if cmap.has(col.name):
                self.parse_column(col)
        if table.region:
            self.region()
        self.cross_checks()

    def bind(self, sql: str) -> dict[str, Any]:
        """The parameters one statement uses (DuckDB refuses unused ones)."""
        return {k: v for k, v in self.params.values.items() if re.search(r"\$" + k + r"(?!\d)", sql)}

    # -- helpers

    def branch(self, fld: str | None, reason: str, detail: dict | None = None) -> int:
        label = self.cmap.label(fld) if fld else None
        self.branches.append(Branch(fld, label, reason, detail or {}))
        return len(self.branches) - 1

    def check(self, fld: str | None, reason: str, cond: str, value: str | None = None, detail: dict | None = None):
        b = self.branch(fld, reason, detail)
        self.checks.append((b, cond, value if value is not None else (q("r_" + fld) if fld else "NULL")))

    def column_def(self, name: str) -> Column:
        if name == "township":
            return contract.TOWNSHIP
        if name == "village":
            return contract.VILLAGE
        return self.table.column(name)

    # -- statements

    def staging_select(self, only_rows: str | None = None) -> str:
        """Trimmed text of each mapped column; blank rows dropped (``only_rows``: a
        subquery of ``_row`` values to restrict to).

        Folding and trimming cost a string copy per cell, so a column only gets the ones
        its values need (see :func:`profile_column`)."""
        p = self.params
        trim = p(TRIM_CHARS)
        fw, hw = p(FULL_WIDTH), p(HALF_WIDTH)
        cols = ["_row"]
        for name, i in self.cmap.index.items():
            prof = self.profile.get(i, Profile())
            expr = f"c{i}"
            fold = prof.fold and _cleaned(self.column_def(name))
            if fold:
                expr = f"CASE WHEN regexp_matches({expr}, {p(FOLD_RE)}) THEN translate({expr}, {fw}, {hw}) ELSE {expr} END"
            if prof.odd_space or fold:
                expr = f"trim({expr}, {trim})"
            elif prof.edge_space:
                expr = f"trim({expr})"
            if prof.excel_text:  # ="0451..." (a formula keeping leading zeros) or '0451... (a text prefix)
                apostrophe = (f"WHEN starts_with({expr}, chr(39)) THEN substr({expr}, 2) "
                              if _cleaned(self.column_def(name)) else "")
                expr = (f"CASE WHEN starts_with({expr}, '=\"') AND ends_with({expr}, '\"') AND length({expr}) >= 3 "
                        f"THEN substr({expr}, 3, length({expr}) - 3) {apostrophe}ELSE {expr} END")
            cols.append(f"NULLIF({expr}, '') AS {q('r_' + name)}")
        for name in sorted(self.id_checked):
            cols.append(f"{q('_ck_' + name)}")
        # blank rows: every cell empty (or only spaces, which only profiled columns can hold);
        # plain columns first so a filled row stops the test at its first cell
        order = sorted(range(self.ncols), key=lambda i: self.profile.get(i, Profile()).any_space)
        blank = " AND ".join(
            f"(c{i} = '' OR trim(c{i}, {trim}) = '')" if self.profile.get(i, Profile()).any_space else f"c{i} = ''"
            for i in order)
        only = f" AND _row IN ({only_rows})" if only_rows else ""
        return f"SELECT {', '.join(cols)} FROM _raw WHERE NOT ({blank}){only}"

    def iso_text(self, r: str) -> str:
        """A date/time text in an accepted shape as 'YYYY-M-D[ H:M[:S]]', else NULL."""
        p = self.params
        iso = p(ISO_LIKE_RE)
        rewritten = r
        for old, new in (("年", "-"), ("月", "-"), ("日", " "), ("时", ":"), ("点", ":"), ("分", ":"), ("秒", "")):
            rewritten = f"replace({rewritten}, '{old}', '{new}')"
        rewritten = f"regexp_replace({rewritten}, '^(\\d{{4}})(\\d{{2}})(\\d{{2}})', '\\1-\\2-\\3')"
        rewritten = f"regexp_replace({rewritten}, '^(\\d{{4}})\\.(\\d{{1,2}})\\.(\\d{{1,2}})', '\\1-\\2-\\3')"
        rewritten = f"trim(regexp_replace({rewritten}, '\\s+', ' ', 'g'), ' :')"
        return (f"CASE WHEN regexp_full_match({r}, {iso}) THEN {r} "
                f"WHEN regexp_full_match({rewritten}, {iso}) THEN {rewritten} END")

    def parse_column(self, col: Column) -> None:
        """The parsed expression and the checks of one column present in the file."""
        p = self.params
        r = q("r_" + col.name)
        pc = q("p_" + col.name)
        t = col.type
        if t == "str":
            if "id_number" in col.checks:
                expr = f"upper({r})"
            elif "mobile" in col.checks:
                expr = f"replace({r}, ' ', '')"
            else:
                expr = r
        elif t in ("int", "float"):
            expr = (f"CASE WHEN NOT contains({r}, ',') THEN TRY_CAST({r} AS DOUBLE) "
                    f"WHEN regexp_full_match({r}, {p(THOUSANDS_RE)}) THEN TRY_CAST(replace({r}, ',', '') AS DOUBLE) END")
        elif t == "date":
            # "2022-01-15" / "2022/1/15" (the usual case) straight to the cast
            expr = (f"CASE WHEN substr({r}, 5, 1) IN ('-', '/') THEN TRY_CAST({r} AS DATE) "
                    f"WHEN regexp_full_match({r}, {p(SERIAL_RE)}) "
                    f"THEN DATE '1899-12-30' + CAST(floor(CAST({r} AS DOUBLE)) AS INTEGER) "
                    f"ELSE TRY_CAST({self.iso_text(r)} AS DATE) END")
        elif t == "timestamp":
            expr = (f"CASE WHEN substr({r}, 5, 1) IN ('-', '/') THEN TRY_CAST({r} AS TIMESTAMP) "
                    f"WHEN regexp_full_match({r}, {p(SERIAL_RE)}) "
                    f"THEN TIMESTAMP '1899-12-30' + to_seconds(CAST(round(CAST({r} AS DOUBLE) * 86400) AS BIGINT)) "
                    f"ELSE TRY_CAST({self.iso_text(r)} AS TIMESTAMP) END")
        elif t == "bool":
            whens = " ".join(f"WHEN {p(label)} THEN {str(val).upper()}"
                             for val, labels in BOOL_LABELS.items() for label in labels)
            expr = f"CASE lower({r}) {whens} END"
        elif t == "enum":
            # exact labels first (cheap); only other spellings pay for normalising
            exact = {label: e[0] for e in col.enum for label in e}
            labels = ", ".join(p(label) for label in exact)
            exact_whens = " ".join(f"WHEN {p(label)} THEN {p(code)}" for label, code in exact.items())
            whens = " ".join(f"WHEN {p(k)} THEN {p(code)}" for k, code in _enum_keys(col).items())
            expr = (f"CASE WHEN {r} IN ({labels}) THEN CASE {r} {exact_whens} END "
                    f"ELSE CASE lower(replace({r}, ' ', '')) {whens} END END")
        else:  # pragma: no cover - the contract has no other types
            raise ValueError(t)
        self.parsed[col.name] = expr

        present = f"{r} IS NOT NULL"
        if col.required and col.default is None and col.name not in self.table.key_fallback:
            self.check(col.name, "missing_value", f"{r} IS NULL")
        if t == "int":
            whole = f"(isfinite({pc}) AND {pc} = trunc({pc}) AND abs({pc}) < 9e15)"
            self.check(col.name, "bad_int", f"{present} AND NOT coalesce({whole}, false)")
            if "nonneg" in col.checks:
                self.check(col.name, "negative", f"{whole} AND {pc} < 0")
            if "pool_size" in col.checks:
                self.check(col.name, "bad_pool_size", f"{whole} AND {pc} NOT IN {tuple(POOL_SIZES)}")
        elif t == "float":
            self.check(col.name, "bad_number", f"{present} AND NOT coalesce(isfinite({pc}), false)")
            if "nonneg" in col.checks:
                self.check(col.name, "negative", f"isfinite({pc}) AND {pc} < 0")
        elif t == "date":
            self.check(col.name, "bad_date", f"{present} AND NOT coalesce({pc} BETWEEN DATE '{DATE_MIN}' "
                       f"AND DATE '{DATE_MAX}', false)")
        elif t == "timestamp":
            self.check(col.name, "bad_timestamp", f"{present} AND NOT coalesce({pc} BETWEEN TIMESTAMP '{DATE_MIN}' "
                       f"AND TIMESTAMP '{DATE_MAX} 23:59:59', false)")
        elif t == "bool":
            self.check(col.name, "bad_bool", f"{present} AND {pc} IS NULL")
        elif t == "enum":
            self.check(col.name, "bad_enum", f"{present} AND {pc} IS NULL", detail={"allowed": _allowed(col)})
        if "id_number" in col.checks:
            ok = f"regexp_full_match({pc}, '\\d{{17}}[\\dX]')"
            total = " + ".join(f"TRY_CAST(substr({pc}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(ID_WEIGHTS))
            wrong = f"substr('10X98765432', ({total}) % 11 + 1, 1) <> substr({pc}, 18, 1)"
            if col.name in self.id_checked:  # done in numpy for the plain 18-character values
                ck = q("_ck_" + col.name)
                self.check(col.name, "bad_id_number",
                           f"CASE WHEN {ck} IS NOT NULL THEN false ELSE {present} AND NOT {ok} END")
                self.check(col.name, "bad_check_digit",
                           f"CASE WHEN {ck} IS NOT NULL THEN NOT {ck} ELSE {present} AND {ok} AND {wrong} END")
            else:
                self.check(col.name, "bad_id_number", f"{present} AND NOT {ok}")
                self.check(col.name, "bad_check_digit", f"{present} AND {ok} AND {wrong}")
        if "mobile" in col.checks:
            self.check(col.name, "bad_mobile", f"{present} AND NOT regexp_full_match({pc}, '1[3-9]\\d{{9}}')")
        if self.table.name == "regions" and col.name == "region_code":
            self.check(col.name, "bad_region_code", f"{present} AND NOT regexp_full_match({r}, '\\d{{12}}(\\d{{3}})?')")

    def region(self) -> None:
        """Region by code or by township (+ village) names, resolved against ``regions``."""
        has_code, has_t, has_v = (self.cmap.has(n) for n in ("region_code", "township", "village"))
        if not (has_code or has_t):
            if self.table.region == "required":  # the mapping already rejected the file
                return
            self.parsed["region_code"] = "CAST(NULL AS VARCHAR)"
            return
        code = q("r_region_code") if has_code else "CAST(NULL AS VARCHAR)"
        town = q("r_township") if has_t else "CAST(NULL AS VARCHAR)"
        vill = q("r_village") if has_v else "CAST(NULL AS VARCHAR)"
        if has_code:
            self.joins.append(f"LEFT JOIN (SELECT DISTINCT region_code AS code FROM regions) rc ON rc.code = {code}")
        if has_t:
            self.joins.append(f"LEFT JOIN _region_names rn ON rn.t = lower(replace({town}, ' ', '')) "
                              f"AND rn.v = coalesce(lower(replace({vill}, ' ', '')), '')")
            self.parsed["region_code"] = f"coalesce({code}, rn.code)"
            self.parsed["_rn_n"] = "rn.n"
            self.parsed["_rn_code"] = "rn.code"
        else:
            self.parsed["region_code"] = code
        if has_code:
            self.parsed["_rc_known"] = "rc.code IS NOT NULL"
        rfield = "region_code" if has_code else "township"
        if self.table.region == "required":
            self.check(rfield, "missing_value", f"{code} IS NULL AND {town} IS NULL AND {vill} IS NULL")
        if has_code:
            self.check("region_code", "unknown_region", f"{code} IS NOT NULL AND NOT _rc_known")
        if has_t:
            names = f"concat_ws(' / ', {town}, {vill})"
            name_field = "village" if has_v else "township"
            if has_v:
                self.check("township", "missing_value", f"{code} IS NULL AND {town} IS NULL AND {vill} IS NOT NULL",
                           value=vill)
            # the problem is the village's when one is given, else the township's
            for fld, which in (("township", f"{vill} IS NULL"), (name_field, f"{vill} IS NOT NULL")):
                if which.endswith("NOT NULL") and not has_v:
                    continue
                self.check(fld, "unknown_region",
                           f"{code} IS NULL AND {town} IS NOT NULL AND {which} AND _rn_n IS NULL", value=names)
                self.check(fld, "ambiguous_region",
                           f"{code} IS NULL AND {town} IS NOT NULL AND {which} AND _rn_n > 1", value=names)
            if has_code:
                self.check("region_code", "region_mismatch",
                           f"{code} IS NOT NULL AND _rn_n = 1 AND _rn_code <> {code}",
                           value=f"concat({code}, ' ≠ ', {names})", detail={})

    def parsed_sql(self, only_rows: str | None = None) -> str:
        """The parsed layer: cleaned text ``r_x`` and parsed value ``p_x`` of every column."""
        exprs = [f"{e} AS {q(n if n.startswith('_') else 'p_' + n)}" for n, e in self.parsed.items()]
        cols = ", ".join(["s.*", *exprs])
        return f"SELECT {cols} FROM ({self.staging_select(only_rows)}) s {' '.join(self.joins)}"

    def typed_sql(self) -> str:
        """One pass: the stored value of every contract column, and whether any row check fails."""
        outs = [f"{self.output(c)} AS {q(c.name)}" for c in self.table.columns]
        bad = " OR ".join(f"({cond})" for _, cond, _ in self.checks) or "false"
        return (f"SELECT {', '.join(outs)}, CAST($import_id AS BIGINT) AS _import_id, _row, "
                f"coalesce({bad}, false) AS _bad FROM ({self.parsed_sql()}) l")

    def output(self, col: Column) -> str:
        """The stored value of one contract column, from the parsed layer."""
        pc = q("p_" + col.name)
        if col.name == "region_code" and self.table.region:
            expr = pc if "region_code" in self.parsed else "CAST(NULL AS VARCHAR)"
        elif col.name not in self.parsed:
            expr = f"CAST(NULL AS {col.sql_type})"
        elif col.type == "int":
            expr = f"CAST(CASE WHEN isfinite({pc}) AND {pc} = trunc({pc}) AND abs({pc}) < 9e15 THEN {pc} END AS BIGINT)"
        else:
            expr = f"CAST({pc} AS {col.sql_type})"
        if col.name in self.table.key_fallback:
            other = self.table.key_fallback[col.name]
            if other in self.parsed:
                expr = f"coalesce({expr}, {q('p_' + other)})"
        if col.default is not None:
            expr = f"coalesce({expr}, {self.params(col.default)})"
        if col.name in self.table.key and col.type in ("str", "enum"):
            expr = f"coalesce({expr}, '')"
        return f"CAST({expr} AS {col.sql_type})"

    def cross_checks(self) -> None:
        """Checks between columns and against other tables: date order, key fallback, references."""
        t = self.table
        for a, b in t.order:
            if a in self.parsed and b in self.parsed:
                self.check(b, "date_order", f"{q('p_' + b)} < {q('p_' + a)}",
                           detail={"other": self.cmap.label(a)})
        for k, other in t.key_fallback.items():
            cond = " AND ".join(f"{q('r_' + n)} IS NULL" for n in (k, other) if self.cmap.has(n)) or "TRUE"
            self.check(k if self.cmap.has(k) else (other if self.cmap.has(other) else None), "missing_key", cond,
                       value="NULL", detail={"column": self.column_def(k).zh, "fallback": self.column_def(other).zh})
        for colname, targets in t.refs.items():
            if colname not in self.parsed:
                continue
            sources = [f"SELECT {q(c)} AS v FROM {q(tbl)}" for tbl, c in targets]
            sources += [f"SELECT {q(c)} FROM {STAGE}" for tbl, c in targets if tbl == t.name]  # same file
            union = " UNION ALL ".join(sources)
            col = f"t.{q(colname)}"
            target_names = {"zh": "、".join(contract.TABLES_BY_NAME[tb].zh for tb, _ in targets),
                            "en": ", ".join(tb for tb, _ in targets)}
            b = self.branch(colname, "unknown_reference", {"target": target_names})
            self.ref_checks.append(
                (b, f"{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({union}) ref WHERE ref.v = {col})", col))

    def problems_sql(self, any_bad: bool) -> str:
        """Every problem: row checks (re-run only on the rows flagged bad), reference checks,
        and what the reader found."""
        parts = []
        if any_bad and self.checks:
            parts += [f"SELECT _row, {b} AS b, CAST({value} AS VARCHAR) AS value FROM l WHERE {cond}"
                      for b, cond, value in self.checks]
        parts += [f"SELECT _row, {b} AS b, CAST({value} AS VARCHAR) AS value FROM {STAGE} t WHERE {cond}"
                  for b, cond, value in self.ref_checks]
        parts.append("SELECT row AS _row, b, value FROM _reader_problems")
        union = " UNION ALL ".join(parts)
        if any_bad and self.checks:
            return f"WITH l AS MATERIALIZED ({self.parsed_sql(f'SELECT _row FROM {STAGE} WHERE _bad')}) {union}"
        return union


MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Profile:
    """What a file column's values need before parsing (found from its bytes, not per cell)."""

    fold: bool = True  # contains full-width characters or the ideographic space
    edge_space: bool = True  # some value starts or ends with an ASCII space
    odd_space: bool = True  # contains tabs, line ends, no-break or ideographic spaces, a BOM
    excel_text: bool = True  # some value starts with = or ' (="0451..." keeps leading zeros in Excel)

    @property
    def any_space(self) -> bool:
        return self.edge_space or self.odd_space




def _chunk_parts(chunk: pa.Array):
    """(offsets, data bytes) of a string chunk, as numpy views."""
    bufs = chunk.buffers()
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return offsets, data


def profile_column(col: pa.ChunkedArray) -> Profile:
    """Scan a column's bytes once: which cleaning steps can its values need?"""
    fold = edge = odd = excel = False
    for chunk in col.chunks:
        if len(chunk) == 0:
            continue
        offsets, data = _chunk_parts(chunk)
        body = data[offsets[0]:offsets[-1]].tobytes()
        # single-byte finds are memchr-fast; the sequences are only looked for after their lead byte
        if body.find(b"\xef") >= 0:
            fold = fold or b"\xef\xbc" in body or b"\xef\xbd" in body
            odd = odd or b"\xef\xbb\xbf" in body
        if body.find(b"\xe3") >= 0 and b"\xe3\x80\x80" in body:
            fold = odd = True
        if not odd:
            odd = any(body.find(c) >= 0 for c in (b"\t", b"\n", b"\r")) or (
                body.find(b"\xc2") >= 0 and b"\xc2\xa0" in body)
        if not (edge and excel) and len(body):
            starts, ends = offsets[:-1], offsets[1:]
            filled = ends > starts
            first, last = data[starts[filled]], data[ends[filled] - 1]
            edge = edge or bool(np.any(first == 0x20) or np.any(last == 0x20))
            excel = excel or bool(np.any((first == 0x3D) | (first == 0x27)))
        if fold and edge and odd and excel:
            break
    return Profile(fold, edge, odd, excel)


def id_check_digits(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """GB 11643 check of each plain 18-character ID number (17 digits + digit/X/x):
    true/false; NULL for any other value (those are checked in SQL after cleaning)."""
    weights = np.array(ID_WEIGHTS, dtype=np.int64)
    expected_digit = np.frombuffer(b"10X98765432", dtype=np.uint8)
    out = []
    for chunk in col.chunks:
        result = np.zeros(len(chunk), dtype=bool)
        known = np.zeros(len(chunk), dtype=bool)
        if len(chunk):
            offsets, data = _chunk_parts(chunk)
            idx = np.flatnonzero(np.diff(offsets) == 18)
            if idx.size:
                chars = data[offsets[idx][:, None] + np.arange(18)]
                digits = chars[:, :17].astype(np.int64) - 48
                last = chars[:, 17]
                plain = np.all((digits >= 0) & (digits <= 9), axis=1) & (
                    ((last >= 48) & (last <= 57)) | (last == 88) | (last == 120))
                last = np.where(last == 120, 88, last)
                ok = expected_digit[(np.clip(digits, 0, 9) @ weights) % 11] == last
                known[idx] = plain
                result[idx] = ok
            if chunk.null_count:
                known &= ~chunk.is_null().to_numpy(zero_copy_only=False)
        out.append(pa.array(result, mask=~known, type=pa.bool_()))
    return pa.chunked_array(out, pa.bool_())


def region_names_sql(params: Params) -> str:
    """Township names and (township, village) name pairs -> region code, normalised like the file's."""
    fw, hw, trim = params(FULL_WIDTH), params(HALF_WIDTH), params(TRIM_CHARS)

    def norm(x: str) -> str:
        return f"lower(replace(trim(translate({x}, {fw}, {hw}), {trim}), ' ', ''))"

    return f"""
        SELECT t, v, CASE WHEN count(*) = 1 THEN any_value(code) END AS code, count(*) AS n FROM (
            SELECT {norm('name')} AS t, '' AS v, region_code AS code FROM regions WHERE level = 'township'
            UNION ALL
            SELECT {norm('p.name')}, {norm('c.name')}, c.region_code
            FROM regions c JOIN regions p ON c.parent_code = p.region_code
            WHERE c.level = 'village' AND p.level = 'township'
        ) GROUP BY t, v"""


STAGE = "_import_stage"


def validate(con, table: Table, cmap: ColumnMap, data: pa.Table, extra_values: list[tuple[int, int]],
             import_id: int, persistent: bool = False) -> tuple[Validation, Plan]:
    """Check and type the rows of ``data`` (``c0``..``cN`` + ``_row``, registered as
    ``_raw``) on ``con``.

    Builds ``_import_stage`` (every row as the contract's columns + ``_import_id``, then
    ``_row`` and ``_bad``), ``_problems`` (row, check, value) and, when keys repeat,
    ``_dups`` (rows a later row with the same key replaces). Nothing is deleted from the
    stage: :func:`keep_sql` selects the rows to load. ``persistent`` makes the stage a
    table of the database instead of a temporary one, so that it can become the target
    table itself (see ``load._upsert``). Returns the counts and the first problems.
    """
    ncols = data.num_columns - 1
    profile = {i: profile_column(data.column(f"c{i}")) for i in cmap.index.values()}
    id_checked = set()
    for col in table.columns:
        if "id_number" in col.checks and cmap.has(col.name):
            data = data.append_column("_ck_" + col.name, id_check_digits(data.column(f"c{cmap.index[col.name]}")))
            id_checked.add(col.name)
    con.register("_raw", data)
    plan = Plan(table, cmap, ncols, profile, frozenset(id_checked))
    if table.region and cmap.has("township"):
        p = Params()
        con.execute(f"CREATE OR REPLACE TEMP TABLE _region_names AS {region_names_sql(p)}", p.values)
    typed = plan.typed_sql()
    kind = "TABLE" if persistent else "TEMP TABLE"
    con.execute(f"CREATE OR REPLACE {kind} {STAGE} AS {typed}", {**plan.bind(typed), "import_id": import_id})
    v = Validation(branches=plan.branches)
    v.rows_read, flagged = con.execute(f"SELECT count(*), count(*) FILTER (WHERE _bad) FROM {STAGE}").fetchall()[0]

    extra_branch = plan.branch(None, "extra_values")
    reader = pa.table({"row": pa.array([r for r, _ in extra_values], pa.int64()),
                       "b": pa.array([extra_branch] * len(extra_values), pa.int32()),
                       "value": pa.array([str(n) for _, n in extra_values], pa.string())})
    con.register("_reader_problems", reader)
    try:
        problems = plan.problems_sql(any_bad=flagged > 0)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _problems AS {problems}", plan.bind(problems))
    finally:
        con.unregister("_reader_problems")

    v.problem_count, v.bad_rows = con.execute("SELECT count(*), count(DISTINCT _row) FROM _problems").fetchall()[0]
    if v.problem_count:
        v.first_problems = con.execute(
            f"SELECT _row, b, value FROM _problems ORDER BY _row, b LIMIT {MAX_PROBLEMS}").fetchall()
    elif flagged:  # pragma: no cover - a flag without a listed problem would be a bug in the checks
        raise AssertionError("rows flagged invalid but no problem listed")
    key = ", ".join(q(k) for k in table.key)
    good = keep_sql(bad=bool(v.bad_rows), dups=False)
    total, distinct = con.execute(f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {key} FROM {good})) "
                                  f"FROM {good}").fetchall()[0]
    if total != distinct:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _dups AS
            SELECT _row, later, key FROM (
                SELECT _row, max(_row) OVER (PARTITION BY {key}) AS later,
                    concat_ws(' / ', {key}) AS key FROM {good}
            ) WHERE _row < later""")
        v.duplicates = total - distinct
        v.first_duplicates = con.execute(
            f"SELECT _row, later, key FROM _dups ORDER BY _row LIMIT {MAX_PROBLEMS}").fetchall()
    v.final_rows = distinct
    return v, plan


def keep_sql(bad: bool, dups: bool) -> str:
    """The stage's rows to load: without rows that have problems or a later duplicate.
    (Filtered, not deleted: a DELETE on a fresh million-row table makes its commit rewrite it.)"""
    conds = []
    if bad:
        conds.append("NOT EXISTS (SELECT 1 FROM _problems p WHERE p._row = s._row)")
    if dups:
        conds.append("NOT EXISTS (SELECT 1 FROM _dups d WHERE d._row = s._row)")
    if not conds:
        return STAGE
    return f"(SELECT * FROM {STAGE} s WHERE {' AND '.join(conds)})"


def branch_messages(plan_branches: list[Branch]) -> pa.Table:
    """Per check: the column label and message in both languages (for the rejects file)."""
    zh, en, col = [], [], []
    for br in plan_branches:
        pr = Problem("", 1, br.column, None, br.reason, br.field, br.detail)
        zh.append(pr.message("zh"))
        en.append(pr.message("en"))
        col.append(br.column or "")
    return pa.table({"b": pa.array(range(len(plan_branches)), pa.int32()), "column": col, "msg_zh": zh, "msg_en": en})


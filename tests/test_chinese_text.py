"""Chinese mode reads Chinese: every page of the demo city, run under AppTest with lang=zh, is
scanned for Latin words in the text it shows (headings, markdown, captions, metrics, widget labels,
help and options, tab and expander labels, table headers and cells, chart titles, axes, ticks,
legends, labels and hover text, map tooltips). A Latin word passes only if it is on the allow-list:
codes, units and the names of things (file formats, methods, products).

Left out on purpose: code (st.code, `backticks`, the SQL editor's text), identifiers that never
show (keys, ids, colours, CSS), and values of the data that are codes by nature (region codes,
person ids such as "R00012", ID numbers).
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest
from google.protobuf.json_format import MessageToDict

from builders import open_page

PAGES = ["overview", "cases", "command", "monitoring", "screening", "publicity", "preparedness", "data", "explorer"]

# Latin words allowed in Chinese text: file formats, methods and their statistics, units, product and
# language names, SQL's words on the SQL page, the data contract's type and check codes in the data
# dictionary (case-insensitive). Besides these, a token with a digit (LAB01, C2, N95, SHA-256, a
# checksum), a single letter (Z score, person A/B) and, except in table headers, a snake_case
# identifier or a file name (region_code, quality_rules.toml) are codes.
ALLOWED = {
    # file formats and documents
    "csv", "excel", "xlsx", "xls", "txt", "json", "geojson", "html", "pdf", "word", "docx", "gb18030", "utf",
    # methods and statistics (as Chinese surveillance writes them)
    "ears", "cidars", "rt", "mad", "sd", "sha", "epiestim", "cori",
    # units
    "gb", "mb", "kb", "km", "h",
    # names of things
    "sql", "duckdb", "python", "sitrep", "id", "kpi", "oidc", "readme",
    # the data contract's check codes (the data dictionary's notes)
    "nonneg", "mobile",
}
# SQL on the SQL page, statement words and column types: allowed in capitals only (as SQL is written)
SQL_WORDS = {"SELECT", "WITH", "BIGINT", "INTEGER", "VARCHAR", "DATE", "DOUBLE", "BOOLEAN", "TIMESTAMP", "HUGEINT"}
LATIN_WORD = re.compile(r"[A-Za-z0-9]+")

# Table columns whose cells are identifiers or names by design (their headers as shown in Chinese): the
# data dictionary's and the SQL page's table and column names and the header spellings an import
# accepts, the contract's type codes (str, date, enum: code=label ...), and the user names of the import log.
CODE_COLUMNS = {"表", "列", "也接受", "导入人", "类型与可选值"}
# The SQL page's result table shows what the reader's own query returns: code, not the app's text.
SKIP_DATAFRAMES = {"explorer": lambda i: i >= 1}

# proto fields that are text on the screen
VISIBLE_FIELDS = {"body", "label", "help", "options", "placeholder", "delta", "caption", "text", "title"}
# element types whose text is code or the user's own input
CODE_TYPES = {"code", "text_area", "json", "exception"}
# plotly keys shown to the reader
PLOTLY_TEXT_KEYS = {"text", "name", "ticktext", "hovertemplate", "texttemplate", "hovertext", "label"}


def strip_markup(text: str) -> str:
    """Text as the reader sees it: no HTML tags or style sheets, no markdown colour or icon
    directives, no plotly placeholders, no code spans, no URLs."""
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)                       # code spans
    text = re.sub(r"%\{[^}]*\}", " ", text)                    # plotly placeholders
    text = re.sub(r"<extra>.*?</extra>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)                       # tags and their attributes
    text = html.unescape(text)
    text = re.sub(r":material/[a-z_]+:", " ", text)            # icons
    text = re.sub(r":(?:red|orange|green|blue|violet|gray|grey|rainbow|primary)(?:-background|-badge)?\[", "[", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\{[a-z_]+\}", " ", text)                   # a deck.gl tooltip's {field}
    return text


def strings(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict) and "bdata" in o:  # a typed array (numbers), not text
        return
    elif isinstance(o, dict):
        for v in o.values():
            yield from strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from strings(v)


def plotly_texts(spec: dict):
    layout = spec.get("layout", {})
    for key, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*", key):
            yield from strings((axis.get("title") or {}).get("text", ""))
            yield from strings(axis.get("ticktext", []))
            if axis.get("type") == "category" or axis.get("categoryarray"):
                yield from strings(axis.get("categoryarray", []))
    yield from strings((layout.get("title") or {}).get("text", ""))
    for ann in layout.get("annotations", []):
        yield from strings(ann.get("text", ""))
    for trace in spec.get("data", []):
        for k in PLOTLY_TEXT_KEYS:
            if k in trace:
                yield from strings(trace[k])
        for k in ("x", "y"):  # categories are written on the axis
            v = trace.get(k)
            if isinstance(v, list) and v and all(isinstance(s, str) for s in v) and not re.match(r"\d{4}-\d\d", v[0]):
                yield from v
        if trace.get("type") == "sankey":
            yield from strings(trace.get("node", {}).get("label", []))
            yield from strings(trace.get("link", {}).get("customdata", []))
        if "customdata" in trace and "customdata" in (trace.get("hovertemplate") or ""):
            yield from (s for s in strings(trace["customdata"]) if not re.match(r"\d{4}-\d\d-\d\d", s))


def deck_texts(deck: dict, tooltip: str):
    yield tooltip
    fields = set(re.findall(r"\{([a-z_]+)\}", tooltip))
    for layer in deck.get("layers", []):
        data = layer.get("data")
        if isinstance(data, list):
            for row in data:
                if isinstance(row, dict):
                    for f in fields & set(row):
                        yield from strings(row[f])
        if layer.get("@@type") == "TextLayer" and isinstance(data, list):
            for row in data:
                yield from strings(row.get("name", ""))


def walk(node, skip=frozenset()):
    if id(node) in skip:
        return
    kids = getattr(node, "children", None)
    if kids:
        label = getattr(getattr(node, "proto", None), "label", None)
        if label is None and hasattr(node, "label"):
            label = node.label
        if isinstance(label, str):
            yield node.type, label
        for child in kids.values():
            yield from walk(child, skip)
        return
    yield from element_texts(node)


def element_texts(el):
    kind = el.type
    if kind in CODE_TYPES or getattr(el, "proto", None) is None:
        return
    if kind == "plotly_chart":
        yield from ((kind, s) for s in plotly_texts(json.loads(el.proto.spec)))
        return
    if kind == "deck_gl_json_chart":
        tip = json.loads(el.proto.tooltip) if el.proto.tooltip else {}
        tip = tip.get("html") or tip.get("text") or "" if isinstance(tip, dict) else str(tip)
        yield from ((kind, s) for s in deck_texts(json.loads(el.proto.json), tip))
        return
    if kind == "arrow_data_frame" or kind == "dataframe":
        df = el.value
        config = json.loads(el.proto.columns) if el.proto.columns else {}
        for col in df.columns:
            cfg = config.get(str(col), {})
            if cfg.get("hidden"):
                continue
            header = str(cfg.get("label") or col)
            yield "dataframe header", header
            if header in CODE_COLUMNS:
                continue
            if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
                yield from ((kind, s) for s in df[col].dropna().astype(str).unique()[:200])
        return
    d = MessageToDict(el.proto)
    for key, value in d.items():
        if key in VISIBLE_FIELDS or key in ("default",) and kind == "metric":
            for s in strings(value):
                yield kind, s


def latin_words(text: str, header: bool = False) -> set[str]:
    """The Latin words of a text that are not codes or on the allow-list (``header``: a table
    header, where an identifier such as found_by is an untranslated column name, not a code)."""
    text = strip_markup(text)
    if not header:
        text = re.sub(r"[\w/.-]+\.(?:toml|py|md|geojson|csv|json|xlsx|duckdb|sqlite3)\b", " ", text)
        text = re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", " ", text)   # snake_case identifiers
        text = re.sub(r"\b[a-z_]+=", " ", text)                         # code=label in the dictionary
        text = re.sub(r"\([a-z_]+\)", " ", text)                        # a table's code after its name
    words = set()
    for w in LATIN_WORD.findall(text):
        if not re.search(r"[A-Za-z]", w) or re.search(r"\d", w) or len(w) == 1 or w.lower() in ALLOWED \
                or w in SQL_WORDS:
            continue
        words.add(w)
    return words


@pytest.fixture(scope="module")
def pages(demo_db):
    import os

    old = os.environ.get("SITREP_DB")
    os.environ["SITREP_DB"] = str(demo_db)
    try:
        return {p: open_page(p, lang="zh", as_of="2022-01-16") for p in PAGES}
    finally:
        if old is None:
            os.environ.pop("SITREP_DB")
        else:
            os.environ["SITREP_DB"] = old


@pytest.mark.parametrize("page", PAGES)
def test_chinese_mode_shows_no_latin_words_outside_the_allow_list(pages, page):
    at = pages[page]
    leaks = {}
    seen = 0
    skip = {id(d) for i, d in enumerate(at.dataframe) if SKIP_DATAFRAMES.get(page, lambda i: False)(i)}
    for kind, text in walk(at._tree, skip):
        seen += 1
        for w in latin_words(text, header=kind == "dataframe header"):
            leaks.setdefault(w, f"{kind}: {strip_markup(text).strip()[:80]}")
    assert seen > 20  # the scan saw the page
    assert leaks == {}


def test_the_scan_catches_english():
    assert latin_words("截至Dec 5 2021的数据 14.566k Upload") == {"Dec", "Upload"}
    assert latin_words("<b>{name}</b> :green[✓ 可信] `python -m sitrep` CSV、Excel 2 GB EARS C2 R00012") == set()
    assert latin_words("found_by") == set() and latin_words("found_by", header=True) == {"found", "by"}
    assert latin_words("写 SELECT 查询") == set() and latin_words("按 date 排序") == {"date"}

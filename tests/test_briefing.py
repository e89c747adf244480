"""The daily briefing: each format (DOCX, PDF, HTML) parsed back holds the same KPI values as
`python -m sitrep query kpis` for that day and scope, formatted as the catalogue formats them; the
headline reads like a briefing; what is red has its place and responsible official with the phone
masked; the HTML opens offline; without a browser the briefing still comes out, with tables; the
command line reports progress on stderr."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from io import BytesIO

import pandas as pd
import plotly.graph_objects as go
import pytest

from sitrep import briefing, catalogue, maps
from sitrep.briefing import model
from sitrep.briefing.context import Context
from sitrep.briefing.images import static_map
from sitrep.briefing.keycharts import MapSpec
from sitrep.db import ROOT, Database

PDFTOTEXT = shutil.which("pdftotext")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
RED_DAY = date(2022, 1, 20)  # the demo city has townships below their reserve target that day


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitrep", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def expected_kpis(demo_db, as_of: date, scope: str | None, lang: str) -> dict[str, str]:
    """{KPI name: value text} from the command line query, formatted by the catalogue."""
    args = ["query", "kpis", "--db", str(demo_db), "--param", f"as_of={as_of}", "--format", "json"]
    if scope:
        args += ["--param", f"region_code={scope}"]
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    cat = catalogue.by_key()
    return {cat[r["kpi"]].name(lang): cat[r["kpi"]].format(r["value"], lang) for r in json.loads(out.stdout)}


@pytest.fixture(scope="module")
def cases(demo_db):
    """(as_of, scope, lang) -> the briefing (no images: the image path has its own test)."""
    database = Database(demo_db)
    township = database.rows("select min(region_code) from regions where level = 'township'")[0][0]
    last = pd.Timestamp(database.query("data_date_range")["max_date"].iloc[0]).date()
    built = {}
    for as_of, scope, lang in ((last, None, "zh"), (RED_DAY, None, "zh"), (last, township, "zh"), (RED_DAY, None, "en")):
        ctx = Context.make(database.query, as_of=as_of, scope=scope, lang=lang)
        built[(as_of, scope, lang)] = briefing.build(ctx, images=False)
    return built


# ---------------------------------------------------------------- reading the files back


def docx_tables(data: bytes) -> list[list[list[str]]]:
    import docx

    document = docx.Document(BytesIO(data))
    return [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.text, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def html_tables(data: bytes) -> tuple[list, str]:
    parser = _Tables()
    parser.feed(data.decode("utf-8"))
    return parser.tables, "".join(parser.text)


def kpi_cells(tables: list) -> dict[str, str]:
    """{KPI name: value} from the KPI tables (header: 指标/KPI, 数值/Value, ...)."""
    out = {}
    for table in tables:
        if table and table[0][:2] in (["指标", "数值"], ["KPI", "Value"]):
            out.update({row[0]: row[1] for row in table[1:]})
    return out


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "b.pdf"
    path.write_bytes(data)
    out = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


# ---------------------------------------------------------------- the content


@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_every_format_holds_the_kpi_values_of_the_query(which, cases, demo_db, tmp_path):
    (as_of, scope, lang), b = list(cases.items())[which]
    expected = expected_kpis(demo_db, as_of, scope, lang)
    assert len(expected) == len(catalogue.load())

    assert kpi_cells(docx_tables(briefing.render(b, "docx"))) == expected
    tables, _ = html_tables(briefing.render(b, "html"))
    assert kpi_cells(tables) == expected
    if PDFTOTEXT is None:
        pytest.fail("pdftotext is missing: scripts/install_browser_deps.sh installs poppler-utils")
    lines = pdf_text(briefing.render(b, "pdf"), tmp_path).splitlines()
    for name, value in expected.items():
        assert any(name in line and value in line for line in lines), f"PDF: {name} {value}"


def test_headline_is_written_from_the_data(cases, demo_db):
    last = max(k[0] for k in cases)
    b = cases[(last, None, "zh")]
    expected = expected_kpis(demo_db, last, None, "zh")
    # the situation's sentence first (sitrep.severity, tested on a known city in tests/test_severity.py)
    assert b.headline.startswith(f"截至{last.month}月{last.day}日24时，全市无新增本土病例，已连续")
    assert f"当日新增病例{expected['新增病例']}（" in b.headline
    for name in ("现有病例", "累计确诊", "在隔离密接", "在管人员", "核酸检测逾期人员", "全程接种率"):
        assert expected[name] in b.headline
    assert "较前日" in b.headline or "与前日持平" in b.headline
    assert b.headline.endswith("。")
    assert f"共{len(b.decisions)}项需决策事项" in b.headline
    en = cases[(RED_DAY, None, "en")]
    assert en.headline.startswith(f"As of 24:00 on Jan {RED_DAY.day} (Whole city): new local cases: ")
    assert "New cases 1 (" in en.headline


def test_change_on_the_day_before_in_words():
    cat = catalogue.by_key()
    new, pct, days = cat["cases_new"], cat["vaccination_full_pct"], cat["days_to_test_everyone"]
    assert model.change_text(new, 5, 3, "zh") == "较前日增加2例"
    assert model.change_text(new, 3, 5, "zh") == "较前日减少2例"
    assert model.change_text(new, 3, 3, "zh") == "与前日持平"
    assert model.change_text(new, 3, None, "zh") == "前日无数据"
    assert model.change_text(new, None, 3, "zh") == "—"
    assert model.change_text(pct, 81.54, 80.31, "zh") == "较前日上升1.2个百分点"
    assert model.change_text(pct, 80.31, 81.54, "en") == "down 1.2 points on the day before"
    assert model.change_text(days, 4.5, 4.25, "en") == "up 0.25 days on the day before"
    assert model.change_text(new, 5, 3, "en") == "up 2 on the day before"
    assert model.status_text("red", "zh") == "■ 红色" and model.status_text("ok", "en") == "✓ ok"


def test_red_items_say_where_and_who_with_the_phone_masked(cases, demo_db):
    b = cases[(RED_DAY, None, "zh")]
    database = Database(demo_db)
    owners = database.query("grid_owner_by_region").set_index("region_name")
    townships = b.decisions[b.decisions["where"].isin(owners.index)]
    assert len(townships) >= 1
    for r in townships.itertuples():
        owner = owners.loc[r.where]
        assert r.responsible_person == owner["responsible_person"]
        assert r.phone == owner["phone"][:3] + "****" + owner["phone"][-4:]
    # the same rows in the preparedness section, and nowhere an unmasked mobile number
    section = next(s for s in b.sections if s.key == "preparedness")
    assert set(townships["where"]) <= set(section.red["where"])
    for fmt in ("docx", "html"):
        data = briefing.render(b, fmt)
        text = (" ".join(c for t in docx_tables(data) for row in t for c in row) if fmt == "docx"
                else html_tables(data)[1])
        assert not MOBILE.search(text), f"{fmt}: an unmasked phone number"
        for phone in townships["phone"]:
            assert phone in text


def test_a_section_per_pillar_and_one_for_cases(cases):
    b = next(iter(cases.values()))
    assert [s.key for s in b.sections] == ["cases", "command", "monitoring", "screening", "publicity", "preparedness"]
    for s in b.sections:
        assert [k.key for k in s.kpis] == [k.key for k in catalogue.for_pillar(s.key)]
        assert 1 <= len(s.images) <= (3 if s.key == "publicity" else 2)  # publicity: map, channels, themes
        assert all(im.png is None and im.note for im in s.images)  # built without images
    assert b.images_note


def test_docx_is_editable_with_chinese_fonts_and_heading_styles(cases):
    import docx
    from docx.oxml.ns import qn

    b = next(iter(cases.values()))
    document = docx.Document(BytesIO(briefing.render(b, "docx")))
    fonts = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    heading = document.styles["Heading 1"].element.rPr.find(qn("w:rFonts"))
    assert heading.get(qn("w:eastAsia")) == "黑体"
    styles = [p.style.name for p in document.paragraphs]
    assert styles.count("Title") == 1
    assert styles.count("Heading 1") == 8  # needs a decision, six sections, definitions
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"][1:7] == \
        [s.title for s in b.sections]


def test_static_map_colours_regions_like_the_page_map():
    square = lambda x: [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]]  # noqa: E731
    polys = pd.DataFrame({"region_code": ["a", "b", "c"], "name": ["甲", "乙", "丙"],
                          "polygon": [square(0), square(1), square(2)]})
    spec = MapSpec(level="township", values=pd.DataFrame({"region_code": ["a", "b"], "value": [1.0, 9.0]}),
                   value_label="人数", palette="blues", highlight={"b"}, highlight_label="盲区")
    fig = static_map(spec, polys, no_data_label="无数据")
    filled = {t.name: t.fillcolor for t in fig.data if t.fill == "toself" and t.x[0] is not None}
    colours, _legend = maps.colour_scale(pd.Series([1.0, 9.0]), "blues")
    assert filled["盲区"] == "rgb{}".format(tuple(maps.HIGHLIGHT)).replace(" ", "")
    assert filled["无数据"] == "rgb{}".format(tuple(maps.NO_DATA)).replace(" ", "")
    assert "rgb({},{},{})".format(*colours[0]) in filled.values()
    assert fig.layout.yaxis.scaleanchor == "x"
    assert isinstance(fig, go.Figure)


# ---------------------------------------------------------------- the command line, images, offline HTML


@pytest.mark.slow
def test_cli_writes_html_with_images_inlined_and_reports_progress(demo_db, tmp_path):
    out = tmp_path / "b.html"
    run = cli("briefing", "--db", str(demo_db), "--as-of", "2022-03-31", "--format", "html", "--out", str(out))
    assert run.returncode == 0, run.stderr
    percents = [int(m) for m in re.findall(r"briefing:\s+(\d+)%", run.stderr)]
    assert percents[0] < 10 and percents[-1] == 100 and percents == sorted(percents)
    html = out.read_text(encoding="utf-8")
    images = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert len(images) == 13 and all(src.startswith("data:image/png;base64,") for src in images)
    # nothing outside the file: no URL, no stylesheet or script to fetch
    assert not re.search(r"https?://|<link|<script|@import|url\(", html)
    assert "本简报未能生成图表" not in html


def test_without_a_browser_the_briefing_has_tables_and_says_so(demo_db, tmp_path):
    out = tmp_path / "b.docx"
    run = cli("briefing", "--db", str(demo_db), "--as-of", "2022-03-31", "--out", str(out), "--quiet",
              env={"BROWSER_PATH": str(tmp_path / "no-such-chromium")})
    assert run.returncode == 0, run.stderr
    import docx

    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "本简报未能生成图表" in text and "仅含表格" in text
    assert kpi_cells(docx_tables(out.read_bytes())) == expected_kpis(demo_db, date(2022, 3, 31), None, "zh")


@pytest.mark.parametrize("args, message", [
    (["--as-of", "31/03/2022", "--out", "x.pdf"], "--as-of takes YYYY-MM-DD"),
    (["--scope", "999", "--out", "x.pdf"], "unknown scope"),
    (["--out", "x.txt"], "--format"),
])
def test_cli_usage_errors(args, message, demo_db, tmp_path):
    run = cli("briefing", "--db", str(demo_db), *[a.replace("x.", str(tmp_path / "x.")) for a in args])
    assert run.returncode == 2
    assert message in run.stderr

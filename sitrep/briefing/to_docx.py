"""The briefing as a Word document (python-docx), editable in Word and WPS: Chinese fonts set as the
East Asian font of every style (宋体 for the text, 黑体 for headings), real heading styles (so the
navigation pane and a table of contents work), tables in the "Table Grid" style, images 16 cm wide,
and page numbers in the footer."""

from __future__ import annotations

import io

import pandas as pd
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from sitrep.briefing.model import Briefing, Section

BODY_FONT = ("Times New Roman", "宋体")  # (Latin, East Asian)
HEADING_FONT = ("Arial", "黑体")
STATUS_RGB = {"red": RGBColor(0xA3, 0x3A, 0x00), "amber": RGBColor(0x8A, 0x5A, 0x00), "ok": RGBColor(0x00, 0x70, 0x4F)}


def _set_font(style_or_run, latin: str, east_asian: str, size: float | None = None, bold: bool | None = None) -> None:
    font = style_or_run.font
    font.name = latin
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = style_or_run.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    # a theme font would override the names above
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(attr)) is not None:
            del fonts.attrib[qn(attr)]


def _styles(doc) -> None:
    styles = doc.styles
    _set_font(styles["Normal"], *BODY_FONT, size=12)
    styles["Normal"].paragraph_format.space_after = Pt(4)
    for name, size in (("Title", 22), ("Heading 1", 16), ("Heading 2", 13)):
        style = styles[name]
        _set_font(style, *HEADING_FONT, size=size, bold=True)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12 if name != "Title" else 0)
        style.paragraph_format.space_after = Pt(6)
    _set_font(styles["Table Grid"], *BODY_FONT, size=10.5)


def _shade(cell, fill: str = "E8E8E8") -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _table(doc, df: pd.DataFrame, headers: list[str], widths_cm: list[float], right: set[int] = frozenset(),
           statuses: list[str] | None = None, status_col: int | None = None) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        _shade(cell)
    for i, row in enumerate(df.itertuples(index=False)):
        cells = table.add_row().cells
        for j, value in enumerate(row):
            text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
            paragraph = cells[j].paragraphs[0]
            run = paragraph.add_run(text)
            if j in right:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if statuses and j == status_col and statuses[i] in STATUS_RGB:
                run.font.color.rgb = STATUS_RGB[statuses[i]]
                run.bold = statuses[i] != "ok"
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    # the header row repeats on every page a long table runs over
    trpr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _page_numbers(doc) -> None:
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


def _caption(doc, text: str, *, bold: bool = False, italic: bool = False, size: float = 10) -> None:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    if not bold:
        run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)


DECISION_WIDTHS = [4.6, 2.6, 2.4, 2.6, 3.0]


def _section(doc, b: Briefing, s: Section) -> None:
    doc.add_heading(s.title, level=1)
    doc.add_paragraph(s.summary)
    kpis = pd.DataFrame([(k.name, k.value_text, k.change_text, k.status_text) for k in s.kpis])
    _table(doc, kpis, [b.t(f"col.{c}") for c in ("kpi", "value", "change", "status")], [5.2, 3.0, 5.0, 2.0],
           right={1}, statuses=[k.status for k in s.kpis], status_col=3)
    doc.add_heading(b.t("red_title"), level=2)
    if s.red.empty:
        doc.add_paragraph(b.t("no_red"))
    else:
        _table(doc, s.red, [b.t(f"col.{c}") for c in ("item", "where", "value", "responsible", "phone")],
               DECISION_WIDTHS, right={2})
    for image in s.images:
        _caption(doc, image.title, bold=True, size=11)
        if image.png:
            doc.add_picture(io.BytesIO(image.png), width=Cm(16))
        else:
            _caption(doc, image.note or b.t("image_missing"), italic=True)
        _caption(doc, image.caption)


def write(b: Briefing) -> bytes:
    """The whole document as .docx bytes."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.2)
    _styles(doc)
    _page_numbers(doc)
    doc.core_properties.title = f"{b.title} {b.subtitle}"
    doc.core_properties.author = "sitrep"

    title = doc.add_paragraph(b.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(b.subtitle)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = [b.t("generated", when=b.generated_at.strftime("%Y-%m-%d %H:%M"))]
    meta.append(b.t("imported", when=b.imported_at.strftime("%Y-%m-%d %H:%M")) if b.imported_at else b.t("no_import"))
    line = doc.add_paragraph()
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = line.add_run(" · ".join(meta))
    run.font.size = Pt(9)
    if b.images_note:
        _caption(doc, b.images_note, italic=True, size=10.5)
    headline = doc.add_paragraph(b.headline)
    headline.paragraph_format.first_line_indent = Pt(24)

    doc.add_heading(b.t("decisions_title"), level=1)
    if b.decisions.empty:
        doc.add_paragraph(b.t("no_decisions"))
    else:
        doc.add_paragraph(b.t("decisions_intro", n=len(b.decisions)))
        _table(doc, b.decisions, [b.t(f"col.{c}") for c in ("item", "where", "value", "responsible", "phone")],
               DECISION_WIDTHS, right={2})
    for s in b.sections:
        _section(doc, b, s)
    doc.add_heading(b.t("definitions_title"), level=1)
    definitions = pd.DataFrame([(k.name, k.definition) for s in b.sections for k in s.kpis])
    _table(doc, definitions, [b.t("col.kpi"), b.t("definitions_title")], [4.5, 11.5])
    _caption(doc, b.t("privacy_note"), size=9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()

"""The briefing as a PDF (fpdf2, A4), typeset with the system's Noto Sans CJK font.

Why fpdf2: it is pure Python (no browser), embeds a subset of the OpenType/CFF Noto Sans CJK font
from the font collection Debian's fonts-noto-cjk installs (reportlab cannot embed CFF outlines),
and writes a ToUnicode map so the text can be searched and copied (pdftotext reads it back). Not
needing a browser matters: when Chromium is missing the charts cannot be drawn, yet the PDF still
comes out, with the tables.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pandas as pd
from fpdf import FPDF
from fpdf.enums import TextMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image as PILImage

from sitrep.briefing.images import png_size
from sitrep.briefing.model import Briefing, Section

FONT_FAMILY = "NotoSansCJK"
# Noto Sans CJK collections: index 2 is the Simplified Chinese face (SC).
FONT_CANDIDATES = [("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
                   ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
                   ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2)]
STATUS_RGB = {"red": (163, 58, 0), "amber": (138, 90, 0), "ok": (0, 112, 79)}
TEXT_WIDTH = 180  # mm: A4 less 15 mm margins


class FontMissing(RuntimeError):
    """No CJK font to set the PDF in."""


@lru_cache(maxsize=None)
def find_font() -> tuple[str, int]:
    """(path, index in the collection) of Noto Sans CJK SC regular."""
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}\t%{index}", "Noto Sans CJK SC"], capture_output=True, text=True)
        file, _, index = out.stdout.partition("\t")
        if file and "CJK" in file and Path(file).is_file():
            return file, int(index or 0)
    raise FontMissing("no Noto Sans CJK font found: install Debian's fonts-noto-cjk")


class _Doc(FPDF):
    page_label = "{n}"

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT_FAMILY, "", 8)
        self.set_text_color(100, 100, 100)
        self.cell(0, 6, self.page_label.format(n=self.page_no()), align="C")


def _new_pdf(b: Briefing) -> _Doc:
    pdf = _Doc(orientation="P", unit="mm", format="A4")
    pdf.page_label = b.t("page", n="{n}")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    # one face: parsing and subsetting a CJK face takes seconds; bold is drawn by stroking the outlines
    path, index = find_font()
    pdf.add_font(FONT_FAMILY, "", path, collection_font_number=index)
    pdf.set_title(f"{b.title} {b.subtitle}")
    pdf.set_author("sitrep")
    pdf.set_lang("zh-CN" if b.lang == "zh" else "en")
    return pdf


def _wrap(b: Briefing) -> WrapMode:
    return WrapMode.CHAR if b.lang == "zh" else WrapMode.WORD


def _strong(pdf: _Doc, on: bool, colour=(0, 0, 0), size: float = 11):
    """Bold without a bold face: fill and stroke the glyphs (stroke width grows with the size). A
    local context (q ... Q in the PDF): fpdf2 leaves a text rendering mode set on the page otherwise."""
    if not on:
        return contextlib.nullcontext()
    return pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=size * 0.012, draw_color=colour)


def _para(pdf: _Doc, b: Briefing, text: str, size: float = 11, bold: bool = False, colour=(26, 26, 26),
          indent: bool = False, h: float | None = None) -> None:
    pdf.set_font(FONT_FAMILY, "", size)
    pdf.set_text_color(*colour)
    if indent:
        text = "\u3000\u3000" + text if b.lang == "zh" else text
    with _strong(pdf, bold, colour, size):
        pdf.multi_cell(0, h or size * 0.55, text, wrapmode=_wrap(b), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(1.5)


def _heading(pdf: _Doc, text: str, level: int) -> None:
    size = 15 if level == 1 else 12
    if pdf.will_page_break(size * 0.6 + 30):  # keep a heading with what follows it
        pdf.add_page()
    pdf.ln(3 if level == 1 else 1.5)
    pdf.set_font(FONT_FAMILY, "", size)
    pdf.set_text_color(0, 0, 0)
    if level == 1:
        pdf.set_draw_color(178, 34, 34)
        pdf.set_line_width(1.2)
        x, y = pdf.get_x(), pdf.get_y()
        pdf.line(x, y + 0.8, x, y + size * 0.5)
        pdf.set_x(x + 3)
    with _strong(pdf, True, size=size):
        pdf.cell(0, size * 0.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def _table(pdf: _Doc, b: Briefing, df: pd.DataFrame, headers: list[str], widths: list[float],
           right: set[int] = frozenset(), statuses: list[str] | None = None, status_col: int | None = None) -> None:
    pdf.set_font(FONT_FAMILY, "", 9.5)
    pdf.set_text_color(26, 26, 26)
    pdf.set_draw_color(170, 170, 170)
    pdf.set_line_width(0.2)
    heading = FontFace(family=FONT_FAMILY, emphasis="", fill_color=(225, 225, 225))
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT", line_height=5.2,
                   headings_style=heading, wrapmode=_wrap(b), padding=(1, 1.5, 1, 1.5)) as table:
        row = table.row()
        for h in headers:
            row.cell(h)
        for i, values in enumerate(df.itertuples(index=False)):
            row = table.row()
            for j, value in enumerate(values):
                text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
                style = None
                if statuses and j == status_col and statuses[i] in STATUS_RGB:
                    style = FontFace(color=STATUS_RGB[statuses[i]])
                row.cell(text, align="RIGHT" if j in right else None, style=style)
    pdf.ln(2)


DECISION_WIDTHS = [52, 30, 28, 30, 34]


def _jpeg(png: bytes) -> io.BytesIO:
    """A PNG as a high-quality JPEG on white: fpdf2 embeds a JPEG as it is (DCTDecode), while a PNG's
    pixels (and its alpha channel) would be recompressed, which takes seconds for a briefing."""
    with PILImage.open(io.BytesIO(png)) as im:
        rgba = im.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="JPEG", quality=90, optimize=True)
    out.seek(0)
    return out


def _image(pdf: _Doc, b: Briefing, image) -> None:
    if image.png:
        w_px, h_px = png_size(image.png)
        height = TEXT_WIDTH * h_px / w_px
        if pdf.will_page_break(height + 12):
            pdf.add_page()
    _para(pdf, b, image.title, size=10.5, bold=True)
    if image.png:
        pdf.image(_jpeg(image.png), w=TEXT_WIDTH)
        pdf.ln(1)
    else:
        _para(pdf, b, image.note or b.t("image_missing"), size=9.5, colour=(100, 100, 100))
    _para(pdf, b, image.caption, size=9, colour=(68, 68, 68))


def _section(pdf: _Doc, b: Briefing, s: Section) -> None:
    _heading(pdf, s.title, 1)
    _para(pdf, b, s.summary)
    kpis = pd.DataFrame([(k.name, k.value_text, k.change_text, k.status_text) for k in s.kpis])
    _table(pdf, b, kpis, [b.t(f"col.{c}") for c in ("kpi", "value", "change", "status")], [62, 34, 58, 26],
           right={1}, statuses=[k.status for k in s.kpis], status_col=3)
    _heading(pdf, b.t("red_title"), 2)
    if s.red.empty:
        _para(pdf, b, b.t("no_red"))
    else:
        _table(pdf, b, s.red, [b.t(f"col.{c}") for c in ("item", "where", "value", "responsible", "phone")],
               DECISION_WIDTHS, right={2})
    for image in s.images:
        _image(pdf, b, image)


def write(b: Briefing) -> bytes:
    """The whole document as PDF bytes. Raises FontMissing when no CJK font is installed."""
    pdf = _new_pdf(b)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, "", 20)
    with _strong(pdf, True, size=20):
        pdf.cell(0, 11, b.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "", 12)
    pdf.cell(0, 7, b.subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    meta = [b.t("generated", when=b.generated_at.strftime("%Y-%m-%d %H:%M"))]
    meta.append(b.t("imported", when=b.imported_at.strftime("%Y-%m-%d %H:%M")) if b.imported_at else b.t("no_import"))
    pdf.set_font(FONT_FAMILY, "", 8.5)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 5, " · ".join(meta), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(178, 34, 34)
    pdf.set_line_width(0.8)
    pdf.line(15, pdf.get_y() + 2, 195, pdf.get_y() + 2)
    pdf.ln(5)
    if b.images_note:
        _para(pdf, b, b.images_note, size=9.5, colour=(138, 90, 0))
    _para(pdf, b, b.headline, size=11.5, indent=True, h=6.6)

    _heading(pdf, b.t("decisions_title"), 1)
    if b.decisions.empty:
        _para(pdf, b, b.t("no_decisions"))
    else:
        _para(pdf, b, b.t("decisions_intro", n=len(b.decisions)))
        _table(pdf, b, b.decisions, [b.t(f"col.{c}") for c in ("item", "where", "value", "responsible", "phone")],
               DECISION_WIDTHS, right={2})
    for s in b.sections:
        _section(pdf, b, s)
    _heading(pdf, b.t("definitions_title"), 1)
    definitions = pd.DataFrame([(k.name, k.definition) for s in b.sections for k in s.kpis])
    _table(pdf, b, definitions, [b.t("col.kpi"), b.t("definitions_title")], [50, 130])
    _para(pdf, b, b.t("privacy_note"), size=8.5, colour=(90, 90, 90))
    return bytes(pdf.output())

"""The briefing as one self-contained HTML file: CSS inline, images inlined as base64 PNG, no URL
to anything outside the file, so it opens offline and can be mailed as it is."""

from __future__ import annotations

import base64
from html import escape

import pandas as pd

from sitrep.briefing.model import Briefing, Section

CSS = """
@page { size: A4; margin: 18mm 16mm; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f4; color: #1a1a1a;
       font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimSun", sans-serif;
       font-size: 15px; line-height: 1.7; }
main { max-width: 980px; margin: 0 auto; background: #fff; padding: 36px 48px 48px; }
h1 { font-size: 28px; text-align: center; margin: 0 0 4px; letter-spacing: 2px; }
.subtitle { text-align: center; font-size: 17px; margin: 0; }
.meta { text-align: center; color: #555; font-size: 13px; margin: 2px 0 18px; }
.headline { font-size: 16px; text-indent: 2em; border-top: 3px solid #b22222; padding-top: 14px; }
h2 { font-size: 21px; border-left: 6px solid #b22222; padding-left: 10px; margin: 30px 0 8px; }
h3 { font-size: 17px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 14px; }
th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
.status-red { color: #a33a00; font-weight: bold; }
.status-amber { color: #8a5a00; font-weight: bold; }
.status-ok { color: #00704f; }
.note { background: #fff4e0; border: 1px solid #e69f00; padding: 6px 10px; }
figure { margin: 14px 0; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-weight: bold; }
.caption { color: #444; font-size: 13px; margin: 2px 0 0; }
.missing { color: #666; font-style: italic; }
footer { margin-top: 28px; color: #555; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px; }
@media print { body { background: #fff; } main { padding: 0; max-width: none; } }
"""


def _table(df: pd.DataFrame, headers: list[str], numeric: set[int] = frozenset(), status_col: int | None = None,
           statuses: list[str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    rows = []
    for i, row in enumerate(df.itertuples(index=False)):
        cells = []
        for j, value in enumerate(row):
            text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
            cls = []
            if j in numeric:
                cls.append("num")
            if status_col is not None and j == status_col and statuses:
                cls.append(f"status-{statuses[i]}")
            attr = f' class="{" ".join(cls)}"' if cls else ""
            cells.append(f"<td{attr}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _decision_headers(b: Briefing) -> list[str]:
    return [b.t(f"col.{c}") for c in ("item", "where", "value", "responsible", "phone")]


def _section(b: Briefing, s: Section) -> str:
    out = [f'<section id="{escape(s.key)}"><h2>{escape(s.title)}</h2>', f"<p>{escape(s.summary)}</p>"]
    kpis = pd.DataFrame([(k.name, k.value_text, k.change_text, k.status_text) for k in s.kpis])
    out.append(_table(kpis, [b.t(f"col.{c}") for c in ("kpi", "value", "change", "status")], numeric={1},
                      status_col=3, statuses=[k.status for k in s.kpis]))
    out.append(f"<h3>{escape(b.t('red_title'))}</h3>")
    if s.red.empty:
        out.append(f"<p>{escape(b.t('no_red'))}</p>")
    else:
        out.append(_table(s.red, _decision_headers(b), numeric={2}))
    for image in s.images:
        out.append(f"<figure><figcaption>{escape(image.title)}</figcaption>")
        if image.png:
            data = base64.b64encode(image.png).decode("ascii")
            out.append(f'<img alt="{escape(image.title)}" src="data:image/png;base64,{data}">')
        else:
            out.append(f'<p class="missing">{escape(image.note or b.t("image_missing"))}</p>')
        out.append(f'<p class="caption">{escape(image.caption)}</p></figure>')
    out.append("</section>")
    return "\n".join(out)


def write(b: Briefing) -> str:
    """The whole document as one HTML string (UTF-8 when saved)."""
    meta = [b.t("generated", when=b.generated_at.strftime("%Y-%m-%d %H:%M"))]
    meta.append(b.t("imported", when=b.imported_at.strftime("%Y-%m-%d %H:%M")) if b.imported_at else b.t("no_import"))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if b.lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(b.title)} · {escape(b.subtitle)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{escape(b.title)}</h1>",
        f'<p class="subtitle">{escape(b.subtitle)}</p>',
        f'<p class="meta">{escape(" · ".join(meta))}</p>',
    ]
    if b.images_note:
        parts.append(f'<p class="note">{escape(b.images_note)}</p>')
    parts.append(f'<p class="headline">{escape(b.headline)}</p>')
    parts.append(f'<section id="decisions"><h2>{escape(b.t("decisions_title"))}</h2>')
    if b.decisions.empty:
        parts.append(f"<p>{escape(b.t('no_decisions'))}</p>")
    else:
        parts.append(f"<p>{escape(b.t('decisions_intro', n=len(b.decisions)))}</p>")
        parts.append(_table(b.decisions, _decision_headers(b), numeric={2}))
    parts.append("</section>")
    parts.extend(_section(b, s) for s in b.sections)
    definitions = pd.DataFrame([(k.name, k.definition) for s in b.sections for k in s.kpis])
    parts.append(f'<section id="definitions"><h2>{escape(b.t("definitions_title"))}</h2>')
    parts.append(_table(definitions, [b.t("col.kpi"), b.t("definitions_title")]) + "</section>")
    parts.append(f"<footer>{escape(b.t('privacy_note'))}</footer></main></body></html>")
    return "\n".join(parts)

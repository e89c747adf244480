"""The daily briefing (每日简报): the city's situation on one day as a document for leaders, in Word
(DOCX), PDF or one self-contained HTML file.

    from sitrep.briefing import Context, build, render
    ctx = Context.make(Database(path).query, as_of=date(2022, 3, 31), scope=None, lang="zh")
    briefing = build(ctx, progress=lambda fraction, message: ...)
    data = render(briefing, "docx")

``python -m sitrep briefing --as-of 2022-03-31 --format pdf --out briefing.pdf`` does the same from
the command line; the Overview page offers the three formats as downloads.

- model.py: what the briefing says (headline, needs-a-decision list, one section per pillar);
- keycharts.py: the key charts and maps of each pillar (shared with the projection screen);
- images.py: static maps and PNG rendering with kaleido;
- to_docx.py, to_pdf.py, to_html.py: the writers.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

from sitrep.audit import record_quietly
from sitrep.lake_db import served_database
from sitrep.errors import UsageError
from sitrep.briefing.context import Context
from sitrep.briefing.model import Briefing, build

__all__ = ["Briefing", "Context", "FORMATS", "MIME", "build", "render", "file_name", "cli_briefing"]

FORMATS = ("docx", "pdf", "html")
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "html": "text/html",
}


def render(briefing: Briefing, fmt: str) -> bytes:
    """The briefing as a file of format fmt (docx, pdf or html)."""
    # each writer loads its own library (python-docx; fpdf2 and the fonts; the HTML template), 0.2-0.4 s
    # each: only the one asked for
    if fmt == "docx":
        from sitrep.briefing import to_docx

        return to_docx.write(briefing)
    if fmt == "pdf":
        from sitrep.briefing import to_pdf

        return to_pdf.write(briefing)
    if fmt == "html":
        from sitrep.briefing import to_html

        return to_html.write(briefing).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def file_name(briefing: Briefing, fmt: str) -> str:
    """每日简报_2022-03-31_全市.docx / daily_briefing_2022-03-31_<scope>.pdf"""
    stem = "每日简报" if briefing.lang == "zh" else "daily_briefing"
    where = briefing.scope or ("全市" if briefing.lang == "zh" else "city")  # the file name: the whole, as 全市
    return f"{stem}_{briefing.as_of.isoformat()}_{where}.{fmt}"


def cli_briefing(args) -> int:
    """python -m sitrep briefing: build, write --out, report progress on stderr."""

    fmt = args.format or Path(args.out).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise UsageError(f"give --format {'|'.join(FORMATS)} (or an --out file ending in one of them)")
    as_of = None
    if args.as_of:
        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise UsageError(f"--as-of takes YYYY-MM-DD, got {args.as_of!r}") from None
    database = served_database(args.db)  # over a lake when $SITREP_LAKE is set, as the dashboard
    if not database.exists():
        raise UsageError(f"no database at {database.path}")
    try:
        ctx = Context.make(database.query, as_of=as_of, scope=args.scope or None, lang=args.lang)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not ctx.min_date <= ctx.as_of:
        raise UsageError(f"--as-of {ctx.as_of} is before the data begin ({ctx.min_date})")
    started = time.monotonic()
    last = [-1]

    def progress(fraction: float, message: str) -> None:
        pct = int(fraction * 100)
        if not args.quiet and pct != last[0]:
            last[0] = pct
            print(f"briefing: {pct:3d}% {message}", file=sys.stderr, flush=True)

    briefing = build(ctx, images=not args.no_images, progress=progress)
    progress(1.0, ctx.t("briefing.progress.write"))
    data = render(briefing, fmt)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)

    # in the audit log as a download from the dashboard is (a briefing leaves the system)
    if not record_quietly("export", user=getattr(args, "user", None) or os.environ.get("USER"), via="cli",
                          file=out.name, bytes=len(data), format=fmt, as_of=ctx.as_of.isoformat(), scope=ctx.scope,
                          lang=ctx.lang, db_path=args.db) and not args.quiet:
        print("briefing: could not write the audit log", file=sys.stderr)
    if briefing.images_note and not args.quiet:
        print(f"briefing: {briefing.images_note}", file=sys.stderr)
    if not args.quiet:
        print(f"briefing: wrote {out} ({len(data):,} bytes) in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0

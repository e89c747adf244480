"""``python -m sitrep import``: run an import and print its report.

Exit status: 0 every file loaded (with --skip-invalid also when invalid rows were set
aside in the rejects file), 1 a file was rejected for its content, 2 wrong usage.
"""

from __future__ import annotations

import json
import sys
import time

from sitrep.db import Database
from sitrep.errors import UsageError
from sitrep.ingest.load import ImportUsageError, import_files


def _progress_printer(stream):
    """Percent + stage on stderr: a line per stage, at most a few per second."""
    last = {"t": 0.0, "stage": None}

    def show(fraction: float, stage: str) -> None:
        now = time.monotonic()
        if stage == last["stage"] and now - last["t"] < 0.5 and fraction < 1.0:
            return
        last["t"], last["stage"] = now, stage
        stream.write(f"[{fraction * 100:5.1f}%] {stage}\n")
        stream.flush()

    return show


def cli_import(args) -> int:
    if args.skip_invalid and not args.rejects:
        raise UsageError("--skip-invalid needs --rejects PATH (where the rejected rows go)")
    if args.rejects and not args.skip_invalid:
        raise UsageError("--rejects is only used with --skip-invalid")
    db = Database(args.db)
    try:
        reports = import_files(
            db, args.files, table=args.table, sheet=args.sheet, skip_invalid=args.skip_invalid,
            rejects=args.rejects, user=args.user,
            progress=None if args.quiet else _progress_printer(sys.stderr),
        )
    except ImportUsageError as e:
        raise UsageError(str(e)) from None
    if args.json:
        json.dump([r.to_dict() for r in reports], sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for r in reports:
            print(r.summary(args.lang))
    return 1 if any(r.status == "rejected" for r in reports) else 0

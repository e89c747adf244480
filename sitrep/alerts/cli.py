"""``python -m sitrep alerts``: the alert list of a day with its response state, as text or JSON."""

from __future__ import annotations

import json
import sys

import pandas as pd

from sitrep import i18n, privacy
from sitrep.alert_responses import AlertRef, StateStore, resolve_state_path
from sitrep.db import Database, QueryError
from sitrep.errors import UsageError
from sitrep.alerts.config import AlertConfigError
from sitrep.alerts.engine import attach_status, compute_alerts, title


def cli_alerts(args) -> int:
    db = Database(args.db)
    if not db.exists():
        print(f"error: no database at {db.path}", file=sys.stderr)
        return 1
    try:
        as_of = args.as_of or db.query("data_date_range")["max_date"].iloc[0]
        as_of = pd.Timestamp(as_of).date()
    except ValueError:
        raise UsageError(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)") from None
    try:
        df = compute_alerts(db, as_of=as_of, region_code=args.region)
    except (AlertConfigError, QueryError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    store = StateStore(resolve_state_path(args.state, db_path=db.path))
    if args.record and not df.empty:
        store.record_seen(AlertRef.from_row(r) for _, r in df.iterrows())
    df = attach_status(df, store.statuses(df["alert_id"]))
    lang = args.lang
    rows = [{
        "alert_id": r["alert_id"], "status": r["status"], "kind": r["kind"], "title": title(r, lang),
        "where": r["place_name"], "since": r["start_day"].isoformat(), "last_day": r["last_day"].isoformat(),
        "active": bool(r["active"]),
        "responsible": None if pd.isna(r["responsible_person"]) else r["responsible_person"],
        "phone": None if pd.isna(r["phone"]) else privacy.mask_phone(r["phone"]),
        "value": None if pd.isna(r["value"]) else float(r["value"]),
        "threshold": None if pd.isna(r["threshold"]) else float(r["threshold"]),
    } for _, r in df.iterrows()]
    if args.json:
        sys.stdout.write(json.dumps({"as_of": as_of.isoformat(), "region_code": args.region, "alerts": rows},
                                    ensure_ascii=False) + "\n")
        return 0
    if not rows:
        print(i18n.t("alerts.none", lang))
        return 0
    for r in rows:
        status = i18n.t(f"alerts.status.{r['status']}", lang)
        who = f"{r['responsible'] or '—'} {r['phone'] or ''}".strip()
        print(f"{status}\t{r['since']}\t{r['title']}\t{who}\t{r['alert_id']}")
    return 0

"""The admins' view of access: the audit log with filters, and the users (read-only: users
are managed on the server's command line). Drawn as a tab of the Data page."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from sitrep import audit
from sitrep.auth import users, web
from sitrep.ui.state import day_range, day_select
from sitrep.ui.widgets import downloads

LIMIT = 5000
AUDIT_DAYS = 366  # how far back the day pickers go


def render_audit(view) -> None:
    if not web.can("audit"):
        st.error(view.t("auth.no_permission"))
        return
    t = view.t
    all_label = t("auth.audit.all")
    c1, c2, c3, c4, c5 = st.columns(5)
    # the last year's days, written in the page's language (Streamlit's calendar would be English)
    today = date.today()
    days = day_range(today - timedelta(days=AUDIT_DAYS), today)
    since = day_select(c1, t("auth.audit.since"), days, key="audit_since", lang=view.lang, none_label=all_label)
    until = day_select(c2, t("auth.audit.until"), days, key="audit_until", lang=view.lang, none_label=all_label)
    user = c3.selectbox(t("auth.audit.user"), [None, *audit.users_seen()], key="audit_user",
                        format_func=lambda u: all_label if u is None else u)
    event = c4.selectbox(t("auth.audit.event"), [None, *audit.EVENTS], key="audit_event",
                         format_func=lambda e: all_label if e is None else t(f"auth.audit.events.{e}"))
    outcome = c5.selectbox(t("auth.audit.outcome"), [None, *audit.OUTCOMES], key="audit_outcome",
                           format_func=lambda o: all_label if o is None else t(f"auth.audit.outcomes.{o}"))
    log = audit.events(since=since, until=until, user=user, event=event, outcome=outcome, limit=LIMIT)
    log["event"] = [t(f"auth.audit.events.{e}") for e in log["event"]]
    log["outcome"] = [t(f"auth.audit.outcomes.{o}") for o in log["outcome"]]
    st.caption(t("auth.audit.caption", n=f"{LIMIT:,}"))
    shown = log.rename(columns={c: t(f"auth.audit.col.{c}") for c in log.columns})
    st.dataframe(shown, hide_index=True, width="stretch", height=480)
    downloads(view, shown, name="audit_log", key="audit_log")

    st.markdown(f"**{t('auth.audit.users_title')}**")
    st.caption(t("auth.audit.users_caption"))
    uf = users.load_cached()
    rows = [{"name": u.name, "display_name": u.display_name, "role": t(f"auth.role.{u.role}"),
             "township": u.township or "", "grants": ", ".join(u.grants), "disabled": u.disabled,
             "created": u.created} for u in uf.users.values()]
    if rows:
        shown = pd.DataFrame(rows)
        shown = shown.rename(columns={c: t(f"auth.audit.col.{c}") for c in shown.columns})
        st.dataframe(shown, hide_index=True, width="stretch")
        downloads(view, shown, name="users", key="audit_users")

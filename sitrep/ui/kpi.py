"""KPIs across regions: the values behind the overview map and the "needs a decision" list.

The logic is sitrep.decisions (plain functions, shared with the projection screen and the
daily briefing); here it runs on the cached queries and is laid out for the page.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from sitrep import catalogue, decisions, i18n, quality, severity
from sitrep import regions as region_tree
from sitrep.auth import web as access
from sitrep.figures import STATUS_ICONS
from sitrep.ui import alerts as alerts_ui
from sitrep.ui.data import checked_db, get_db, query, scope_key
from sitrep.ui.state import View, regions_index, scope_name

# trust status -> the KPI status whose icon and colour it borrows (an icon and a word, never colour alone)
TRUST_AS_STATUS = {"ok": "ok", "warn": "amber", "bad": "red"}
TRUST_COLOURS = {"ok": "green", "warn": "orange", "bad": "red"}


def child_level(view: View) -> str:
    """Regions one level below the scope: counties of a lake's prefecture, townships of a county, villages below."""
    return region_tree.child_level(view.scope, regions_index())


def children(view: View) -> list[str]:
    return region_tree.children(view.scope, regions_index())


def kpis_by_region(view: View) -> pd.DataFrame:
    """Every KPI for each region one level below the scope: region_code, name, kpi, value."""
    return decisions.kpis_by_region(query, view.as_of, view.scope)


@st.cache_data(max_entries=256, show_spinner=False)
def _situation(path: str, version: tuple | None, model_stamp: int, as_of: date, scope: str | None, lang: str,
               scope_name: str) -> severity.Situation:
    regions = regions_index()
    return severity.assess(query, as_of=as_of, scope=scope, lang=lang, scope_name=scope_name, regions=regions,
                           by_region=decisions.kpis_by_region(query, as_of, scope))


def situation(view: View) -> severity.Situation:
    """The view's day and scope under the severity model (data/severity.toml): items, folded rows, ranking,
    headline; cached per database version, model file, day, scope and language."""
    db = get_db()
    stamp = severity.CONFIG_FILE.stat().st_mtime_ns
    return _situation(str(db.path), db.version(), stamp, view.as_of, view.scope, view.lang, scope_name(view))


def open_alerts(view: View, listed: pd.DataFrame) -> pd.DataFrame:
    """The open alerts of the view's listed alerts (sitrep.ui.alerts.open_alerts_summary) with the page's
    column headers; the phone column keeps its name so that the table masks it."""
    df = alerts_ui.open_alerts_summary(view, listed)
    cols = {"item": view.t("overview.col_item"), "where": view.t("overview.col_where"),
            "since": view.t("overview.col_since"), "responsible": view.t("overview.col_responsible"),
            "phone": "phone"}
    return df[list(cols)].rename(columns=cols)


# ---------------------------------------------------------------- data trust per pillar


@st.cache_data(max_entries=256, show_spinner=False)
def _trust(path: str, version: tuple | None, config_stamp: float, limit: str | None, as_of: date,
           scope: str | None, now: datetime) -> dict[str, dict]:
    return quality.trust_by_pillar(checked_db(path), as_of, scope, now=now)


def data_trust(view: View) -> tuple[dict[str, dict], datetime]:
    """sitrep.quality.trust_by_pillar for the view (its day, its scope as the user may see it), checked
    this hour; cached per database version, settings file, day, scope and hour. Returns it and the hour."""
    db = get_db()
    now = quality.now_hour()
    stamp = quality.load_config().path.stat().st_mtime
    return _trust(str(db.path), db.version(), stamp, scope_key(), view.as_of, access.clamp_scope(view.scope),
                  now), now


def trust_reasons(view: View, trust: dict[str, dict]) -> list[str]:
    """Why each pillar that is not trusted is not, in the view's language."""
    rules = {r.name: (r.zh if view.lang == "zh" else r.en) for r in quality.load_config().rules}
    out = []
    for pillar, t in trust.items():
        name = view.t(f"nav.{pillar}")
        if t["stale_tables"]:
            tables = "、".join(i18n.table_label(x, view.lang) for x in t["stale_tables"])
            out.append(view.t("overview.trust_why_stale", pillar=name, tables=tables))
        if not t["complete"]:
            out.append(view.t("overview.trust_why_incomplete", pillar=name, pct=t["complete_pct"]))
        if t["broken_rules"]:
            sep = ";" if view.lang == "zh" else "; "
            out.append(view.t("overview.trust_why_rules", pillar=name,
                              rules=sep.join(f"{rules.get(k, k)} ({n})" for k, n in t["broken_rules"].items())))
        if t["failed_rules"]:
            out.append(view.t("overview.trust_why_failed", pillar=name, rules=", ".join(t["failed_rules"])))
        if trust_findings(view, t):
            out.append(view.t("quality.trust.why_findings", pillar=name, findings=trust_findings(view, t),
                              days=quality.trust.FINDINGS_DAYS))
    return out


def trust_findings(view: View, t: dict) -> str:
    """'异常值83个、疑似重复10对' / '83 outliers, 10 suspected duplicate pairs' ('' when none)."""
    parts = [view.t(f"quality.trust.{k}", n=t.get(k, 0)) for k in ("outliers", "duplicates") if t.get(k)]
    return ("、" if view.lang == "zh" else ", ").join(parts)


def trust_line(view: View, trust: dict[str, dict], checked: datetime) -> str:
    """One line: the label, then each pillar in catalogue order with an icon and a word."""
    parts = []
    for pillar in catalogue.PILLARS:
        status = trust[pillar]["status"]
        icon = STATUS_ICONS[TRUST_AS_STATUS[status]]
        found = trust_findings(view, trust[pillar])
        found = (f"({found})" if view.lang == "zh" else f" ({found})") if found else ""
        parts.append(f"{view.t(f'nav.{pillar}')} :{TRUST_COLOURS[status]}[{icon} {view.t(f'overview.trust_{status}')}"
                     f"{found}]")
    when = view.t("overview.trust_as_of", as_of=view.date_text(view.as_of), checked=checked.strftime("%Y-%m-%d %H:%M"))
    colon = ":" if view.lang == "zh" else ": "
    return f"**{view.t('overview.trust_label')}**{colon}" + "\u2003".join(parts) + f"  \n:gray[{when}]"


def render_trust(view: View) -> None:
    """The data-trust indicator: one compact line, the reasons in its tooltip.

    Not for an account limited to a township yet: trust reads the freshness of every table
    (queries/quality_freshness.sql, city-wide metadata like import_latest), which the access rules
    do not list as scope-free (sitrep.auth.roles.SCOPE_FREE_QUERIES)."""
    if access.scope_limit() is not None:
        return
    trust, checked = data_trust(view)
    reasons = trust_reasons(view, trust)
    st.markdown(trust_line(view, trust, checked), help="\n\n".join([view.t("overview.trust_help"), *reasons]))

"""The Overview's situation parts: the headline, the case cards the severity model adds, the 需决策事项 list,
the township ranking (红黑榜) with its map, and the open alerts - laid out for the page from one assessment
(sitrep.severity via sitrep.ui.kpi.situation)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sitrep import catalogue, situation_html
from sitrep.maps import LegendItem
from sitrep.severity import Situation
from sitrep.ui import alerts as alerts_ui
from sitrep.ui import kpi as kpis
from sitrep.ui import widgets as w
from sitrep.ui.state import View, set_scope

DECISION_ROWS = 6
LEVEL_CLASS = {"ok": 0, "amber": 1, "red": 2}


def style() -> None:
    """The situation's classes, and a narrower page margin: the headline, the KPI strip and the first rows of
    需决策事项 must fit the first screen at 1920x1080."""
    st.html(f"<style>{situation_html.css()}"
            '[data-testid="stMainBlockContainer"] { padding: 2.5rem 2rem 4rem 2rem !important; }</style>')


def headline(view: View, sit: Situation) -> None:
    st.html(situation_html.headline_html(sit.headline, len(sit.decisions)))


def case_cards(view: View, sit: Situation) -> list[situation_html.Card]:
    """The cards the cases group adds: new local cases (red on any), new imported cases (amber on any), days
    since the last local case."""
    f = sit.facts
    unit = "例" if view.lang == "zh" else ""
    days = f.days_since_local
    sep = "。" if view.lang == "zh" else ". "
    end = "。" if view.lang == "zh" else "."

    def help_text(*parts):
        return sep.join(parts) + end

    last = (view.t("overview.card_days_none") if days is None else
            view.t("overview.card_days_last", day=view.date_text(f.last_local)))
    return [
        situation_html.Card("cases_local_new", view.t("overview.card_local_new"), f"{f.local_count}{unit}",
                            "red" if f.local_count else "ok",
                            help_text(view.t("overview.card_local_new_help"), view.as_of_text)),
        situation_html.Card("cases_imported_new", view.t("overview.card_imported_new"), f"{f.imported_count}{unit}",
                            "amber" if f.imported_count else "ok",
                            help_text(view.t("overview.card_imported_new_help"), view.as_of_text)),
        situation_html.Card("cases_days_since_local", view.t("overview.card_days_since_local"),
                            "—" if days is None else view.t("overview.days", n=days), "none",
                            help_text(view.t("overview.card_days_since_local_help"), last, view.as_of_text)),
    ]


def decisions(view: View, sit: Situation) -> None:
    """需决策事项: the red rows (folded, the first few, each opening to its places), then the amber ones in an
    expander, then every item as a table with who to call (phone masked) and downloads."""
    red = sit.decision_rows
    # what the list counts is in the title's help: the first rows must stay on the first screen
    st.subheader(view.t("overview.decisions_title", n=len(sit.decisions)),
                 help=view.t("overview.decisions_caption", rows=len(red)))
    if not red:
        st.success(view.t("overview.nothing_to_decide"))
    else:
        st.html(situation_html.decision_rows_html(red, view.lang, DECISION_ROWS))
    amber = [f for f in sit.folded if f.level != "red"]
    if amber:
        with st.expander(view.t("overview.amber_title", n=sum(f.count for f in amber))):
            st.html(situation_html.decision_rows_html(amber, view.lang, len(amber)))
    if len(red) > DECISION_ROWS or not sit.items.empty:
        with st.expander(view.t("overview.all_items", n=len(sit.items))):
            items = sit.items
            table = pd.DataFrame({
                view.t("overview.col_level"): [view.t(f"severity.level.{lvl}") for lvl in items["level"]],
                view.t("overview.col_item"): items["item"], view.t("overview.col_where"): items["where"],
                view.t("overview.col_value"): items["value_text"],
                view.t("overview.col_responsible"): items["responsible_person"], "phone": items["phone"]})
            w.table(view, table, name=f"items_{view.as_of}", key="overview_items",
                    column_labels={"phone": view.t("overview.col_phone")})


def open_alerts(view: View) -> None:
    """未处置预警: the alerts of the Monitoring page's list nobody has responded to yet (the same count as its
    待处置 badge), with what the rows fold."""
    listed = alerts_ui.listed_alerts(view)  # once: listing them records when each was first seen
    n = int((listed["status"] == "open").sum()) if not listed.empty else 0
    with st.expander(view.t("overview.open_alerts", n=n)):
        st.caption(view.t("overview.open_alerts_caption"))
        table = kpis.open_alerts(view, listed)
        if table.empty:
            st.caption(view.t("alerts.none"))
        else:
            w.table(view, table, name=f"open_alerts_{view.as_of}", key="open_alerts", height=248,
                    column_labels={"phone": view.t("overview.col_phone")})


def ranking(view: View, sit: Situation) -> None:
    """红黑榜: the regions one level below, worst first; picking a row opens that region's view."""
    r = sit.ranking
    level_name = view.t(f"overview.level_{kpis.child_level(view)}")
    st.subheader(view.t("overview.ranking_title", level=level_name), help=view.t("overview.ranking_caption"))
    icons = situation_html.ICONS
    shown = pd.DataFrame({
        view.t("overview.col_rank"): r["rank"],
        view.t("overview.col_place"): r["name"],
        view.t("overview.col_status"): [f"{icons[lv]} {view.t(f'severity.level.{lv}')}" for lv in r["level"]],
        view.t("overview.col_red"): r["red"], view.t("overview.col_amber"): r["amber"],
        view.t("overview.col_worst"): r["worst"],
    })
    event = st.dataframe(shown, hide_index=True, width="stretch", height=min(38 + 35 * len(shown), 320),
                         on_select="rerun", selection_mode="single-row", key="overview_ranking",
                         column_config={view.t("overview.col_worst"): st.column_config.TextColumn(width="large")})
    rows = event.selection.rows if event and event.selection else []
    if rows and rows[0] < len(r):
        code = r["region_code"].iloc[rows[0]]
        if code != view.scope:
            set_scope(code)
            st.rerun()


def ranking_map(view: View, sit: Situation) -> None:
    """The map of the regions below: coloured by their place in the ranking (red, amber, no item), or by one
    KPI the user picks; names drawn without overlap, worst first; clicking a region opens its view."""
    cat = catalogue.by_key()
    options = ["ranking", *cat]
    choice = st.selectbox(view.t("overview.map_kpi"), options, key="overview_map_kpi",
                          format_func=lambda k: view.t("overview.map_ranking") if k == "ranking" else cat[k].name(view.lang))
    codes = list(sit.ranking["region_code"])
    if choice == "ranking":
        values = pd.DataFrame({"region_code": codes, "value": [LEVEL_CLASS[x] for x in sit.ranking["level"]]})
        tokens = situation_html.TOKENS
        rgb = {s: tuple(int(tokens[s][2][i:i + 2], 16) for i in (1, 3, 5)) for s in ("ok", "amber", "red")}
        classes = {LEVEL_CLASS[s]: LegendItem(rgb[s], f"{situation_html.ICONS[s]} {view.t(f'severity.level.{s}')}")
                   for s in ("red", "amber", "ok")}
        w.region_map(view, values, level=kpis.child_level(view), key="overview", value_label=view.t("overview.map_ranking"),
                     fmt=lambda v: view.t(f"severity.level.{[k for k, x in LEVEL_CLASS.items() if x == v][0]}"),
                     classes=classes, labels=codes)
    else:
        by_region = kpis.kpis_by_region(view)
        values = by_region[by_region["kpi"] == choice][["region_code", "value"]]
        kpi = cat[choice]
        w.region_map(view, values, level=kpis.child_level(view), key="overview",
                     value_label=kpi.name(view.lang), fmt=lambda v: kpi.format(v, view.lang),
                     palette="greens" if kpi.up_is_good else "oranges", labels=codes)

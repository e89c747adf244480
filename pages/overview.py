"""Overview: the city on one screen for leaders - KPIs of the five pillars, a township map,
what needs a decision, and the epidemic curve."""

import streamlit as st

from sitrep import catalogue, ui
from sitrep.figures.cases import epi_curve
from sitrep.ui import alerts as alerts_ui
from sitrep.ui import briefing as briefing_ui
from sitrep.ui import kpi as kpis
from sitrep.ui import widgets as w

view = ui.view()
w.header(view, "overview.title")
kpis.render_trust(view)

now, before = w.kpi_values(view)
# order chosen so the cards pack into few, even rows of at most 8
ORDER = ["cases", "monitoring", "command", "publicity", "screening", "preparedness"]
w.kpi_groups(view, [(view.t(f"overview.pillar_{p}"), [k.key for k in catalogue.for_pillar(p)]) for p in ORDER],
             now, before, per_row=8)

cat = catalogue.by_key()
left, right = st.columns([1, 1])  # the decision list needs room for who to call
with left:
    st.subheader(view.t("overview.map_title"))
    map_kpi = st.selectbox(view.t("overview.map_kpi"), list(cat), key="overview_map_kpi",
                           index=list(cat).index("returnees_under_measure"),
                           format_func=lambda k: cat[k].name(view.lang))
    by_region = kpis.kpis_by_region(view)
    values = by_region[by_region["kpi"] == map_kpi][["region_code", "value"]]
    kpi = cat[map_kpi]
    w.region_map(view, values, level=kpis.child_level(view), key="overview",
                 value_label=kpi.name(view.lang), fmt=lambda v: kpi.format(v, view.lang),
                 palette="greens" if kpi.up_is_good else "oranges")
with right:
    st.subheader(view.t("overview.needs_decision"))
    listed = alerts_ui.listed_alerts(view)  # once: listing them records when each was first seen
    alerts = kpis.open_alerts(view, listed)
    decisions = kpis.needs_decision(view, now, covered=kpis.open_alert_keys(listed))
    if alerts.empty and decisions.empty:
        st.success(view.t("overview.nothing_to_decide"))
    if not alerts.empty:
        st.markdown(f"**{view.t('overview.open_alerts', n=len(alerts))}**")
        w.table(view, alerts, name=f"open_alerts_{view.as_of}", key="open_alerts", height=248,
                column_labels={"phone": view.t("overview.col_phone")})
    if not decisions.empty:
        st.markdown(f"**{view.t('overview.red_kpis', n=len(decisions))}**")
        if not alerts.empty:
            st.caption(view.t("overview.red_kpis_caption"))
        w.table(view, decisions, name=f"needs_decision_{view.as_of}", key="decisions",
                column_labels={"phone": view.t("overview.col_phone")})
    st.subheader(view.t("overview.epi_curve"))
    curve = ui.query("cases_daily_by_source", **view.params)
    w.chart(epi_curve(curve, source_labels=view.enums("cases", "source"), start=view.min_date, end=view.as_of),
            key="overview_curve")

with st.expander(view.t("briefing.ui.title"), icon=":material/summarize:"):
    briefing_ui.downloads(view)

with st.expander(view.t("common.records_of")):
    w.records_explorer(view, list(cat), key="overview")

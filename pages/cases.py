"""Cases: the epidemic curve, where the cases are, how they were found, contacts traced and in quarantine,
and the clusters with their chains of transmission - as of the end of D, in scope."""

import streamlit as st

from sitrep import maps, ui
from sitrep.figures import cases as fig
from sitrep.ui import kpi
from sitrep.ui import widgets as w
from sitrep.ui.alerts import render_rt

view = ui.view()
w.header(view, "cases.title")
now, before = w.kpi_values(view)
KPIS = ["cases_new", "cases_confirmed_cumulative", "cases_active", "contacts_in_quarantine"]
# new cases red on any local case, as on the Overview (the severity model, data/severity.toml)
w.kpi_cards(view, KPIS, now, before, statuses=kpi.situation(view).card_statuses(now))

period = {"start": view.date_text(view.min_date), "end": view.date_text(view.as_of)}
labels = fig.CasesLabels.of(view.lang)

# -- the epidemic curve and the case map
left, right = st.columns([3, 2])
with left:
    basis = st.radio(view.t("cases.curve_basis"), ("report", "onset"), horizontal=True, key="cases_basis",
                     format_func=lambda b: view.t(f"cases.basis_{b}"))
    curve = ui.query("cases_daily_by_source_category", **view.params, date_basis=basis)
    st.markdown(f"**{view.t('cases.curve_title', basis=view.t(f'cases.basis_{basis}'))}**")
    w.chart(fig.epi_curve_by_category(curve, labels, start=view.min_date, end=view.as_of), key="cases_curve")
    st.caption(view.t("cases.curve_caption", **period))
    no_onset = int(curve.loc[curve["day"].isna(), "cases"].sum())
    if basis == "onset" and no_onset:
        st.caption(view.t("cases.curve_onset_note", n=no_onset))
with right:
    measures = {"cases_cumulative": "cumulative", "cases_active": "active", "cases_14d": "recent"}
    measure = st.radio(view.t("cases.map_measure"), list(measures), horizontal=True, key="cases_map_measure",
                       format_func=lambda m: view.t(f"cases.measure.{measures[m]}"))
    label = view.t(f"cases.measure.{measures[measure]}")
    st.markdown(f"**{view.t('cases.map_title')}**")
    villages = ui.query("cases_by_village", **view.params)
    points = fig.case_points(ui.query("cases_points", **view.params), labels)
    w.region_map(view, villages.rename(columns={measure: "value"}), level="village", key="cases_map",
                 value_label=label, fmt=lambda v: view.t("cases.map_fmt", n=f"{v:,.0f}"), palette="oranges",
                 points=points, height=460)
    st.markdown(maps.legend_html([maps.LegendItem(tuple(fig.ACTIVE_POINT[:3]), labels.point_active),
                                  maps.LegendItem(tuple(fig.PAST_POINT[:3]), labels.point_past)],
                                 view.t("cases.legend_points")), unsafe_allow_html=True)
    st.caption(view.t("cases.map_caption", measure=label, end=view.date_text(view.as_of)))

# -- contacts traced and in quarantine; how the cases were found
left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{view.t('cases.contacts_title')}**")
    contacts = ui.query("contacts_daily_by_type_place", **view.params)
    if contacts.empty:
        st.info(view.t("cases.no_contacts"))
    else:
        w.chart(fig.contacts_over_time(contacts, labels, start=view.min_date, end=view.as_of), key="cases_contacts")
        st.caption(view.t("cases.contacts_caption", **period))
with right:
    st.markdown(f"**{view.t('cases.found_title')}**")
    w.chart(fig.found_by_bar(ui.query("cases_by_found_by", **view.params), labels), key="cases_found_by")
    st.caption(view.t("cases.found_caption", end=view.date_text(view.as_of)))

# -- clusters and who infected whom
st.subheader(view.t("cases.clusters_section"))
clusters = ui.query("clusters_list", **view.params)
if clusters.empty:
    st.info(view.t("cases.no_clusters"))
else:
    by_id = {r.cluster_id: r for r in clusters.itertuples(index=False)}
    picked = by_id[st.selectbox(
        view.t("cases.cluster_pick"), list(by_id), key="cases_cluster",
        format_func=lambda c: view.t("cases.cluster_option", id=c, cases=by_id[c].cases,
                                     first=view.date_text(by_id[c].first_report),
                                     last=view.date_text(by_id[c].last_report), townships=by_id[c].townships))]
    st.markdown(view.t("cases.cluster_summary", id=picked.cluster_id, end=view.date_text(view.as_of),
                       cases=picked.cases, confirmed=picked.confirmed, asymptomatic=picked.asymptomatic,
                       active=picked.active, in_scope=picked.cases_in_scope))
    chain = ui.query("clusters_chain", **view.params, cluster_id=picked.cluster_id)
    st.markdown(f"**{view.t('cases.tree_title')}**")
    w.chart(fig.transmission_tree(chain, labels), key="cases_tree")
    st.caption(view.t("cases.tree_caption"))
    st.markdown(f"**{view.t('cases.table_title', id=picked.cluster_id)}**")
    cols = ["case_id", "infector_case_id", "generation", "category", "source", "found_by", "report_date",
            "onset_date", "township", "village", "status_on_day"]
    shown = fig.display_table(chain[cols], {"category": labels.category, "source": labels.source,
                                            "found_by": labels.found_by, "status_on_day": labels.status})
    w.table(view, shown, name=f"cluster_{picked.cluster_id}_{view.as_of}", key="cases_cluster_table",
            column_labels={c: view.t(f"cases.col.{c}") for c in cols})

# -- growth: Rt and the doubling time (sitrep.warning.rt)
render_rt(view)

with st.expander(view.t("common.records_of")):
    w.records_explorer(view, KPIS, key="cases")

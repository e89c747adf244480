"""Monitoring ("one net", 一张网): where the four-level grid has holes and who answers for them, the five
haves, and what the sentinel sites report."""

from datetime import timedelta

import streamlit as st

from sitrep import maps, ui
from sitrep.alerts.config import load_alert_config
from sitrep.warning import config as warning_config
from sitrep.warning import ears
from sitrep.figures import monitoring as fig
from sitrep.ui import widgets as w
from sitrep.ui.alerts import render_alerts

view = ui.view()
w.header(view, "monitoring.title")
now, before = w.kpi_values(view)
w.kpi_cards(view, ["grid_complete_pct", "villages_without_grid_owner", "sentinel_visits_today"], now, before)

# -- the four-level grid and the five haves (the grid register is a snapshot: scope only, no as-of day)
st.subheader(view.t("monitoring.grid_section"))
labels = fig.MonitoringLabels.of(view.lang)
left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{view.t('monitoring.grid_map_title')}**")
    grid = ui.query("grid_haves_by_village", region_code=view.scope)
    w.region_map(view, grid.rename(columns={"haves": "value"}), level="village", key="monitoring_grid",
                 value_label=view.t("monitoring.grid_map_value"),
                 fmt=lambda v: view.t("monitoring.grid_map_fmt", n=int(v)),
                 classes=fig.score_classes(labels),
                 highlight=set(grid.loc[~grid["has_unit"], "region_code"]),
                 highlight_label=view.t("monitoring.grid_map_holes"))
    st.caption(view.t("monitoring.grid_map_caption"))
with right:
    w.chart(fig.haves_missing_bar(ui.query("grid_haves_missing", region_code=view.scope), labels,
                                  title=view.t("monitoring.haves_title")), key="monitoring_haves")
    w.chart(fig.grid_levels_bar(ui.query("grid_units_by_level", region_code=view.scope), labels,
                                title=view.t("monitoring.levels_title")), key="monitoring_levels")
    st.caption(view.t("monitoring.levels_caption"))

holes = ui.query("grid_holes", region_code=view.scope)
with st.expander(view.t("monitoring.holes_title", n=len(holes))):
    if holes.empty:
        st.success(view.t("monitoring.holes_none"))
    else:
        shown = fig.holes_table(holes, labels)
        cols = ("township", "region", "level", "hole", "missing", "person", "phone", "responsible_level", "checked",
                "code")
        w.table(view, shown, name="grid_holes", key="monitoring_holes",
                column_labels=dict(zip(shown.columns, (view.t(f"monitoring.col.{c}") for c in cols))))

# -- sentinel sites
st.subheader(view.t("monitoring.sentinel_section"))
measures = {m: view.t(f"monitoring.measures.{m}") for m in ("visits", "fever")}
measure = st.radio(view.t("monitoring.measure"), list(measures), format_func=measures.get, horizontal=True,
                   key="monitoring_measure")
sites = ui.query("sentinel_sites_on_day", **view.params)
left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{view.t('monitoring.sentinel_map_title')}**")
    if sites.empty:
        st.info(view.t("monitoring.no_sites"))
    by_village = ui.query("sentinel_by_village_on_day", **view.params)
    w.region_map(view, by_village.rename(columns={measure: "value"}), level="village", key="monitoring_sentinel",
                 value_label=view.t("monitoring.sentinel_map_value", measure=measures[measure]),
                 points=fig.site_points(sites, labels, measure=measure))
    st.markdown(maps.legend_html(fig.site_type_legend(sites["site_type"], labels),
                                 view.t("monitoring.sentinel_types")), unsafe_allow_html=True)
    st.caption(view.t("monitoring.sentinel_map_caption", measure=measures[measure], as_of=view.as_of_text))
with right:
    series = ui.query("sentinel_daily_by_site_type", **view.params)
    start = max(view.as_of - timedelta(days=55), view.min_date)  # the 8 weeks, or since the data begin
    statistics = load_alert_config().statistics  # what makes an alarm day, as for the alerts
    alarms = ears.alarm_days(ui.query("sentinel_aberrations_daily", **view.params, metric=measure, date_from=start,
                                      **warning_config.load_config().aberration_params()), statistics)
    w.chart(fig.sentinel_small_multiples(series, labels, measure=measure, start=start, end=view.as_of, alarms=alarms,
                                         title=view.t("monitoring.sentinel_lines_title", measure=measures[measure])),
            key="monitoring_sentinel_lines")
    st.caption(view.t("monitoring.sentinel_lines_caption", start=view.date_text(start), end=view.date_text(view.as_of),
                      statistics="/".join(s.upper() for s in statistics)))

# -- early warning: the alert list and map, each alert's explanation and the response form
render_alerts(view)

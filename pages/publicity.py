"""Publicity ("one flag", 一面旗): which villages the publicity reached in the last 7/14/30 days and
where the blind spots are, the channel mix, reach per head and the themes by week."""

from datetime import timedelta

import streamlit as st

from sitrep import ui
from sitrep.figures import publicity as fig
from sitrep.ui import widgets as w

view = ui.view()
w.header(view, "publicity.title")
now, before = w.kpi_values(view)
labels = fig.PublicityLabels.of(view.lang)

days = st.radio(view.t("publicity.window"), (7, 14, 30), format_func=lambda n: view.t("publicity.window_days", n=n),
                horizontal=True, key="publicity_days")
window = view.t("publicity.window_days", n=days)
period = {"start": view.date_text(view.as_of - timedelta(days=days - 1)), "end": view.date_text(view.as_of)}
villages = ui.query("publicity_coverage_by_village", **view.params, days=days)
blind = villages[~villages["covered"]]

cards = st.columns(6)
with cards[0]:
    w.kpi_cards(view, ["publicity_coverage_7d_pct"], now, before, columns=1)
cards[1].metric(f"{view.t('publicity.covered_metric')} · {window}",
                view.t("publicity.covered_value", covered=len(villages) - len(blind), total=len(villages)),
                help=view.t("publicity.covered_help", **period))
cards[2].metric(f"{view.t('publicity.blind_metric')} · {window}", view.t("publicity.blind_value", n=len(blind)),
                help=view.t("publicity.blind_help", **period))

# -- coverage: no blind spot in town or country
st.subheader(view.t("publicity.coverage_section"))
left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{view.t('publicity.map_title', n=days)}**")
    w.region_map(view, villages.rename(columns={"activities": "value"}), level="village", key="publicity_coverage",
                 value_label=view.t("publicity.map_value"), fmt=lambda v: view.t("publicity.map_fmt", n=f"{v:,.0f}"),
                 palette="greens", highlight=set(blind["region_code"]), highlight_label=view.t("publicity.blind_label"))
    st.caption(view.t("publicity.map_caption", **period))
with right:
    st.markdown(f"**{view.t('publicity.blind_title', n=len(blind))}**")
    if blind.empty:
        st.success(view.t("publicity.no_blind", **period))
    else:
        cols = {"township": "township", "village": "village", "population": "population", "last_date": "last_date",
                "days_since_last": "days_since", "region_code": "code"}
        w.table(view, blind[list(cols)].assign(last_date=blind["last_date"].dt.date),
                name=f"publicity_blind_spots_{days}d_{view.as_of}", key="publicity_blind",
                column_labels={c: view.t(f"publicity.col.{k}") for c, k in cols.items()})

# -- channels and reach
left, right = st.columns(2)
with left:
    w.chart(fig.channel_mix(ui.query("publicity_by_channel", **view.params, days=days), labels,
                            title=view.t("publicity.channel_title", n=days)),
            key="publicity_channels")
with right:
    w.chart(fig.reach_per_head(ui.query("publicity_reach_per_head_by_region", **view.params, days=days), labels,
                               title=view.t("publicity.reach_title", n=days)),
            key="publicity_reach")
    st.caption(view.t("publicity.reach_caption", **period))

# -- content and focus by phase
st.subheader(view.t("publicity.themes_section"))
w.chart(fig.themes_by_week(ui.query("publicity_weekly_by_theme", **view.params), labels,
                           title=view.t("publicity.themes_title")),
        key="publicity_themes")
st.caption(view.t("publicity.themes_caption", end=view.date_text(view.as_of)))

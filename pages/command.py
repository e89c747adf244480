"""Command ("one chessboard", 一盘棋): are the headquarters' orders closed on time, is the 24-hour duty
staffed, what each task force carries, supervision problems found vs rectified vs overdue, and vaccination
progress - as of the end of D, in scope."""

from datetime import timedelta

import streamlit as st

from sitrep import catalogue, ui
from sitrep.figures import command as fig
from sitrep.ui import widgets as w

view = ui.view()
w.header(view, "command.title")
now, before = w.kpi_values(view)
KPIS = ["orders_open_overdue", "supervision_open_overdue", "vaccination_full_pct"]
end = view.date_text(view.as_of)
labels = fig.CommandLabels.of(view.lang)

top = st.columns([3, 1, 2])
with top[0]:
    w.kpi_cards(view, KPIS, now, before, columns=3)
with top[2]:
    days = st.radio(view.t("command.window"), (7, 30, 0), index=2, horizontal=True, key="command_days",
                    format_func=lambda n: view.t("command.window_days", n=n) if n else view.t("command.window_all"))
period = (view.t("command.period_days", start=view.date_text(view.as_of - timedelta(days=days - 1)), end=end)
          if days else view.t("command.period_all", end=end))
orders = ui.query("orders_by_task_force", **view.params, days=days or None)
total = orders[orders["is_total"]].iloc[0]

# -- command and dispatch: orders closed on time, 24-hour duty
st.subheader(view.t("command.command_section"))
left, right = st.columns([2, 3])
with left:
    st.markdown(f"**{view.t('command.funnel_title')}**")
    if total["issued"] == 0:
        st.info(view.t("command.no_orders"))
    else:
        m1, m2 = st.columns(2)
        m1.metric(view.t("command.on_time_metric"), "—" if total["on_time_pct"] != total["on_time_pct"]
                  else f"{total['on_time_pct']:.1f}%", help=view.t("command.on_time_help", period=period,
                                                                  as_of=view.as_of_text))
        m2.metric(view.t("command.open_metric"), view.t("command.open_value", n=int(total["open_in_time"])),
                  help=view.t("command.open_help", period=period, as_of=view.as_of_text))
        w.chart(fig.orders_funnel(total, labels), key="command_funnel")
    st.caption(view.t("command.orders_caption", period=period, end=end))
with right:
    st.markdown(f"**{view.t('command.duty_title')}**")
    c1, c2 = st.columns(2)
    weeks = c1.radio(view.t("command.duty_weeks"), (4, 8, 13), horizontal=True, key="command_weeks",
                     format_func=lambda n: view.t("command.duty_weeks_n", n=n))
    measure = c2.radio(view.t("command.duty_measure"), ("staff_count", "events"), horizontal=True,
                       key="command_duty_measure", format_func=lambda m: view.t(f"command.duty.{m}"))
    duty = ui.query("duty_roster_calendar", as_of=view.as_of, weeks=weeks)
    w.chart(fig.duty_calendar(duty, labels, measure=measure), key="command_duty")
    st.caption(view.t("command.duty_caption"))

# -- the seven task forces
st.subheader(view.t("command.task_force_section"))
left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{view.t('command.task_force_title')}**")
    if total["issued"] == 0:
        st.info(view.t("command.no_orders"))
    else:
        w.chart(fig.orders_by_task_force(orders, labels), key="command_task_forces")
with right:
    st.markdown(f"**{view.t('command.closure_title')}**")
    closure = ui.query("orders_closure_hours_by_task_force", **view.params, days=days or None)
    if closure.empty:
        st.info(view.t("command.no_orders"))
    else:
        w.chart(fig.closure_hours(closure, labels), key="command_closure")
    st.caption(view.t("command.closure_caption", period=period))

# -- supervision: found, rectified, verified; what is overdue
st.subheader(view.t("command.supervision_section"))
funnel_row = ui.query("supervision_funnel", **view.params).iloc[0]
overdue = ui.query("supervision_overdue_list", **view.params)
left, right = st.columns([2, 3])
with left:
    st.markdown(f"**{view.t('command.supervision_title')}**")
    m1, m2 = st.columns(2)
    m1.metric(view.t("command.supervision_open_in_time"),
              view.t("command.supervision_count", n=int(funnel_row["open_in_time"])))
    m2.metric(view.t("command.supervision_overdue_metric"),
              view.t("command.supervision_count", n=int(funnel_row["open_overdue"])))
    w.chart(fig.supervision_funnel(funnel_row, labels), key="command_supervision")
    st.caption(view.t("command.supervision_caption", end=end))
with right:
    st.markdown(f"**{view.t('command.overdue_title', n=len(overdue))}**")
    if overdue.empty:
        st.success(view.t("command.no_overdue"))
    else:
        shown = fig.display_table(overdue, {"task_force": view.enums("supervision", "task_force"),
                                            "severity": view.enums("supervision", "severity")})
        w.table(view, shown, name=f"supervision_overdue_{view.as_of}", key="command_overdue",
                column_labels={c: view.t(f"command.col.{c}") for c in shown.columns})

# -- vaccination (the vaccine task force)
st.subheader(view.t("command.vaccination_section"))
by_age = ui.query("vaccinations_by_age_group", **view.params)
if by_age["full_doses"].isna().all():
    st.info(view.t("command.village_no_data"))
else:
    kpi = catalogue.by_key()["vaccination_full_pct"]
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{view.t('command.gauges_title')}**")
        w.chart(fig.vaccination_gauges(by_age, labels, status_of=kpi.status), key="command_gauges")
        shares = view.t("command.share_sep").join(
            view.t("command.share_item", age=view.enum("vaccinations", "age_group", r.age_group),
                   pct=f"{100 * r.population_share:.0f}") for r in by_age.itertuples())
        st.caption(view.t("command.gauges_caption", end=end, shares=shares))
    with right:
        st.markdown(f"**{view.t('command.map_title')}**")
        townships = ui.query("vaccinations_full_by_township", **view.params)
        w.region_map(view, townships.rename(columns={"full_pct": "value"}), level="township", key="command_vaccination",
                     value_label=view.t("command.map_value"), fmt=lambda v: f"{v:.1f}%", palette="greens")
        st.caption(view.t("command.map_caption", end=end))

with st.expander(view.t("common.records_of")):
    w.records_explorer(view, KPIS, key="command")

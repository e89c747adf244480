"""Screening and control ("one wall", 一堵墙): returnees by category and region and the Spring Festival wave, the
measure each is under on the day, the management funnel, origin risk against measure, overdue tests and
releases, the worklist for the officers who go door to door, and what another quarantine rule would change."""

import streamlit as st

from sitrep import privacy, ui
from sitrep.figures import funnel
from sitrep.figures import screening as fig
from sitrep.ui import screening as control_ui
from sitrep.ui import widgets as w
from sitrep.ui.state import regions_index

view = ui.view()
w.header(view, "screening.title")
now, before = w.kpi_values(view)
w.kpi_groups(view, [(view.t("screening.kpis_screening"),
                     ["returnees_registered", "returnees_arrived_today", "returnees_under_measure"]),
                    (view.t("screening.kpis_control"),
                     ["returnees_tests_overdue", "returnees_release_overdue", "returnees_misclassified",
                      "returnees_tests_due_tomorrow"])], now, before, per_row=7)

regions = regions_index()
level = "township" if view.scope is None else "village"
level_name = view.t(f"screening.level.{level}")
labels = fig.ScreeningLabels.of(view.lang)
as_of = view.date_text(view.as_of)

# -- screening: who came back, where to, when
st.subheader(view.t("screening.section_screening"))
by_region = ui.query("returnees_category_by_region", **view.params)
left, right = st.columns([3, 2])
with left:
    shown = st.radio(view.t("screening.map_show"), ["registered", *fig.CATEGORIES], horizontal=True,
                     key="screening_map_category",
                     format_func=lambda c: view.t("screening.map_all_option") if c == "registered"
                     else labels.category[c])
    label = view.t("screening.map_value", category=view.t("screening.map_all") if shown == "registered"
                   else labels.category[shown])
    w.region_map(view, by_region.rename(columns={shown: "value"}), level=level, key="screening_returnees",
                 value_label=label, height=480)
    st.caption(view.t("screening.map_caption", as_of=view.as_of_text))
with right:
    w.chart(fig.category_bars(by_region, labels, title=view.t("screening.category_title", level=level_name)),
            key="screening_categories")
daily = ui.query("returnees_daily_by_category", **view.params)
w.chart(fig.arrivals_daily(daily, labels, title=view.t("screening.arrivals_title")),
        key="screening_arrivals")
if not daily.empty:
    st.caption(view.t("screening.arrivals_caption", start=view.date_text(daily["day"].min().date()), end=as_of))

# -- precise control: the measure on the day, the funnel, origin risk against measure
st.subheader(view.t("screening.section_control"))
left, middle, right = st.columns([5, 3, 4])
with left:
    w.chart(fig.stage_bars(ui.query("returnees_stage_by_region", **view.params), labels,
                           title=view.t("screening.stage_title", level=level_name)),
            key="screening_stages")
    st.caption(view.t("screening.stage_caption", as_of=view.as_of_text))
with middle:
    steps = ui.query("returnees_funnel", **view.params)
    w.chart(funnel([view.t(f"screening.funnel.{s}") for s in steps["step"]], steps["persons"].tolist(),
                   title=view.t("screening.funnel_title"), height=420), key="screening_funnel")
    st.caption(view.t("screening.funnel_caption"))
with right:
    w.chart(fig.origin_measure_sankey(ui.query("returnees_measure_by_origin_risk", **view.params), labels,
                                      title=view.t("screening.sankey_title"), height=420),
            key="screening_sankey")
    st.caption(view.t("screening.sankey_caption"))

left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{view.t('screening.overdue_map_title')}**")
    overdue = ui.query("returnees_overdue_by_village", **view.params)
    w.region_map(view, overdue.rename(columns={"village_code": "region_code", "returnees_overdue": "value"}),
                 level="village", key="screening_overdue", value_label=view.t("screening.overdue_map_value"),
                 classes=fig.overdue_classes(labels),
                 highlight=set(overdue.loc[overdue["returnees_overdue"] > 0, "village_code"]),
                 highlight_label=view.t("screening.overdue_flag"), height=440)
    st.caption(view.t("screening.overdue_caption", as_of=view.as_of_text))
with right:
    work = ui.query("returnees_worklist_by_region", **view.params)
    st.markdown(f"**{view.t('screening.by_region_title', level=level_name, n=len(work))}**")
    if work.empty:
        st.success(view.t("screening.by_region_none"))
    else:
        # "name" would be masked as a person's name: the region's name goes out as "region"
        cols = ["region", *fig.WORKLIST_ITEMS, "items"]
        w.table(view, work.rename(columns={"name": "region"})[cols], name=f"worklist_by_{level}_{view.as_of}",
                key="screening_by_region",
                column_labels={"region": view.t(f"screening.col.{level}"), "items": view.t("screening.col.items"),
                               **labels.item})

# -- the worklist: for a township or a village
st.subheader(view.t("screening.section_worklist"))
place = view.scope
if place is None:
    townships = sorted(c for c, r in regions.items() if r["level"] == "township")
    place = st.columns([1, 3])[0].selectbox(view.t("screening.worklist_pick"), townships, index=None, key="screening_worklist_township",
                         placeholder=view.t("screening.worklist_pick_placeholder"),
                         format_func=lambda c: regions[c]["name"])
    if place is None:
        st.info(view.t("screening.worklist_pick_prompt"))
if place is not None:
    items = labels.item
    worklist = ui.query("returnees_worklist", as_of=view.as_of, region_code=place)
    picked = st.pills(view.t("screening.worklist_items"), list(items), selection_mode="multi", default=list(items),
                      format_func=items.get, key="screening_worklist_items")
    worklist = worklist[worklist["item"].isin(picked or [])]
    st.markdown(f"**{view.t('screening.worklist_title', region=regions[place]['name'], n=len(worklist))}**")
    if worklist.empty:
        st.success(view.t("screening.worklist_empty"))
    else:
        table = fig.worklist_table(worklist, labels)
        w.table(view, table, name=f"worklist_{place}_{view.as_of}", key="screening_worklist",
                column_labels={c: view.t(f"screening.col.{c}") for c in table.columns})
        st.caption(view.t("screening.worklist_caption"))

        people = list(dict.fromkeys(worklist["person_id"]))
        names = dict(zip(worklist["person_id"], worklist["name"].map(privacy.mask_name)))
        with st.expander(view.t("screening.schedule_title")):
            person = st.selectbox(view.t("screening.schedule_pick"), people, index=None, key="screening_person",
                                  placeholder=view.t("screening.schedule_pick_placeholder"),
                                  format_func=lambda p: f"{p} {names.get(p) or ''}".strip())
            if person is not None:
                schedule = ui.query("returnee_schedule", as_of=view.as_of, region_code=place, person_id=person)
                if schedule.empty:
                    st.info(view.t("screening.schedule_none"))
                else:
                    w.chart(fig.schedule_timeline(schedule, labels, as_of=view.as_of, as_of_text=as_of),
                            key="screening_schedule")
                    st.caption(view.t("screening.schedule_caption"))

# -- what-if: another quarantine rule
st.subheader(view.t("screening.section_whatif"))
rules = control_ui.rules()
in_force = rules.for_arrival(view.as_of) or rules.sets[-1]
left, right = st.columns([1, 2])
with left:
    mode = st.radio(view.t("screening.whatif_mode"), ["rule_set", "days"], horizontal=True, key="screening_whatif_mode",
                    format_func=lambda m: view.t(f"screening.whatif_mode_{m}"))
    if mode == "rule_set":
        others = [n for n in rules.names if n != in_force.name] or rules.names
        chosen = st.selectbox(view.t("screening.whatif_set"), others, key="screening_whatif_set",
                              format_func=lambda n: rules.rule_set(n).label(view.lang))
        alt = rules.only(chosen)
        st.caption(view.t("screening.whatif_set_caption", name=rules.rule_set(chosen).label(view.lang),
                          in_force=in_force.label(view.lang),
                          since=view.date_text(rules.rule_set(chosen).effective_from)))
    else:
        with st.form("screening_whatif_form"):
            st.markdown(view.t("screening.whatif_form_title", name=in_force.label(view.lang)))
            days = {}
            for risk, risk_stages in in_force.risks.items():
                if not risk_stages:
                    continue
                cols = st.columns(len(risk_stages) + 1, vertical_alignment="bottom")
                cols[0].markdown(f"**{labels.risk[risk]}**")
                for no, s in enumerate(risk_stages, start=1):
                    days[(risk, no)] = cols[no].number_input(
                        view.t("screening.whatif_days", measure=labels.measure[s.measure]), min_value=0, max_value=60,
                        value=s.days, step=1, key=f"screening_whatif_{in_force.name}_{risk}_{no}")
            st.form_submit_button(view.t("screening.whatif_submit"))
        alt = control_ui.edit_days(rules, in_force.name, days)
        st.caption(view.t("screening.whatif_days_caption"))
shift, central = control_ui.whatif(view.as_of, view.scope, alt)
summary = fig.shift_summary(shift)
with left:
    cards = st.columns(3)
    cards[0].metric(view.t("screening.whatif_earlier"), f"{summary['earlier']:,}",
                    help=view.t("screening.whatif_earlier_help", days=summary["days_saved"], n=summary["due_by_day"]))
    cards[1].metric(view.t("screening.whatif_same"), f"{summary['same']:,}")
    cards[2].metric(view.t("screening.whatif_later"), f"{summary['later']:,}",
                    help=view.t("screening.whatif_later_help", days=summary["days_added"]))
    st.caption(view.t("screening.whatif_summary", as_of=view.as_of_text, n=summary["persons"],
                      saved=summary["days_saved"], added=summary["days_added"], due=summary["due_by_day"]))
with right:
    a, b = st.columns(2)
    with a:
        w.chart(fig.release_shift_bar(shift, labels, title=view.t("screening.shift_title")), key="screening_shift")
    with b:
        w.chart(fig.central_daily_lines(central, labels,
                                        title=view.t("screening.central_title", n=control_ui.HORIZON_DAYS)),
                key="screening_central")
    st.caption(view.t("screening.whatif_caption", as_of=as_of, n=control_ui.HORIZON_DAYS))

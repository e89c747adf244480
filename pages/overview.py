"""Overview: the city on one screen for leaders - the headline, the KPIs of the five pillars with their
status, what needs a decision, the worst places (红黑榜) on a list and a map, and the epidemic curve."""

import streamlit as st

from sitrep import catalogue, ui
from sitrep.figures.cases import CasesLabels, epi_curve
from sitrep.ui import briefing as briefing_ui
from sitrep.ui import kpi as kpis
from sitrep.ui import overview as ov
from sitrep.ui import widgets as w

view = ui.view()
w.header(view, "overview.title")
ov.style()
sit = kpis.situation(view)
ov.headline(view, sit)
kpis.render_trust(view)

now, before = w.kpi_values(view)
# order chosen so the groups pack into few rows at 1920 wide: 7+4, 4+6+1, 7 cards
ORDER = ["cases", "preparedness", "monitoring", "command", "publicity", "screening"]
groups = [(view.t(f"overview.pillar_{p}"), [k.key for k in catalogue.for_pillar(p)]) for p in ORDER]
w.kpi_strip(view, groups, now, before, statuses=sit.card_statuses(now),
             extra={view.t("overview.pillar_cases"): ov.case_cards(view, sit)})

left, right = st.columns([1, 1], gap="large")
with left:
    ov.decisions(view, sit)
    ov.open_alerts(view)
with right:
    ov.ranking(view, sit)
    ov.ranking_map(view, sit)

st.subheader(view.t("overview.epi_curve"))
curve = ui.query("cases_daily_by_source", **view.params)
w.chart(epi_curve(curve, CasesLabels.of(view.lang), start=view.min_date, end=view.as_of),
        key="overview_curve")

with st.expander(view.t("briefing.ui.title"), icon=":material/summarize:"):
    briefing_ui.downloads(view)

with st.expander(view.t("common.records_of")):
    w.records_explorer(view, list(catalogue.by_key()), key="overview")

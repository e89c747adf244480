"""Every chart can be read as a table (sitrep.figures.as_table, shown folded under each chart with downloads)."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go

from builders import open_page
from sitrep.figures import as_table


def test_bars_lines_pies_and_heatmaps_as_tables():
    fig = go.Figure([go.Bar(name="本土", x=["2022-01-15", "2022-01-16"], y=[1, 2]),
                     go.Bar(name="境外输入", x=["2022-01-16", "2022-01-17"], y=[3, 4])])
    t = as_table(fig).fillna(-1)
    assert t.to_dict("list") == {"category": [date(2022, 1, 15), date(2022, 1, 16), date(2022, 1, 17)],
                                 "本土": [1, 2, -1], "境外输入": [-1, 3, 4]}  # -1: no bar on that day
    h = as_table(go.Figure(go.Bar(name="在管", x=[5, 7], y=["东镇", "西镇"], orientation="h")))
    assert h.to_dict("list") == {"category": ["东镇", "西镇"], "在管": [5, 7]}
    p = as_table(go.Figure(go.Pie(labels=["村村响", "海报"], values=[3, 1])))
    assert p.to_dict("list") == {"category": ["村村响", "海报"], "value": [3, 1]}
    m = as_table(go.Figure(go.Heatmap(z=[[1, 2]], x=["a", "b"], y=["r"])))
    assert m.values.tolist() == [["r", "a", 1], ["r", "b", 2]]
    assert as_table(go.Figure(go.Indicator(value=3))).empty


def test_a_page_shows_each_charts_numbers_under_it(demo_env):
    at = open_page("cases", lang="zh")
    folded = [e for e in at.expander if e.label == "图表数据"]
    assert len(folded) >= 2
    assert all(len(e.dataframe) == 1 for e in folded)


def test_a_bar_per_region_drills_down_and_other_charts_do_not():
    from sitrep.figures import region_categories

    names = {"城东街道": "451481001000", "河西镇": "451481002000"}
    bars = go.Figure(go.Bar(x=[5, 7], y=["城东街道", "河西镇"], orientation="h"))
    assert region_categories(bars, names) == ("y", names)
    assert region_categories(go.Figure(go.Bar(x=["城东街道", "别处"], y=[1, 2])), names) is None
    assert region_categories(go.Figure(go.Scatter(x=["城东街道"], y=[1])), names) is None


def test_the_breadcrumb_leads_back_up(demo_env):

    at = open_page("cases", lang="zh", scope="451481001001")  # a village of the demo city
    crumbs = [b.label for b in at.button if b.key and b.key.startswith("crumb_")]
    assert crumbs[0] == "全市" and len(crumbs) == 2   # the city, then the village's township
    at.button(key="crumb_city").click().run()
    # the click sets the scope (AppTest replays the side bar's picked township and village on its next run, so
    # the page it draws next is not checked here)
    assert not at.exception and at.session_state["sitrep_scope"] is None

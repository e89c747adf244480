"""Preparedness (一本账): testing capacity, material reserves and funds against their targets,
and the ledger behind them."""

import streamlit as st

from sitrep import catalogue, ui
from sitrep.figures import preparedness as fig
from sitrep.ui import widgets as w
from sitrep.ui.state import regions_index, scope_name

view = ui.view()
t = view.t
w.header(view, "preparedness.title")
st.caption(t("preparedness.slogan"))
cat = catalogue.by_key()
labels = fig.PreparednessLabels.of(view.lang)
now, before = w.kpi_values(view)
w.kpi_cards(view, [k.key for k in catalogue.for_pillar("preparedness")], now, before, columns=4)


def num(v) -> str:
    return "—" if v is None or v != v else f"{v:,.0f}"


# testing capacity
st.subheader(t("preparedness.testing_title"))
summary = ui.query("test_capacity_summary", **view.params).iloc[0]
daily = ui.query("test_capacity_daily", **view.params)
use_kpi = cat["test_capacity_use_pct"]
g1, g2, trend = st.columns([1, 1, 3])
with g1:
    w.chart(fig.kpi_gauge(now.get("test_capacity_use_pct"), use_kpi, labels, maximum=100), key="prep_gauge_use")
with g2:
    w.chart(fig.kpi_gauge(now.get("days_to_test_everyone"), cat["days_to_test_everyone"], labels),
            key="prep_gauge_days")
if summary["city_labs"]:
    g1.caption(t("preparedness.capacity_caption", labs=int(summary["city_labs"]),
                 tubes=num(summary["city_capacity_tubes"]), persons=num(summary["city_capacity_persons_per_day"]),
                 scope=scope_name(view), population=num(summary["scope_population"])))
else:
    g1.caption(t("preparedness.no_capacity"))
with trend:
    if daily.empty:
        st.info(t("preparedness.no_labs_in_scope"))
    else:
        w.chart(fig.capacity_trend(daily, labels, amber_pct=use_kpi.amber, red_pct=use_kpi.red,
                                   start=daily["date"].min(), end=view.as_of), key="prep_capacity_trend")
        st.caption(t("preparedness.trend_caption", start=view.date_text(daily["date"].min().date()),
                     end=view.date_text(view.as_of), amber=f"{use_kpi.amber:g}", red=f"{use_kpi.red:g}"))

# material reserves
st.subheader(t("preparedness.reserves_title"))
items = ui.query("reserves_by_item", **view.params)
stock = ui.query("reserves_by_warehouse_item", **view.params)
left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{t('preparedness.bullets_title')}**")
    if items.empty:
        st.info(t("preparedness.no_reserves"))
    else:
        w.chart(fig.supply_bullets(items, stock, labels), key="prep_supply_bullets")
        st.caption(t("preparedness.bullets_caption"))
        st.markdown(f"**{t('preparedness.below_list_title')}**")
        shortfalls = fig.shortfalls_by_warehouse(stock)
        if not shortfalls:
            st.success(t("preparedness.none_below"))
        for warehouse, stock_date, short_items in shortfalls:
            items_text = t("preparedness.item_sep").join(
                t("preparedness.below_item", item=i, days=f"{d:,.1f}", target=g) for i, d, g in short_items)
            st.markdown(":red[■] " + t("preparedness.below_line", warehouse=warehouse, items=items_text,
                                       date=view.date_text(stock_date.date())))
with right:
    st.markdown(f"**{t('preparedness.map_title')}**")
    level = "village" if regions_index().get(view.scope, {}).get("level") == "village" else "township"
    by_region = ui.query("reserves_by_region", level=level, **view.params)
    houses = ui.query("reserves_warehouses", **view.params)
    points = houses.assign(
        name=houses["warehouse_name"],
        value_text=[t("preparedness.map_point_text", item=i, days=f"{d:,.1f}")
                    for i, d in zip(houses["lowest_item_name"], houses["lowest_days_of_supply"])],
        flag=[t("preparedness.map_flag") if n else "" for n in houses["items_below_target"]],
        colour=[fig.WAREHOUSE_SHORT if n else fig.WAREHOUSE_OK for n in houses["items_below_target"]],
    )[["lon", "lat", "name", "value_text", "flag", "colour"]]
    w.region_map(view, by_region.rename(columns={"lowest_days_of_supply": "value"}), level=level,
                 key="prep_reserves", value_label=t("preparedness.map_value"), fmt=lambda v: f"{v:,.1f}",
                 palette="greens", highlight=set(by_region.loc[by_region["items_below_target"] > 0, "region_code"]),
                 highlight_label=t("preparedness.map_flag"), points=points, height=460)
    st.caption(t("preparedness.map_caption"))

# funds
st.subheader(t("preparedness.funds_title"))
funds = ui.query("funds_by_source_purpose", as_of=view.as_of)
g3, bars = st.columns([1, 3])
with g3:
    w.chart(fig.kpi_gauge(now.get("funds_execution_pct"), cat["funds_execution_pct"], labels, maximum=100),
            key="prep_gauge_funds")
    total = funds[funds["is_total"]]
    if not total.empty:
        r = total.iloc[0]
        st.caption(t("preparedness.funds_total", allocated=f"{r.allocated:,.2f}", disbursed=f"{r.disbursed:,.2f}",
                     disbursed_pct=f"{r.disbursed_pct:.1f}", spent=f"{r.spent:,.2f}", execution_pct=f"{r.execution_pct:.1f}"))
with bars:
    st.markdown(f"**{t('preparedness.funds_chart_title')}**")
    if funds.empty:
        st.info(t("preparedness.no_funds"))
    else:
        w.chart(fig.funds_by_purpose(funds[funds["is_purpose_total"]], labels), key="prep_funds_purpose")
    st.caption(t("preparedness.funds_caption"))

# the ledger
st.subheader(t("preparedness.ledger_title"))
day = view.as_of.isoformat()
with st.expander(t("preparedness.ledger_funds")):
    funds["as_of_date"] = funds["as_of_date"].dt.date
    ledger = fig.funds_ledger(funds, labels)
    w.table(view, ledger, name=f"funds_ledger_{day}", key="prep_funds", column_labels=view.labels("preparedness.col", ledger.columns),
            height=36 * (len(ledger) + 1) + 4)
with st.expander(t("preparedness.ledger_reserves")):
    stock["stock_date"] = stock["stock_date"].dt.date
    shown = stock[["warehouse_name", "region_name", "item_name", "unit", "on_hand", "daily_use", "days_of_supply",
                   "target_days", "below_target", "min_quantity", "below_min_quantity", "stock_date",
                   "days_since_report"]]
    w.table(view, shown, name=f"reserves_ledger_{day}", key="prep_reserves", column_labels=view.labels("preparedness.col", shown.columns))
with st.expander(t("preparedness.ledger_labs")):
    labs = ui.query("test_capacity_by_lab", **view.params)
    labs["lab_type"] = labs["lab_type"].map(lambda c: view.enum("test_capacity", "lab_type", c))
    shown = labs.drop(columns=["region_code"])
    w.table(view, shown, name=f"labs_{day}", key="prep_labs", column_labels=view.labels("preparedness.col", shown.columns))
with st.expander(t("common.records_of")):
    w.records_explorer(view, [k.key for k in catalogue.for_pillar("preparedness")], key="prep")

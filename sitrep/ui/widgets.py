"""Streamlit building blocks the pages share: page header, KPI cards, tables with
downloads, maps with drill-down, legends."""

from __future__ import annotations

import contextlib
import math
import re
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from sitrep import catalogue, drill, figures, i18n, l10n, maps, records
from sitrep import situation_html as sh
from sitrep.auth import web as access
from sitrep.figures import STATUS_ICONS
from sitrep.ui.data import query
from sitrep.ui.state import View, current_lang, parent_scope, regions_index, scope_name, set_scope, whole_key

STATUS_MD = {"ok": "green", "amber": "orange", "red": "red", "none": "gray"}


def header(view: View, title_key: str) -> None:
    """Page title with the scope and the as-of time (every number on the page is as of it)."""
    style()
    st.title(view.t(title_key))
    latest = query("import_latest")
    imported = latest["imported_at"].iloc[0] if not latest.empty else None
    parts = [f"**{scope_name(view)}**", view.as_of_text]
    if imported is not None and not pd.isna(imported):
        parts.append(view.t("common.imported_at", when=pd.Timestamp(imported).strftime("%Y-%m-%d %H:%M")))
    cols = st.columns([6, 1])
    with cols[0].container(horizontal=True, gap="small", vertical_alignment="center"):
        # the breadcrumb: every level above the scope is a step back up (全市 › 城东街道 › 东门社区)
        for code, name in breadcrumb(view):
            if st.button(name, key=f"crumb_{code or 'city'}", type="tertiary"):
                set_scope(code)
                st.rerun()
            st.markdown("›")
        st.markdown(" · ".join(parts))
    up = view.scope not in (None, access.scope_limit())  # a township user's township is as high as they go
    if up and cols[1].button(view.t("common.scope_up"), key="scope_up"):
        set_scope(parent_scope(view.scope))
        st.rerun()
    records_dialog(view)


def breadcrumb(view: View) -> list[tuple[str | None, str]]:
    """(code, name) of the levels above the view's scope that the user may go to, top first (None: the city)."""
    if view.scope is None:
        return []
    limit = access.scope_limit()
    chain, code = [], parent_scope(view.scope)
    while True:
        if limit is None or (code is not None and code.startswith(limit[:9])):
            chain.append((code, view.t(whole_key()) if code is None else regions_index()[code]["name"]))
        if code is None:
            break
        code = parent_scope(code)
    return chain[::-1]


def kpi_values(view: View) -> tuple[dict, dict]:
    """KPI values on the as-of day and the day before, as {kpi: value}."""
    now = query("kpis", **view.params)
    before = query("kpis", as_of=view.previous, region_code=view.scope)
    return _as_dict(now), _as_dict(before)


def _as_dict(df: pd.DataFrame) -> dict:
    return {k: (None if pd.isna(v) else float(v)) for k, v in zip(df["kpi"], df["value"])}


# Status that reads from across the room, and numbers and labels that are never cut off: KPI cards are
# st.metric in wrapping rows (a card keeps at least CARD_REM wide; a row that cannot hold its cards wraps rather
# than squeezes them), labels and values wrap instead of ending in "…", and a red or amber card is tinted with its
# icon and word in the label (never colour alone). The projection screen uses the same tokens (STATUS_TINTS).
CARD_REM = 7.75
STATUS_TINTS = {"red": ("#fbe3d6", "#D55E00"), "amber": ("#fdf1d2", "#E69F00")}
STYLE = f"""<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{ white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; height: auto !important; }}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {{ white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; overflow-wrap: anywhere; }}
[data-testid="stMetricValue"] {{ font-size: 1.55rem !important; line-height: 1.2 !important; }}
[data-testid="stMetricLabel"] {{ font-size: 0.82rem !important; line-height: 1.3 !important; min-height: 0 !important; }}
[data-testid="stMetricDelta"] {{ font-size: 0.75rem !important; }}
div[class*="st-key-kpicard-"] [data-testid="stMetric"] {{ padding: 0.35rem 0.55rem !important; }}
div[class*="st-key-kpigroup-"] {{ padding: 0.45rem 0.55rem !important; gap: 0.3rem !important; }}
div:has(> div[class*="st-key-kpicard-"]) {{ flex: 1 1 {CARD_REM}rem !important; min-width: {CARD_REM}rem !important;
  max-width: 100% !important; width: auto !important; }}
div:has(> div[class*="st-key-kpigroup-"]) {{ min-width: min(100%, {CARD_REM + 1.5}rem) !important;
  width: auto !important; }}
{"".join(f'div[class*="st-key-kpicard-{s}-"] [data-testid="stMetric"] {{ background: {bg} !important; '
         f'border: 2px solid {fg} !important; border-left-width: 8px !important; }}' for s, (bg, fg) in STATUS_TINTS.items())}
</style>"""


def style() -> None:
    """The shared CSS of the pages (called by :func:`header`, which every page calls first)."""
    st.html(STYLE)


def pillar_rows(groups: list[tuple[str, list[str]]], per_row: int = 7) -> list[list[tuple[str, list[str]]]]:
    """Pack (title, keys) groups, in order, into rows of at most per_row cards."""
    rows: list[list] = [[]]
    for title, keys in groups:
        if rows[-1] and sum(len(k) for _, k in rows[-1]) + len(keys) > per_row:
            rows.append([])
        rows[-1].append((title, keys))
    return [r for r in rows if r]


def kpi_groups(view: View, groups: list[tuple[str, list[str]]], now: dict, before: dict, per_row: int = 7,
               statuses: dict[str, str] | None = None, extra: dict[str, list[dict]] | None = None) -> None:
    """KPI cards grouped under titles (e.g. the five pillars) in bordered boxes that share a row while they fit
    and wrap (each box as wide as its cards need, the cards inside wrapping too). ``statuses``: see
    :func:`kpi_cards`; ``extra``: cards (:func:`metric_card` arguments) put first in the group of that title."""
    extra = extra or {}
    with st.container(horizontal=True, gap="small", key="kpigroups"):
        for i, (title, keys) in enumerate(groups):
            n = len(keys) + len(extra.get(title, []))
            grow = f"{n} 1 {n * (CARD_REM + 0.5) + 1.2}rem"
            st.html(f"<style>div:has(> .st-key-kpigroup-{i}) {{ flex: {grow} !important; }}</style>")
            with st.container(border=True, key=f"kpigroup-{i}"):
                st.markdown(f"**{title}**")
                with st.container(horizontal=True, gap="small"):
                    for card in extra.get(title, []):
                        metric_card(view, **card)
                    kpi_cards(view, keys, now, before, statuses=statuses, wrap=False)


def kpi_strip(view: View, groups: list[tuple[str, list[str]]], now: dict, before: dict,
              statuses: dict[str, str] | None = None, extra: dict | None = None) -> None:
    """The Overview's KPI strip: every group's cards (sitrep.situation_html.kpi_strip_html) in one HTML block
    that wraps to more rows rather than squeeze - as compact as it can be so that the headline, the strip and
    the first rows of 需决策事项 fit the first screen. ``statuses``: {kpi: status} where the severity model says
    more than the thresholds; ``extra``: {group title: [Card]} put first in that group."""
    cat = catalogue.by_key()
    statuses, extra = statuses or {}, extra or {}
    out = []
    for title, keys in groups:
        cards = list(extra.get(title, []))
        for key in keys:
            value = now.get(key)
            tail = ([why_none(view, key)] if value is None else []) + [view.as_of_text]
            cards.append(sh.kpi_card(cat[key], value, before.get(key), view.lang, statuses.get(key), tail))
        out.append((title, cards))
    link = records_link if access.can("records") else None  # a card opens the records behind its number
    st.html(f"<style>{sh.strip_css()}</style>" + sh.kpi_strip_html(out, view.lang, link=link))


def status_label(view: View, status: str, name: str) -> str:
    """A card's label: the status icon, and for red and amber the word too, before the name."""
    if status == "none":
        return name
    icon = STATUS_ICONS[status]
    word = f" {view.t(f'severity.status.{status}')}" if status in STATUS_TINTS else ""
    return f":{STATUS_MD[status]}[{icon}{word}] {name}"


def why_none(view: View, key: str) -> str:
    """Why a KPI shows "—" (a reason of its own where the strings have one, else the general one)."""
    own = i18n.table(view.lang).get(f"common.why_none_{key}")
    return own or view.t("common.why_none")


def metric_card(view: View, *, key: str, name: str, value_text: str, status: str, help: str, delta=None,
                delta_color: str = "off") -> None:
    """One card: tinted when red or amber (st.metric in a keyed container the CSS finds)."""
    with st.container(key=f"kpicard-{status}-{key}"):
        st.metric(status_label(view, status, name), value_text, delta=delta, delta_color=delta_color,
                  help=help, border=True)
        if key in catalogue.by_key() and access.can("records"):
            # the records behind the number, in a dialog (the URL names them, so the address reopens it)
            if st.button(view.t("common.records_open"), key=f"open_records_{key}", type="tertiary",
                         icon=":material/table_rows:"):
                open_records(key)


def kpi_cards(view: View, keys: list[str], now: dict, before: dict, columns: int = 6,
              statuses: dict[str, str] | None = None, wrap: bool = True) -> None:
    """One st.metric per KPI: status icon, word and tint from the catalogue (or from ``statuses``, {kpi: status},
    where the severity model says more, e.g. new cases red on a local case), change vs the day before, and a help
    text with the definition, the thresholds and why a value is "—". The cards wrap onto more rows rather than
    squeeze (``columns`` is kept for the callers; the width decides). ``wrap=False``: the caller has opened the
    row."""
    cat = catalogue.by_key()
    statuses = statuses or {}
    sep = "。" if view.lang == "zh" else ". "
    with st.container(horizontal=True, gap="small") if wrap else contextlib.nullcontext():
        for key in keys:
            kpi = cat[key]
            value, prev = now.get(key), before.get(key)
            status = statuses.get(key) or kpi.status(value)
            delta = None
            if value is not None and prev is not None and not math.isclose(value, prev):
                delta = f"{value - prev:+,.{kpi.decimals}f}"
            parts = [kpi.definition(view.lang), kpi.thresholds_text(view.lang)]
            if value is None:
                parts.append(why_none(view, key))
            parts.append(view.as_of_text)
            metric_card(view, key=key, name=kpi.name(view.lang), value_text=kpi.format(value, view.lang),
                        status=status, help=sep.join(p for p in parts if p) + ("。" if view.lang == "zh" else "."),
                        delta=delta,
                        # a KPI with no thresholds informs: its change is grey, neither good nor bad
                        delta_color="off" if kpi.amber is None else "normal" if kpi.up_is_good else "inverse")


def _child_names(view: View) -> dict[str, str]:
    """{name: code} of the regions one level below the view's scope (a village: none)."""
    regions = regions_index()
    if view.scope is None:
        return {r["name"]: c for c, r in regions.items() if r["level"] == "township"}
    if regions.get(view.scope, {}).get("level") != "township":
        return {}
    return {r["name"]: c for c, r in regions.items() if r["level"] == "village" and r["parent_code"] == view.scope}


RECORDS_PARAM = drill.CHART_PARAM  # "records": a KPI's key, or a chart's (then the mark's day and filter too)
MARK_PARAMS = drill.URL_PARAMS[1:]


def records_dialog(view: View) -> None:
    """The records behind a number, in a dialog over the page, when the URL names a KPI (``?records=KEY``: a KPI
    card's link or button puts it there) or a chart's mark (``?records=CHART&records_day=…&records_filter=…``:
    a click on the mark puts it there, sitrep.drill), so the address reopens it: as of the view's day (a mark's
    own day for a time-series mark) and in its scope, in the reader's language, with downloads. Closing it takes
    them out of the URL."""
    key = st.query_params.get(RECORDS_PARAM)
    cat = catalogue.by_key()
    mark = drill.from_params(st.query_params)
    if key not in cat and mark is None:
        return
    if mark is not None and mark.day is not None and not view.min_date <= mark.day <= view.as_of:
        return  # a mark's day after the view's day (an address edited by hand): nothing from the future

    def close() -> None:
        for k in (RECORDS_PARAM, *MARK_PARAMS):
            st.query_params.pop(k, None)

    if mark is None:
        kpi = cat[key]
        title, what, source, tables, day = kpi.name(view.lang), kpi.name(view.lang), kpi.records, kpi.tables, None
    else:
        entry = drill.DRILLS[mark.chart]
        title, what, source, tables, day = None, view.t(entry.what), entry.records, entry.tables, mark.day
    day = day or view.as_of
    df = None
    if access.can("records"):
        window = {k: int(v) for k, v in (mark.params if mark else ())}  # the page's window of days
        df = query(source, as_of=day, region_code=view.scope, **window)
        if mark is not None:
            df = drill.select(df, mark)
            if df is None:  # a column the records do not have
                return
    name = f"{key}_{day.isoformat()}"
    if mark is not None:
        title = mark_title(view, mark, tables, what, df)
        name = "_".join([name, *(re.sub(r"[^\w-]", "", v) for _, codes in mark.where for v in codes if v)])

    @st.dialog(title, width="large", on_dismiss=close)
    def show() -> None:
        if df is None:
            st.caption(view.t("auth.records_hidden"))
            return
        as_of = view.t("common.as_of", date=view.date_text(day))
        st.caption(view.t("common.records_caption", n=len(df), kpi=title) + " · " + as_of)
        shown, headers = records.present(df, tables=tables, lang=view.lang, regions=regions_index())
        table(view, shown, name=name, key=f"dialog_{key}", column_labels=headers)

    show()


def mark_title(view: View, mark: drill.Mark, tables: tuple[str, ...], what: str, df: pd.DataFrame | None) -> str:
    """What a chart's mark is, from its day and filter: "1月12日报告 · 本土 · 确诊病例 · 病例"."""
    parts, dated = [], False
    for column, codes in mark.where:
        values = [c for c in codes if c]
        header = i18n.display_labels([column], view.lang, tables)[column]
        if column.endswith("_date") and values:  # "reported on 12 Jan"
            on, when = i18n.table(view.lang).get(f"drill.on.{column}"), view.date_text(drill.day_of(values[0]))
            parts.append(on.format(date=when) if on else f"{header} {when}")
            dated = True
            continue
        labels = [code_label(view, column, c, tables, df) for c in codes]
        if values and set(values) <= {"true", "false"}:  # "in quarantine on the day: yes"
            parts.append(view.t("drill.flag", column=header, value=labels[0]))
        else:
            parts.append(view.t("drill.values_sep").join(dict.fromkeys(labels)))
    parts[:0] = [view.t(f"drill.param.{name}", n=value) for name, value in mark.params]
    if mark.day is not None and not dated:
        parts.insert(0, view.date_text(mark.day))
    return view.t("drill.sep").join([*parts, what])


def code_label(view: View, column: str, code: str, tables: tuple[str, ...], df: pd.DataFrame | None) -> str:
    """A filtered code as the reader reads it: yes/no, its label as the records show it (an enumeration, a state
    on the day), the name the records give it (item_code -> item_name), or the code itself (a case id)."""
    if code == "":
        return view.t("drill.not_recorded")
    if code in ("true", "false"):
        return view.t(f"records.{'yes' if code == 'true' else 'no'}")
    shown, _ = records.present(pd.DataFrame({column: [code]}), tables=tables, lang=view.lang)
    if shown[column].iloc[0] != code:
        return str(shown[column].iloc[0])
    named = column.rsplit("_", 1)[0] + "_name"
    if df is not None and named in df.columns and column in df.columns:
        hit = df.loc[df[column].astype(str) == code, named].dropna()
        if len(hit):
            return str(hit.iloc[0])
    return code


def records_link(key: str) -> str:
    """The address of this page with the records of a KPI open (for HTML cards)."""
    params = {k: st.query_params[k] for k in st.query_params if k not in (RECORDS_PARAM, *MARK_PARAMS)}
    return "?" + urlencode({**params, RECORDS_PARAM: key})


def open_records(key: str) -> None:
    """Open the records of a KPI: put it in the URL and run again (records_dialog shows them)."""
    for k in MARK_PARAMS:
        st.query_params.pop(k, None)
    st.query_params[RECORDS_PARAM] = key
    st.rerun()


def open_mark(mark: drill.Mark) -> None:
    """Open the records behind a chart's mark: put them in the URL and run again (records_dialog shows them)."""
    for k in MARK_PARAMS:
        st.query_params.pop(k, None)
    st.query_params.update(drill.to_params(mark))
    st.rerun()


def records_explorer(view: View, keys: list[str], key: str) -> None:
    """The records behind a headline number: pick a KPI, see its rows, download them."""
    if not access.can("records"):  # leaders and projection screens see aggregates only
        st.caption(view.t("auth.records_hidden"))
        return
    cat = catalogue.by_key()
    choice = st.selectbox(view.t("common.records_of"), keys, key=f"records_{key}",
                          format_func=lambda k: cat[k].name(view.lang))
    kpi = cat[choice]
    df = query(kpi.records, **view.params)
    st.caption(view.t("common.records_caption", n=len(df), kpi=kpi.name(view.lang)) + " · " + view.as_of_text)
    # in the reader's language: labels for codes, dates as dates, places named (sitrep.records)
    shown, headers = records.present(df, tables=kpi.tables, lang=view.lang, regions=regions_index())
    table(view, shown, name=f"{choice}_{view.as_of.isoformat()}", key=f"rec_{key}", column_labels=headers)


def _open_clicked_mark(fig, key: str, points: list[dict]) -> None:
    """Open the records behind the mark just clicked. The chart keeps its selection over reruns: a selection
    already acted on (its records shown, the dialog since closed) does not open them again."""
    seen_key = f"drill_seen_{key}"
    picked = repr(points[:1])
    if not points or st.session_state.get(seen_key) == picked:
        st.session_state[seen_key] = picked
        return
    st.session_state[seen_key] = picked
    point = points[0]
    curve = point.get("curve_number")
    meta = fig.data[curve].meta if isinstance(curve, int) and 0 <= curve < len(fig.data) else None
    entry = drill.DRILLS[key]
    mark = drill.mark(key, point, meta, {w: st.session_state.get(w) for w in entry.widgets})
    if mark is not None:
        open_mark(mark)


def table(view: View, df: pd.DataFrame, *, name: str, key: str, height: int | None = None,
          column_labels: dict[str, str] | None = None) -> None:
    """A table with CSV and XLSX downloads of exactly what is shown (personal data masked
    unless the user may and chose to see it, which is logged; downloads logged)."""
    if not access.may_list(df):  # a list of residents, for a role that sees aggregates only
        st.caption(view.t("auth.records_hidden"))
        return
    shown = access.mask(df, source=name)
    if column_labels:
        shown = shown.rename(columns=column_labels)
    st.dataframe(shown, hide_index=True, width="stretch", height=height or "auto")
    downloads(view, shown, name=name, key=key)


def downloads(view: View, shown: pd.DataFrame, *, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM) and XLSX downloads of a table exactly as shown: formula cells
    neutralised, the download logged (sitrep.export, sitrep.auth.web.export_data). The caller
    hands in what it shows, already masked."""
    with st.container(horizontal=True):
        st.download_button(view.t("common.download_csv"), access.export_data(shown, "csv", name),
                           file_name=f"{name}.csv", mime="text/csv", key=f"csv_{key}", on_click="ignore",
                           icon=":material/download:")
        st.download_button(view.t("common.download_xlsx"), access.export_data(shown, "xlsx", name),
                           file_name=f"{name}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key=f"xlsx_{key}", on_click="ignore", icon=":material/download:")


def region_map(view: View, values: pd.DataFrame, *, level: str, value_label: str, key: str,
               fmt=lambda v: f"{v:,.0f}", palette: str = "blues", reverse: bool = False,
               highlight: set[str] | None = None, highlight_label: str = "", points: pd.DataFrame | None = None,
               height: int = 520, drill: bool = True, classes: dict | None = None,
               labels: list[str] | None = None) -> None:
    """Regions of `level` in scope coloured by values (region_code, value); clicking a region
    drills the whole dashboard down to it. ``labels``: region codes whose names are drawn on the map, in
    priority order (the first keeps its place; the others move aside rather than overlap)."""
    boundaries = query("boundaries_by_level", level=level, region_code=view.scope)
    polys = maps.polygons(boundaries)
    outline = None
    if level == "village":
        outline = maps.polygons(query("boundaries_by_level", level="township", region_code=view.scope))
    deck, legend = maps.choropleth(
        polys, values, value_label=value_label, fmt=fmt, palette=palette, reverse=reverse,
        highlight=highlight, highlight_label=highlight_label, outline=outline, points=points,
        no_data_label=view.t("common.no_data"), layer_id=f"map-{key}", classes=classes,
    )
    if labels:
        named = boundaries.set_index("region_code").reindex(labels)[["name", "lon", "lat"]].dropna()
        placed = maps.place_labels(named, deck.initial_view_state, height_px=height)
        deck.layers.append(maps.label_layer(placed, layer_id=f"map-{key}-labels"))
    event = st.pydeck_chart(deck, height=height, key=f"map_{key}",
                            on_select="rerun" if drill else "ignore", selection_mode="single-object")
    st.markdown(maps.legend_html(legend, value_label), unsafe_allow_html=True)
    if drill and event and event.selection and event.selection.get("objects"):
        picked = event.selection["objects"].get(f"map-{key}") or []
        if picked:
            code = picked[0].get("region_code")
            if code and code != view.scope:
                set_scope(code)
                st.rerun()


def chart(fig, key: str) -> None:
    """A figure in the page's language, and the numbers it draws as a table under it (folded), with CSV and
    XLSX downloads (sitrep.figures.as_table). A chart with one bar per region below the scope drills down:
    a click on a bar sets the scope to that region (the URL too), as a click on the map does. On the other
    charts a click on a mark opens the records behind it (sitrep.drill: the chart's key says which), in the
    records dialog, the URL naming the mark."""
    lang = current_lang()
    view = st.session_state.get("sitrep_view")
    drill_down = figures.region_categories(fig, _child_names(view)) if view is not None else None
    marks = drill_down is None and view is not None and key in drill.DRILLS and access.can("records")
    if marks:
        # the clicked mark stays selected: the others are not faded for it (the dialog says what was clicked)
        fig.for_each_trace(lambda tr: tr.update(unselected={"marker": {"opacity": 1}})
                           if "unselected" in tr else None)
    event = st.plotly_chart(l10n.localize_figure(fig, lang), width="stretch", key=key,
                            config={"displaylogo": False}, on_select="rerun" if drill_down or marks else "ignore",
                            selection_mode="points")
    # with on_select="ignore" plotly_chart returns the element, not a selection
    points = (event.get("selection", {}).get("points") if (drill_down or marks) and event else None) or []
    if drill_down and points:
        axis, codes = drill_down
        code = codes.get(points[0].get(axis))
        if code and code != view.scope:
            set_scope(code)
            st.rerun()
    if marks:
        _open_clicked_mark(fig, key, points)
    data = figures.as_table(fig)
    if not data.empty:
        labels = {"category": i18n.t("common.chart_category", lang), "value": i18n.t("common.chart_value", lang),
                  "x": i18n.t("common.chart_category", lang), "y": i18n.t("common.chart_series", lang)}
        # lazy: the table is drawn only when someone opens it
        folded = st.expander(i18n.t("common.chart_data", lang), key=f"chartdata_{key}", on_change="rerun")
        if folded.open:
            with folded:
                shown = data.rename(columns=labels)
                st.dataframe(shown, hide_index=True, width="stretch")
                if view is not None:
                    downloads(view, shown, name=key, key=f"chartdata_dl_{key}")

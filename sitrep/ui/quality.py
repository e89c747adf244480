"""The Data page's quality tab: every quality check with its counts by township and the
records behind each count, each list downloadable (personal data masked).

``render_quality(view)`` draws it; the checks run through sitrep.quality, cached per database
version (as named queries are), so switching tabs or lists does not run them again.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sitrep import catalogue, contract, i18n, quality
from sitrep.figures.quality import completeness_heatmap, issues_by_township
from sitrep.ui import widgets as w
from sitrep.ui.data import get_db
from sitrep.ui.state import View

PERIODS = (7, 14, 28, 56)
STATUSES = ("missing", "late", "unknown", "pending", "on_time")
KEY = "data_quality"


# ---------------------------------------------------------------- cached checks

_CHECKS = {
    "reporting_daily": quality.reporting_daily,
    "reporting_units": quality.reporting_units,
    "reporting_kpis": quality.reporting_kpis,
    "duplicates": quality.duplicates,
    "outliers": quality.outliers,
    "rules": quality.run_rules,
    "freshness": quality.freshness,
    "stale_kpis": quality.stale_kpis,
}


@st.cache_data(max_entries=300, show_spinner=False)
def _run(name: str, path: str, version: tuple | None, config_stamp: float, params: tuple):
    return _CHECKS[name](get_db(), **dict(params))


def check(name: str, **params):
    """A quality check on the served database, cached until the database or the settings change."""
    db = get_db()
    config_stamp = quality.load_config().path.stat().st_mtime
    return _run(name, str(db.path), db.version(), config_stamp, tuple(sorted(params.items())))


# ---------------------------------------------------------------- helpers


def _label(view: View, column: str) -> str:
    """A column header: the quality tab's own, else the contract's (rule rows come from any
    table), else the name itself."""
    strings = i18n.table(view.lang)
    if f"quality.col.{column}" in strings:
        return strings[f"quality.col.{column}"]
    for table in contract.TABLES:
        if column in table.column_names:
            return i18n.column_label(table.name, column, view.lang)
    return column


def _dates(df: pd.DataFrame) -> pd.DataFrame:
    """Dates without times (timestamps keep theirs, to the minute)."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            s = out[col]
            if (s.dropna().dt.normalize() == s.dropna()).all():
                out[col] = s.dt.date
            else:
                out[col] = s.dt.strftime("%Y-%m-%d %H:%M")
    return out


def _township_labels(view: View, codes) -> dict[str, str]:
    """The city's own code reads as "市本级" (city-level units) in township columns."""
    return {c: view.t("quality.city_level") for c in codes if isinstance(c, str) and quality.is_city_scope(c)}


def _show(view: View, df: pd.DataFrame, name: str, key: str, height: int | None = None) -> None:
    if df.empty:
        st.caption(view.t("quality.none_found"))
        return
    shown = _dates(df)
    if "township_code" in shown.columns and "township_name" in shown.columns:
        city = _township_labels(view, shown["township_code"].unique())
        shown["township_name"] = [city.get(c, n) for c, n in zip(shown["township_code"], shown["township_name"])]
    w.table(view, shown, name=f"{name}_{view.as_of.isoformat()}", key=f"{KEY}_{key}", height=height,
            column_labels={c: _label(view, c) for c in shown.columns})


def _pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{v:.1f}%"


# ---------------------------------------------------------------- the tab


def render_quality(view: View) -> None:
    """The quality tab: headline counts, issues by township, then one sub-tab per check."""
    t = view.t
    config = quality.load_config()
    st.caption(t("quality.intro"))
    days = st.segmented_control(t("quality.period"), PERIODS, default=28, key=f"{KEY}_days",
                                format_func=lambda n: t("quality.period_days", n=n)) or 28
    start = quality.period_start(view.as_of, days)
    st.caption(t("quality.period_caption", start=view.date_text(start), end=view.date_text(view.as_of))
               + " · " + view.as_of_text)
    now = quality.now_hour()
    scope = view.scope

    daily = check("reporting_daily", as_of=view.as_of, from_date=start, region_code=scope, now=now)
    gaps = check("reporting_units", as_of=view.as_of, from_date=start, region_code=scope, now=now, status=None)
    kpis = check("reporting_kpis", as_of=view.as_of, region_code=scope)
    dups = check("duplicates", region_code=scope)
    outs = check("outliers", as_of=view.as_of, from_date=start, region_code=scope)
    results = check("rules", as_of=view.as_of, region_code=scope)
    fresh = check("freshness", as_of=view.as_of, now=quality.now_minute())
    stale = check("stale_kpis", now=quality.now_minute(), as_of=view.as_of)

    broken = [r for r in results if r.broken]
    n_critical = sum(r.rule.severity == "critical" for r in broken)
    cols = st.columns(7)
    cols[0].metric(t("quality.metric.complete"), _pct(kpis.get("reports_complete_pct")),
                   help=t("quality.metric.help_complete"))
    cols[1].metric(t("quality.metric.on_time"), _pct(kpis.get("reports_on_time_pct")),
                   help=t("quality.metric.help_on_time"))
    cols[2].metric(t("quality.metric.missing"), f"{int(kpis.get('reports_missing') or 0):,}")
    cols[3].metric(t("quality.metric.duplicates"), f"{len(dups):,}")
    cols[4].metric(t("quality.metric.outliers"), f"{len(outs):,}")
    cols[5].metric(t("quality.metric.rules"), f"{len(broken)}",
                   delta=f"{t('quality.metric.critical')} {n_critical}" if n_critical else None, delta_color="inverse")
    cols[6].metric(t("quality.metric.stale"), f"{int((fresh['stale'] | fresh['lagging']).sum())}")

    issues = gaps[gaps["status"].isin(["missing", "late"])]
    rule_rows = pd.concat([r.rows.assign(rule=r.rule.name) for r in broken if "township_code" in r.rows.columns],
                          ignore_index=True) if broken else pd.DataFrame()
    counts = quality.counts_by_township({"reporting": issues, "duplicates": dups, "outliers": outs,
                                         "rules": rule_rows})
    with st.expander(t("quality.by_township"), expanded=False):
        names = {c: t(f"quality.col.{c}") for c in ("reporting", "duplicates", "outliers", "rules")}
        labels = _township_labels(view, counts["township_code"])
        w.chart(issues_by_township(counts, names, labels=labels), key=f"{KEY}_by_township_chart")
        _show(view, counts, "quality_by_township", "by_township")

    tabs = st.tabs([t(f"quality.section.{s}") for s in ("reporting", "duplicates", "outliers", "rules", "freshness")])
    with tabs[0]:
        _reporting(view, config, daily, gaps)
    with tabs[1]:
        _duplicates(view, dups)
    with tabs[2]:
        _outliers(view, config, outs)
    with tabs[3]:
        _rules(view, results)
    with tabs[4]:
        _freshness(view, fresh, stale)


def _reporting(view: View, config, daily: pd.DataFrame, units: pd.DataFrame) -> None:
    t = view.t
    streams = [s.name for s in config.streams]
    choice = st.selectbox(t("quality.reporting.stream_choice"), [None, *streams], key=f"{KEY}_stream",
                          format_func=lambda s: t("quality.stream.all") if s is None else t(f"quality.stream.{s}"))
    shown = daily if choice is None else daily[daily["stream"] == choice]
    labels = _township_labels(view, shown["township_code"].unique()) if not shown.empty else {}
    st.markdown(f"**{t('quality.reporting.heatmap_title')}**")
    hover = "%{y} · %{x|%Y-%m-%d}<br>%{customdata[1]:.1f}% · %{customdata[0]}"
    w.chart(completeness_heatmap(shown, labels=labels, hover=hover), key=f"{KEY}_heatmap")
    days, hour = divmod(config.deadline_hours, 24)
    deadline = t("quality.reporting.deadline_next" if days == 1 else "quality.reporting.deadline_days",
                 days=days, time=f"{hour:02d}:00")
    st.caption(t("quality.reporting.heatmap_caption", deadline=deadline, history=config.history_min_days))
    received = shown["received"].sum() if not shown.empty else 0
    if received and shown["unknown"].sum() == received:
        st.info(t("quality.reporting.demo_note"))

    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**{t('quality.reporting.by_stream')}**")
        by_stream = quality.reporting_summary(daily, ["stream"])
        by_stream["stream"] = [t(f"quality.stream.{s}") for s in by_stream["stream"]]
        _show(view, by_stream, "quality_reporting_by_stream", "by_stream")
    with c2:
        st.markdown(f"**{t('quality.reporting.by_township')}**")
        _show(view, quality.reporting_summary(shown, ["township_code", "township_name"]),
              "quality_reporting_by_township", "rep_by_township")

    st.markdown(f"**{t('quality.reporting.gaps')}**")
    st.caption(t("quality.reporting.gaps_caption"))
    status = st.selectbox(t("quality.reporting.status_choice"), STATUSES, key=f"{KEY}_status",
                          format_func=lambda s: t(f"quality.status.{s}"))
    rows = units[units["status"] == status]
    if choice is not None:
        rows = rows[rows["stream"] == choice]
    rows = rows.assign(
        stream=[t(f"quality.stream.{s}") for s in rows["stream"]],
        status=[t(f"quality.status.{s}") for s in rows["status"]],
        unit_name=[view.enum("duty_roster", "shift", n) if s == "duty_roster" else n
                   for s, n in zip(rows["stream"], rows["unit_name"])] if len(rows) else rows["unit_name"],
    )
    st.caption(t("quality.records", n=len(rows)))
    _show(view, rows.drop(columns=["rows_in"]), f"quality_reports_{status}", "gaps", height=360)


def _duplicates(view: View, pairs: pd.DataFrame) -> None:
    t = view.t
    st.caption(t("quality.duplicates.caption"))
    kinds = ["id_number", "name_phone", "name_birth"]
    counts = pairs["kind"].value_counts() if not pairs.empty else pd.Series(dtype=int)
    cols = st.columns(len(kinds))
    for col, kind in zip(cols, kinds):
        col.metric(t(f"quality.kind.{kind}"), f"{int(counts.get(kind, 0)):,}")
    kind = st.selectbox(t("quality.duplicates.kind_choice"), [None, *kinds], key=f"{KEY}_kind",
                        format_func=lambda k: t("quality.all") if k is None else t(f"quality.kind.{k}"))
    rows = pairs if kind is None else pairs[pairs["kind"] == kind]
    status = view.enums("returnees", "status")
    rows = rows.assign(kind=[t(f"quality.kind.{k}") for k in rows["kind"]],
                       status_a=rows["status_a"].map(status), status_b=rows["status_b"].map(status))
    st.caption(t("quality.records", n=len(rows)))
    _show(view, rows.drop(columns=["township_code_a", "township_code_b", "region_code_a", "region_code_b"]),
          "quality_duplicate_persons", "dups",
          height=360)


def _outliers(view: View, config, episodes: pd.DataFrame) -> None:
    t = view.t
    first = config.series[0] if config.series else None
    st.caption(t("quality.outliers.caption", window=first.window_days if first else "",
                 threshold=first.threshold if first else ""))
    names = [s.name for s in config.series]
    series = st.selectbox(t("quality.outliers.series_choice"), [None, *names], key=f"{KEY}_series",
                          format_func=lambda s: t("quality.all") if s is None else t(f"quality.series.{s}"))
    rows = episodes if series is None else episodes[episodes["series"] == series]
    rows = rows.assign(series=[t(f"quality.series.{s}") for s in rows["series"]],
                       reason=[t(f"quality.reason.{r}") for r in rows["reason"]]).drop(columns=["direction"])
    st.caption(t("quality.records", n=len(rows)))
    _show(view, rows, "quality_outliers", "outliers", height=360)


def _rules(view: View, results: list) -> None:
    t = view.t
    st.caption(t("quality.rules.caption"))
    summary = quality.rules_summary(results, view.lang)
    summary["severity"] = [t(f"quality.severity.{s}") for s in summary["severity"]]
    summary["pillar"] = [t(f"overview.pillar_{p}") for p in summary["pillar"]]
    _show(view, summary, "quality_rules", "rules_summary")
    order = sorted(results, key=lambda r: (-r.count, r.rule.name))
    names = [r.rule.name for r in order]
    if not names:
        return
    name = st.selectbox(t("quality.rules.rule_choice"), names, key=f"{KEY}_rule",
                        format_func=lambda n: f"{n} ({next(r.count for r in results if r.rule.name == n)})")
    result = next(r for r in results if r.rule.name == name)
    st.markdown(f"**[{t(f'quality.severity.{result.rule.severity}')}]** {result.rule.message(view.lang)}")
    if result.error:
        st.error(t("quality.rules.failed", error=result.error))
        return
    st.caption(t("quality.records", n=result.count))
    _show(view, result.rows, f"quality_rule_{name}", "rule_rows", height=360)


def _freshness(view: View, fresh: pd.DataFrame, stale: set[str]) -> None:
    t = view.t
    st.caption(t("quality.freshness.caption"))
    shown = fresh.copy()
    shown.insert(1, "freshness", [
        t("quality.freshness.never") if s and pd.isna(at) else
        t("quality.freshness.stale") if s else t("quality.freshness.lagging") if g else t("quality.freshness.ok")
        for s, g, at in zip(shown["stale"], shown["lagging"], shown["last_imported_at"])])
    shown["table_name"] = [i18n.table_label(n, view.lang) for n in shown["table_name"]]
    _show(view, shown.drop(columns=["stale", "lagging"]), "quality_freshness", "freshness")
    if stale:
        cat = catalogue.by_key()
        st.warning(t("quality.freshness.stale_kpis",
                     kpis="、".join(cat[k].name(view.lang) for k in sorted(stale) if k in cat)))

"""Early warning on the dashboard: the alert list with its map, each alert's explanation and chart, the response
form, and response times (Monitoring page, :func:`render_alerts`); the open alerts for the Overview's "needs a
decision" (:func:`open_alerts_summary`); Rt and the doubling time (Cases page, :func:`render_rt`).

The alert list of a day is cached per database version, settings files and (as-of day, scope); the response
state is read from the state store (sitrep.alert_responses) on every run, so a response shows at once in every session.
Listing alerts records when each was first listed (for response times).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from sitrep import alerts, audit, catalogue, i18n, privacy
from sitrep.alerts import config as alert_config
from sitrep.alerts.engine import township_of
from sitrep.auth import web as access
from sitrep.figures import alerts as fig
from sitrep.rules import rules_version
from sitrep.alert_responses import MAX_NOTE, MAX_WHO, AlertRef, StateError, StateStore, resolve_state_path
from sitrep.ui import widgets as w
from sitrep.ui.data import checked_db, get_db, query, scope_key
from sitrep.ui.state import View, regions_index
from sitrep.warning import config as warning_config
from sitrep.warning import rt

# the phone is in each alert's explanation (masked): the list keeps to what fits beside the map
LIST_COLUMNS = ("status", "kind", "alert", "since", "condition", "responsible")


def _file_stamp(path: Path) -> tuple:
    try:
        return (str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        return (str(path), None)


@st.cache_data(max_entries=8, show_spinner=False)
def _signals(path: str, version: tuple, limit: str | None) -> alerts.Signals:
    # up to the last data day, for all the user may see: serves every as-of day and scope (see alerts.Signals)
    return alerts.compute_signals(checked_db(path))


@st.cache_data(max_entries=256, show_spinner=False)
def _alerts(path: str, version: tuple, limit: str | None, as_of: date, scope: str | None) -> pd.DataFrame:
    return alerts.compute_alerts(checked_db(path), as_of=as_of, region_code=scope,
                                 signals=_signals(path, version, limit))


def _version() -> tuple:
    db = get_db()
    return (db.version(), rules_version(), _file_stamp(alert_config.default_config_path()),
            _file_stamp(warning_config.default_config_path()))


def signals() -> alerts.Signals:
    """The cached signals of the served database (sentinel statistics, KPI values per place and day)."""
    return _signals(str(get_db().path), _version(), scope_key())


@st.cache_resource
def _store(path: str) -> StateStore:
    return StateStore(path)


def store() -> StateStore:
    """The response store of the served database ($SITREP_STATE, else state.sqlite3 beside the database)."""
    return _store(str(resolve_state_path(db_path=get_db().path)))


def scope(view: View) -> str | None:
    """The view's scope as the access module allows it: a township user's is their township (or a village
    in it), whatever the page or its widgets say. The alert engine reads the database itself (its signals are
    cached for the whole city), so the scope is applied here, not by ui.data.query."""
    return access.clamp_scope(view.scope)


def listed_alerts(view: View) -> pd.DataFrame:
    """The alerts listed on the view's day at its scope (sitrep.alerts.compute_alerts) with their response
    state, open first; records the first time each is listed. A township user gets only alerts whose place
    lies in their township: not the city's own (city-level KPIs), not another township's."""
    df = _alerts(str(get_db().path), _version(), scope_key(), view.as_of, scope(view))
    if access.scope_limit() is not None and not df.empty:
        df = df[[access.region_visible(code) for code in df["place_code"]]].reset_index(drop=True)
    s = store()
    if not df.empty:
        s.record_seen(AlertRef.from_row(r) for _, r in df.iterrows())
    return alerts.attach_status(df, s.statuses(df["alert_id"]))


# ---------------------------------------------------------------- words


def _day(view: View, d) -> str:
    return "" if d is None or pd.isna(d) else view.date_text(pd.Timestamp(d).date())


def _short_day(view: View, d) -> str:
    d = pd.Timestamp(d).date()
    return f"{d.month}月{d.day}日" if view.lang == "zh" else d.strftime("%d %b").lstrip("0")


def _num(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.{digits}f}"


def _local(t) -> str:
    """A stored (UTC) time in the server's local time."""
    return "" if t is None or pd.isna(t) else pd.Timestamp(t).to_pydatetime().astimezone().strftime("%Y-%m-%d %H:%M")


def responsible_text(view: View, row) -> str:
    person = row["responsible_person"]
    if person is None or pd.isna(person):
        return view.t("alerts.no_responsible")
    level = row["responsible_level"]
    label = (view.t("alerts.level.duty_leader") if level == "duty_leader"
             else view.enum("grid_units", "responsible_level", level))
    return view.t("alerts.responsible_with_level", person=person, level=label) if label else str(person)


def list_frame(view: View, df: pd.DataFrame) -> pd.DataFrame:
    """The alert list as shown: one row per alert, words in the view's language."""
    return pd.DataFrame({
        "status": [view.t(f"alerts.status.{s}") for s in df["status"]],
        "kind": [view.t(f"alerts.kind.{k}") for k in df["kind"]],
        "alert": [alerts.title(r, view.lang) for _, r in df.iterrows()],
        "since": [_day(view, d) for d in df["start_day"]],
        "condition": [view.t("alerts.ongoing") if a else view.t("alerts.ended", day=_short_day(view, d))
                      for a, d in zip(df["active"], df["last_day"])],
        "responsible": [responsible_text(view, r) for _, r in df.iterrows()],
    })


# ---------------------------------------------------------------- the Monitoring page's section


def render_alerts(view: View) -> None:
    """The alert section of the Monitoring page."""
    cfg = alerts.load_alert_config()
    ew = warning_config.load_config()
    st.subheader(view.t("alerts.section"))
    stats = view.t("alerts.statistics_sep").join(
        s.upper() if s != "mp" else f"P{ew.moving_percentile.percentile:g}" for s in cfg.statistics)
    st.caption(view.t("alerts.section_caption", statistics=stats, days=cfg.min_run_days, keep=cfg.keep_days,
                      as_of=view.as_of_text))
    df = listed_alerts(view)
    _flash()
    if df.empty:
        st.success(view.t("alerts.none"))
        _response_times(view)
        return

    n = {s: int((df["status"] == s).sum()) for s in ("open", "acknowledged", "closed")}
    st.markdown(f":red-badge[{view.t('alerts.count_open')} {n['open']}] "
                f":orange-badge[{view.t('alerts.count_acknowledged')} {n['acknowledged']}] "
                f":green-badge[{view.t('alerts.count_closed')} {n['closed']}] "
                f":gray-badge[{view.t('alerts.count_active')} {int(df['active'].sum())}]")
    st.caption(view.t("alerts.counts_caption"))  # what this list counts, against the Overview's 需决策事项

    f1, f2 = st.columns(2)
    kinds = [k for k in alerts.KINDS if k in set(df["kind"])]
    chosen_kinds = f1.multiselect(view.t("alerts.filter_kind"), kinds, default=kinds, key="alerts_kind",
                                  format_func=lambda k: view.t(f"alerts.kind.{k}"))
    statuses = ["open", "acknowledged", "closed"]
    chosen_status = f2.multiselect(view.t("alerts.filter_status"), statuses, default=statuses, key="alerts_status",
                                   format_func=lambda s: view.t(f"alerts.status.{s}"))
    shown = df[df["kind"].isin(chosen_kinds) & df["status"].isin(chosen_status)].reset_index(drop=True)

    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{view.t('alerts.list_title')}**")
        if shown.empty:
            st.info(view.t("alerts.none_filtered"))
            picked = None
        else:
            table = list_frame(view, shown)
            table.columns = [view.t(f"alerts.col.{c}") for c in LIST_COLUMNS]
            widths = dict(zip(table.columns, (66, 80, 330, 108, 84, 140)))
            event = st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 420),
                                 column_config={c: st.column_config.TextColumn(width=wd) for c, wd in widths.items()},
                                 on_select="rerun", selection_mode="single-row", key="alerts_list",
                                 selection_default={"selection": {"rows": [0]}})
            rows = event.selection.rows if event and event.selection else []
            picked = shown.iloc[rows[0]] if rows and rows[0] < len(shown) else shown.iloc[0]
            st.caption(view.t("alerts.list_caption"))
            w.downloads(view, table, name=f"alerts_{view.as_of}", key="alerts_list")
    with right:
        _map(view, df)

    if picked is not None:
        explain(view, picked)
    _response_times(view)


def _map(view: View, df: pd.DataFrame) -> None:
    st.markdown(f"**{view.t('alerts.map_title')}**")
    not_closed = df[df["status"] != "closed"]
    if scope(view) is None:
        level = "township"
        codes = not_closed["township_code"].dropna()
        caption = "alerts.map_caption_city"
    else:
        level = "village"
        codes = not_closed.loc[not_closed["kind"] == "case", "place_code"].str[:12]
        caption = "alerts.map_caption_township"
    values = codes.value_counts().rename_axis("region_code").reset_index(name="value")
    w.region_map(view, values, level=level, key="alerts_map", value_label=view.t("alerts.map_value"),
                 fmt=lambda v: view.t("alerts.map_fmt", n=int(v)), palette="oranges", height=400)
    st.caption(view.t(caption))


def explain(view: View, alert) -> None:
    """One alert: what was observed against what, the series with its threshold band, the response form and
    the responses so far."""
    cfg = alerts.load_alert_config()
    ew = warning_config.load_config()
    with st.container(border=True):
        st.markdown(f"#### {alerts.title(alert, view.lang)}")
        st.markdown(" · ".join([view.t(f"alerts.status.{alert['status']}"), view.t(f"alerts.kind.{alert['kind']}"),
                                view.t("alerts.ongoing") if alert["active"]
                                else view.t("alerts.ended", day=_day(view, alert["last_day"]))]))
        left, right = st.columns([3, 2])
        with left:
            facts, chart = _explanation(view, alert, cfg, ew)
            w.chart(chart, key="alerts_chart")
        with right:
            st.markdown("\n".join(f"- **{k}**: {v}" for k, v in facts))
            if alert["kind"] == "kpi":
                kpi = catalogue.by_key()[alert["kpi"]]
                with st.expander(view.t("alerts.explain.records", kpi=kpi.name(view.lang),
                                        day=_day(view, view.as_of), place=alert["place_name"])):
                    place = None if alert["place_level"] == "city" else alert["place_code"]
                    rows = i18n.display_codes(query(kpi.records, as_of=view.as_of, region_code=place), view.lang,
                                              kpi.tables)
                    w.table(view, rows, name=f"{alert['kpi']}_{view.as_of}", key="alerts_records",
                            column_labels=i18n.display_labels(rows.columns, view.lang, kpi.tables))
        _respond(view, alert)


def _explanation(view: View, alert, cfg, ew) -> tuple[list[tuple[str, str]], object]:
    t = view.t
    db = checked_db()
    since = (_day(view, alert["start_day"]) if int(alert["run_days"]) == 1 else
             t("alerts.explain.since_text", start=_day(view, alert["start_day"]), last=_day(view, alert["last_day"]),
               days=int(alert["run_days"])))
    phone = alert["phone"] if isinstance(alert["phone"], str) and alert["phone"] else None
    who = responsible_text(view, alert) + (f" · {privacy.mask_phone(phone)}" if phone else "")
    facts = [(t("alerts.explain.where"), alert["place_name"]),
             (t("alerts.explain.since"), since),
             (t("alerts.explain.responsible"), who)]
    kind = alert["kind"]
    if kind == "sentinel":
        metric = t(f"alerts.metric.{cfg.metric}")
        site = view.enum("sentinel_sites", "site_type", alert["site_type"])
        e, mp = ew.ears, ew.moving_percentile
        thresholds = {"c1": e.c1_threshold, "c2": e.c2_threshold, "c3": e.c3_threshold}
        stats = "; ".join(
            t(f"alerts.explain.stat_{s}", threshold=f"{thresholds[s]:g}") if s != "mp" else
            t("alerts.explain.stat_mp", window=mp.window_days, windows=mp.baseline_windows,
              percentile=f"{mp.percentile:g}") for s in cfg.statistics)
        facts = [(t("alerts.explain.method"), t("alerts.explain.method_sentinel", stats=stats, days=cfg.min_run_days)),
                 (t("alerts.explain.observed"), t("alerts.explain.observed_sentinel", day=_day(view, alert["last_day"]),
                                                  metric=metric, value=_num(alert["value"]))),
                 (t("alerts.explain.baseline"), t("alerts.explain.baseline_sentinel", mean=_num(alert["baseline"]),
                                                  sd=_num(alert["spread"]))),
                 (t("alerts.explain.threshold"), t("alerts.explain.threshold_sentinel", upper=_num(alert["threshold"]),
                                                   c2=f"{e.c2_threshold:g}", min_sigma=f"{e.min_sigma:g}",
                                                   stat=_num(alert["statistic"], 2))),
                 *facts]
        series = alerts.sentinel_series(signals(), alert, as_of=view.as_of, days=cfg.sentinel_chart_days)
        chart = fig.sentinel_chart(
            series, start_day=alert["start_day"], last_day=alert["last_day"],
            labels={"y": metric, "baseline": t("alerts.chart.baseline"), "upper": t("alerts.chart.upper"),
                    "alarm": t("alerts.chart.alarm"), "run": t("alerts.chart.run")},
            title=t("alerts.chart.sentinel_title", place=alert["place_name"], site_type=site, metric=metric,
                    days=cfg.sentinel_chart_days))
    elif kind == "case":
        unknown = t("alerts.explain.unknown")
        found = view.enum("cases", "found_by", alert["found_by"]) or unknown
        cluster = alert["cluster_id"] if isinstance(alert["cluster_id"], str) and alert["cluster_id"] else \
            t("alerts.explain.none")
        facts = [(t("alerts.explain.method"), t("alerts.explain.method_case")),
                 (t("alerts.explain.observed"), t("alerts.explain.observed_case",
                                                  category=view.enum("cases", "category", alert["category"]),
                                                  found_by=found, onset=_day(view, alert["onset_date"]) or unknown,
                                                  cluster=cluster)),
                 (t("alerts.explain.baseline"), t("alerts.explain.baseline_case")),
                 (t("alerts.explain.threshold"), t("alerts.explain.threshold_case")),
                 *facts]
        series = alerts.case_series(db, alert, as_of=view.as_of, config=cfg)
        chart = fig.case_chart(series, report_day=alert["start_day"],
                               labels={"cases": t("alerts.chart.cases"), "threshold": t("alerts.chart.threshold_case")},
                               title=t("alerts.chart.case_title", place=alert["township_name"],
                                       days=cfg.case_chart_days))
    else:
        kpi = catalogue.by_key()[alert["kpi"]]
        facts = [(t("alerts.explain.method"), t("alerts.explain.method_kpi", kpi=kpi.name(view.lang),
                                                definition=kpi.definition(view.lang))),
                 (t("alerts.explain.observed"), t("alerts.explain.observed_kpi", day=_day(view, alert["last_day"]),
                                                  value=kpi.format(_float(alert["value"]), view.lang))),
                 (t("alerts.explain.baseline"), t("alerts.explain.baseline_kpi",
                                                  amber=kpi.format(kpi.amber, view.lang))),
                 (t("alerts.explain.threshold"), t("alerts.explain.threshold_kpi", red=kpi.format(kpi.red, view.lang))),
                 *facts]
        series = alerts.kpi_series(signals(), alert, as_of=view.as_of, days=cfg.kpi_chart_days)
        chart = fig.kpi_chart(series, amber=kpi.amber, red=kpi.red, up_is_good=kpi.up_is_good,
                              start_day=alert["start_day"], last_day=alert["last_day"],
                              labels={"value": kpi.name(view.lang), "amber": t("alerts.chart.amber"),
                                      "red": t("alerts.chart.red"), "began": t("alerts.chart.began")},
                              title=t("alerts.chart.kpi_title", place=alert["place_name"], kpi=kpi.name(view.lang),
                                      days=cfg.kpi_chart_days))
    if alert.get("first_seen_at") is not None and not pd.isna(alert.get("first_seen_at")):
        facts.append((t("alerts.explain.first_seen"), _local(alert["first_seen_at"])))
    return facts, chart


def _float(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


# ---------------------------------------------------------------- responding


def _respond(view: View, alert) -> None:
    ref = AlertRef.from_row(alert)
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{view.t('alerts.form.title')}**")
        if alert["status"] == "closed":
            st.info(view.t("alerts.form.closed"))
        else:
            ss = st.session_state
            # a signed-in user responds under their own name (editable: a response taken on someone's behalf);
            # whatever is typed, the response is logged under their account (see _on_respond)
            ss.setdefault("alerts_who", _signed_in_label() or ss.get("alerts_last_who", ""))
            with st.form("alerts_response", border=False):
                st.text_input(view.t("alerts.form.who"), key="alerts_who", max_chars=MAX_WHO,
                              help=view.t("alerts.form.who_help"))
                st.text_area(view.t("alerts.form.note"), key="alerts_note", max_chars=MAX_NOTE, height=80)
                b1, b2 = st.columns(2)
                title = alerts.title(alert, view.lang)
                b1.form_submit_button(view.t("alerts.form.acknowledge"), disabled=alert["status"] != "open",
                                      on_click=_on_respond, args=(view, ref, "acknowledge", title), width="stretch")
                b2.form_submit_button(view.t("alerts.form.close"), type="primary", on_click=_on_respond,
                                      args=(view, ref, "close", title), width="stretch")
    with right:
        st.markdown(f"**{view.t('alerts.history.title')}**")
        hist = store().history(ref.alert_id)
        if hist.empty:
            st.caption(view.t("alerts.history.none"))
        else:
            shown = pd.DataFrame({
                view.t("alerts.history.col_at"): [_local(x) for x in hist["at"]],
                view.t("alerts.history.col_action"): [view.t(f"alerts.history.action_{a}") for a in hist["action"]],
                view.t("alerts.history.col_who"): hist["who"],
                view.t("alerts.history.col_note"): hist["note"],
            })
            st.dataframe(shown, hide_index=True, width="stretch")
            w.downloads(view, shown, name=f"alert_history_{ref.alert_id}", key="alert_history")


def _on_respond(view: View, ref: AlertRef, action: str, title: str) -> None:
    """Form callback (runs before the rerun, so the list shows the new state at once)."""
    ss = st.session_state
    who, note = (ss.get("alerts_who") or "").strip(), (ss.get("alerts_note") or "").strip()
    if not who:
        ss["alerts_flash"] = ("error", view.t("alerts.form.need_who"))
        return
    try:
        store().respond(ref, action, who, note)
    except StateError:
        ss["alerts_flash"] = ("error", view.t("alerts.form.too_long", who=MAX_WHO, note=MAX_NOTE))
        return
    user = access.current()
    if user is not None and not user.is_demo:
        audit.record("alert", user=user.name, role=user.role, alert_id=ref.alert_id, action=action, who=who,
                     note=note)
    ss["alerts_last_who"] = who
    ss["alerts_note"] = ""
    ss["alerts_flash"] = ("success", view.t(f"alerts.form.done_{action}", alert=title))


def _signed_in_label() -> str | None:
    user = access.current()
    return None if user is None or user.is_demo else user.label[:MAX_WHO]


def _flash() -> None:
    msg = st.session_state.pop("alerts_flash", None)
    if msg:
        (st.success if msg[0] == "success" else st.error)(msg[1])


# ---------------------------------------------------------------- response times


def response_times_frame(view: View) -> pd.DataFrame:
    """Response times per township and kind in scope, labelled in the view's language."""
    regions = regions_index()
    where = scope(view)
    if where is None:
        times = store().response_times()
    else:
        times = store().response_times([township_of(where)])
    order = {k: i for i, k in enumerate(alerts.KINDS)}
    times = times.assign(_k=times["kind"].map(order)).sort_values(["township_code", "_k"], na_position="first",
                                                                   kind="stable")
    t = view.t
    return pd.DataFrame({
        t("alerts.times.col_township"): [t("alerts.times.city") if c is None or pd.isna(c)
                                         else regions.get(c, {}).get("name", c) for c in times["township_code"]],
        t("alerts.times.col_kind"): [t(f"alerts.kind.{k}") for k in times["kind"]],
        t("alerts.times.col_alerts"): times["alerts"],
        t("alerts.times.col_acknowledged"): times["acknowledged"],
        t("alerts.times.col_closed"): times["closed"],
        t("alerts.times.col_ack_hours"): [_hours(h) for h in times["median_hours_to_acknowledge"]],
        t("alerts.times.col_close_hours"): [_hours(h) for h in times["median_hours_to_close"]],
    })


def _hours(h) -> str:
    return "—" if h is None or pd.isna(h) else f"{h:,.1f}"


def _response_times(view: View) -> None:
    with st.expander(view.t("alerts.times.title")):
        frame = response_times_frame(view)
        if frame.empty:
            st.caption(view.t("alerts.times.none"))
        else:
            w.table(view, frame, name="alert_response_times", key="alerts_times")
        st.caption(view.t("alerts.times.caption"))


# ---------------------------------------------------------------- the Overview


def open_alerts_summary(view: View, listed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Open alerts (nobody has responded yet) for the Overview's "needs a decision": one row per alert, the
    local cases of one village folded into one row; columns item, where, since, responsible, phone, words in
    the view's language (the phone unmasked: show it through w.table, which masks it). ``listed``: the
    view's :func:`listed_alerts` when the caller has them already."""
    df = listed_alerts(view) if listed is None else listed
    df = df[df["status"] == "open"]
    rows = []
    cat = catalogue.by_key()
    cases = df[df["kind"] == "case"]
    for _, a in df[df["kind"] != "case"].iterrows():
        if a["kind"] == "sentinel":
            item = view.t("alerts.summary.sentinel", metric=view.t(f"alerts.metric.{a['series'].split('.', 1)[0]}"),
                          site_type=view.enum("sentinel_sites", "site_type", a["site_type"]))
        else:
            kpi = cat[a["kpi"]]
            item = view.t("alerts.summary.kpi", kpi=kpi.name(view.lang),
                          value=kpi.format(_float(a["value"]), view.lang))
        rows.append((a["start_day"], item, a["place_name"], responsible_text(view, a), a["phone"]))
    for _, g in cases.groupby("place_code", sort=False):
        a = g.sort_values("start_day").iloc[0]
        rows.append((a["start_day"], view.t("alerts.summary.cases", n=len(g)), a["place_name"],
                     responsible_text(view, a), a["phone"]))
    rows.sort(key=lambda r: r[0], reverse=True)
    return pd.DataFrame([(item, where, _day(view, since), who, "" if pd.isna(phone) else phone)
                         for since, item, where, who, phone in rows],
                        columns=["item", "where", "since", "responsible", "phone"])


# ---------------------------------------------------------------- the Cases page: Rt and doubling time


@st.cache_data(max_entries=256, show_spinner=False)
def _rt(path: str, version: tuple, limit: str | None, as_of: date, scope: str | None):
    db = checked_db(path)
    return rt.rt_from_db(db, as_of=as_of, region_code=scope), rt.growth_from_db(db, as_of=as_of, region_code=scope)


def render_rt(view: View) -> None:
    """Rt over time (median and 95% interval; "too few cases" where a window has fewer local cases than the
    guard) and the doubling or halving time of the local cases (sitrep.warning.rt), in scope up to D."""
    ew = warning_config.load_config()
    t = view.t
    st.subheader(t("alerts.rt.section"))
    db = get_db()
    estimates, growth = _rt(str(db.path), (db.version(), _file_stamp(warning_config.default_config_path())), scope_key(),
                            view.as_of, scope(view))
    left, right = st.columns([3, 1])
    with left:
        st.markdown(f"**{t('alerts.rt.title')}**")
        if estimates["enough_cases"].any():
            w.chart(fig.rt_chart(estimates, labels={k: t(f"alerts.rt.{k}") for k in ("median", "interval", "one",
                                                                                        "too_few")},
                                 start=view.min_date, end=view.as_of), key="cases_rt")
        elif estimates.empty:  # no case yet, or too few days since the first for one window
            st.info(t("alerts.rt.no_cases"))
        else:  # an empty chart would say nothing: say why there is no number
            most = estimates.loc[estimates["local_cases"].idxmax()]
            st.info(t("alerts.rt.all_too_few", window=ew.rt.window_days, min_cases=ew.rt.min_cases,
                      most=int(most["local_cases"]), end=view.date_text(most["date_end"])))
        st.caption(t("alerts.rt.caption", window=ew.rt.window_days, si_mean=f"{ew.rt.si_mean:g}",
                     si_sd=f"{ew.rt.si_sd:g}", min_cases=ew.rt.min_cases))
    with right:
        last = estimates.iloc[-1] if len(estimates) else None
        if last is not None and bool(last["enough_cases"]):
            value = t("alerts.rt.latest_value", median=f"{last['median']:.2f}", low=f"{last['q025']:.2f}",
                      high=f"{last['q975']:.2f}")
        else:
            value = t("alerts.rt.too_few")
        st.metric(t("alerts.rt.latest"), value, help=None if last is None else t(
            "alerts.rt.latest_help", window=ew.rt.window_days, end=view.date_text(last["date_end"]),
            cases=int(last["local_cases"])))
        if not growth.enough_cases or growth.cases_last == 0 or growth.cases_previous == 0:
            text = t("alerts.rt.too_few")
        elif growth.doubling_days is not None:
            text = t("alerts.rt.doubling", days=f"{growth.doubling_days:.1f}")
        elif growth.halving_days is not None:
            text = t("alerts.rt.halving", days=f"{growth.halving_days:.1f}")
        else:
            text = t("alerts.rt.flat")
        st.metric(t("alerts.rt.growth"), text,
                  help=t("alerts.rt.growth_help", window=ew.growth.window_days, last=growth.cases_last,
                         previous=growth.cases_previous, min_cases=ew.growth.min_cases))

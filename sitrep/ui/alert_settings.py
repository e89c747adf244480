"""The admins' alert settings (data/alerts.toml, or $SITREP_ALERTS): a form on the Data page that shows every
key, checks a change the way loading does (sitrep.alerts.config) and saves it at once, keeping the file's
comments; each change is recorded in the audit log. The alerts everywhere are cached on the file's stamp
(sitrep.ui.alerts), so they follow a saved change on the next rerun."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from sitrep import audit, catalogue, contract, tomlfile
from sitrep.alerts import config as alert_config
from sitrep.auth import web
from sitrep.warning.ears import METRICS, STATISTICS

FLASH = "alertset_flash"
DAYS = ("keep_days", "sentinel_chart_days", "case_chart_days", "kpi_chart_days")


def _codes(column: str) -> list[str]:
    return [e[0] for e in contract.TABLES_BY_NAME["cases"].column(column).enum]


def _show(value) -> str:
    return "[" + ", ".join(value) + "]" if isinstance(value, list) else str(value)


def render_alert_settings(view) -> None:
    t = view.t
    if not web.can("alert_settings"):
        st.error(t("auth.no_permission"))
        return
    path = alert_config.default_config_path()
    st.caption(t("alerts.settings.intro", file=path.name))
    try:
        cfg = alert_config.load_alert_config(path)
    except alert_config.AlertConfigError as e:
        st.error(t("alerts.settings.unreadable", error=e))
        return
    flash = st.session_state.pop(FLASH, None)
    if flash:
        (st.success if flash[0] == "ok" else st.info)(flash[1])

    kpis = {k.key: (k.zh if view.lang == "zh" else k.en) for k in catalogue.load() if k.red is not None}
    with st.form("alertset_form"):
        st.markdown(f"**{t('alerts.settings.sentinel')}**")
        c1, c2, c3 = st.columns([1, 2, 1])
        metric = c1.selectbox(t("alerts.settings.metric"), METRICS, index=METRICS.index(cfg.metric),
                              key="alertset_metric", format_func=lambda m: t(f"alerts.metric.{m}"))
        statistics = c2.multiselect(
            t("alerts.settings.statistics"), STATISTICS, default=list(cfg.statistics), key="alertset_statistics",
            help=t("alerts.settings.statistics_help"),
            format_func=lambda s: t("alerts.settings.statistic_mp") if s == "mp" else s.upper())
        min_run_days = c3.number_input(t("alerts.settings.min_run_days"), min_value=0, step=1,
                                       value=cfg.min_run_days, key="alertset_min_run_days",
                                       help=t("alerts.settings.min_run_days_help"))

        st.markdown(f"**{t('alerts.settings.cases')}**")
        c1, c2 = st.columns(2)
        sources = c1.multiselect(t("alerts.settings.sources"), _codes("source"), default=list(cfg.case_sources),
                                 key="alertset_sources", help=t("alerts.settings.cases_help"),
                                 format_func=lambda c: view.enum("cases", "source", c))
        categories = c2.multiselect(t("alerts.settings.categories"), _codes("category"),
                                    default=list(cfg.case_categories), key="alertset_categories",
                                    help=t("alerts.settings.cases_help"),
                                    format_func=lambda c: view.enum("cases", "category", c))

        st.markdown(f"**{t('alerts.settings.kpi')}**")
        exclude = st.multiselect(t("alerts.settings.exclude"), list(kpis), default=list(cfg.kpi_exclude),
                                 key="alertset_exclude", help=t("alerts.settings.exclude_help"),
                                 format_func=lambda k: kpis.get(k, k))

        st.markdown(f"**{t('alerts.settings.list')}**")
        current = alert_config.config_dict(cfg)["list"]
        days = {}
        for col, key in zip(st.columns(4), DAYS):
            days[key] = col.number_input(
                t(f"alerts.settings.{key}"), min_value=0, step=1, value=current[key], key=f"alertset_{key}",
                help=t("alerts.settings.keep_days_help" if key == "keep_days" else "alerts.settings.chart_days_help"))
        submitted = st.form_submit_button(t("alerts.settings.save"), type="primary", key="alertset_save")

    if submitted:
        data = {"sentinel": {"metric": metric, "statistics": list(statistics), "min_run_days": int(min_run_days)},
                "cases": {"sources": list(sources), "categories": list(categories)},
                "kpi": {"exclude": list(exclude)},
                "list": {k: int(v) for k, v in days.items()}}
        _save(view, path, cfg, data)


def _save(view, path, old, data) -> None:
    t = view.t
    try:
        new = alert_config.config_from_dict(data, path.name)
    except alert_config.AlertConfigError as e:
        st.error(t("alerts.settings.invalid", error=e))
        return
    changed = alert_config.changes(old, new)
    if not changed:
        st.info(t("alerts.settings.unchanged"))
        return
    p = web.current()
    user = p.name if p is not None else None
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    before = path.read_bytes()
    try:
        alert_config.save_alert_config(data, path, header="# " + t("alerts.settings.header", user=user, at=at))
        try:
            audit.record("settings", user=user, role=p.role if p is not None else None, via="web",
                         file=path.name, changed=changed)
        except Exception:  # the change must not stand unrecorded: put the old file back
            tomlfile.write_atomic(path, before.decode("utf-8"), before=path.stat())
            raise
    except Exception as e:
        st.error(t("alerts.settings.failed", error=f"{type(e).__name__}: {e}"))
        return
    st.session_state[FLASH] = ("ok", t("alerts.settings.saved", changes="; ".join(
        f"{t('alerts.settings.' + k.split('.')[1])}: {_show(a)} → {_show(b)}" for k, (a, b) in changed.items())))
    st.rerun()

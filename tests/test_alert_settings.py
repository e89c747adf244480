"""The admins' alert settings on the Data page: a change is checked, saved to the settings file (comments kept),
recorded in the audit log and followed by the alerts on the next rerun; a value that would not work writes
nothing; only admins have the tab. Each test works on its own copy of data/alerts.toml ($SITREP_ALERTS)."""

from __future__ import annotations

import json
import shutil
import tomllib

import pytest

from sitrep import audit, catalogue
from sitrep.alerts import config as alert_config
from test_auth import access_env, fast_hashes, sign_in, through_dashboard  # noqa: F401 (fixtures)
from test_roles import assert_clean, open_page

TAB = "Alert settings"
THRESHOLDED = [k.key for k in catalogue.load() if k.red is not None]


@pytest.fixture
def settings_file(access_env, tmp_path, monkeypatch):
    path = tmp_path / "alerts.toml"
    shutil.copyfile(alert_config.DEFAULT_CONFIG, path)
    monkeypatch.setenv("SITREP_ALERTS", str(path))
    return path


def alert_list(at):
    """The Monitoring page's alert list (kind and alert columns as shown)."""
    open_page(at, "monitoring")
    return next(d.value for d in at.dataframe if "Alert" in d.value.columns)


def settings_tab(at, label: str = TAB):
    open_page(at, "data")
    assert [t.label for t in at.tabs][-1] == label
    return at


def save(at):
    at.button(key="alertset_save").click().run()
    assert_clean(at)
    return at


def test_an_admin_changes_the_settings_and_the_alerts_follow(settings_file, access_env):
    original = settings_file.read_text(encoding="utf-8")
    at = sign_in("admin1")
    before = alert_list(at)
    assert "KPI red" in set(before["Kind"]), "the demo city has red KPIs on its last day"

    settings_tab(at)
    assert at.number_input(key="alertset_min_run_days").value == 2
    assert at.multiselect(key="alertset_exclude").value == ["cases_new", "sentinel_alarms_today"]
    at.multiselect(key="alertset_exclude").set_value(THRESHOLDED)
    at.number_input(key="alertset_kpi_chart_days").set_value(21)
    save(at)
    assert [s.value for s in at.success] == [
        "Saved: Indicators that raise no alert: [cases_new, sentinel_alarms_today] → "
        f"[{', '.join(THRESHOLDED)}]; Days in an indicator alert's chart: 14 → 21."]

    # the file: the new values, every comment kept, and it loads
    text = settings_file.read_text(encoding="utf-8")
    assert text == original.replace("kpi_chart_days = 14", "kpi_chart_days = 21").replace(
        'exclude = ["cases_new", "sentinel_alarms_today"]',
        "exclude = [" + ", ".join(f'"{k}"' for k in THRESHOLDED) + "]")
    cfg = alert_config.load_alert_config()
    assert (cfg.kpi_chart_days, cfg.kpi_exclude, cfg.alert_kpis()) == (21, tuple(THRESHOLDED), ())
    assert tomllib.loads(text)["sentinel"] == tomllib.loads(original)["sentinel"]

    # the audit log: who changed what from what to what
    log = audit.events(event="settings")
    assert (len(log), log["user_name"][0], log["role"][0], log["outcome"][0]) == (1, "admin1", "admin", "ok")
    assert json.loads(log["detail"][0]) == {
        "file": "alerts.toml", "via": "web",
        "changed": {"kpi.exclude": [["cases_new", "sentinel_alarms_today"], THRESHOLDED],
                    "list.kpi_chart_days": [14, 21]}}

    # the alerts follow on the next rerun: the same list without its KPI alerts
    after = alert_list(at)
    assert after.equals(before[before["Kind"] != "KPI red"].reset_index(drop=True))


def test_the_alert_list_follows_min_run_days(settings_file, access_env):
    at = sign_in("admin1")
    before = alert_list(at)
    sentinel_before = int((before["Kind"] == "Sentinel").sum())
    assert sentinel_before > 0, "the demo city has sentinel alerts"
    settings_tab(at)
    at.number_input(key="alertset_min_run_days").set_value(30)
    save(at)
    after = alert_list(at)
    assert after.equals(before[before["Kind"] != "Sentinel"].reset_index(drop=True)), \
        "no sentinel series is in alarm 30 days running"


@pytest.mark.parametrize("widget, value, message", [
    ("alertset_statistics", [], "[sentinel] statistics must be a list of statistics (c1, c2, c3, mp)"),
    ("alertset_keep_days", 0, "[list] keep_days = 0 must be an integer >= 1"),
    ("alertset_kpi_chart_days", 6, "[list] kpi_chart_days = 6 must be an integer >= 7"),
])
def test_a_value_that_would_not_work_is_refused_and_nothing_is_written(settings_file, widget, value, message):
    original = settings_file.read_bytes()
    stamp = settings_file.stat().st_mtime_ns
    at = settings_tab(sign_in("admin1"))
    at.multiselect(key=widget).set_value(value) if isinstance(value, list) else \
        at.number_input(key=widget).set_value(value)
    save(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Not saved, the settings would not work: alerts.toml: ")
    assert message in errors[0]
    assert settings_file.read_bytes() == original and settings_file.stat().st_mtime_ns == stamp
    assert audit.events(event="settings").empty
    assert not [p for p in settings_file.parent.iterdir() if p.name.endswith(".tmp")]


def test_saving_unchanged_settings_writes_nothing(settings_file):
    original = settings_file.read_bytes()
    at = save(settings_tab(sign_in("admin1", lang="zh"), "预警设置"))
    assert [i.value for i in at.info if i.value == "没有修改。"] == ["没有修改。"]
    assert settings_file.read_bytes() == original and audit.events(event="settings").empty


@pytest.mark.parametrize("name", ["analyst1", "officer1", "leader1"])
def test_only_admins_have_the_alert_settings_tab(settings_file, name):
    at = sign_in(name)
    if name != "analyst1":
        with pytest.raises(ValueError):  # no Data page at all
            at.switch_page("pages/data.py")
        return
    open_page(at, "data")
    assert TAB not in [t.label for t in at.tabs]
    assert not [w for w in at.number_input if w.key and w.key.startswith("alertset_")]


def test_render_alert_settings_refuses_without_the_permission(settings_file):
    from streamlit.testing.v1 import AppTest

    def page():
        from sitrep import ui
        from sitrep.ui.alert_settings import render_alert_settings

        render_alert_settings(ui.View(as_of=None, scope=None, lang="en", min_date=None, max_date=None))

    at = AppTest.from_function(page).run()
    assert [e.value for e in at.error] == ["Your role may not use this page."]
    assert not at.get("form")


def test_comments_stay_even_where_a_key_is_written_quoted(tmp_path):
    path = tmp_path / "alerts.toml"
    # tomlkit edits the document itself: a quoted key is set in place, every comment stays
    original = alert_config.DEFAULT_CONFIG.read_text(encoding="utf-8").replace("keep_days = 7", '"keep_days" = 7')
    path.write_text(original, encoding="utf-8")
    data = alert_config.config_dict(alert_config.load_alert_config(path))
    data["list"]["keep_days"] = 10
    alert_config.save_alert_config(data, path, header="# saved by admin1")
    text = path.read_text(encoding="utf-8")
    assert '"keep_days" = 10' in text and "# saved by admin1" not in text
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(c in text.splitlines() for c in comments)
    assert tomllib.loads(text) == data


def test_a_new_file_starts_with_the_header(tmp_path):
    path = tmp_path / "new_alerts.toml"
    data = alert_config.config_dict(alert_config.load_alert_config())
    alert_config.save_alert_config(data, path, header="# saved by admin1")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# saved by admin1\n") and tomllib.loads(text) == data

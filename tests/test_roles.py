"""What each role can and cannot see, on the pages and in what it downloads; attempts to
widen a township officer's scope (the URL, widget state, the explorer); and a scan of
every export made as a user without the unmask grant: no ID number, phone number or full
name of a resident in any of them."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
import streamlit as st

from sitrep import audit, i18n
from sitrep.auth import roles, web
from sitrep.db import Database
from test_auth import access_env, fast_hashes, sign_in, through_dashboard  # noqa: F401 (fixtures)

PILLARS = ["overview", "cases", "command", "monitoring", "screening", "publicity", "preparedness"]
# the columns of a list of residents, by name or as the pages label them
RESIDENT = set(roles.RESIDENT_COLUMNS) | {i18n.t(f"screening.col.{c}", lang) for c in ("person_id", "id_number")
                                          for lang in ("zh", "en")}
HIDDEN = i18n.t("auth.records_hidden", "en")


def assert_clean(at) -> None:
    assert not at.exception, [e.message for e in at.exception]


def open_page(at, page: str):
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    else:
        at.run()
    assert_clean(at)
    return at


def frames(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str, bytes]]:
    """Every download a page offers, as the user would get it (deferred downloads are made)."""
    got: list[tuple[str, bytes]] = []
    original = st.download_button

    def recording(label, data, file_name=None, *args, **kwargs):
        content = data() if callable(data) else data
        got.append((file_name, content if isinstance(content, bytes) else str(content).encode()))
        return original(label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    return got


def download_frames(got) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for name, content in got:
        if name.endswith(".csv"):
            out.append((name, pd.read_csv(io.BytesIO(content), dtype=str, encoding="utf-8-sig")))
        elif name.endswith(".xlsx"):
            out.append((name, pd.read_excel(io.BytesIO(content), dtype=str)))
    return out


# ------------------------------------------------------------------ what each role sees


def test_a_leader_sees_every_township_in_aggregate_and_no_list_of_persons(access_env, downloads):
    at = sign_in("leader1")
    assert "scope" not in at.query_params, "the whole city"
    assert at.metric
    for page in PILLARS:
        open_page(at, page)
        if page == "screening":
            at.selectbox(key="screening_worklist_township").set_value(access_env["township"]).run()
            assert HIDDEN in [c.value for c in at.caption], "the worklist of persons is not shown"
        for df in frames(at):
            assert not RESIDENT & set(map(str, df.columns)), (page, list(df.columns))
    assert HIDDEN in [c.value for c in at.caption], "nor the records behind the numbers"
    assert not any(RESIDENT & set(df.columns) for _, df in download_frames(downloads))
    with pytest.raises(ValueError):
        at.switch_page("pages/data.py")


def worklist_ids(at) -> list[str]:
    return [v for df in frames(at) for c in df.columns if str(c) == "ID number" for v in df[c] if isinstance(v, str)]


def test_an_analyst_sees_records_masked_but_cannot_import_or_read_the_audit_log(access_env, downloads):
    at = sign_in("analyst1")
    open_page(at, "screening")
    at.selectbox(key="screening_worklist_township").set_value(access_env["township"]).run()
    assert_clean(at)
    ids = worklist_ids(at)
    assert ids and all(re.fullmatch(r"\d{4}\*{10}[\dX]{4}", v) for v in ids), ids[:3]
    assert not at.get("toggle"), "no unmask switch without the grant"
    open_page(at, "data")
    submit = next(b for b in at.button if b.proto.is_form_submitter)
    assert submit.disabled, "imports are for admins"
    assert "Audit log" not in [t.label for t in at.tabs], "no audit tab"


def test_an_admin_imports_and_reads_the_audit_log(access_env):
    at = sign_in("admin1")
    open_page(at, "data")
    assert not next(b for b in at.button if b.proto.is_form_submitter).disabled
    assert "Audit log" in [t.label for t in at.tabs]
    log = next(df for df in frames(at) if "Event" in df.columns)
    assert {"sign-in"} <= set(log["Event"]) and "admin1" in set(log["User"])
    at.selectbox(key="audit_event").set_value("login").run()
    log = next(df for df in frames(at) if "Event" in df.columns)
    assert set(log["Event"]) == {"sign-in"}


def test_a_projection_screen_account_gets_the_projection_and_nothing_else(access_env):
    at = sign_in("screen1")
    assert_clean(at)
    assert "screen_index" in at.session_state, "the projection mode (sitrep.screen) without ?mode=screen"
    assert not at.get("text_area") and not at.get("download_button")
    for df in frames(at):
        assert not RESIDENT & set(df.columns)
    with pytest.raises(ValueError):
        at.switch_page("pages/screening.py")


def test_unmasking_needs_the_grant_and_the_switch_and_is_logged(access_env):
    at = sign_in("analyst2")
    at.switch_page("pages/screening.py").run()
    at.selectbox(key="screening_worklist_township").set_value(access_env["township"]).run()
    assert worklist_ids(at) and all("*" in v for v in worklist_ids(at))
    assert audit.events(event="unmask").empty
    at.toggle(key=web.UNMASK_WIDGET).set_value(True).run()
    assert_clean(at)
    assert all(re.fullmatch(r"\d{17}[\dX]", v) for v in worklist_ids(at))
    logged = audit.events(event="unmask")
    assert len(logged) >= 1 and set(logged["user_name"]) == {"analyst2"}
    at.toggle(key=web.UNMASK_WIDGET).set_value(False).run()
    assert all("*" in v for v in worklist_ids(at))


# ------------------------------------------------------------------ a township officer's scope


def test_an_officer_sees_only_their_township_whatever_the_url_or_widgets_say(access_env, monkeypatch):
    own, other = access_env["township"], access_env["other"]
    at = sign_in("officer1", params={"scope": other})
    assert at.query_params["scope"] in (own, [own]), "a township in the URL outside theirs falls back to theirs"
    assert len(at.selectbox(key="w_township").options) == 1, "the township picker offers only theirs"
    at.session_state["sitrep_scope"] = other  # widget state forced from outside
    at.run()
    assert_clean(at)
    assert at.session_state["sitrep_scope"] == own
    at.session_state["sitrep_scope"] = None  # "the whole city"
    at.run()
    assert at.session_state["sitrep_scope"] == own
    assert not at.get("button") or "scope_up" not in [b.key for b in at.button], "no going up from the township"


def region_names(db_path, *codes) -> list[str]:
    names = dict(Database(db_path).rows("SELECT region_code, name FROM regions"))
    return [names[c] for c in codes]


@pytest.mark.parametrize("scope", [None, "other"])
def test_an_officer_opening_the_projection_mode_sees_their_township_whatever_the_url_says(access_env, scope):
    """?mode=screen is open to every role; for a township officer its headings, KPI cards and
    needs-a-decision list are their township's, with no scope in the URL or another township's."""
    own, other = access_env["township"], access_env["other"]
    own_name, other_name = region_names(access_env["db"], own, other)
    params = {"mode": "screen", "screen": "overview", "paused": "1"} | ({"scope": other} if scope else {})
    at = sign_in("officer1", params=params)
    assert_clean(at)
    assert at.session_state["sitrep_view"].scope == own
    body = "\n".join(el.proto.body for el in at.get("html"))
    sub = re.search(r'<div class="screen-sub">([^<]*)', body).group(1)
    assert sub.startswith(f"{own_name} · "), sub
    assert other_name not in body and i18n.t("common.whole_city", "en") not in body
    for deck in at.get("deck_gl_json_chart"):  # the map of red items: the township's villages
        for layer in json.loads(deck.proto.json)["layers"]:
            for row in layer.get("data") or []:
                code = row.get("region_code") if isinstance(row, dict) else None
                assert code is None or code.startswith(roles.scope_prefix(own)), (layer["id"], code)


def test_a_screen_account_opening_a_page_url_gets_the_projection_mode(access_env):
    """A projection screen account whatever the URL or widget state says: the projection mode,
    no table, no download (a page's address: see test_a_projection_screen_account_...)."""
    at = sign_in("screen1", params={"scope": access_env["other"]})
    at.query_params["mode"] = "normal"
    at.session_state["sitrep_scope"] = access_env["township"]
    at.run()
    assert_clean(at)
    body = "\n".join(el.proto.body for el in at.get("html"))
    assert 'class="screen-title"' in body and not at.get("download_button") and not at.dataframe
    assert at.session_state["sitrep_view"].scope == access_env["other"], "a screen account is not limited to a township"


# The alert engine's signals: computed once for the whole city, cached for every session,
# and cut to the view's (clamped) scope before anything is listed (sitrep.ui.alerts).
CITY_WIDE_SIGNALS = {"sentinel_aberrations_daily", "alerts_kpi_daily"}


def test_every_query_an_officers_pages_run_stays_in_the_township(access_env, monkeypatch):
    own = access_env["township"]
    prefix = roles.scope_prefix(own)
    seen: list[tuple[str, dict]] = []
    original_query = Database.query

    def spy(self, name, **params):
        seen.append((name, params))
        return original_query(self, name, **params)

    monkeypatch.setattr(Database, "query", spy)
    st.cache_data.clear()  # cached results would hide the queries
    at = sign_in("officer1")
    for page in PILLARS:
        open_page(at, page)
        # and what the pages draw: every region on every map is in the township
        for deck in at.get("deck_gl_json_chart"):
            for layer in json.loads(deck.proto.json)["layers"]:
                for row in layer.get("data") or []:
                    code = row.get("region_code") if isinstance(row, dict) else None
                    assert code is None or code.startswith(prefix), (page, layer["id"], code)
    assert seen
    for name, params in seen:
        if name in CITY_WIDE_SIGNALS and params.get("region_code") is None:
            continue
        if "region_code" in params:
            assert params["region_code"] and str(params["region_code"]).startswith(prefix), (name, params)
        else:
            assert name in roles.SCOPE_FREE_QUERIES, (name, params)


def test_the_data_layer_refuses_a_region_outside_the_township_and_logs_it(access_env):
    officer = roles.Principal("officer1", "officer", township=access_env["township"])
    declared = {"as_of", "region_code"}
    assert roles.scoped_params(officer, "kpis", declared, {"as_of": "2022-03-01"})["region_code"] == officer.township
    village = officer.township[:9] + "001"
    assert roles.scoped_params(officer, "kpis", declared, {"region_code": village})["region_code"] == village
    for bad in (access_env["other"], "451481", "45148100", "' OR 1=1 --"):
        with pytest.raises(roles.ScopeError):
            roles.scoped_params(officer, "kpis", declared, {"region_code": bad})
    with pytest.raises(roles.ScopeError):
        roles.scoped_params(officer, "import_log_list", {"table_name", "status"}, {})
    assert roles.scoped_params(officer, "regions_list", set(), {}) == {}
    leader = roles.Principal("leader1", "leader")
    assert roles.scoped_params(leader, "kpis", declared, {"region_code": None}) == {"region_code": None}


def test_an_officer_with_the_explorer_grant_queries_only_their_township(access_env):
    from sitrep.auth import users

    uf = users.load()
    users.add_user(uf, "officer2", "officer", "correct horse battery staple", township=access_env["township"],
                   grants=("explorer",))
    users.save(uf)
    at = sign_in("officer2")
    at.switch_page("pages/explorer.py").run()
    assert_clean(at)
    at.text_area(key="explorer_sql").input(
        "SELECT count(*) AS n, count(DISTINCT left(region_code, 9)) AS townships FROM returnees")
    next(b for b in at.button if b.proto.is_form_submitter).click().run()
    result = at.dataframe[-1].value
    expected = Database(access_env["db"]).rows("SELECT count(*) FROM returnees WHERE region_code LIKE $p",
                                               {"p": access_env["township"][:9] + "%"})[0][0]
    assert result["n"].tolist() == [expected] and result["townships"].tolist() == [1]


# ------------------------------------------------------------------ every export, scanned


@pytest.fixture
def residents(access_env) -> dict[str, set[str]]:
    """Every resident's ID number, phone number and full name in the demo database (names
    that are also a cadre's, a duty leader's or a region's name are left out: those are
    shown in full by design)."""
    database = Database(access_env["db"])
    people = database.sql("SELECT name, id_number, phone FROM returnees")
    officials = {r[0] for r in database.rows(
        "SELECT responsible_person FROM grid_units UNION SELECT leader FROM duty_roster UNION SELECT name FROM regions")}
    grid_phones = {r[0] for r in database.rows("SELECT phone FROM grid_units WHERE phone IS NOT NULL")}
    return {"ids": set(people["id_number"].dropna()), "phones": set(people["phone"].dropna()) | grid_phones,
            "names": set(people["name"].dropna()) - officials}


def scan(where: str, cells, residents) -> None:
    """No cell holds a resident's ID or phone number (anywhere in it) or is a full name."""
    numbers = residents["ids"] | residents["phones"]
    for cell in cells:
        if cell is None or (isinstance(cell, float) and cell != cell):
            continue
        text = str(cell)
        for run in re.findall(r"\d{11,}[Xx]?", text):
            assert run not in numbers and run[:18] not in numbers, f"{where}: an unmasked number in {text[:60]!r}"
        assert text.strip() not in residents["names"], f"{where}: a full name {text!r}"


@pytest.mark.parametrize("user", ["leader1", "analyst1", "officer1", "admin1", "screen1"])
def test_no_export_made_without_the_unmask_grant_holds_personal_data(access_env, downloads, residents, user):
    at = sign_in(user)
    pages = [p for p in PILLARS + ["data", "explorer"]
             if roles.page_allowed(users_principal(user), p) and user != "screen1"]
    for page in pages:
        open_page(at, page)
        if page == "overview" and any(s.key == "records_overview" for s in at.selectbox):
            for value in at.selectbox(key="records_overview").options:
                at.selectbox(key="records_overview").select(value).run()
                assert_clean(at)
                for df in frames(at):
                    scan(f"{user} overview records {value}", df.to_numpy().ravel(), residents)
        if page == "screening" and any(s.key == "screening_worklist_township" for s in at.selectbox):
            at.selectbox(key="screening_worklist_township").set_value(access_env["township"]).run()
        if page == "explorer":
            at.text_area(key="explorer_sql").input("SELECT * FROM returnees JOIN returnee_tests USING (person_id)")
            next(b for b in at.button if b.proto.is_form_submitter).click().run()
        for df in frames(at):
            scan(f"{user} {page} table", df.to_numpy().ravel(), residents)
        scan(f"{user} {page} text", [m.value for m in at.markdown] + [c.value for c in at.caption], residents)
    assert downloads or user in ("screen1",), "the pages offered downloads"
    for name, df in download_frames(downloads):
        scan(f"{user} download {name}", list(df.columns) + list(df.to_numpy().ravel()), residents)
    if user != "screen1":
        assert not audit.events(event="export").empty, "every download is logged"


def users_principal(name: str):
    from sitrep.auth import users

    return users.load().users[name].principal()


def test_an_admins_import_is_logged_with_their_name(access_env, tmp_path, monkeypatch, downloads):
    import shutil

    from test_page_data import BAD_FUNDS, csv_bytes

    copy = tmp_path / "copy.duckdb"  # the import replaces the file: not the session's demo database
    shutil.copyfile(access_env["db"], copy)
    monkeypatch.setenv("SITREP_DB", str(copy))
    at = sign_in("admin1")
    open_page(at, "data")
    name, content = csv_bytes(tmp_path, BAD_FUNDS)
    at.file_uploader(key="data_files").set_value([(name, content, "text/csv")])
    at.checkbox(key="data_skip_invalid").check()
    next(b for b in at.button if b.proto.is_form_submitter).click().run()
    assert_clean(at)
    assert Database(copy).rows("SELECT user_name FROM import_log ORDER BY import_id DESC LIMIT 1") == [("admin1",)]
    (imported,) = audit.events(event="import").itertuples()
    assert (imported.user_name, imported.role, imported.outcome) == ("admin1", "admin", "ok")
    assert '"files": ["bad funds.csv"]' in imported.detail
    exports = audit.events(event="export")
    assert any("bad funds_rejects.csv" in d for d in exports["detail"]), "the rejects download is logged"

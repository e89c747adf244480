"""What each role can and cannot see, on the pages and in what it downloads; attempts to
widen a township officer's scope (the URL, widget state, the explorer); and a scan of
every export made as a user without the unmask grant: no ID number, phone number or full
name of a resident in any of them."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from urllib.parse import unquote

import pandas as pd
import pytest
import streamlit as st

from sitrep import audit, i18n
from sitrep.auth import roles, web
from sitrep.db import Database
from test_alerts import CITY, T1, T2, city_db, listed  # noqa: F401 (fixture)
from test_auth import PASSWORD, access_env, fast_hashes, sign_in, through_dashboard  # noqa: F401 (fixtures)

from builders import kpi_strip_cards

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
    from streamlit.delta_generator import DeltaGenerator

    got: list[tuple[str, bytes]] = []
    original = st.download_button
    original_method = DeltaGenerator.download_button

    def record(data, file_name) -> None:
        content = data() if callable(data) else data
        got.append((file_name, content if isinstance(content, bytes) else str(content).encode()))

    def recording(label, data, file_name=None, *args, **kwargs):
        record(data, file_name)
        return original(label, data, file_name, *args, **kwargs)

    def recording_method(self, label, data, file_name=None, *args, **kwargs):  # slot.download_button(...)
        record(data, file_name)
        return original_method(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    monkeypatch.setattr(DeltaGenerator, "download_button", recording_method)
    return got


def download_frames(got) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for name, content in dict.fromkeys(got):  # each rerun offers the same files again: read each once
        if name.endswith(".csv"):
            out.append((name, pd.read_csv(io.BytesIO(content), dtype=str, encoding="utf-8-sig")))
        elif name.endswith(".xlsx"):
            out.append((name, pd.read_excel(io.BytesIO(content), dtype=str)))
    return out


# ------------------------------------------------------------------ what each role sees


def test_a_leader_sees_every_township_in_aggregate_and_no_list_of_persons(access_env, downloads):
    at = sign_in("leader1")
    assert "scope" not in at.query_params, "the whole city"
    assert kpi_strip_cards(at)
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


def test_a_leader_opening_the_url_of_a_charts_mark_sees_aggregates_only(access_env):
    """The records behind a chart's mark (sitrep.drill) are masked as a KPI card's are: the dialog says so."""
    mark = {"records": "cases_curve", "records_day": "2022-01-15",
            "records_filter": "report_date:2022-01-15,source:local,category:confirmed"}
    at = sign_in("leader1", params={**mark, "as_of": "2022-01-16"})
    open_page(at, "cases")
    assert HIDDEN in [c.value for c in at.caption]
    assert not any(c.value.startswith("Reported Jan 15, 2022") for c in at.caption)  # no count either
    assert not any("case id" in df.columns and "report date" in df.columns for df in frames(at))


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
    assert not [b for b in at.button if b.proto.is_form_submitter], "no import form: imports are for admins"
    assert not at.get("file_uploader")
    labels = [t.label for t in at.tabs]  # the page's tabs, then the quality tab's own
    assert labels[:4] == ["Import log", "Rows and dates in each table", "Data dictionary", "Data quality"]
    assert "Import export files" not in labels and "Audit log" not in labels
    assert "Importing needs an admin account" in " ".join(c.value for c in at.caption)


def test_an_admin_imports_and_reads_the_audit_log(access_env):
    at = sign_in("admin1")
    open_page(at, "data")
    assert not next(b for b in at.button if b.proto.is_form_submitter).disabled
    assert "Audit log" in [t.label for t in at.tabs]
    ids = [b.proto.id for b in at.get("download_button")]
    assert all(any(i.endswith(k) for i in ids) for k in ("csv_audit_log", "xlsx_audit_log", "csv_audit_users"))
    log = next(df for df in frames(at) if "Event" in df.columns)
    assert {"sign-in"} <= set(log["Event"]) and "admin1" in set(log["User"])
    at.selectbox(key="audit_event").set_value("login").run()
    log = next(df for df in frames(at) if "Event" in df.columns)
    assert set(log["Event"]) == {"sign-in"}
    # by user, and by day: a record of another user and another day is left out
    audit.record("export", user="analyst1", role="analyst", file="x.csv", rows=1)
    at.selectbox(key="audit_event").set_value(None).run()
    at.selectbox(key="audit_user").set_value("analyst1").run()
    log = next(df for df in frames(at) if "Event" in df.columns)
    assert log[["User", "Event"]].values.tolist() == [["analyst1", "download"]]
    from datetime import date, timedelta

    at.selectbox(key="audit_user").set_value(None).run()
    at.selectbox(key="audit_until").set_value(date.today() - timedelta(days=1)).run()
    assert next(df for df in frames(at) if "Event" in df.columns).empty, "nothing before today"


ALL_PAGES = PILLARS + ["data", "explorer"]
PAGES_OF = {
    "leader1": PILLARS, "officer1": PILLARS, "analyst1": PILLARS + ["data", "explorer"],
    "admin1": PILLARS + ["data"], "screen1": [],
}


@pytest.mark.parametrize("user", sorted(PAGES_OF))
def test_each_role_opens_exactly_its_pages(access_env, user):
    at = sign_in(user)
    for page in ALL_PAGES:
        if page in PAGES_OF[user]:
            at.switch_page(f"pages/{page}.py")  # in the navigation (raises otherwise)
        else:
            with pytest.raises(ValueError):
                at.switch_page(f"pages/{page}.py")


def test_a_projection_screen_account_gets_the_projection_and_nothing_else(access_env):
    at = sign_in("screen1")
    assert_clean(at)
    assert "screen_index" in at.session_state, "the projection mode (sitrep.projection) without ?mode=screen"
    assert not at.get("text_area") and not at.get("download_button")
    for df in frames(at):
        assert not RESIDENT & set(df.columns)
    with pytest.raises(ValueError):
        at.switch_page("pages/screening.py")


def test_unmasking_needs_the_grant_and_the_switch_and_is_logged(access_env, downloads, residents):
    at = sign_in("analyst2")
    at.switch_page("pages/screening.py").run()
    at.selectbox(key="screening_worklist_township").set_value(access_env["township"]).run()
    assert worklist_ids(at) and all("*" in v for v in worklist_ids(at))
    assert audit.events(event="unmask").empty
    before = len(downloads)
    at.toggle(key=web.UNMASK_WIDGET).set_value(True).run()
    assert_clean(at)
    assert all(re.fullmatch(r"\d{17}[\dX]", v) for v in worklist_ids(at))
    logged = audit.events(event="unmask")
    assert len(logged) >= 1 and set(logged["user_name"]) == {"analyst2"}
    # what the export scan below looks for is really there in a download made with the grant switched on
    found = [set(personal_data_in(df.to_numpy().ravel(), residents)) for _, df in download_frames(downloads[before:])]
    assert {"id", "phone", "name"} in found, "the worklist's CSV and XLSX hold all three"
    unmasked = [json.loads(d) for d in audit.events(event="export")["detail"]]
    assert any(d["unmasked"] for d in unmasked), "a download of unmasked data says so in the log"
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
    watermark = unquote(next(h.proto.body for h in at.get("html") if "stApp" in h.proto.body))
    assert "screen1" in watermark and "rgba(255,255,255," in watermark, "light on the dark projection"
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
    result = next(d.value for d in reversed(at.dataframe) if "n" in d.value.columns)  # (a chart's table may follow)
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


NUMBER_RUN = re.compile(r"\d{11,}[Xx]?")  # an ID number (18, the last may be X) or a mobile number (11)
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def personal_data_in(cells, residents) -> dict[str, str]:
    """What of a resident's personal data the cells (or texts) hold, by kind (id, phone, name), with
    the text it was found in: an ID or phone number anywhere in a cell, also when a PDF wrapped it over
    two lines; a name as a whole cell, as a run of Chinese characters on its own, or (three-character
    names) anywhere in the text."""
    found: dict[str, str] = {}
    names = residents["names"]
    longest = max(map(len, names), default=0)
    for cell in cells:
        if cell is None or (isinstance(cell, float) and cell != cell):
            continue
        text = str(cell)
        joined = re.sub(r"\s*\n\s*", "", text)  # a value wrapped over lines (a narrow PDF table cell)
        for run in NUMBER_RUN.findall(text) + NUMBER_RUN.findall(joined):
            for i in range(len(run) - 10):
                if run[i:i + 18].upper() in residents["ids"]:
                    found.setdefault("id", text[:80])
                if run[i:i + 11] in residents["phones"]:
                    found.setdefault("phone", text[:80])
        runs = CJK_RUN.findall(text)
        if not runs:  # no Chinese character: no name
            continue
        if text.strip() in names or any(r in names for r in runs):
            found.setdefault("name", text[:80])
        elif len(joined) > 3:
            inside = (joined[i:i + k] for k in range(3, longest + 1) for i in range(len(joined) - k + 1))
            hit = next((part for part in inside if part in names), None)
            if hit:
                found.setdefault("name", hit)
    return found


def scan(where: str, cells, residents) -> None:
    """No cell holds a resident's ID or phone number, or their full name."""
    found = personal_data_in(cells, residents)
    assert not found, f"{where}: unmasked personal data {found}"


def file_text(name: str, content: bytes, tmp_path) -> str:
    """The text of a briefing as a reader gets it: DOCX paragraphs, tables, headers and footers
    (python-docx), PDF through pdftotext -raw, HTML as written (tags and attributes too, images left out)."""
    if name.endswith(".docx"):
        import docx

        document = docx.Document(io.BytesIO(content))
        parts = [p.text for p in document.paragraphs]
        parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
        for section in document.sections:
            parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
        return "\n".join(parts)
    if name.endswith(".pdf"):
        import subprocess

        path = tmp_path / "scan.pdf"
        path.write_bytes(content)
        # -raw: the order the text was written in, so a value wrapped in a table cell comes out in one piece
        # (with -layout the next cell sits between its two lines)
        return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    assert name.endswith(".html"), name
    return re.sub(r"data:image/[^\"']+", "", content.decode("utf-8"))


BRIEFING_FORMATS = ("docx", "pdf", "html")


def briefing_files(got) -> dict[str, tuple[str, bytes]]:
    """The briefings among the downloads, by format (the last one offered of each)."""
    return {name.rsplit(".", 1)[1]: (name, content) for name, content in got
            if name.rsplit(".", 1)[-1] in BRIEFING_FORMATS}


def make_briefings(at) -> None:
    for fmt in BRIEFING_FORMATS:
        at.button(key=f"briefing_make_{fmt}").click().run()
        assert_clean(at)
        assert not at.error, [e.value for e in at.error]


def a_resident(db_path, residents) -> dict:
    """One resident whose name is only theirs (three characters, no official's)."""
    for name, id_number, phone in Database(db_path).rows(
            "SELECT name, id_number, phone FROM returnees WHERE length(name) = 3 ORDER BY person_id"):
        if name in residents["names"] and phone in residents["phones"]:
            return {"name": name, "id": id_number, "phone": phone}
    raise AssertionError("no resident to test with")


def test_the_scanner_finds_an_unmasked_id_phone_and_name_in_every_kind_of_export(access_env, residents, tmp_path):
    """The scan below proves nothing unless it catches personal data where it is: a resident's full ID
    number, mobile number and name, alone or inside a text, in a table download read back (CSV, XLSX)
    and in each format of the briefing read back as the scan reads it; and passes them masked."""
    from sitrep import briefing, export, privacy
    from sitrep.briefing.context import Context

    person = a_resident(access_env["db"], residents)
    plain = [person["id"], person["phone"], person["name"]]
    assert personal_data_in(plain, residents) == dict(zip(("id", "phone", "name"), plain))
    inside = [f"身份证{person['id']}号", f"电话:{person['phone']}转", f"联系人{person['name']}(返乡)"]
    assert set(personal_data_in(inside, residents)) == {"id", "phone", "name"}
    masked = [privacy.mask_id(person["id"]), privacy.mask_phone(person["phone"]), privacy.mask_name(person["name"])]
    assert personal_data_in(masked, residents) == {}
    # a table download, unmasked and masked, read back as the scan reads downloads
    frame = pd.DataFrame({"name": [person["name"]], "id_number": [person["id"]], "phone": [person["phone"]]})
    for fmt, make in (("csv", export.to_csv_bytes), ("xlsx", export.to_xlsx_bytes)):
        ((_, back),) = download_frames([(f"t.{fmt}", make(frame))])
        assert set(personal_data_in(back.to_numpy().ravel(), residents)) == {"id", "phone", "name"}, fmt
        ((_, back),) = download_frames([(f"t.{fmt}", make(privacy.mask_frame(frame)))])
        assert personal_data_in(back.to_numpy().ravel(), residents) == {}, fmt
    # a briefing whose needs-a-decision list held the resident unmasked, in every format
    database = Database(access_env["db"])
    model = briefing.build(Context.make(database.query, lang="zh"), images=False)
    leaked = dataclasses.replace(model, decisions=pd.DataFrame(
        [{"item": "核查", "where": "某村", "value_text": person["id"], "responsible_person": person["name"],
          "phone": person["phone"]}]))
    for fmt in BRIEFING_FORMATS:
        text = file_text(f"b.{fmt}", briefing.render(leaked, fmt), tmp_path)
        assert set(personal_data_in([text], residents)) == {"id", "phone", "name"}, fmt
        text = file_text(f"b.{fmt}", briefing.render(model, fmt), tmp_path)
        assert personal_data_in([text], residents) == {}, fmt


@pytest.mark.slow
@pytest.mark.parametrize("user", ["leader1", "analyst1", "officer1", "admin1", "screen1"])
def test_no_export_made_without_the_unmask_grant_holds_personal_data(access_env, downloads, residents, user,
                                                                     tmp_path):
    """Every page each role may open, every table on it and every download it offers (tables as CSV and
    XLSX, the daily briefing as DOCX, PDF and HTML), read back and scanned (the scanner is proven above)."""
    at = sign_in(user)
    pages = [p for p in PILLARS + ["data", "explorer"]
             if roles.page_allowed(users_principal(user), p) and user != "screen1"]
    for page in pages:
        open_page(at, page)
        if page == "overview":
            make_briefings(at)
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
    files = briefing_files(downloads)
    assert sorted(files) == ([] if user == "screen1" else sorted(BRIEFING_FORMATS))
    for name, content in files.values():
        scan(f"{user} briefing {name}", [file_text(name, content, tmp_path)], residents)
    made = {name.rsplit(".", 1)[-1] for name, _ in downloads}
    assert made <= {"csv", "xlsx", *BRIEFING_FORMATS}, f"a download the scan does not read: {made}"
    if user != "screen1":
        assert not audit.events(event="export").empty, "every download is logged"


def test_each_briefing_download_is_logged_with_the_user_format_day_and_scope(access_env, downloads, tmp_path):
    """The daily briefing as a township officer: their township's, each format's download in the audit log
    under their name with the format, the day and the scope; and nothing personal in any of them."""
    at = sign_in("officer1", params={"as_of": "2022-03-01"})
    make_briefings(at)
    files = briefing_files(downloads)
    assert sorted(files) == sorted(BRIEFING_FORMATS)
    own_name = region_names(access_env["db"], access_env["township"])[0]
    for fmt, (name, content) in files.items():
        text = file_text(name, content, tmp_path)
        assert own_name in text, fmt
    logged = audit.events(event="export")
    assert set(logged["user_name"]) == {"officer1"} and set(logged["role"]) == {"officer"}
    details = [d for d in map(json.loads, logged["detail"]) if d["file"].rsplit(".", 1)[1] in BRIEFING_FORMATS]
    assert {d["format"] for d in details} == set(BRIEFING_FORMATS)
    for d in details:
        assert (d["as_of"], d["scope"], d["lang"]) == ("2022-03-01", access_env["township"], "en")
        assert d["file"] == files[d["format"]][0] and d["bytes"] == len(files[d["format"]][1])


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


# ------------------------------------------------------------------ alerts: scope and who responds


@pytest.fixture
def alert_city(city_db, tmp_path, monkeypatch) -> dict:
    """The hand-built alert city of test_alerts.py (城东街道 T1, 河西镇 T2) with a leader and an
    officer of 河西镇 (display name 河西值班员)."""
    from sitrep.auth import users

    monkeypatch.setenv("SITREP_DB", str(city_db.path))
    monkeypatch.setenv("SITREP_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("SITREP_STATE", str(tmp_path / "state.sqlite3"))
    uf = users.UsersFile(tmp_path / "users.toml")
    users.add_user(uf, "leader1", "leader", PASSWORD)
    users.add_user(uf, "officer_t2", "officer", PASSWORD, township=T2, display_name="河西值班员")
    users.save(uf)
    return {"db": city_db, "state": tmp_path / "state.sqlite3"}


def alert_titles(at) -> list[str]:
    table = next((df.value for df in at.dataframe if "Alert" in df.value.columns), None)
    return [] if table is None else table["Alert"].tolist()


def monitoring(user: str, **params):
    at = sign_in(user, params={"as_of": "2022-01-19", **params})
    at.switch_page("pages/monitoring.py").run()
    assert_clean(at)
    return at


def test_an_officer_lists_only_the_alerts_of_their_township(alert_city):
    """On 19 Jan the city lists alerts in 城东街道 (a sentinel run, local cases, red KPIs), the city's own
    red KPI (villages without a grid owner) and one case in 河西镇 (c4 in 上村): the officer of 河西镇 gets
    that case only, whatever the URL or the widgets say; a leader gets the city's list."""
    from sitrep import alerts as engine
    from sitrep.alert_responses import AlertRef, StateStore

    city = listed(alert_city["db"], "2022-01-19")
    t2 = listed(alert_city["db"], "2022-01-19", T2)
    assert t2["alert_id"].tolist() == ["case:451481002001001:c4:2022-01-19"]
    assert "kpi:451481000000:villages_without_grid_owner:2022-01-01" in set(city["alert_id"]) and len(city) > 3
    # a response in 城东街道 already: its response times are not the officer's to see
    StateStore(alert_city["state"]).acknowledge(AlertRef.from_row(city[city["township_code"] == T1].iloc[0]),
                                                "李镇长")

    at = monitoring("leader1")
    assert sorted(alert_titles(at)) == sorted(engine.title(r, "en") for _, r in city.iterrows())

    at = monitoring("officer_t2", scope=T1)
    assert alert_titles(at) == ["上村: local case c4 (Asymptomatic)"]
    for forced in (None, T1, CITY):  # widget state set from outside: the city, the other township
        at.session_state["sitrep_scope"] = forced
        at.run()
        assert_clean(at)
        assert alert_titles(at) == ["上村: local case c4 (Asymptomatic)"], forced
    times = next(df.value for df in at.dataframe if "Median hours to close" in df.value.columns)
    assert set(times["Township"]) <= {"河西镇"}, "no response times of 城东街道"


def test_a_response_is_made_under_the_signed_in_users_name_and_logged(alert_city):
    at = monitoring("officer_t2")
    assert at.text_input(key="alerts_who").value == "河西值班员", "the who field starts with the user's name"
    at.text_area(key="alerts_note").input("已通知上村")
    next(b for b in at.button if b.label == "Acknowledge").click().run()
    assert_clean(at)
    from sitrep.alert_responses import StateStore

    row = StateStore(alert_city["state"]).statuses().set_index("alert_id").loc["case:451481002001001:c4:2022-01-19"]
    assert (row["status"], row["acknowledged_by"], row["acknowledge_note"]) == ("acknowledged", "河西值班员", "已通知上村")
    (logged,) = audit.events(event="alert").itertuples()
    assert (logged.user_name, logged.role, logged.outcome) == ("officer_t2", "officer", "ok")
    assert json.loads(logged.detail) == {"action": "acknowledge", "alert_id": "case:451481002001001:c4:2022-01-19",
                                         "note": "已通知上村", "who": "河西值班员"}
    # on someone's behalf: the typed name is the responder, the account is in the log
    at.text_input(key="alerts_who").input("上村王书记")
    next(b for b in at.button if b.label == "Done: close the alert").click().run()
    assert_clean(at)
    logged = audit.events(event="alert").iloc[0]
    assert logged["user_name"] == "officer_t2" and json.loads(logged["detail"])["who"] == "上村王书记"


def test_the_alert_list_takes_its_scope_from_the_access_module_not_the_page(alert_city, monkeypatch):
    """Whatever view a page hands it (here the whole city), the alert section lists, maps and times only
    the township user's alerts: the scope comes from sitrep.auth, not from the page."""
    from datetime import date

    from sitrep.alert_responses import AlertRef, StateStore
    from sitrep.ui import alerts as ui_alerts
    from sitrep.ui.state import View

    city = listed(alert_city["db"], "2022-01-19")
    StateStore(alert_city["state"]).acknowledge(AlertRef.from_row(city[city["township_code"] == T1].iloc[0]), "李镇长")
    view = View(as_of=date(2022, 1, 19), scope=None, lang="en", min_date=date(2022, 1, 1), max_date=date(2022, 1, 24))
    monkeypatch.setattr(web, "current", lambda: roles.Principal("officer_t2", "officer", township=T2))
    assert ui_alerts.scope(view) == T2
    assert ui_alerts.listed_alerts(view)["alert_id"].tolist() == ["case:451481002001001:c4:2022-01-19"]
    # listing records the alert (c4, in 河西镇); the response in 城东街道 is not the officer's
    assert set(ui_alerts.response_times_frame(view)["Township"]) == {"河西镇"}
    monkeypatch.setattr(web, "current", lambda: roles.Principal("leader1", "leader"))
    assert sorted(ui_alerts.listed_alerts(view)["alert_id"]) == sorted(city["alert_id"])
    assert set(ui_alerts.response_times_frame(view)["Township"]) == {i18n.t("alerts.times.city", "en"), "城东街道",
                                                                     "河西镇"}


def test_a_briefing_written_on_the_command_line_is_logged_under_the_given_user(access_env, tmp_path):
    import subprocess
    import sys

    from sitrep.db import ROOT

    out = tmp_path / "b.html"
    run = subprocess.run([sys.executable, "-m", "sitrep", "briefing", "--db", str(access_env["db"]), "--as-of",
                          "2022-03-01", "--scope", access_env["township"], "--out", str(out), "--no-images",
                          "--user", "王值班", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    (logged,) = audit.events(event="export").itertuples()
    assert logged.user_name == "王值班"
    assert json.loads(logged.detail) == {"as_of": "2022-03-01", "bytes": out.stat().st_size, "file": "b.html",
                                         "format": "html", "lang": "zh", "scope": access_env["township"],
                                         "via": "cli", "os_user": audit.os_user()}  # the account that ran it

"""Issue #14, hardening: each attack or fault the probe found, reproduced as it was written,
and what happens now.

1. the explorer's limits hold for scalar work (time and memory measured on the real sandbox);
2. `python -m sitrep query` masks personal data, neutralises formulas and logs records queries;
3. the session cookie is HttpOnly (the routes here; the browser in test_auth);
4. an XLSX zip bomb and other oversized files are refused before they cost memory;
5. an XLSX export of a value XLSX cannot hold works and says what it removed;
6. a valid UTF-8 file with one 10 MB line is judged by its content;
7. a killed import's copy is swept by the next import or the dashboard's start, and logged;
8. the explorer cannot read settings or server paths;
9. the audit log says where an action came from;
10. an empty password creates no user.
"""

from __future__ import annotations

import csv
import getpass
import io
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sitrep import audit, cli, db, explorer, export, i18n, privacy
from sitrep.auth import cookie, store, users
from sitrep.db import ROOT, Database
from sitrep.ingest import import_files, readers
from tests.builders import headers_for, id_number, tiny_regions, write_csv, write_table_csv, write_xlsx
from test_auth import access_env, fast_hashes, through_dashboard  # noqa: F401 (fixtures)
from test_explorer import boxes, state  # noqa: F401 (fixtures)

GB = 1024 ** 3
PASSWORD = "correct horse battery staple"


def _children_rss() -> int:
    """Resident bytes of this process's sandbox processes, now (other children of a whole test run, such as the
    browser tests' Streamlit server, do not count)."""
    total, me = 0, str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
            if fields[1] == me and b"_sandbox_main" in cmdline:  # ppid, and a sandbox's own command line
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


def measured(fn):
    """(fn(), seconds, peak resident bytes of the sandbox processes, growth of this process's peak)."""
    peak, done = [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _children_rss())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    watcher.start()
    started = time.monotonic()
    try:
        result = fn()
    finally:
        seconds = time.monotonic() - started
        done.set()
        watcher.join()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    return result, seconds, peak[0], grown


def run(demo_db, boxes, sql, **kwargs) -> explorer.Result:
    return explorer.execute(sql, path=demo_db, user="analyst1", role="analyst", sandboxes=boxes, **kwargs)


# ------------------------------------------------------------------ 1. scalar work in the explorer


@pytest.mark.slow
@pytest.mark.parametrize("sql", ["SELECT repeat('x',250000) AS s FROM range(10000)",
                                 "SELECT length(repeat('x', 3000000000))"])
def test_the_probes_scalar_attacks_end_fast_and_small_with_a_clear_message(demo_db, boxes, state, sql):
    boxes.get(demo_db, None, False)  # the sandbox started (as the page does when it shows the schema)
    result, seconds, peak, grown = measured(lambda: run(demo_db, boxes, sql))
    assert seconds < 20 and peak < 2.5 * GB and grown < 0.5 * GB, (seconds, peak, grown)
    assert (result.status, result.kind) == ("error", "too_large")
    assert "a string longer than 100000 characters" in result.message, "DuckDB's own text is kept"
    assert i18n.t("explorer.errors.too_large", "en", **explorer.LIMITS) == (
        "The query made text or a result that is too large and was stopped (a string at most 100,000 characters, "
        "a value at most 1 MB, a result at most 64 MB).")
    (logged,) = audit.events(event="explorer").itertuples()
    assert logged.outcome == "error" and '"kind": "too_large"' in logged.detail
    assert run(demo_db, boxes, "SELECT 42 AS answer").frame["answer"].tolist() == [42]


@pytest.mark.slow
def test_the_watchdog_ends_one_long_scalar_call_and_others_are_served_meanwhile(demo_db, boxes, state):
    """levenshtein of two 100,000-character strings is one call of ~15 s that DuckDB cannot interrupt:
    the sandbox process running it is killed at the time limit. Meanwhile another analyst's query and
    the dashboard's own queries are answered at once."""
    pool = boxes.get(demo_db, None, False)
    outcome = {}

    def attack():
        outcome["result"] = run(demo_db, boxes, "SELECT levenshtein(repeat('a', 100000), repeat('b', 100000)) AS d",
                                seconds=3.0)

    attacker = threading.Thread(target=attack)
    started = time.monotonic()
    attacker.start()
    time.sleep(0.5)
    assert pool._count >= 1
    other = run(demo_db, boxes, "SELECT count(*) AS n FROM regions")
    page_query = Database(demo_db).query("regions_list")
    other_done = time.monotonic() - started
    attacker.join(timeout=30)
    stopped = time.monotonic() - started
    assert other.status == "ok" and other.frame["n"][0] == len(page_query) or other.frame["n"][0] > 0
    assert other_done < 2.9, "another user's query did not wait for the attack"
    result = outcome["result"]
    assert result.status == "timeout" and result.kind == "timeout"
    assert 2.9 < stopped < 8, stopped
    assert i18n.t("explorer.timeout", "zh", seconds=result.detail) == "查询超过 3 秒，已中止。请缩小范围或先汇总。"
    assert run(demo_db, boxes, "SELECT 1 AS one").frame["one"].tolist() == [1], "a new sandbox process serves"


@pytest.mark.slow
def test_memory_duckdb_does_not_count_is_bounded_by_killing_the_sandbox(demo_db, boxes, state):
    """A list of 4x10^8 numbers (3.2 GB) is built outside DuckDB's memory limit: the watchdog
    kills the sandbox process at 2 GB resident."""
    boxes.get(demo_db, None, False)
    # a long time limit: this is about memory (how fast it fills depends on how busy the machine is)
    result, seconds, peak, _ = measured(lambda: run(demo_db, boxes, "SELECT length(range(400000000))",
                                                    seconds=90))
    assert (result.status, result.kind) == ("error", "out_of_memory"), (result.status, result.message)
    assert seconds < 90 and peak < 2.5 * GB, (seconds, peak)
    assert result.message == "the query used more than 2.0 GB of memory and was stopped"
    assert i18n.t("explorer.errors.out_of_memory", "zh").startswith("查询所需内存超过上限")


def test_errors_are_explained_in_the_users_language_with_duckdbs_text_below(demo_db, boxes, state):
    cases = {"SELECT * FROM nosuch": ("table_not_found", "Table with name nosuch does not exist"),
             "SELECT nocol FROM regions": ("column_not_found", 'Referenced column "nocol" not found'),
             "SELECT nofunc(1)": ("function_not_found", "nofunc"),
             "SELECT 'a'::INT": ("type", "Could not convert string 'a' to INT32")}
    for sql, (kind, original) in cases.items():
        result = run(demo_db, boxes, sql)
        assert (result.status, result.kind) == ("error", kind), sql
        assert original in result.message
    assert explorer.explain("ParserException", "Parser Error: syntax error at or near \"SELEC\"") == "syntax"
    assert i18n.t("explorer.errors.table_not_found", "zh").startswith("查询出错：找不到表或视图")
    assert i18n.t("explorer.errors.column_not_found", "en").startswith("The query failed: no such column")


def test_the_page_shows_the_explanation_and_the_original_error(access_env):
    from test_auth import sign_in, submit

    at = sign_in("analyst1", lang="zh")
    at.switch_page("pages/explorer.py").run()
    at.text_area(key="explorer_sql").input("SELECT * FROM nosuch")
    submit(at)
    assert [e.value for e in at.error] == [i18n.t("explorer.errors.table_not_found", "zh")]
    assert "Table with name nosuch does not exist" in at.code[0].value
    assert "数据库的原始报错：" in [c.value for c in at.caption]


# ------------------------------------------------------------------ 8. settings and paths


@pytest.mark.parametrize("sql, detail", [("SELECT * FROM duckdb_settings()", "duckdb_settings"),
                                         ("SELECT current_setting('secret_directory')", "current_setting"),
                                         ("SELECT * FROM system.main.duckdb_settings()", "duckdb_settings")])
def test_settings_are_refused_before_running(demo_db, boxes, state, sql, detail):
    result = run(demo_db, boxes, sql)
    assert (result.status, result.reason, result.detail) == ("rejected", "external", detail)


def test_the_sandbox_itself_shows_no_server_path(demo_db, boxes):
    pool = boxes.get(demo_db, None, False)
    for sql in ("SELECT * FROM duckdb_settings()", "SELECT current_setting('allowed_directories')",
                "SELECT * FROM duckdb_secrets()", "SELECT * FROM pragma_database_list()"):
        with pytest.raises(db.SandboxError, match="settings and server paths are not readable"):
            db.run_sandboxed(pool, sql, row_cap=10, seconds=5)
    settings, _ = db.run_sandboxed(pool, "SELECT name, value FROM system.main.duckdb_settings()", row_cap=1000,
                                   seconds=5)
    paths = settings[settings["value"].astype(str).str.contains("/")]
    assert set(paths["name"]) <= {"duckdb_api", "TimeZone"}, paths  # 'python/3.11', 'Etc/UTC': not paths
    values = dict(zip(settings["name"], settings["value"].astype(str)))
    for name in ("temp_directory", "secret_directory", "home_directory"):
        assert values[name] in ("", "[]"), (name, values[name])
    assert values["allowed_directories"] in ("", "[]")
    with pytest.raises(db.PermissionDenied):
        db.run_sandboxed(pool, "SELECT * FROM glob('/etc/*')", row_cap=10, seconds=5)


# ------------------------------------------------------------------ 2. the query command


@pytest.fixture
def records_db(tmp_path):
    """tiny_regions and three returnees through the production import; one with formula-like origin."""
    rows = [["R1", "张三丰", id_number("45148119900101123"), "13812345678", "省外返乡", "=HYPERLINK(\"http://x\",\"y\")",
             "低风险", "2022-01-05", "451481002001"],
            ["R2", "李四", id_number("45148119850202456"), "13987654321", "省内返乡", "@SUM(1)", "低风险", "2022-01-06",
             "451481001001"]]
    header = ["人员编号", "姓名", "身份证号", "联系电话", "人员类别", "来源地", "来源地风险等级", "抵达日期", "区划代码"]
    files = [write_table_csv(tmp_path / "regions.csv", "regions", tiny_regions()),
             write_csv(tmp_path / "returnees.csv", header, rows)]
    path = tmp_path / "r.duckdb"
    reports = import_files(Database(path), files, user="tests")
    assert all(r.status == "loaded" for r in reports), [r.summary("en") for r in reports]
    return path


def query_cli(capsys, path, *extra) -> tuple[int, str, str]:
    code = cli.main(["query", "kpi_records_returnees_registered", "--db", str(path), "--param", "as_of=2022-01-31",
                     *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_query_masks_personal_data_neutralises_formulas_and_logs(records_db, state, capsys):
    raw = Database(records_db).query("kpi_records_returnees_registered", as_of="2022-01-31")
    code, out, _ = query_cli(capsys, records_db)
    assert code == 0
    printed = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in printed] == list(privacy.mask_frame(raw)["name"]) == ["张**", "李*"]
    assert [r["id_number"] for r in printed] == [privacy.mask_id(v) for v in raw["id_number"]]
    assert [r["phone"] for r in printed] == ["138****5678", "139****4321"]
    assert not re.search(r"\d{17}[\dX]|1[3-9]\d{9}", out), "no ID number or phone number in full"
    assert [r["origin_area"] for r in printed] == ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(1)"]
    (logged,) = audit.events(event="query").itertuples()
    assert logged.user_name == getpass.getuser() and logged.outcome == "ok"
    assert f'"os_user": "{getpass.getuser()}"' in logged.detail and '"unmasked": false' in logged.detail
    assert '"query": "kpi_records_returnees_registered"' in logged.detail and '"rows": 2' in logged.detail
    code, out, _ = query_cli(capsys, records_db, "--format", "json")
    assert code == 0 and "张**" in out and "13812345678" not in out
    assert len(audit.events(event="query")) == 2, "every run is logged"


def test_query_unmasks_only_for_a_user_allowed_to(records_db, state, tmp_path, monkeypatch, capsys):
    me = getpass.getuser()
    uf = users.UsersFile(tmp_path / "users.toml")
    users.add_user(uf, "someone", "analyst", PASSWORD, grants=("unmask",))
    users.add_user(uf, me, "analyst", PASSWORD)
    users.save(uf)
    monkeypatch.setenv("SITREP_USERS", str(uf.path))
    code, out, err = query_cli(capsys, records_db, "--unmask")
    assert code == 2 and out == "" and "may not see personal data unmasked" in err
    assert list(audit.events(event="unmask")["outcome"]) == ["refused"]
    uf.users.pop(me)
    users.add_user(uf, me, "analyst", PASSWORD, grants=("unmask",))
    users.save(uf)
    code, out, _ = query_cli(capsys, records_db, "--unmask")
    assert code == 0 and "张三丰" in out and "13812345678" in out
    assert "'=HYPERLINK" in out, "formulas are neutralised unmasked too"
    assert list(audit.events(event="unmask")["outcome"]) == ["ok", "refused"]
    (logged,) = audit.events(event="query").itertuples()
    assert logged.role == "analyst" and '"unmasked": true' in logged.detail


# ------------------------------------------------------------------ 3. the cookie routes


def asgi_post(path: str, form: dict, *, origin: str | None, scheme: str = "https", host: str = "dash.example",
              cookies: str = "") -> tuple[int, dict[str, list[str]]]:
    """POST a form to the cookie routes as a browser would (straight through ASGI); (status, headers)."""
    import asyncio
    from urllib.parse import urlencode

    from starlette.applications import Starlette

    body = urlencode(form).encode()
    headers = [(b"host", host.encode()), (b"content-type", b"application/x-www-form-urlencoded"),
               (b"content-length", str(len(body)).encode())]
    if origin:
        headers.append((b"origin", origin.encode()))
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": scheme,
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "server": (host, 443), "client": ("10.0.0.9", 5000)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    mounted = cookie.routes_mounted()
    app = Starlette(routes=cookie.routes())  # (mounting them marks the process as served through serve.py)
    cookie._mounted = mounted  # ... which must not leak into the AppTest sign-ins of later tests
    # a thread of its own: another test of the run may have left an event loop running in this one
    worker = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))
    worker.start()
    worker.join()
    start = next(m for m in sent if m["type"] == "http.response.start")
    out: dict[str, list[str]] = {}
    for k, v in start["headers"]:
        out.setdefault(k.decode().lower(), []).append(v.decode())
    return start["status"], out


def test_the_cookie_routes_set_an_httponly_strict_cookie_for_a_one_time_code(state):
    origin = "https://dash.example"
    code = store.create_handoff("leader1", 12)
    status, _ = asgi_post(cookie.SESSION_PATH, {"code": code, "next": "/cases"}, origin=None)
    assert status == 403, "a post without the dashboard's own Origin"
    status, _ = asgi_post(cookie.SESSION_PATH, {"code": code, "next": "/cases"}, origin="https://evil.example")
    assert status == 403
    status, headers = asgi_post(cookie.SESSION_PATH, {"code": code, "next": "/cases?lang=en"}, origin=origin)
    assert status == 303 and headers["location"] == ["/cases?lang=en"]
    (set_cookie,) = headers["set-cookie"]
    token = re.match(r"sitrep_session=([^;]+);", set_cookie).group(1)
    assert {"HttpOnly", "Secure", "SameSite=strict", "Path=/", "Max-Age=43200"} <= {
        p.strip() for p in set_cookie.split(";")}
    assert store.session_user(token) == "leader1"
    status, headers = asgi_post(cookie.SESSION_PATH, {"code": code, "next": "//evil.example/x"}, origin=origin)
    assert "set-cookie" not in headers, "a code is used once"
    assert headers["location"] == ["/"], "only a path on this server"
    status, headers = asgi_post(cookie.SIGNOUT_PATH, {"next": "/"}, origin=origin, cookies=f"sitrep_session={token}")
    (expired,) = headers["set-cookie"]
    assert expired.startswith('sitrep_session="";') and "Max-Age=0" in expired and "HttpOnly" in expired
    assert store.session_user(token) is None
    status, headers = asgi_post(cookie.SESSION_PATH, {"code": store.create_handoff("leader1", 1)},
                                origin="http://127.0.0.1:8501", scheme="http", host="127.0.0.1:8501")
    assert "Secure" not in headers["set-cookie"][0] and "HttpOnly" in headers["set-cookie"][0]


# ------------------------------------------------------------------ 4. hostile files


def xlsx_with_cell(path: Path, cell: int | bytes = 300_000_000) -> Path:
    """A regions workbook whose third row carries one name cell: ``cell`` x's (300 MB by default,
    packed ~1000:1: the probe's zip bomb) or the given text. Written by hand: openpyxl itself cuts
    a cell to 32,767 characters."""
    normal = write_xlsx(path.with_name("normal.xlsx"), headers_for("regions", ["region_code", "name", "level"]),
                        [["451481000000", "示范市", "市"]])
    with zipfile.ZipFile(normal) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, data)
                continue
            head, _, rest = data.partition(b"</sheetData>")
            with dst.open(info.filename, "w", force_zip64=True) as f:
                f.write(head + b'<row r="3"><c r="A3" t="inlineStr"><is><t>451481001000</t></is></c>'
                        b'<c r="B3" t="inlineStr"><is><t>')
                if isinstance(cell, bytes):
                    f.write(cell)
                else:
                    block = b"x" * (1 << 20)
                    for left in range(cell, 0, -len(block)):
                        f.write(block[:left])
                f.write(b'</t></is></c><c r="C3" t="inlineStr"><is><t>township</t></is></c></row></sheetData>' + rest)
    return path


def import_cli(tmp_path, *files, lang="en") -> tuple[int, str, int]:
    """`python -m sitrep import` in a process of its own: (exit status, stdout, peak resident bytes)."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec, so a child of a
    # large pytest process would report the parent's size; the high-water mark of /proc starts anew at exec
    script = ("import re, sys; from sitrep.cli import main; code = main(sys.argv[1:]); "
              "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
              "print('PEAK', hwm, file=sys.stderr); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", script, "import", *map(str, files), "--db", str(tmp_path / "x.duckdb"),
                           "--quiet", "--lang", lang], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    peak = int(re.search(r"PEAK (\d+)", proc.stderr).group(1)) * 1024
    return proc.returncode, proc.stdout, peak


@pytest.mark.slow
def test_an_xlsx_zip_bomb_is_refused_before_it_costs_memory(tmp_path):
    bomb = xlsx_with_cell(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 400_000
    code, out, peak = import_cli(tmp_path, bomb)
    assert code == 1 and peak < 400 * 2 ** 20, (code, peak)
    assert "bomb.xlsx -> unknown table: rejected. 0 rows read" in out
    assert "the Excel file's xl/worksheets/sheet1.xml is packed 1,0" in out and "more than the limit of 100:1" in out
    code, out, _ = import_cli(tmp_path, bomb, lang="zh")
    assert "压缩比为" in out and "超过上限 100:1（疑似压缩炸弹）" in out


def test_a_cell_over_the_limit_is_refused_naming_its_row_never_dropped(tmp_path):
    letters = random.Random(42)
    big = "".join(letters.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(400_000)).encode()  # packs ~1.6:1
    in_xml = xlsx_with_cell(tmp_path / "in_xml.xlsx", big)
    just_over = xlsx_with_cell(tmp_path / "just_over.xlsx", big[:32_768])
    database = Database(tmp_path / "x.duckdb")
    (first,) = import_files(database, [in_xml])
    (second,) = import_files(database, [just_over])
    assert first.status == second.status == "rejected"
    assert first.problems[0].describe("en") == ("row 3, column 'B': the cell has > 32,767 characters, more than the "
                                                "limit of 32,767 (Excel's own limit for a cell)")
    assert second.problems[0].describe("zh") == "第 3 行“B”列的单元格有 32,768 个字符，超过上限 32,767 个字符（Excel 单元格的上限）"
    assert Database(tmp_path / "x.duckdb").rows("SELECT count(*) FROM regions")[0][0] == 0
    # the probe's bomb lost its row because the sheet says it ends at row 2 (<dimension ref="A1:C2"/>):
    # every row the XML holds is read now
    (third,) = import_files(database, [xlsx_with_cell(tmp_path / "past_dimension.xlsx", "城东街道".encode())])
    assert (third.status, third.rows_read, third.inserted) == ("loaded", 2, 2)
    assert Database(tmp_path / "x.duckdb").rows("SELECT name FROM regions ORDER BY region_code") == [("示范市",),
                                                                                                   ("城东街道",)]


def test_row_column_and_unpacked_size_limits_each_name_their_limit(tmp_path, monkeypatch):
    header = headers_for("regions", ["region_code", "name", "level"])
    wide = write_csv(tmp_path / "wide.csv", header + [f"备注{i}" for i in range(1000)], [["451481000000", "示范市", "市"]])
    (report,) = import_files(Database(tmp_path / "x.duckdb"), [wide])
    assert report.problems[0].describe("en") == "row 1 has 1003 columns, more than the limit of 1000"
    wide_xlsx = write_xlsx(tmp_path / "wide.xlsx", header, [["451481000000", "示范市", "市", *([""] * 1000), "x"]])
    (report,) = import_files(Database(tmp_path / "x.duckdb"), [wide_xlsx])
    assert report.problems[0].reason == "too_many_columns"
    monkeypatch.setattr(readers, "MAX_ROWS", 2)
    rows = write_table_csv(tmp_path / "regions.csv", "regions", tiny_regions())
    (report,) = import_files(Database(tmp_path / "x.duckdb"), [rows])
    assert report.problems[0].describe("zh") == "文件有 10 行，超过上限 2 行"
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED", 10_000)
    (report,) = import_files(Database(tmp_path / "x.duckdb"), [write_xlsx(tmp_path / "r.xlsx", header, [])])
    assert report.problems[0].describe("en") == "the Excel file unpacks to 0 MB, more than the limit of 0 MB"


# ------------------------------------------------------------------ 5. exports


def test_an_imported_control_character_does_not_break_the_excel_download(tmp_path):
    """The probe's value "\\x0b=1+1", imported (past the first kilobyte, where a control byte means binary)."""
    header = ["人员编号", "姓名", "人员类别", "来源地", "来源地风险等级", "抵达日期", "区划代码"]
    rows = [[f"R{i}", "张三", "省外返乡", "广东省", "低风险", "2022-01-05", "451481002001"] for i in range(40)]
    rows.append(["R99", "李四", "省外返乡", "\x0b=1+1", "低风险", "2022-01-05", "451481002001"])
    files = [write_table_csv(tmp_path / "regions.csv", "regions", tiny_regions()),
             write_csv(tmp_path / "returnees.csv", header, rows)]
    database = Database(tmp_path / "x.duckdb")
    assert [r.status for r in import_files(database, files)] == ["loaded", "loaded"]
    table = database.sql("SELECT person_id, origin_area FROM returnees ORDER BY person_id DESC LIMIT 2")
    assert table["origin_area"].tolist()[0] == "\x0b=1+1", "stored as it came"
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(table)))
    assert book.sheetnames == ["data", export.NOTES_SHEET] and book.active.title == "data"
    assert list(book["data"].iter_rows(values_only=True)) == [("person_id", "origin_area"), ("R99", "'=1+1"),
                                                              ("R9", "广东省")]
    notes = [r[0] for r in book[export.NOTES_SHEET].iter_rows(values_only=True)]
    assert notes == [i18n.t("common.export_stripped", "zh", cells=1, columns="origin_area (1)"),
                     i18n.t("common.export_stripped", "en", cells=1, columns="origin_area (1)")]
    assert notes[1].startswith("1 cells held characters Excel cannot store")
    csv_text = export.to_csv_bytes(table).decode("utf-8-sig")
    assert "'\x0b=1+1" in csv_text, "CSV keeps the character, neutralised"
    clean = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(table.tail(1))))
    assert clean.sheetnames == ["data"], "no note when nothing was removed"


# ------------------------------------------------------------------ 6. long lines


def test_a_valid_utf8_file_with_one_10_mb_line_is_judged_by_its_content(tmp_path):
    header = headers_for("regions", ["region_code", "name", "level", "parent_code"])
    long_cell = write_csv(tmp_path / "long.csv", header, [["451481000000", "示范市", "市", ""],
                                                          ["451481001000", "x" * 10_000_000, "乡镇", "451481000000"]])
    (report,) = import_files(Database(tmp_path / "x.duckdb"), [long_cell])
    assert report.status == "rejected" and report.problems[0].reason == "cell_too_large"
    assert report.problems[0].describe("en") == ("row 3, column '名称': the cell has 10,000,000 characters, "
                                                 "more than the limit of 32,767 (Excel's own limit for a cell)")
    # a 6 MB line of allowed cells (notes in 200 columns the contract does not know) loads
    notes = [f"备注{i}" for i in range(200)]
    long_line = write_csv(tmp_path / "long_line.csv", header + notes,
                          [["451481000000", "示范市", "市", "", *(["说" * 10_000] * 200)]])
    assert long_line.stat().st_size > 5_000_000
    (report,) = import_files(Database(tmp_path / "y.duckdb"), [long_line])
    assert (report.status, report.inserted) == ("loaded", 1), report.summary("en")
    assert len(report.ignored_columns) == 200


# ------------------------------------------------------------------ 7. a killed import


@pytest.mark.slow
def test_a_killed_imports_copy_is_swept_by_the_next_import_and_logged(demo_db, tmp_path):
    path = tmp_path / "d.duckdb"
    shutil.copyfile(demo_db, path)
    source = demo_db.parent / "exports" / "returnees.csv"
    proc = subprocess.Popen([sys.executable, "-m", "sitrep", "import", str(source), "--db", str(path), "--quiet"],
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".d.duckdb.*.tmp")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = sorted(p.name for p in tmp_path.glob(".d.duckdb.*.tmp*"))
    assert left and all(re.fullmatch(rf"\.d\.duckdb\.{proc.pid}\.[0-9a-f]{{12}}\.tmp(\.wal)?", n) for n in left), left
    regions = write_table_csv(tmp_path / "regions.csv", "regions", tiny_regions()[:1])
    before = Database(path).rows("SELECT max(import_id) FROM import_log")[0][0]
    import_files(Database(path), [regions])
    assert not list(tmp_path.glob(".d.duckdb.*.tmp*")), "swept"
    (line,) = Database(path).rows("SELECT import_id, user_name, file_name, status FROM import_log "
                                  "WHERE status = 'cleanup'")
    assert line[0] == before + 1 and line[1] == getpass.getuser()
    assert all(name in line[2] for name in left) and " MB)" in line[2]


def test_the_dashboards_start_sweeps_what_a_killed_import_left(demo_db, tmp_path):
    path = tmp_path / "d.duckdb"
    shutil.copyfile(demo_db, path)
    leftover = tmp_path / ".d.duckdb.4242.0123456789ab.tmp"
    shutil.copyfile(demo_db, leftover)
    (tmp_path / ".d.duckdb.4242.0123456789ab.tmp.wal").write_bytes(b"\0" * 1000)
    assert db.sweep_at_start(path) is True
    assert not list(tmp_path.glob(".d.duckdb.*.tmp*"))
    (files,) = Database(path).rows("SELECT file_name FROM import_log WHERE status = 'cleanup'")[0]
    assert ".d.duckdb.4242.0123456789ab.tmp (" in files and ".d.duckdb.4242.0123456789ab.tmp.wal (0.0 MB)" in files
    assert db.sweep_at_start(path) is False, "nothing left: no new line"
    assert i18n.t("data.status.cleanup", "zh") == "已清理中断导入的残留文件"


# ------------------------------------------------------------------ 9. where an action came from


def test_command_line_actions_record_the_operating_system_user(tmp_path, state, monkeypatch, capsys):
    monkeypatch.delenv("USER", raising=False)
    monkeypatch.delenv("LOGNAME", raising=False)
    regions = write_table_csv(tmp_path / "regions.csv", "regions", tiny_regions())
    assert cli.main(["import", str(regions), "--db", str(tmp_path / "x.duckdb"), "--quiet"]) == 0
    (logged,) = audit.events(event="import").itertuples()
    assert logged.user_name == audit.os_user() != ""
    assert f'"os_user": "{audit.os_user()}"' in logged.detail and '"via": "cli"' in logged.detail
    imported_by = Database(tmp_path / "x.duckdb").rows("SELECT user_name FROM import_log")[0][0]
    assert imported_by == audit.os_user()


def test_web_actions_record_the_client_address(demo_db, boxes, state, access_env):
    from test_auth import sign_in

    run(demo_db, boxes, "SELECT 1", client="10.1.2.3")
    (logged,) = audit.events(event="explorer").itertuples()
    assert '"client": "10.1.2.3"' in logged.detail and "os_user" not in logged.detail
    sign_in("leader1")
    logins = audit.events(event="login")
    assert len(logins) >= 1 and all('"client": ' in d and "os_user" not in d for d in logins["detail"])


# ------------------------------------------------------------------ 10. passwords


def test_an_empty_password_creates_no_user_on_any_path(tmp_path, state, monkeypatch, capsys):
    monkeypatch.setenv("SITREP_USERS", str(tmp_path / "users.toml"))

    def users_cli(args, stdin):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return cli.main(["users", *args])

    assert users_cli(["add", "bob", "--role", "analyst", "--password-stdin"], "") == 2
    assert users_cli(["add", "bob", "--role", "analyst", "--password-stdin"], "\n") == 2
    assert "a password needs at least 10 characters" in capsys.readouterr().err
    assert not (tmp_path / "users.toml").exists()
    assert users_cli(["add", "bob", "--role", "analyst", "--password-stdin"], PASSWORD + "\n") == 0
    assert users_cli(["passwd", "bob", "--password-stdin"], "\n") == 2
    uf = users.load()
    assert users.verify_password(uf.users["bob"], PASSWORD)
    for empty in ("", "short"):
        with pytest.raises(users.UsersError, match="at least 10 characters"):
            users.add_user(uf, "carol", "analyst", empty)
        with pytest.raises(users.UsersError, match="at least 10 characters"):
            users.set_password(uf, "bob", empty)
    assert users_cli(["add", "dave", "--role", "analyst", "--no-password"], "") == 0, "the identity provider only"
    assert users.load().users["dave"].password_hash == ""

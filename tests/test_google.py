"""The Google backend through gspread, google-auth and HTTP, against the fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tests.backends import MANAGER, OWNER, SHEET_ID, GoogleBackend, XlsxBackend
from tests.conftest import CONFIG
from tests.fakes.keys import SERVICE_ACCOUNT, authorized_user_file
from tests.fakes.sheets_api import FakeSheetsApi
from tests.test_cli import run

RESOURCE_EXHAUSTED = json.dumps(
    {
        "error": {
            "code": 429,
            "message": "Quota exceeded for quota metric 'Write requests' and limit "
            "'Write requests per minute per user' of service 'sheets.googleapis.com'",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
)
HTML_503 = "<html><head><title>503 Service Unavailable</title></head><body>Try later</body></html>"


@contextmanager
def google(folder: Path, config: str = CONFIG) -> Iterator[GoogleBackend]:
    folder.mkdir(parents=True, exist_ok=True)
    fake = FakeSheetsApi()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield GoogleBackend(folder, fake, config)


def team_of(n: int) -> str:
    reps = "".join(f"      - {{name: Rep {i:03d}, email: rep{i}@example.com}}\n" for i in range(n))
    return CONFIG.split("    reps:\n")[0] + "    reps:\n" + reps


def requests_for(g: GoogleBackend, *args: str, today: str = "2026-10-05") -> int:
    before = len(g.fake.calls)
    res = run(g.config, *args, today=today)
    assert res.exit_code == 0, res.output
    return len(g.fake.calls) - before


def with_work(g: GoogleBackend) -> None:
    """Alice has a new deal, an action and a win to roll."""
    g.type_row("Alice Chen", "#new_opportunities", ["Globex", "Globex", 12500, "Demo"])
    g.type_row("Alice Chen", "#actions", ["Call the CFO", "Rep", date(2026, 10, 9), "", "Open"])
    g.type_row("Alice Chen", "#wins", ["Signed Initech"])


def with_persons_token(g: GoogleBackend, folder: Path, who: str = MANAGER) -> None:
    """sheetsync runs with ``who``'s own OAuth token file instead of the service
    account's key."""
    token = authorized_user_file(folder, "1//refresh-dana")
    g.fake.refresh_tokens["1//refresh-dana"] = who
    g.config.write_text(g.config.read_text().replace("sa.json", token.name))


def normalised(g: GoogleBackend) -> dict[str, Any]:
    """Every tab's values, without what differs between two correct runs: the time
    a row was written and the id of a write."""
    out: dict[str, Any] = {}
    for tab in g.tabs():
        rows = [list(r) for r in g.cells(tab)]
        if tab == "_sheetsync":
            rows = [r[:3] for r in rows]
        if tab == "_stages":  # "at", the time the change was written, is the 8th
            rows = [r[:7] for r in rows]
        if tab == "Team":
            rows = [r[:-1] for r in rows]
        out[tab] = rows
    return out


@pytest.mark.parametrize("reps", [1, 10, 100])
def test_requests_do_not_grow_with_the_team(tmp_path: Path, reps: int, sleeps: list[float]) -> None:
    with google(tmp_path, team_of(reps)) as g:
        assert requests_for(g, "init") <= 4
        for i in range(reps):
            g.type_row(f"Rep {i:03d}", "#actions", [f"Action {i}", "Rep", "", "", "Open"])
        assert requests_for(g, "status") <= 2
        # a rolling day reads twice: the pages first, then with History once a page rolls
        assert requests_for(g, "rollover", today="2026-11-02") <= 6
        assert requests_for(g, "rollover", today="2026-11-03") <= 2  # nothing to do: no write
        carried = [r for r in g.cells("History")[1:] if r[4] == "carried"]
        assert len(carried) == reps
    assert sleeps == []


def test_page_on_google_looks_like_the_xlsx_page(tmp_path: Path) -> None:
    (tmp_path / "local").mkdir()
    local = XlsxBackend(tmp_path / "local")
    assert run(local.config, "init").exit_code == 0
    with google(tmp_path / "g") as g:
        assert run(g.config, "init").exit_code == 0
        for tab in ("Alice Chen", "Bob", "History"):
            assert g.cells(tab) == local.cells(tab), tab
        book = g.fake.books[SHEET_ID]
        sheet = book.sheet(title="Alice Chen")
        assert sheet.frozen_rows == 1 and sheet.frozen_cols == 1
        rows = g.cells("Alice Chen")
        send = g.find("Alice Chen", "Send recap")
        assert sheet.cells[(send - 1, 2)]["dataValidation"]["condition"]["type"] == "BOOLEAN"
        meeting = g.find("Alice Chen", "Meeting date")
        fmt = sheet.cells[(meeting - 1, 2)]["userEnteredFormat"]["numberFormat"]
        assert fmt == {"type": "DATE", "pattern": "d mmm yyyy"}
        header = g.find("Alice Chen", "#new_opportunities") + 1
        stage_col = rows[header - 1].index("Stage")
        rule = sheet.cells[(header, stage_col)]["dataValidation"]
        assert rule["condition"]["type"] == "ONE_OF_LIST"
        choices = [v["userEnteredValue"] for v in rule["condition"]["values"]]
        ws = load_workbook(local.path)["Alice Chen"]
        cell = f"{get_column_letter(stage_col + 1)}{header + 1}"
        xlsx_rule = next(v for v in ws.data_validations.dataValidation if cell in v.sqref)
        assert xlsx_rule.formula1 == '"' + ",".join(choices) + '"'
        assert "Closed won" in choices
        assert sheet.col_widths and book.sheet(title="_sheetsync").hidden


def test_tabs_are_protected_for_the_rep_the_manager_and_sheetsync(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        assert run(g.config, "init").exit_code == 0
        book = g.fake.books[SHEET_ID]
        editors = {
            book.sheet(sheet_id=p["range"]["sheetId"]).title: sorted(p["editors"]["users"])
            for p in book.protected
        }
        # Google keeps the spreadsheet's owner among every protection's editors
        assert editors["Alice Chen"] == sorted(
            ["alice@example.com", MANAGER, SERVICE_ACCOUNT, OWNER]
        )
        for tab in ("History", "Team", "_sheetsync"):
            assert editors[tab] == sorted([MANAGER, SERVICE_ACCOUNT, OWNER])
        goal = g.find("Alice Chen", "Personal goal")
        g.fake.type(SHEET_ID, "Alice Chen", goal, 3, "Make club", who="alice@example.com")
        with pytest.raises(PermissionError):
            g.fake.type(SHEET_ID, "Alice Chen", goal, 3, "Bob was here", who="bob@example.com")
        with pytest.raises(PermissionError):
            g.fake.type(SHEET_ID, "History", 2, 1, "2020-01", who="alice@example.com")
        assert run(g.config, "rollover", today="2026-11-02").exit_code == 0
        assert ("Personal goal", "Make club") in [r[1:3] for r in g.cells("Alice Chen")]
        assert len(book.protected) == len(g.fake.books[SHEET_ID].protected)  # no lock left


def test_text_stays_text_and_a_typed_formula_stays_a_formula(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        risky = ["+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=1+1 (typed as text)"]
        for text in risky:
            g.type_row("Alice Chen", "#actions", [text, "Rep", "", "", "Open"])
        row = g.find("Alice Chen", "#actions") + 2
        sheet = g.fake.books[SHEET_ID].sheet(title="Alice Chen")
        sheet.cells[(row + 3 - 1, 1)]["userEnteredValue"] = {"stringValue": risky[3]}
        g.type_row("Alice Chen", "#wins", ['=HYPERLINK("https://example.com","deck")'])
        assert run(g.config, "rollover", today="2026-11-02").exit_code == 0
        sheet = g.fake.books[SHEET_ID].sheet(title="Alice Chen")
        kept = {
            next(iter(c["userEnteredValue"].values())): next(iter(c["userEnteredValue"]))
            for c in sheet.cells.values()
            if "userEnteredValue" in c
        }
        for text in risky:
            assert kept[text] == "stringValue", text
        history = g.fake.books[SHEET_ID].sheet(title="History")
        formulas = [
            c["userEnteredValue"]["formulaValue"]
            for c in history.cells.values()
            if "formulaValue" in c.get("userEnteredValue", {})
        ]
        assert formulas == ['=HYPERLINK("https://example.com","deck")']


@pytest.mark.parametrize("title", ["O'Brien", "Zoë 🚀", "Анна", "佐藤", "CO2", "R1C1", "Team A!"])
def test_awkward_tab_titles(tmp_path: Path, title: str) -> None:
    config = CONFIG.replace("tab: Bob}", f"tab: {json.dumps(title, ensure_ascii=False)}}}")
    with google(tmp_path, config) as g:
        assert run(g.config, "init").exit_code == 0
        g.type_row(title, "#actions", ["Ship it", "Rep", "", "", "Open"])
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        assert g.cells(title)[3][2] == "2026-11"
        status = run(g.config, "status", "--json", today="2026-11-02")
        bob = json.loads(status.output)[0]["reps"][1]
        assert (bob["tab"], bob["open_actions"], bob["carried_over"]) == (title, 1, 1)


def test_a_429_is_retried_after_a_wait(tmp_path: Path, sleeps: list[float]) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        start = len(g.fake.calls)
        g.fake.fail(start + 2, 429, RESOURCE_EXHAUSTED)
        res = run(g.config, "status", "--json")
        assert res.exit_code == 0, res.output
        assert len(json.loads(res.output)[0]["reps"]) == 2
        assert len(g.fake.calls) - start == 3 and len(sleeps) == 1
        # every request has a timeout; a write waits longer than Google may take
        # to apply a large one (reports cite 180 s)
        sent = [(m, t) for (m, _), t in zip(g.fake.calls, g.fake.timeouts, strict=False)]
        assert {t for m, t in sent if m == "GET"} == {(10.0, 60.0)}
        writes = [t for m, t in sent if m == "POST"]
        assert writes and max(t[1] for t in writes) >= 180 and all(t for t in writes)


def test_retries_are_bounded_and_end_in_one_line(tmp_path: Path, sleeps: list[float]) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        start = len(g.fake.calls)
        for k in range(start + 1, start + 50):
            g.fake.fail(k, 503, HTML_503, "text/html")
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 1
        assert res.output.count("\n") == 1 and "Traceback" not in res.output
        assert "did not answer after 6 attempts" in res.output
        assert "HTTP 503: an HTML error page" in res.output
        assert len(g.fake.calls) - start == 6 and len(sleeps) == 5
        assert max(sleeps) <= 16 and sum(sleeps) <= 60
        assert g.cells("Alice Chen")[3][2] == "2026-10"  # nothing written


FAULTS: dict[str, Any] = {
    "429": lambda f, k: f.fail(k, 429, RESOURCE_EXHAUSTED),
    "500": lambda f, k: f.fail(k, 500, '{"error": {"code": 500, "status": "INTERNAL"}}'),
    "503 html": lambda f, k: f.fail(k, 503, HTML_503, "text/html"),
    "reset": lambda f, k: f.fail_with(k, requests.ConnectionError("Connection reset by peer")),
    "timeout": lambda f, k: f.fail_with(k, requests.ReadTimeout("Read timed out")),
    "answer lost": lambda f, k: f.lose_answer(k),
    # no answer before the timeout; Google applies it just before the next write
    "applied late": lambda f, k: f.apply_late(k),
}


def keep_typing(
    g: GoogleBackend,
    refused: list[int],
    who: str = "alice@example.com",
    typed: list[str] | None = None,
) -> None:
    """Alice (or ``who``) retypes her goal before every request sheetsync makes;
    ``typed``: what Google took, in order."""
    start, n = len(g.fake.calls), iter(range(1000))

    def edit(fake: FakeSheetsApi) -> None:
        row = g.find("Alice Chen", "Personal goal")
        text = f"goal {next(n)}"
        try:
            fake.type(SHEET_ID, "Alice Chen", row, 3, text, who=who)
            if typed is not None:
                typed.append(text)
        except PermissionError:
            refused.append(len(fake.calls))

    for k in range(1, 30):
        g.fake.before[start + k] = edit


def test_a_locked_tab_waits_for_the_write_and_keeps_the_last_edit(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        with_work(g)
        refused: list[int] = []
        typed: list[str] = []
        keep_typing(g, refused, typed=typed)
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        assert refused  # while the tab was locked, Google said no to Alice
        goal = next(r for r in g.cells("Alice Chen") if "Personal goal" in r)
        assert g.cells("Alice Chen")[3][2] == "2026-11"
        # her last edit Google took (before the lock that held): carried to the new page
        assert len(typed) >= 2 and goal[2] == typed[-1]


def test_with_a_persons_token_the_lock_holds_too(tmp_path: Path) -> None:
    """A person's own token locks as a service account does: Google makes the
    requester an editor of the lock, so Alice is refused while it is on."""
    with google(tmp_path) as g:
        with_persons_token(g, tmp_path)
        run(g.config, "init")
        with_work(g)
        refused: list[int] = []
        keep_typing(g, refused)
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        assert refused  # Google said no to Alice while the tab was locked
        assert g.cells("Alice Chen")[3][2] == "2026-11"
        assert not [p for p in g.book.protected if "lock" in p.get("description", "")]


def test_the_owners_edit_just_before_the_lock_is_planned_again_and_kept(tmp_path: Path) -> None:
    """The spreadsheet's owner (not the manager here) can edit through any
    protection, the lock included; an edit of theirs made before the lock shows
    in the lock's read-back, and the rollover plans that page again with it."""
    with google(tmp_path) as g:
        run(g.config, "init")
        with_work(g)
        start = len(g.fake.calls)

        def owner_edits(fake: FakeSheetsApi) -> None:
            row = g.find("Alice Chen", "Personal goal")
            fake.type(SHEET_ID, "Alice Chen", row, 3, "set by sales ops", who=OWNER)

        g.fake.before[start + 3] = owner_edits  # metadata, read, then the lock
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        goal = next(r for r in g.cells("Alice Chen") if "Personal goal" in r)
        assert goal[2] == "set by sales ops" and g.cells("Alice Chen")[3][2] == "2026-11"


def test_an_expired_token_is_one_line(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        token = authorized_user_file(tmp_path, "1//revoked")
        g.config.write_text(g.config.read_text().replace("sa.json", token.name))
        res = run(g.config, "status")
        assert res.exit_code == 1
        assert res.output == (
            f"Error: {token}: Google refused the credentials (invalid_grant: expired or "
            "revoked); make a new key or sign in again\n"
        )
        assert "not-a-real-secret" not in res.output and "1//revoked" not in res.output


API_DISABLED = json.dumps(
    {
        "error": {
            "code": 403,
            "message": "Google Sheets API has not been used in project 123456789 before or it "
            "is disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
            "sheets.googleapis.com/overview?project=123456789 then retry.",
            "status": "PERMISSION_DENIED",
        }
    }
)


def test_common_access_failures_each_get_one_line_that_says_what_to_do(
    tmp_path: Path, sleeps: list[float]
) -> None:
    with google(tmp_path) as g:
        g.book.unshare(SERVICE_ACCOUNT)
        res = run(g.config, "check")
        assert res.exit_code == 1
        assert res.output == (
            f"Error: spreadsheet {SHEET_ID} is not shared with {SERVICE_ACCOUNT}; open it in "
            f"Google Sheets, click Share and add {SERVICE_ACCOUNT} as an Editor\n"
        )
        g.book.share(SERVICE_ACCOUNT, "writer")

        text = g.config.read_text()
        g.config.write_text(text.replace(SHEET_ID, "1NoSuchSpreadsheet_abcdefghijk"))
        res = run(g.config, "check")
        assert res.output == (
            "Error: no spreadsheet with id 1NoSuchSpreadsheet_abcdefghijk; check "
            "workbook.spreadsheet in the config\n"
        )
        g.config.write_text(text)

        g.fake.fail(len(g.fake.calls) + 1, 403, API_DISABLED)
        res = run(g.config, "status")
        assert res.exit_code == 1
        assert "Error: the Google Sheets API is not enabled for project 123456789: enable it" in (
            res.output
        )

        for k in range(len(g.fake.calls) + 1, len(g.fake.calls) + 10):
            g.fake.fail_with(k, requests.ConnectionError("Name or service not known"))
        res = run(g.config, "status")
        assert res.exit_code == 1 and res.output.count("\n") == 1
        assert "did not answer after 6 attempts" in res.output
        assert "(connection failed: no network, or a proxy or firewall" in res.output

        g.fake.offline = True
        res = run(g.config, "status")
        assert res.exit_code == 1
        assert res.output == (
            "Error: cannot reach Google (sheets.googleapis.com): no network, a proxy or a "
            "firewall? run the command again when online\n"
        )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "sa.json does not exist"),
        (lambda d: (d / "sa.json").write_text("{not json"), "sa.json is not JSON"),
        (
            lambda d: (d / "sa.json").write_text('{"type": "external_account"}'),
            "is neither a service-account key nor an authorized-user token file",
        ),
        (
            lambda d: (d / "sa.json").write_text(
                '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nAAAA'
                '\\n-----END PRIVATE KEY-----\\n", "client_email": "x@y.z", "token_uri": "u"}'
            ),
            "is not a usable service_account file",
        ),
    ],
)
def test_bad_credentials_files_are_one_line_and_quote_nothing(
    tmp_path: Path, setup: Any, message: str
) -> None:
    with google(tmp_path) as g:
        (tmp_path / "sa.json").unlink()
        setup(tmp_path)
        for made in tmp_path.glob("*.json"):
            made.chmod(0o600)  # as a key should be (test_safety covers one that is not)
        res = run(g.config, "status")
        assert res.exit_code == 1 and res.output.count("\n") == 1, res.output
        assert message in res.output and "workbook.credentials_file" in res.output
        assert "AAAA" not in res.output and "PRIVATE" not in res.output
        assert g.fake.calls == []


def test_credentials_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with google(tmp_path) as g:
        text = g.config.read_text().replace(", credentials_file: sa.json", "")
        g.config.write_text(text)
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        res = run(g.config, "status")
        assert res.exit_code == 1
        assert "set credentials_file in the config or the environment variable" in res.output
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "sa.json"))
        assert run(g.config, "init").exit_code == 0


def test_check_reports_the_spreadsheet_and_every_tab(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        res = run(g.config, "check")
        assert res.exit_code == 3
        assert "missing  Alice Chen  no page yet; run sheetsync init" in res.output
        run(g.config, "init")
        g.delete_row("Bob", g.find("Bob", "#kpis") + 1)
        start = len(g.fake.calls)
        res = run(g.config, "check")
        # the metadata, every tab in one read, and who may edit (Drive permissions)
        assert [m for m, _ in g.fake.calls[start:]] == ["GET", "GET", "GET"]
        assert g.fake.calls[-1][1].startswith("/drive/v3/files/")
        assert res.exit_code == 3
        lines = res.output.splitlines()
        assert lines[0] == (
            f"West: 'West 1:1s' https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit "
            f"as {SERVICE_ACCOUNT}"
        )
        assert (
            "  ok       Alice Chen  Alice Chen's page for 2026-10; protected: only "
            f"alice@example.com, {MANAGER}, {OWNER}, sheetsync may edit"
        ) in lines
        assert any(line.startswith("  error    Bob         tab 'Bob' A") for line in lines)
        assert "  other    Sheet1      not a sheetsync tab; left alone" in lines
        assert "  access   people  all 3 people of the team may edit it" in lines


def lock(g: GoogleBackend, tab: str, at: str) -> None:
    """The lock a sheetsync run made at ``at`` (through the API, as the service
    account) and did not remove: the run died, or is still writing."""
    from sheetsync.adapters.google_protection import TabGuard, lock_request

    sheet = g.book.sheet(title=tab)
    tab_guard = TabGuard(tab, sheet.sheet_id, sheet.rows, sheet.cols)
    note = f"sheetsync lock deadbeef {at} (a sheetsync write in progress)"
    request = lock_request(tab_guard, note, SERVICE_ACCOUNT, 424242)
    g.fake.person(SHEET_ID, SERVICE_ACCOUNT, [request])


def test_a_lock_left_by_a_dead_run_is_shown_and_removed(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        lock(g, "Alice Chen", "2026-11-01T06:00:00+00:00")
        res = run(g.config, "check")
        assert (
            "  locked   Alice Chen  sheetsync lock deadbeef 2026-11-01T06:00:00+00:00" in res.output
        )
        assert run(g.config, "rollover", today="2026-11-02").exit_code == 0
        assert not [p for p in g.book.protected if "lock" in p["description"]]


def test_a_live_lock_of_another_run_stops_a_write_but_not_a_read(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        lock(g, "Alice Chen", datetime.now(timezone.utc).isoformat(timespec="seconds"))
        assert run(g.config, "status").exit_code == 0
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 1 and res.output.count("\n") == 1
        assert "another sheetsync run has been writing since" in res.output
        assert g.cells("Alice Chen")[3][2] == "2026-10"


def test_a_write_too_big_for_one_request_is_refused_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sheetsync.adapters.google as adapter

    monkeypatch.setattr(adapter, "MAX_BODY", 50_000)  # a page is about 45 kB
    with google(tmp_path) as g:
        res = run(g.config, "init")
        assert res.exit_code == 1 and res.output.count("\n") == 1
        assert "over the 10 MB Google accepts in one request; nothing was written" in res.output
        assert [m for m, _ in g.fake.calls] == ["GET"]
        assert g.tabs() == ["Sheet1"]


def test_column_widths_a_person_set_survive_a_rollover(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        sheet = g.fake.books[SHEET_ID].sheet(title="Alice Chen")
        assert sheet.col_widths[1] > 100  # set by init
        sheet.col_widths[1] = 420
        assert run(g.config, "rollover", today="2026-11-02").exit_code == 0
        assert g.fake.books[SHEET_ID].sheet(title="Alice Chen").col_widths[1] == 420


def test_a_tab_a_person_hid_stays_hidden_through_a_rollover(tmp_path: Path) -> None:
    """Alice is on leave: the manager hides her tab; the rollover still rolls it."""
    with google(tmp_path) as g:
        run(g.config, "init")
        sheet_id = g.book.sheet(title="Alice Chen").sheet_id
        hide = {"properties": {"sheetId": sheet_id, "hidden": True}, "fields": "hidden"}
        g.fake.person(SHEET_ID, MANAGER, [{"updateSheetProperties": hide}])
        assert run(g.config, "rollover", today="2026-11-02").exit_code == 0
        assert g.hidden("Alice Chen") and g.cells("Alice Chen")[3][2] == "2026-11"


def test_the_demo_uploaded_to_google_shows_its_signals_after_a_rollover(tmp_path: Path) -> None:
    """The demo team's workbook, as a spreadsheet uploaded to Google: after the next
    rollover there, the pages, the Team tab and the recap show the signals."""
    from click.testing import CliRunner

    from sheetsync.adapters.google import GoogleWorkbook
    from sheetsync.adapters.xlsx import XlsxWorkbook
    from sheetsync.cli import cli
    from sheetsync.config import load_config
    from sheetsync.domain.layout import Cell, SheetLayout
    from sheetsync.domain.plan import WritePlan

    res = CliRunner().invoke(cli, ["--today", "2026-11-22", "demo", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    with XlsxWorkbook(tmp_path / "d" / "team.xlsx") as local:
        titles = local.read([]).titles
        grids = local.read(titles).grids
    demo_config = (tmp_path / "d" / "config.yaml").read_text()
    with google(tmp_path / "g", demo_config) as g:
        team = load_config(g.config).teams[0]
        upload = WritePlan(
            create=[
                SheetLayout(
                    t, rows=[[Cell(v) for v in row] for row in grids[t]], hidden=t == "_sheetsync"
                )
                for t in titles
            ]
        )
        with GoogleWorkbook(team.workbook) as wb:
            wb.read([])
            wb.write(upload)
        res = run(g.config, "rollover", today="2026-12-02")
        assert res.exit_code == 0, res.output
        team_tab = g.cells("Team")
        rows = [dict(zip(team_tab[0], r, strict=False)) for r in team_tab[1:]]
        assert len(rows) == 5 and all(r["Stalled"] >= 1 for r in rows)
        assert all(r["Pushed"] == 1 for r in rows)  # Northwind renewal, pushed twice
        assert g.charts("Team") == ["Pipeline and coverage per rep"]
        deals = g.deals("Alice Chen")
        assert "pushed 2× (+91 days)" in deals["Northwind renewal"]["Signal"]
        assert deals["Globex expansion"]["Signal"].startswith("stalled")
        recap = run(
            g.config, "recap", "--rep", "Alice Chen", "--period", "2026-11", today="2026-12-02"
        )
        assert recap.exit_code == 0, recap.output
        assert "sent via outbox" in recap.output
        (eml,) = (tmp_path / "g" / "outbox").glob("1-1-recap-alice-chen-november*.eml")
        body = message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",))
        assert "close date pushed again (2× in all, +91 days)" in body.get_content()
        assert "#gid=" in body.get_content()  # the link opens Alice's tab


def test_a_cell_longer_than_excel_allows_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    """Google lets a person type 50,000 characters in a cell, Excel 32,767; History
    and the pages must open in both, so a longer cell stops that page with one line
    (an .xlsx file cannot hold one: openpyxl cuts it at 32,767)."""
    with google(tmp_path) as g:
        run(g.config, "init")
        row = g.find("Alice Chen", "#wins") + 2
        g.write("Alice Chen", row, 2, "W" * 40_000)
        before = g.cells("Alice Chen")
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 3, res.output
        errors = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
        assert errors == [
            f"Error: tab 'Alice Chen' B{row}: 40,000 characters, more than a cell holds (32,767)"
        ]
        assert g.cells("Alice Chen") == before
        assert g.cells("Bob")[3][2] == "2026-11"

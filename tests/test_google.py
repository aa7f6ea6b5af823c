"""The Google backend through gspread, google-auth and HTTP, against the fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tests.backends import MANAGER, SHEET_ID, GoogleBackend, XlsxBackend
from tests.conftest import CONFIG
from tests.fakes.keys import SERVICE_ACCOUNT
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


def normalised(g: GoogleBackend) -> dict[str, Any]:
    """Every tab's values, without what differs between two correct runs: the time
    a row was written and the id of a write."""
    out: dict[str, Any] = {}
    for tab in g.tabs():
        rows = [list(r) for r in g.cells(tab)]
        if tab == "_sheetsync":
            rows = [r[:3] for r in rows]
        if tab == "Team":
            rows = [r[:-1] for r in rows]
        out[tab] = rows
    return out


def history_keys(g: GoogleBackend) -> list[tuple[Any, ...]]:
    return [(r[0], r[3]) for r in g.cells("History")[1:]]


@pytest.mark.parametrize("reps", [1, 10, 100])
def test_requests_do_not_grow_with_the_team(tmp_path: Path, reps: int, sleeps: list[float]) -> None:
    with google(tmp_path, team_of(reps)) as g:
        assert requests_for(g, "init") <= 4
        for i in range(reps):
            g.type_row(f"Rep {i:03d}", "#actions", [f"Action {i}", "Rep", "", "", "Open"])
        assert requests_for(g, "status") <= 2
        assert requests_for(g, "rollover", today="2026-11-02") <= 4
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
        assert editors["Alice Chen"] == sorted(["alice@example.com", MANAGER, SERVICE_ACCOUNT])
        for tab in ("History", "Team", "_sheetsync"):
            assert editors[tab] == sorted([MANAGER, SERVICE_ACCOUNT])
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


def clean_rollover(folder: Path) -> dict[str, Any]:
    with google(folder) as g:
        run(g.config, "init")
        with_work(g)
        assert run(g.config, "rollover", today="2026-11-02").exit_code == 0
        return normalised(g)


FAULTS: dict[str, Any] = {
    "429": lambda f, k: f.fail(k, 429, RESOURCE_EXHAUSTED),
    "500": lambda f, k: f.fail(k, 500, '{"error": {"code": 500, "status": "INTERNAL"}}'),
    "503 html": lambda f, k: f.fail(k, 503, HTML_503, "text/html"),
    "reset": lambda f, k: f.fail_with(k, requests.ConnectionError("Connection reset by peer")),
    "timeout": lambda f, k: f.fail_with(k, requests.ReadTimeout("Read timed out")),
    "answer lost": lambda f, k: f.lose_answer(k),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_one_fault_at_any_request_of_rollover_ends_like_a_clean_run(
    tmp_path: Path, fault: str, sleeps: list[float]
) -> None:
    clean = clean_rollover(tmp_path / "clean")
    for k in (1, 2, 3, 4):  # open, read, lock + read back, write
        with google(tmp_path / f"k{k}") as g:
            run(g.config, "init")
            with_work(g)
            FAULTS[fault](g.fake, len(g.fake.calls) + k)
            res = run(g.config, "rollover", today="2026-11-02")
            assert res.exit_code == 0, (k, res.output)
            assert normalised(g) == clean, k
            keys = history_keys(g)
            assert len(keys) == len(set(keys)) == 3, k
            assert not [p for p in g.fake.books[SHEET_ID].protected if "lock" in p["description"]]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_one_fault_at_any_request_of_init_ends_like_a_clean_run(
    tmp_path: Path, fault: str, sleeps: list[float]
) -> None:
    with google(tmp_path / "clean") as g:
        run(g.config, "init")
        clean = normalised(g)
    for k in (1, 2):  # open, write
        with google(tmp_path / f"k{k}") as g:
            FAULTS[fault](g.fake, k)
            res = run(g.config, "init")
            assert res.exit_code == 0, (k, res.output)
            assert normalised(g) == clean, k

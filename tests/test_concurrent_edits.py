"""People keep typing while sheetsync runs. For every command and every request
it makes, Alice edits her page just before that request: she adds a deal, ticks
an action done and moves a close date. After the command all three edits are in
the spreadsheet, or Google refused them while the tab was locked (so Alice saw
the refusal and nothing was silently lost)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.backends import SHEET_ID, GoogleBackend
from tests.fakes.sheets_api import FakeSheetsApi
from tests.test_cli import run
from tests.test_google import google, with_work
from tests.test_import import csv_file

CAROL = "      - {name: Carol Diaz, email: carol@example.com}\n"


def alice_edits(g: GoogleBackend) -> None:
    """Alice, at her desk: adds a deal, ticks her action done, moves a close date."""
    g.type_row("Alice Chen", "#existing_opportunities", ["Hooli", "Hooli", 30000, "Trial"])
    action = g.find("Alice Chen", "Call the CFO")
    status_col = g.cells("Alice Chen")[g.find("Alice Chen", "#actions")].index("Status") + 1
    g.fake.type(SHEET_ID, "Alice Chen", action, status_col, "Done", who="alice@example.com")
    deal = g.find("Alice Chen", "Globex")
    g.fake.type(SHEET_ID, "Alice Chen", deal, 6, date(2027, 1, 15), who="alice@example.com")


def prepare(g: GoogleBackend, command: str) -> tuple[str, ...]:
    """The team before the command, and the command's arguments."""
    assert run(g.config, "init").exit_code == 0
    with_work(g)
    if command == "init":  # a rep joins: init adds her page, leaves the others
        g.config.write_text(g.config.read_text() + CAROL)
    if command == "import":
        body = "006A,Initech renewal,Initech,Alice Chen,8000,Demo,12/18/2026,2026-10-12\n"
        return ("import", str(csv_file(g.config.parent, body)))
    return (command,)


CASES: dict[str, list[str]] = {}  # command -> how each request position ended


def summary() -> list[str]:
    if not CASES:
        return []
    kept = sum(v.count("kept") for v in CASES.values())
    refused = sum(v.count("refused") for v in CASES.values())
    per = ", ".join(f"{c} {len(v)}" for c, v in CASES.items())
    return [
        f"a person's edits during a command: {kept + refused} cases ({per}); "
        f"{kept} kept, {refused} refused by Google while the tab was locked, 0 lost"
    ]


TODAY = {"rollover": "2026-11-02", "recap": "2026-10-31"}
COMMANDS = ["init", "rollover", "refresh", "recap", "import", "status"]


def requests_of(folder: Path, command: str) -> int:
    with google(folder) as g:
        args = prepare(g, command)
        start = len(g.fake.calls)
        res = run(g.config, *args, today=TODAY.get(command, "2026-10-20"))
        assert res.exit_code == 0, res.output
        return len(g.fake.calls) - start


@pytest.mark.parametrize("command", COMMANDS)
def test_a_persons_edits_during_any_command_are_never_lost(
    tmp_path: Path, command: str, sleeps: list[float]
) -> None:
    n = requests_of(tmp_path / "count", command)
    ended = CASES.setdefault(command, [])
    for k in range(1, n + 1):
        with google(tmp_path / f"k{k}") as g:
            args = prepare(g, command)
            refused: list[str] = []

            def edit(
                fake: FakeSheetsApi, g: GoogleBackend = g, refused: list[str] = refused
            ) -> None:
                try:
                    alice_edits(g)
                except PermissionError as exc:  # Google shows Alice "protected"
                    refused.append(str(exc))

            g.fake.before[len(g.fake.calls) + k] = edit
            res = run(g.config, *args, today=TODAY.get(command, "2026-10-20"))
            assert res.exit_code == 0, (k, res.output)
            page, history = g.cells("Alice Chen"), g.cells("History")
            if refused:  # only while the tabs are locked, just before the write
                assert command in ("rollover", "refresh", "import") and k == n, k
                assert not [r for r in page if "Hooli" in r]
                ended.append("refused")
                continue
            hooli = [r for r in page if "Hooli" in r]
            assert len(hooli) == 1 and hooli[0][3] == 30000, k
            globex = next(r for r in page if "Globex" in r)
            assert globex[5] == date(2027, 1, 15), k
            action = [r for r in page if "Call the CFO" in r]
            if command == "rollover":  # done: archived, not carried
                done = [r for r in history if "Call the CFO" in r]
                assert not action and len(done) == 1 and done[0][4] == "closed", k
            else:
                assert len(action) == 1 and "Done" in action[0], k
            if command == "import":
                assert [r for r in page if "Initech renewal" in r], k
            if command == "init":
                assert "Carol Diaz" in g.tabs(), k
            ended.append("kept")

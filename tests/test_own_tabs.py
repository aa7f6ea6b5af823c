"""A workbook people already had, with a "Team" or "History" tab of their own
(issue 13): sheetsync never writes over it. ``init`` and every writing command
stop with one line naming the tab before anything is written; ``check`` says so;
once the person renames their tab, sheetsync makes its own beside it."""

from __future__ import annotations

from tests.backends import Backend
from tests.test_cli import run

THEIRS = [["Name", "Role", "Start date"], ["Dana Reyes", "Manager", "2024-01-08"]]


def test_a_persons_own_team_tab_is_never_written_over(backend: Backend) -> None:
    b = backend
    b.add_tab("Team", THEIRS)
    before = b.cells("Team")
    res = run(b.config, "init", today="2026-10-05")
    assert res.exit_code == 1, res.output
    assert res.output.count("\n") == 1 and res.output.startswith("Error: "), res.output
    assert "tab 'Team' A1: this workbook already has a 'Team' tab of its own" in res.output
    assert "its first row reads 'Name, Role, Start date'" in res.output
    assert "Alice Chen" not in b.tabs() and b.cells("Team") == before  # nothing written
    b.rename("Team", "Our team")
    res = run(b.config, "init", today="2026-10-05")
    assert res.exit_code == 0, res.output
    assert b.cells("Our team") == before and "Team" in b.tabs() and "Alice Chen" in b.tabs()


def test_a_history_of_a_persons_own_stops_the_writing_commands_and_check_names_it(
    backend: Backend,
) -> None:
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    b.rename("History", "Old History")  # sheetsync's, put aside by a person
    b.add_tab("History", [["Date", "Note"], ["2026-10-01", "kick-off"]])
    alice, theirs = b.cells("Alice Chen"), b.cells("History")
    res = run(b.config, "rollover", today="2026-11-02")
    assert res.exit_code == 1 and res.output.count("\n") == 1, res.output
    assert "tab 'History' A1: this workbook already has a 'History' tab of its own" in res.output
    assert b.cells("History") == theirs and b.cells("Alice Chen") == alice
    check = run(b.config, "check", today="2026-11-02")
    assert check.exit_code == 3, check.output
    line = next(ln for ln in check.output.splitlines() if "History" in ln and "error" in ln)
    assert "of its own" in line

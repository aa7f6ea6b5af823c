"""The Period cell is sheetsync's (issue 13): a person who edits it (back to last
month, or a typo of the year) gets it put back from the ledger, with a warning
naming the cell; the month is never archived twice and the page keeps rolling."""

from __future__ import annotations

from tests.backends import Backend
from tests.test_cli import run

TAB = "Alice Chen"


def test_an_edited_period_cell_is_put_back_and_nothing_is_archived_twice(
    backend: Backend,
) -> None:
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    b.type_row(TAB, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-11-20"])
    b.type_row(TAB, "#existing_opportunities", ["Initech", "Initech", 9000, "Closed won"])
    assert run(b.config, "rollover", today="2026-11-02").exit_code == 0
    period = b.find(TAB, "Period")
    history = b.cells("History")

    b.write(TAB, period, 3, "2026-10")  # back to last month
    res = run(b.config, "rollover", today="2026-11-03")
    assert res.exit_code == 0, res.output
    warning = f"tab '{TAB}' C{period}: the Period cell says '2026-10'"
    assert sum(warning in line for line in res.output.splitlines()) == 1, res.output
    assert f"{TAB}: up to date (2026-11), Period put back" in res.output
    assert b.cells(TAB)[period - 1][2] == "2026-11"  # put back on the page
    assert b.cells("History") == history  # October was not archived again
    again = run(b.config, "rollover", today="2026-11-04")
    assert "nothing to do" in again.output and "Warning" not in again.output

    b.write(TAB, period, 3, "2027-11")  # a typo of the year
    res = run(b.config, "rollover", today="2026-12-02")
    assert res.exit_code == 0, res.output
    assert "the Period cell says '2027-11'" in res.output
    assert f"{TAB}: rolled 2026-11 -> 2026-12" in res.output  # and it rolls on
    assert b.cells(TAB)[period - 1][2] == "2026-12"
    rows = [r for r in b.cells("History")[1:] if r[1] == TAB and r[0] == "2026-11"]
    assert any("Globex" in r for r in rows)

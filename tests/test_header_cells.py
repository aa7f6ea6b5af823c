"""The Period and Rep cells are sheetsync's (issue 13). A person who edits the
Period (back to last month, or a typo of the year) gets it put back from the
ledger, with a warning naming the cell; the month is never archived twice and the
page keeps rolling. A page copied from another rep's tab is filed as the rep the
config gives the tab, never as the rep its Rep cell names."""

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


def test_a_page_copied_from_another_reps_is_filed_as_its_own_rep(backend: Backend) -> None:
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    bob = "Bob"  # Bob Stone's tab
    rep_row = b.find(bob, "Rep")
    b.write(bob, rep_row, 3, "Alice Chen")  # as a copy of Alice's tab would say
    b.type_row(bob, "#existing_opportunities", ["Hooli", "Hooli", 12000, "Closed won"])
    res = run(b.config, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    assert f"tab '{bob}' C{rep_row}: the Rep cell says 'Alice Chen'" in res.output
    won = [r for r in b.cells("History")[1:] if "Hooli" in r]
    assert [r[1] for r in won] == ["Bob Stone"]  # Bob's win, not Alice's
    assert b.cells(bob)[rep_row - 1][2] == "Bob Stone"  # the cell put back


def test_rows_copied_with_a_tab_get_ids_of_their_own(backend: Backend) -> None:
    """A new rep's page made by copying Alice's tab (here: her deal's row, id and
    all, typed on a tab sheetsync did not make for its rep) is told apart: the copy
    gets an id of its own, so the two reps' deals never merge in History."""
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    b.type_row(TAB, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-12-20"])
    assert run(b.config, "rollover", today="2026-11-02").exit_code == 0
    alice = b.deals(TAB)["Globex"]
    b.add_tab("Carol Diaz", b.cells(TAB))  # the manager copies Alice's page for Carol
    bob = "tab: Bob}\n"
    carol = "      - {name: Carol Diaz, email: carol@example.com}\n"
    text = b.config.read_text(encoding="utf-8")
    b.config.write_text(text.replace(bob, bob + carol), encoding="utf-8")
    b.write("Carol Diaz", b.find("Carol Diaz", "Rep"), 3, "Carol Diaz")
    res = run(b.config, "rollover", today="2026-12-02")
    assert res.exit_code == 0, res.output
    assert "the same items as on Alice Chen's page" in res.output, res.output
    ids = [b.deals(t)["Globex"]["id"] for t in (TAB, "Carol Diaz")]
    assert ids[0] == alice["id"] and ids[1] and ids[1] != ids[0]
    rows = [r for r in b.cells("History")[1:] if "Globex" in r and r[0] == "2026-11"]
    assert sorted((r[1], r[3]) for r in rows) == sorted(
        [("Alice Chen", ids[0]), ("Carol Diaz", ids[1])]
    )

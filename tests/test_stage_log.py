"""The stage log as the README's cron lines keep it (issue 15), on both backends: the
daily rollover and refresh date each change of stage to the day it is seen, once,
even when no page rolls; the month's rollover sets "Stage since" itself (without a refresh
first, a deal moved from Demo to Trial during the month is not "slow in Trial"
for the whole month); and a workbook made before the log gets its tab on the
first change."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.backends import Backend, XlsxBackend
from tests.test_cli import run

TAB = "Alice Chen"


def log_rows(b: Backend) -> list[dict[str, Any]]:
    grid = b.cells("_stages")
    header = list(grid[0])
    return [dict(zip(header, row, strict=False)) for row in grid[1:] if any(row)]


def stage_col(b: Backend) -> int:
    return list(b.cells(TAB)[b.find(TAB, "#existing_opportunities")]).index("Stage") + 1


def test_daily_rollovers_date_each_change_of_stage_once_and_the_roll_sets_stage_since(
    backend: Backend,
) -> None:
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    assert "_stages" in b.tabs() and log_rows(b) == []
    b.type_row(TAB, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-12-20"])

    # the 06:00 cron line, next morning: Globex has no id of its own yet (one made up
    # now would change with its content), so it waits for the write that gives it one
    res = run(b.config, "rollover", today="2026-10-06")
    assert res.exit_code == 0 and "change of stage" not in res.output, res.output
    res = run(b.config, "refresh", today="2026-10-06")  # 06:30: the id is written
    assert "recorded 1 change of stage" in res.output, res.output
    (first,) = log_rows(b)
    assert (first["from"], first["to"], first["on"]) == (None, "Demo", date(2026, 10, 6))
    assert first["rep"] == TAB and first["deal"] == "Globex" and first["id"]

    again = run(b.config, "rollover", today="2026-10-07")  # nothing new: nothing written
    assert "nothing to do" in again.output
    assert "change of stage" not in again.output and len(log_rows(b)) == 1
    if isinstance(b, XlsxBackend):
        stamp = b.path.stat().st_mtime_ns
        assert run(b.config, "rollover", today="2026-10-08").exit_code == 0
        assert b.path.stat().st_mtime_ns == stamp

    b.set_cell(TAB, "Globex", stage_col(b), "Trial")  # moved during the month; no refresh
    assert "recorded 1 change" in run(b.config, "rollover", today="2026-10-20").output
    moved = log_rows(b)[-1]
    assert (moved["from"], moved["to"], moved["on"]) == ("Demo", "Trial", date(2026, 10, 20))
    assert moved["id"] == first["id"]

    res = run(b.config, "rollover", today="2026-11-02")  # the month rolls
    assert res.exit_code == 0 and "rolled 2026-10 -> 2026-11" in res.output, res.output
    assert len(log_rows(b)) == 2  # the roll saw no new change
    globex = b.deals(TAB)["Globex"]
    since = globex["Stage since"]
    assert (since.date() if hasattr(since, "date") else since) == date(2026, 10, 20)
    assert "slow" not in str(globex.get("Signal") or "")


def test_a_workbook_from_before_the_log_gets_its_tab_with_the_first_change(
    backend: Backend,
) -> None:
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    b.delete_tab("_stages")  # as a workbook made by an earlier sheetsync
    check = run(b.config, "check")
    assert "none yet; the next rollover, refresh or import makes it" in check.output
    b.type_row(TAB, "#existing_opportunities", ["Initech", "Initech", 5000, "Qualify"])
    res = run(b.config, "refresh", today="2026-10-09")
    assert res.exit_code == 0 and "recorded 1 change of stage" in res.output, res.output
    assert [(r["to"], r["on"]) for r in log_rows(b)] == [("Qualify", date(2026, 10, 9))]
    assert b.tabs().index("_stages") > b.tabs().index("History")

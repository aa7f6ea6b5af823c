"""History is the team's record for years, and people change it: they insert a
column at its front for their own comments, reorder columns, add their own.
sheetsync reads and writes History by its header, never by position (issue 13);
on both backends, the local one edited in real LibreOffice."""

from __future__ import annotations

from typing import Any

from tests.backends import Backend
from tests.test_cli import run

TAB = "Alice Chen"


def month(b: Backend) -> None:
    """Alice's October: Globex stays open, Initech is won."""
    b.type_row(TAB, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-11-20"])
    b.type_row(TAB, "#existing_opportunities", ["Initech", "Initech", 9000, "Closed won"])


def by_name(history: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    header = [str(h) for h in history[0]]
    return [dict(zip(header, row, strict=False)) for row in history[1:]]


def test_a_column_inserted_at_historys_front_is_kept_and_rows_go_under_their_names(
    backend: Backend,
) -> None:
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    month(b)
    assert run(b.config, "rollover", today="2026-11-02").exit_code == 0
    rows_before = len(b.cells("History"))
    b.insert_column("History", 1)
    b.write("History", 1, 1, "Comment")
    b.write("History", 2, 1, "ask Dana")  # a person's comment on an old row
    res = run(b.config, "rollover", today="2026-12-02")
    assert res.exit_code == 0, res.output
    history = b.cells("History")
    assert history[0][0] == "Comment" and history[1][0] == "ask Dana"
    rows = by_name(history)
    assert len(rows) > rows_before - 1
    for row in rows:  # every row, old and new, has its values under their names
        assert str(row["period"]) in ("2026-10", "2026-11"), row
        assert row["rep"] in ("Alice Chen", "Bob Stone"), row
    december = [r for r in rows if r["period"] == "2026-11" and r["rep"] == TAB]
    globex = next(r for r in december if r.get("opportunity") == "Globex")
    # carried through October before, counted from History by its names
    assert globex["outcome"] == "carried" and int(globex["carried"]) == 1, globex
    assert not any(r.get("Comment") for r in december)  # their column, left alone
    # a recap of a closed period is rebuilt from History as it now is
    res = run(b.config, "recap", "--period", "2026-10", "--rep", TAB, "--dry-run")
    assert res.exit_code == 0, res.output
    preview = "\n".join(p.read_text() for p in (b.config.parent / "outbox").rglob("*.eml"))
    assert "Globex" in preview and "Initech" in preview

"""A team keeps its workbook for years while its manager changes how the team
works (issue 13): the cadence goes from monthly to weekly, a rep's name is fixed
or changed, a tab is given another title. History keeps every period under its own
label, the signals keep using it, old recaps can still be rebuilt, and a renamed
rep keeps their tab and their History."""

from __future__ import annotations

from pathlib import Path

from tests.backends import Backend
from tests.test_cli import run
from tests.test_history_by_header import by_name

TAB = "Alice Chen"


def configure(config: Path, old: str, new: str) -> None:
    text = config.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in the config"
    config.write_text(text.replace(old, new), encoding="utf-8")


def outbox(config: Path) -> str:
    return "\n".join(p.read_text() for p in (config.parent / "outbox").rglob("*.eml"))


def test_a_cadence_change_keeps_historys_periods_and_starts_the_new_cadence(
    backend: Backend,
) -> None:
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    b.type_row(TAB, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-10-30"])
    b.type_row(TAB, "#existing_opportunities", ["Initech", "Initech", 9000, "Closed won"])
    assert run(b.config, "rollover", today="2026-11-02").exit_code == 0
    b.set_cell(TAB, "Globex", 6, "2026-12-15")  # pushed in November
    b.type_row(TAB, "#working", ["Calling before 9"])

    configure(
        b.config,
        "cadence: monthly\n    meeting_day: last friday",
        "cadence: weekly\n    meeting_day: friday",
    )
    res = run(b.config, "status", today="2026-11-24")
    assert res.exit_code == 0 and "2026-11" in res.output, res.output
    # November's meeting (Friday 27th) is still ahead: the page waits for it (issue 14)
    res = run(b.config, "rollover", today="2026-11-24")
    assert res.exit_code == 0 and f"{TAB}: waits for its meeting on Friday 27" in res.output
    res = run(b.config, "rollover", today="2026-11-28")
    assert res.exit_code == 0, res.output
    assert f"{TAB}: rolled 2026-11 -> 2026-W48" in res.output
    rows = by_name(b.cells("History"))
    assert {str(r["period"]) for r in rows if r["rep"] == TAB} == {"2026-10", "2026-11"}
    assert any(
        r.get("item") == "Calling before 9" or "Calling before 9" in r.values() for r in rows
    )
    assert b.cells(TAB)[b.find(TAB, "Period") - 1][2] == "2026-W48"
    # the signals still see the push made in the monthly periods
    assert "pushed 1×" in str(b.cells(TAB)[b.find(TAB, "Globex") - 1])

    again = run(b.config, "rollover", today="2026-11-29")
    assert "nothing to do" in again.output, again.output
    res = run(b.config, "rollover", today="2026-12-01")
    assert f"{TAB}: rolled 2026-W48 -> 2026-W49" in res.output, res.output
    # a month's recap from before the change is rebuilt from History
    res = run(
        b.config, "recap", "--period", "2026-10", "--rep", TAB, "--dry-run", today="2026-12-01"
    )
    assert res.exit_code == 0, res.output
    assert "Initech" in outbox(b.config)
    # a period the team is to start is of its cadence
    res = run(b.config, "rollover", "--period", "2027-01", today="2026-12-01")
    assert res.exit_code != 0 and "not a weekly period" in res.output, res.output


def carried(b: Backend, rep: str, deal: str) -> list[int]:
    """Each History row of ``deal`` filed under ``rep``: its carried count."""
    return [
        int(r["carried"])
        for r in by_name(b.cells("History"))
        if r["rep"] == rep and deal in r.values()
    ]


def test_a_reps_name_fixed_in_capitals_renames_their_tab_and_keeps_their_history(
    backend: Backend,
) -> None:
    b = backend
    configure(b.config, "{name: Alice Chen,", "{name: Alice chen,")
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    old = "Alice chen"
    b.type_row(old, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-12-20"])
    b.add_tab("Notes", [["Alice's pipeline", f"='{old}'!D12"]])
    assert run(b.config, "rollover", today="2026-11-02").exit_code == 0
    assert carried(b, old, "Globex") == [0]

    configure(b.config, "{name: Alice chen,", "{name: Alice Chen,")
    res = run(b.config, "status", today="2026-11-03")  # reads it where it is; writes nothing
    assert res.exit_code == 0 and "Error" not in res.output, res.output
    res = run(b.config, "check", today="2026-11-03")
    assert f"still titled '{old}': the next init or rollover renames it '{TAB}'" in res.output
    others = [line for line in res.output.splitlines() if "not a sheetsync tab" in line]
    assert not [line for line in others if old in line], res.output  # it is Alice's
    res = run(b.config, "rollover", "--dry-run", today="2026-12-02")
    assert f"tab '{old}' would be renamed '{TAB}'" in res.output, res.output
    assert old in b.tabs()
    res = run(b.config, "rollover", today="2026-12-02")
    assert res.exit_code == 0, res.output
    assert f"West / Alice Chen: tab '{old}' renamed 'Alice Chen'" in res.output
    assert "Warning" not in res.output, res.output  # the Rep cell's old spelling is just put back
    tabs = b.tabs()
    assert TAB in tabs and old not in tabs and not any(t.startswith("Alice Chen1") for t in tabs)
    # the deal's count went on from the rows History holds under the old spelling
    assert carried(b, TAB, "Globex") == [1]
    assert b.formula("Notes", 1, 2) == "='Alice Chen'!D12"  # a person's formula follows
    assert b.cells(TAB)[b.find(TAB, "Rep") - 1][2] == TAB
    again = run(b.config, "init", today="2026-12-03")
    assert "nothing to do" in again.output, again.output
    assert [t for t in b.tabs() if t.casefold() == TAB.casefold()] == [TAB]


def test_a_new_name_and_tab_for_the_same_person_renames_the_tab(backend: Backend) -> None:
    b = backend
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    b.type_row("Bob", "#existing_opportunities", ["Hooli", "Hooli", 12000, "Demo", "2026-12-20"])
    assert run(b.config, "rollover", today="2026-11-02").exit_code == 0
    # Bob is Robert now, with a tab of that name; the same address
    configure(
        b.config,
        "{name: Bob Stone, email: bob@example.com, tab: Bob}",
        "{name: Robert Stone, email: bob@example.com, tab: Robert}",
    )
    res = run(b.config, "init", today="2026-11-03")
    assert res.exit_code == 0, res.output
    assert "tab 'Bob' renamed 'Robert'" in res.output
    assert "Robert" in b.tabs() and "Bob" not in b.tabs()
    res = run(b.config, "rollover", today="2026-12-02")
    assert res.exit_code == 0 and "Warning" not in res.output, res.output
    assert carried(b, "Robert Stone", "Hooli") == [1]
    assert carried(b, "Bob Stone", "Hooli") == [0]  # what was written stays as written


def test_a_template_change_is_a_migration(backend: Backend) -> None:
    """A column added to the template: pages gain it at their next write, History's
    header at its end; a column taken out: its values stay on the page as the
    person's own column and go to History's extra when the row is archived."""
    from sheetsync.config import packaged_templates

    b = backend
    template = b.config.parent / "custom.yaml"
    template.write_text(
        (packaged_templates() / "pages" / "monthly.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    configure(b.config, "    reps:\n", "    template: custom.yaml\n    reps:\n")
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    row = ["Globex", "Globex", 30000, "Demo", "2026-12-20", "2026-10-02"]
    b.type_row(TAB, "#existing_opportunities", row)
    assert run(b.config, "rollover", today="2026-11-02").exit_code == 0
    header_before = [str(h) for h in b.cells("History")[0] if h]

    last_activity = "      - {key: last_activity, title: Last activity, type: date, width: 13}\n"
    text = template.read_text(encoding="utf-8")
    start = text.index("  - key: existing_opportunities")
    block = text[start:].replace(
        last_activity,
        "      - {key: probability, title: Probability, type: number, width: 10}\n",
        1,
    )
    template.write_text(text[:start] + block, encoding="utf-8")

    res = run(b.config, "check", today="2026-11-20")
    assert "Error" not in res.output, res.output
    assert "has no 'Probability' column yet (new in the template)" in res.output
    assert "'Last activity' is no longer in the template" in res.output
    res = run(b.config, "status", today="2026-11-20")
    assert res.exit_code == 0 and "Error" not in res.output, res.output

    res = run(b.config, "rollover", today="2026-12-02")
    assert res.exit_code == 0, res.output
    page = b.cells(TAB)
    header = page[b.find(TAB, "#existing_opportunities")]
    assert "Probability" in header and "Last activity" in header  # gained; theirs kept
    history = b.cells("History")
    names = [str(h) for h in history[0] if h]
    assert names[: len(header_before)] == header_before and names[-1] == "probability"
    archived = [r for r in by_name(history) if r["period"] == "2026-11" and r["rep"] == TAB]
    globex = next(r for r in archived if r.get("opportunity") == "Globex")
    assert "Last activity" in str(globex["extra"]), globex  # the removed column's value

    b.write(TAB, b.find(TAB, "Globex"), 1 + header.index("Probability") + 1 - 1, 60)
    assert run(b.config, "rollover", today="2027-01-04").exit_code == 0
    january = [r for r in by_name(b.cells("History")) if r["period"] == "2026-12"]
    assert [r["probability"] for r in january if r.get("opportunity") == "Globex"] == [60]

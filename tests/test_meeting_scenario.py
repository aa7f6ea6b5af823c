"""Three months of a team's 1:1s, played with the README's own cron lines (issue 14).

The clock walks from 2 November 2026 to 31 January 2027. Each cron line of the
README fires as cron would fire it: at every one of its times on a meeting day (and
the day after), and at its first time of the day otherwise (later firings on a day
with no meeting find nothing new to do). People type on the pages between runs;
the office server is off from 24 December 08:00 to 4 January 06:00. The test
asserts which message went when, and what the ones that matter say.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

import sheetsync.cli
from sheetsync.cli import cli
from sheetsync.config import load_config
from tests.backends import XlsxBackend
from tests.conftest import ROOT

CONFIG = """\
teams:
  - name: West
    manager: {name: Dana Reyes, email: dana@example.com}
    meeting_day: last friday
    timezone: America/New_York
    holidays: US
    workbook: {type: xlsx, path: team.xlsx}
    mail: {meeting_time: "10:00", meeting_minutes: 45}
    reps:
      - {name: Alice Chen, email: alice@example.com}
      - {name: Bob Stone, email: bob@example.com, tab: Bob}
"""


def cron_lines() -> list[tuple[list[set[int]], list[str]]]:
    """The README's cron block: each line's five fields (as sets of values) and
    the sheetsync arguments it runs."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```cron\n", 1)[1].split("```", 1)[0]
    limits = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
    out = []
    for line in block.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields, command = line.split()[:5], line.split(None, 5)[5]
        sets = []
        for spec, (low, high) in zip(fields, limits, strict=True):
            values: set[int] = set()
            for part in spec.split(","):
                if part == "*":
                    values |= set(range(low, high + 1))
                elif "-" in part:
                    a, b = part.split("-")
                    values |= set(range(int(a), int(b) + 1))
                else:
                    values.add(int(part))
            sets.append(values)
        args = command.split("--config config.yaml", 1)[1].split(">>", 1)[0].split()
        out.append((sets, args))
    return out


def firings(day: date, sets: list[set[int]]) -> list[time]:
    minute, hour, dom, month, dow = sets
    if day.day not in dom or day.month not in month or (day.isoweekday() % 7) not in dow:
        return []
    return [time(h, m) for h in sorted(hour) for m in sorted(minute)]


def sent(folder: Path) -> dict[str, EmailMessage]:
    return {
        p.name: message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in (folder / "outbox").glob("*.eml")
    }


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_three_months_of_meetings_with_the_readmes_cron_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.yaml").write_text(CONFIG)
    # ~300 runs of an unchanging config: read it once (its reading is tested elsewhere)
    monkeypatch.setattr(sheetsync.cli, "load_config", functools.cache(load_config))
    book = XlsxBackend(tmp_path)
    runner = CliRunner()
    lines = cron_lines()
    assert [args[0] for _, args in lines] == ["rollover", "agenda", "recap"]
    log: list[tuple[str, str, str]] = []  # when, command, what it printed

    def run(when: datetime, *args: str) -> str:
        at = when.strftime("%Y-%m-%dT%H:%M")
        res = runner.invoke(cli, ["--config", str(tmp_path / "config.yaml"), "--today", at, *args])
        assert res.exit_code == 0, (at, args, res.output, res.exception)
        log.append((at, args[0], res.output))
        return res.output

    def alice_november() -> None:
        book.type_row("Alice Chen", "#wins", ["Signed Initech"])
        book.type_row(
            "Alice Chen",
            "#existing_opportunities",
            ["Globex", "Globex", 12000, "Demo", date(2026, 11, 20)],
        )
        book.type_row(
            "Alice Chen", "#actions", ["Call the CFO", "Rep", date(2026, 11, 18), "", "Open"]
        )
        book.type_row("Alice Chen", "#agenda", ["Territory split for Q1"])

    def alice_moves_her_meeting() -> None:
        book.set_cell("Alice Chen", "Meeting date", 3, date(2026, 12, 2))

    def december() -> None:
        book.type_row("Bob", "#wins", ["First enterprise logo"])
        book.type_row("Alice Chen", "#wins", ["Globex pilot started"])

    def january() -> None:
        book.type_row("Bob", "#wins", ["Renewal signed early"])
        book.type_row("Alice Chen", "#wins", ["Two new logos"])

    edits: dict[datetime, Callable[[], None]] = {
        datetime(2026, 11, 10, 12): alice_november,
        datetime(2026, 11, 20, 12): alice_moves_her_meeting,
        datetime(2026, 12, 10, 12): december,
        datetime(2027, 1, 12, 12): january,
    }
    run(datetime(2026, 11, 2, 9), "init")
    off = (datetime(2026, 12, 24, 8), datetime(2027, 1, 4, 6))  # the server is off
    meeting_days = {date(2026, 11, 27), date(2026, 12, 2), date(2026, 12, 24), date(2027, 1, 29)}
    day = date(2026, 11, 2)
    while day <= date(2027, 1, 31):
        busy = day in meeting_days or day - timedelta(days=1) in meeting_days
        todo: list[tuple[datetime, list[str]]] = []
        for sets, args in lines:
            times = firings(day, sets)
            todo += [(datetime.combine(day, t), args) for t in (times if busy else times[:1])]
        todo += [(when, []) for when in edits if when.date() == day]
        for when, args in sorted(todo, key=lambda x: x[0]):
            if not args:
                edits[when]()
            elif not off[0] <= when < off[1]:
                run(when, *args)
        day += timedelta(days=1)

    # --- which message went when ---------------------------------------------------
    def went(kind: str) -> list[tuple[str, str, str]]:
        pattern = re.compile(rf"^West / (.+): {kind} (\S+) sent", re.M)
        return [
            (at, *m.groups()) for at, cmd, out in log if cmd == kind for m in pattern.finditer(out)
        ]

    assert went("agenda") == [
        ("2026-11-25T07:30", "Bob Stone", "2026-11"),
        ("2026-11-30T07:30", "Alice Chen", "2026-11"),  # her moved meeting, 2 December
        ("2026-12-22T07:30", "Alice Chen", "2026-12"),
        ("2026-12-22T07:30", "Bob Stone", "2026-12"),
        ("2027-01-27T07:30", "Alice Chen", "2027-01"),
        ("2027-01-27T07:30", "Bob Stone", "2027-01"),
    ]
    assert went("recap") == [
        ("2026-12-02T11:00", "Alice Chen", "2026-11"),  # after her meeting's end, 10:45
        ("2027-01-04T08:00", "Alice Chen", "2026-12"),  # closed while the server was off
        ("2027-01-04T08:00", "Bob Stone", "2026-12"),
        ("2027-01-29T11:00", "Alice Chen", "2027-01"),
        ("2027-01-29T11:00", "Bob Stone", "2027-01"),
    ]
    # Bob's November page was blank: no recap, and the run said so once it was due
    first = next(out for at, cmd, out in log if cmd == "recap" and at == "2026-11-27T11:00")
    assert "Bob Stone: recap 2026-11 skipped: nothing on the page for 2026-11" in first
    # rollover waited for Alice's moved meeting and rolled her page the morning after
    rolled = {at: out for at, cmd, out in log if cmd == "rollover" and "Alice Chen" in out}
    assert (
        "Alice Chen: waits for its meeting on Wednesday 2 December 2026"
        in rolled["2026-12-01T06:00"]
    )
    assert "Alice Chen: rolled 2026-11 -> 2026-12" in rolled["2026-12-03T06:00"]
    assert "Bob Stone: rolled 2026-11 -> 2026-12" in rolled["2026-12-01T06:00"]

    # --- what they said ---------------------------------------------------------------
    mails = sent(tmp_path)
    by_subject = {str(m["Subject"]): m for m in mails.values()}
    november = body(by_subject["1:1 recap — Alice Chen — November 2026"])
    assert "Signed Initech" in november  # prepared wins reached the meeting
    assert "! close date passed: 20 Nov" in november
    assert "! overdue: due 18 Nov" in november
    december_agenda = body(by_subject["1:1 on Thursday 24 December — Bob Stone: your agenda"])
    assert "moved from Friday 25 December 2026, Christmas Day" in december_agenda
    assert "10:00 to 10:45 (45 minutes, America/New_York time)" in december_agenda
    assert "First enterprise logo" in body(by_subject["1:1 recap — Bob Stone — December 2026"])
    assert len(mails) == len(went("agenda")) + len(went("recap"))

"""The meeting cycle as people live it (issue 14): a recap goes once the meeting is
over in the team's time zone, a closed period's recap still goes after rollover,
rollover waits for a meeting moved past the period's end, meetings move off public
holidays, and what the agenda and the recap say."""

from __future__ import annotations

from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from sheetsync.commands import cycle, mail
from sheetsync.config import Team, load_config
from sheetsync.domain.periods import Cadence, MeetingDay, Period, period_of
from tests.backends import XlsxBackend

PARIS = ZoneInfo("Europe/Paris")

CONFIG = """\
teams:
  - name: West
    manager: {name: Dana Reyes, email: dana@example.com}
    meeting_day: last friday
    timezone: Europe/Paris
    holidays: FR
    workbook: {type: xlsx, path: team.xlsx%(link)s}
    mail: {meeting_time: "10:00", meeting_minutes: %(minutes)d}
    reps:
      - {name: Alice Chen, email: alice@example.com}
      - {name: Bob Stone, email: bob@example.com, tab: Bob}
"""


def team_in(folder: Path, minutes: int = 45, link: str = "") -> tuple[Team, XlsxBackend]:
    (folder / "config.yaml").write_text(
        CONFIG % {"minutes": minutes, "link": f", link: '{link}'" if link else ""}
    )
    (team,) = load_config(folder / "config.yaml").teams
    return team, XlsxBackend(folder)


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), PARIS).replace(
        hour=hour, minute=minute
    )


def outbox(folder: Path, kind: str = "") -> list[EmailMessage]:
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted((folder / "outbox").glob(f"*{kind}*.eml" if kind else "*.eml"))
    ]


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(msg: EmailMessage) -> str:
    body = msg.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def november_page(team: Team, book: XlsxBackend) -> None:
    """Alice's November page with something on it; Bob's is left blank."""
    cycle.init(team, date(2026, 11, 2))
    book.type_row(
        "Alice Chen",
        "#existing_opportunities",
        ["Globex", "Globex", 12000, "Demo", date(2026, 11, 20)],
    )
    book.type_row("Alice Chen", "#actions", ["Call the CFO", "Rep", date(2026, 11, 10), "", "Open"])
    book.type_row("Alice Chen", "#agenda", ["Territory split for Q1"])
    book.type_row("Alice Chen", "#commitments", ["Book discovery calls", "calls", 12, 14])


def statuses(res: mail.MailResult) -> dict[tuple[str, str], str]:
    return {(d.rep, d.period): f"{d.status}: {d.detail}" for d in res.deliveries}


# --- timing ---------------------------------------------------------------------------


def test_a_recap_goes_once_the_meeting_is_over_in_the_teams_time_zone(tmp_path: Path) -> None:
    team, book = team_in(tmp_path)
    november_page(team, book)
    day = "2026-11-27"  # last Friday of November, 10:00-10:45 in Paris
    for hour, minute in ((7, 0), (10, 0), (10, 44)):
        res = mail.recap(team, date(2026, 11, 27), now=at(day, hour, minute))
        got = statuses(res)[("Alice Chen", "2026-11")]
        assert got.startswith(
            "skipped: waits for the meeting to end: Friday 27 November 2026, 10:00 to 10:45"
        )
    assert not outbox(tmp_path)
    res = mail.recap(team, date(2026, 11, 27), now=at(day, 10, 45))
    assert statuses(res)[("Alice Chen", "2026-11")].startswith("sent")
    # Bob's page has nothing on it: no recap, and one line says why
    assert statuses(res)[("Bob Stone", "2026-11")] == (
        "skipped: nothing on the page for 2026-11: no recap"
    )
    assert len(outbox(tmp_path, "recap")) == 1
    # the meeting's end is 10:45 in Paris, whatever zone the clock is read in
    again = mail.recap(team, date(2026, 11, 27), now=at(day, 11).astimezone(ZoneInfo("UTC")))
    assert statuses(again)[("Alice Chen", "2026-11")].startswith("skipped: already sent")
    assert len(outbox(tmp_path, "recap")) == 1


def test_the_closed_periods_recap_still_goes_after_rollover(tmp_path: Path) -> None:
    team, book = team_in(tmp_path)
    november_page(team, book)
    # held on the 27th; rollover came on 1 December before any recap run
    rolled = cycle.rollover(team, date(2026, 12, 1), now=at("2026-12-01", 6))
    assert [r.action for r in rolled.reps] == ["rolled", "rolled"]
    res = mail.recap(team, date(2026, 12, 1), now=at("2026-12-01", 7))
    got = statuses(res)
    assert got[("Alice Chen", "2026-11")].startswith("sent")
    assert got[("Bob Stone", "2026-11")] == "skipped: nothing on the page for 2026-11: no recap"
    (msg,) = outbox(tmp_path, "recap")
    assert msg["Subject"] == "1:1 recap — Alice Chen — November 2026"
    assert "Globex" in text_of(msg)
    # once sent, it is not named again, and December's own recap waits for its meeting
    res = mail.recap(team, date(2026, 12, 2), now=at("2026-12-02", 7))
    got = statuses(res)
    assert ("Alice Chen", "2026-11") not in got
    assert got[("Alice Chen", "2026-12")].startswith("skipped: waits for the meeting to end")
    assert got[("Bob Stone", "2026-11")] == "skipped: nothing on the page for 2026-11: no recap"


def test_rollover_waits_for_a_meeting_moved_past_the_periods_end(tmp_path: Path) -> None:
    team, book = team_in(tmp_path)
    november_page(team, book)
    book.type_row("Alice Chen", "#wins", ["Signed Initech"])
    # November's meeting moved to Wednesday 2 December, on Alice's page
    book.set_cell("Alice Chen", "Meeting date", 3, date(2026, 12, 2))
    res = cycle.rollover(team, date(2026, 12, 1), now=at("2026-12-01", 6))
    alice, bob = res.reps
    assert alice.action == "waiting" and alice.waits_for.startswith("Wednesday 2 December 2026")
    assert bob.action == "rolled"
    assert "Signed Initech" in [r[1] for r in book.cells("Alice Chen") if len(r) > 1]
    res = cycle.rollover(team, date(2026, 12, 2), now=at("2026-12-02", 10, 30))
    assert res.reps[0].action == "waiting"
    # the recap of the moved meeting goes from the page once it is over, then it rolls
    sent = mail.recap(team, date(2026, 12, 2), now=at("2026-12-02", 10, 45))
    assert statuses(sent)[("Alice Chen", "2026-11")].startswith("sent")
    res = cycle.rollover(team, date(2026, 12, 2), now=at("2026-12-02", 11))
    assert res.reps[0].action == "rolled"
    assert "Signed Initech" not in [r[1] for r in book.cells("Alice Chen") if len(r) > 1]


def test_a_meeting_on_a_public_holiday_moves_to_the_working_day_before(tmp_path: Path) -> None:
    team, _ = team_in(tmp_path)
    december = Period(Cadence.MONTHLY, date(2026, 12, 1))
    assert team.meeting_day.date_in(december) == date(2026, 12, 25)  # last Friday
    assert team.meeting_date(december) == date(2026, 12, 24)
    # the day it moved from, named by the holidays package
    assert team.meeting_moved(december) == (date(2026, 12, 25), "Christmas Day")
    # a run of closed days: Friday 1 May 2026 (Fête du Travail) as "1st friday"
    first = MeetingDay.parse("1st friday", Cadence.MONTHLY)
    may = Period(Cadence.MONTHLY, date(2026, 5, 1))
    assert first.date_in(may, team.holidays.closed if team.holidays else None) == date(2026, 5, 4)
    # November has no holiday on its last Friday: not moved
    assert team.meeting_moved(period_of(date(2026, 11, 1), Cadence.MONTHLY)) is None


# --- content --------------------------------------------------------------------------


def test_the_agenda_puts_the_reps_topics_first_and_says_when_and_how_long(
    tmp_path: Path,
) -> None:
    team, book = team_in(tmp_path, minutes=60)
    november_page(team, book)
    mail.agenda(team, date(2026, 11, 25), now=at("2026-11-25", 7, 30))
    (msg,) = [m for m in outbox(tmp_path) if "Alice" in str(m["To"])]
    text = text_of(msg)
    assert "When: Friday 27 November 2026, 10:00 to 11:00 (an hour, Europe/Paris time)" in text
    assert text.index("Territory split for Q1") < text.index("HOW THE HOUR RUNS")
    assert "Book discovery calls — Measure: calls · Target: 12" in text
    assert (
        "Call the CFO — Owner: Rep · Due: 10 Nov 2026 · Status: Open\n      ! overdue: due 10 Nov"
        in text.replace("\r\n", "\n")
    )
    assert "Globex: close date passed: 20 Nov" in text
    html = html_of(msg)
    assert "How the hour runs" in html and "⚠ overdue: due 10 Nov" in html
    # a local file without 'link': no button to a path that opens on one machine only
    assert "file://" not in text + html and "<a href" not in html
    assert "tab 'Alice Chen' in team.xlsx" in text


def test_a_45_minute_meeting_is_not_an_hour_and_a_link_makes_a_button(tmp_path: Path) -> None:
    link = "https://contoso.sharepoint.com/sites/sales/team.xlsx"
    team, book = team_in(tmp_path, link=link)
    november_page(team, book)
    mail.agenda(team, date(2026, 11, 25), rep_name="Alice Chen", now=at("2026-11-25", 7))
    (msg,) = outbox(tmp_path)
    assert "HOW THE 45 MINUTES RUN" in text_of(msg)
    assert f'<a href="{link}"' in html_of(msg)
    assert "(45 minutes, Europe/Paris time)" in text_of(msg)


def test_the_december_agenda_says_the_meeting_moved_off_christmas(tmp_path: Path) -> None:
    team, book = team_in(tmp_path)
    november_page(team, book)
    cycle.rollover(team, date(2026, 12, 1), now=at("2026-12-01", 6))
    mail.agenda(team, date(2026, 12, 22), rep_name="Alice Chen", now=at("2026-12-22", 7))
    (msg,) = outbox(tmp_path, "agenda")
    assert msg["Subject"].startswith("1:1 on Thursday 24 December")
    assert "moved from Friday 25 December 2026, Christmas Day" in text_of(msg)


def test_the_recap_scores_marks_and_labels(tmp_path: Path) -> None:
    team, book = team_in(tmp_path)
    november_page(team, book)
    book.type_row(
        "Alice Chen", "#existing_opportunities", ["Initech", "Initech", 9000, "Closed won", ""]
    )
    mail.recap(team, date(2026, 11, 27), now=at("2026-11-27", 11))
    (msg,) = outbox(tmp_path, "recap")
    text = text_of(msg).replace("\r\n", "\n")
    # scored as the recap is written: 14 calls against a target of 12
    assert "Book discovery calls — Measure: calls · Target: 12 · Actual: 14 · Result: Hit" in text
    assert "Globex — Account: Globex · Amount: $12,000 · Stage: Demo" in text
    assert "! close date passed: 20 Nov" in text
    assert "! overdue: due 10 Nov" in text
    rows = html_of(msg).split("border-bottom:1px solid #eaeef2;")
    (initech,) = [r for r in rows if "Initech" in r]
    (globex,) = [r for r in rows if "Globex" in r]
    assert "open since" not in initech  # a closed deal is not open
    assert "close date passed: 20 Nov" in globex

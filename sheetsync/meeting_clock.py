"""When a team's meeting happens, in the team's time zone, and how to say it.

A meeting is held once its end (the meeting time plus its length) has passed.
Commands get ``now`` (an aware time) from the clock, or none when ``--today``
names a day without a time: back-filling acts as if that whole day were over.
"""

from __future__ import annotations

from datetime import date, datetime

from sheetsync.config import Team

_SMALL = {1: "one", 2: "two", 3: "three", 4: "four"}


def meeting_over(team: Team, meeting: date, today: date, now: datetime | None) -> bool:
    """Whether a meeting on ``meeting`` has ended."""
    if now is None:
        return meeting <= today
    return now >= team.meeting_end(meeting)


def length_words(minutes: int) -> str:
    """45 -> '45 minutes', 60 -> 'hour', 120 -> 'two hours', 90 -> '90 minutes'."""
    if minutes == 60:
        return "hour"
    if minutes % 60 == 0 and minutes // 60 in _SMALL:
        return f"{_SMALL[minutes // 60]} hours"
    return f"{minutes} minutes"


def day_words(day: date) -> str:
    """'Friday 27 November 2026'."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def when_words(team: Team, day: date) -> str:
    """'Friday 27 November 2026, 10:00 to 10:45 (45 minutes, Europe/Paris time)'."""
    start, end = team.meeting_start(day), team.meeting_end(day)
    length = length_words(team.mail.meeting_minutes)
    length = "an hour" if length == "hour" else length
    return f"{day_words(day)}, {start:%H:%M} to {end:%H:%M} ({length}, {team.timezone} time)"

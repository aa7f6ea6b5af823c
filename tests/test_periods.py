from __future__ import annotations

from datetime import date, timedelta

import pytest

from sheetsync.domain.periods import Cadence, MeetingDay, Period, parse_period, period_of
from sheetsync.errors import PeriodError


def test_monthly_labels_and_navigation() -> None:
    p = period_of(date(2026, 11, 22), Cadence.MONTHLY)
    assert p.label == "2026-11"
    assert p.long_label == "November 2026"
    assert p.next().label == "2026-12"
    assert p.next().next().label == "2027-01"
    assert parse_period("2026-01", Cadence.MONTHLY).previous().label == "2025-12"
    assert p.end == date(2026, 11, 30)


def test_weekly_is_iso_week() -> None:
    p = period_of(date(2026, 11, 22), Cadence.WEEKLY)  # a Sunday
    assert p.label == "2026-W47"
    assert p.start == date(2026, 11, 16)
    assert parse_period("2026-w48", Cadence.WEEKLY).start == date(2026, 11, 23)
    assert period_of(date(2027, 1, 1), Cadence.WEEKLY).label == "2026-W53"


def test_biweekly_blocks_are_fourteen_days_and_labels_round_trip() -> None:
    p = period_of(date(2026, 11, 22), Cadence.BIWEEKLY)
    assert (p.next().start - p.start).days == 14
    assert date(2026, 11, 22) >= p.start and date(2026, 11, 22) <= p.end
    assert parse_period(p.label, Cadence.BIWEEKLY) == p
    second_week = (p.start + timedelta(days=7)).isocalendar()
    with pytest.raises(PeriodError, match="does not start a biweekly period"):
        label = f"{second_week[0]}-W{second_week[1]:02d}"
        parse_period(label, Cadence.BIWEEKLY, strict=True)


@pytest.mark.parametrize("text", ["2026-13", "26-11", "November", "2026-W60"])
def test_bad_period_labels(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, Cadence.MONTHLY if "W" not in text else Cadence.WEEKLY)


def test_meeting_days() -> None:
    nov = parse_period("2026-11", Cadence.MONTHLY)
    assert MeetingDay.parse("last friday", Cadence.MONTHLY).date_in(nov) == date(2026, 11, 27)
    assert MeetingDay.parse("first monday", Cadence.MONTHLY).date_in(nov) == date(2026, 11, 2)
    assert MeetingDay.parse("2nd Tuesday", Cadence.MONTHLY).date_in(nov) == date(2026, 11, 10)
    feb = parse_period("2026-02", Cadence.MONTHLY)
    assert MeetingDay.parse("31", Cadence.MONTHLY).date_in(feb) == date(2026, 2, 28)
    week = parse_period("2026-W48", Cadence.WEEKLY)
    assert MeetingDay.parse("friday", Cadence.WEEKLY).date_in(week) == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "cadence", "message"),
    [
        ("friday", Cadence.MONTHLY, "needs an ordinal"),
        ("last friday", Cadence.WEEKLY, "takes a weekday"),
        ("15", Cadence.WEEKLY, "only fits a monthly"),
        ("someday", Cadence.MONTHLY, "not understood"),
    ],
)
def test_bad_meeting_days(text: str, cadence: Cadence, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        MeetingDay.parse(text, cadence)


def test_a_label_of_another_cadence_is_read_as_its_own_unless_strict() -> None:
    # History and pages from before a cadence change keep their labels (issue 13)
    assert parse_period("2026-11", Cadence.WEEKLY) == Period(Cadence.MONTHLY, date(2026, 11, 1))
    assert parse_period("2026-W48", Cadence.MONTHLY) == Period(Cadence.WEEKLY, date(2026, 11, 23))
    # a weekly label that does not start a biweekly block is a week
    assert parse_period("2026-W47", Cadence.BIWEEKLY).cadence is Cadence.BIWEEKLY
    assert parse_period("2026-W48", Cadence.BIWEEKLY).cadence is Cadence.WEEKLY
    with pytest.raises(PeriodError, match="not a weekly period"):
        parse_period("2026-11", Cadence.WEEKLY, strict=True)
    with pytest.raises(PeriodError, match="not a weekly period"):  # named for the team's
        parse_period("2026-13", Cadence.WEEKLY)
    with pytest.raises(PeriodError, match="out of range"):
        parse_period("2200-W01", Cadence.MONTHLY)

"""Periods and cadence: which 1:1 period a date falls in, and when its meeting is.

Labels: monthly ``2026-11``; weekly ``2026-W48`` (ISO week); biweekly the ISO week
of the period's first Monday, periods being 14-day blocks from Monday 2024-01-01.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from functools import total_ordering

from sheetsync.domain.values import MAX_DATE, MIN_DATE
from sheetsync.errors import PeriodError

_BIWEEKLY_ANCHOR = date(2024, 1, 1)  # a Monday; biweekly periods start 14*k days from it
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}
_ORDINALS |= {"fourth": 4, "4th": 4, "last": -1}


class Cadence(str, Enum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


@total_ordering
@dataclass(frozen=True)
class Period:
    """One meeting period: a month, an ISO week, or a two-week block."""

    cadence: Cadence
    start: date

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        return self.next().start - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.cadence is Cadence.MONTHLY:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        iso = self.start.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"

    @property
    def long_label(self) -> str:
        """What a person reads: ``November 2026`` or ``Week 48, 2026``."""
        if self.cadence is Cadence.MONTHLY:
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        iso = self.start.isocalendar()
        if self.cadence is Cadence.WEEKLY:
            return f"Week {iso[1]}, {iso[0]}"
        return f"Weeks {iso[1]}–{(self.end).isocalendar()[1]}, {iso[0]}"

    def next(self) -> Period:
        if self.cadence is Cadence.MONTHLY:
            y, m = divmod(self.start.month, 12)
            return Period(self.cadence, date(self.start.year + y, m + 1, 1))
        return Period(self.cadence, self.start + timedelta(days=self._days()))

    def previous(self) -> Period:
        if self.cadence is Cadence.MONTHLY:
            y, m = self.start.year, self.start.month - 1
            if m == 0:
                y, m = y - 1, 12
            return Period(self.cadence, date(y, m, 1))
        return Period(self.cadence, self.start - timedelta(days=self._days()))

    def _days(self) -> int:
        return 7 if self.cadence is Cadence.WEEKLY else 14

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.start < other.start

    def __str__(self) -> str:
        return self.label


def period_of(day: date, cadence: Cadence) -> Period:
    """The period that contains ``day``."""
    if cadence is Cadence.MONTHLY:
        return Period(cadence, date(day.year, day.month, 1))
    monday = day - timedelta(days=day.weekday())
    if cadence is Cadence.WEEKLY:
        return Period(cadence, monday)
    blocks = (monday - _BIWEEKLY_ANCHOR).days // 14
    return Period(cadence, _BIWEEKLY_ANCHOR + timedelta(days=14 * blocks))


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def parse_period(text: str, cadence: Cadence, strict: bool = False) -> Period:
    """Parse a label such as ``2026-11`` or ``2026-W48``, within the years a
    workbook's dates can hold (``in_range``).

    A label of another cadence is read as that cadence's period (a team that went
    from monthly to weekly keeps its monthly History and pages, issue 13), unless
    ``strict``: a period the team is to start must be of its own cadence."""
    try:
        try:
            period = _parse_period(text, cadence)
        except PeriodError:
            if strict:
                raise
            for other in _OTHERS[cadence]:
                try:
                    period = _parse_period(text, other)
                    break
                except PeriodError:
                    continue
            else:
                raise
        return in_range(period, text)
    except (ValueError, OverflowError):  # year 0, or past 9999: no date at all
        raise PeriodError(_out_of_range(text, cadence)) from None


_OTHERS = {
    Cadence.MONTHLY: (Cadence.WEEKLY,),
    Cadence.WEEKLY: (Cadence.MONTHLY,),
    Cadence.BIWEEKLY: (Cadence.WEEKLY, Cadence.MONTHLY),
}


def in_range(period: Period, text: str | None = None) -> Period:
    """``period`` when every date sheetsync writes for it (its meeting, and the next
    period's, shown as "Next meeting") lies in 1900-2199, the dates a workbook
    holds and sheetsync reads back; else a ``PeriodError`` that says so."""
    if period.start < MIN_DATE or period.next().end > MAX_DATE:
        raise PeriodError(_out_of_range(text or period.label, period.cadence))
    return period


def _out_of_range(text: str, cadence: Cadence) -> str:
    first = period_of(MIN_DATE, cadence)
    if first.start < MIN_DATE:
        first = first.next()
    last = period_of(MAX_DATE, cadence)
    while last.next().end > MAX_DATE:
        last = last.previous()
    return (
        f"'{text}' is out of range: periods run from {first.label} to {last.label} "
        f"(the dates a workbook holds, 1900 to 2199)"
    )


def _parse_period(text: str, cadence: Cadence) -> Period:
    raw = text.strip()
    if cadence is Cadence.MONTHLY:
        m = _MONTH_RE.match(raw)
        if m and 1 <= int(m.group(2)) <= 12:
            return Period(cadence, date(int(m.group(1)), int(m.group(2)), 1))
        raise PeriodError(f"'{text}' is not a monthly period; expected YYYY-MM, e.g. 2026-11")
    m = _WEEK_RE.match(raw)
    if m:
        try:
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            pass
        else:
            period = period_of(monday, cadence)
            if cadence is Cadence.BIWEEKLY and period.start != monday:
                raise PeriodError(
                    f"'{text}' does not start a biweekly period; the period containing it "
                    f"is {period.label}"
                )
            return period
    raise PeriodError(f"'{text}' is not a {cadence.value} period; expected YYYY-Www, e.g. 2026-W48")


@dataclass(frozen=True)
class MeetingDay:
    """When in a period the 1:1 is held: ``last friday``, ``2nd tuesday``, ``15``
    (day of month, monthly only) or ``friday`` (weekly and biweekly: first in period)."""

    weekday: int | None  # 0 = Monday
    ordinal: int | None  # 1..4 or -1 (last); monthly only
    day_of_month: int | None

    @classmethod
    def parse(cls, text: str, cadence: Cadence) -> MeetingDay:
        words = str(text).strip().lower().split()
        if len(words) == 1 and words[0].isdigit():
            n = int(words[0])
            if cadence is not Cadence.MONTHLY or not 1 <= n <= 31:
                raise PeriodError(
                    f"meeting day '{text}': a day number (1-31) only fits a monthly cadence"
                )
            return cls(None, None, n)
        if len(words) == 1 and words[0] in WEEKDAYS:
            if cadence is Cadence.MONTHLY:
                raise PeriodError(
                    f"meeting day '{text}' needs an ordinal for a monthly cadence, "
                    f"e.g. 'last {words[0]}' or 'first {words[0]}'"
                )
            return cls(WEEKDAYS.index(words[0]), None, None)
        if len(words) == 2 and words[0] in _ORDINALS and words[1] in WEEKDAYS:
            if cadence is not Cadence.MONTHLY:
                raise PeriodError(
                    f"meeting day '{text}': a {cadence.value} cadence takes a weekday, "
                    f"e.g. '{words[1]}'"
                )
            return cls(WEEKDAYS.index(words[1]), _ORDINALS[words[0]], None)
        raise PeriodError(
            f"meeting day '{text}' is not understood; use e.g. 'last friday', "
            "'2nd tuesday', '15' or 'friday'"
        )

    def date_in(self, period: Period, closed: Callable[[date], bool] | None = None) -> date:
        """The meeting date of ``period``; a day that is ``closed`` (a public
        holiday) moves to the working day before it, or after it where that would
        leave the period."""
        day = self._regular(period)
        if closed is None or not closed(day):
            return day
        for step in (-1, 1):
            moved = day + timedelta(days=step)
            while period.start <= moved <= period.end and closed(moved):
                moved += timedelta(days=step)
            if period.start <= moved <= period.end:
                return moved
        return day

    def _regular(self, period: Period) -> date:
        if self.day_of_month is not None:
            last = calendar.monthrange(period.start.year, period.start.month)[1]
            return period.start.replace(day=min(self.day_of_month, last))
        assert self.weekday is not None
        if self.ordinal is None:
            offset = (self.weekday - period.start.weekday()) % 7
            return period.start + timedelta(days=offset)
        if self.ordinal == -1:
            end = period.end
            return end - timedelta(days=(end.weekday() - self.weekday) % 7)
        first = period.start + timedelta(days=(self.weekday - period.start.weekday()) % 7)
        return first + timedelta(days=7 * (self.ordinal - 1))

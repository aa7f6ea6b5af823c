"""A team's public holidays (``holidays: US``, ``holidays: DE-BY``), from the
``holidays`` package: a meeting that falls on one moves to the previous working day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sheetsync.errors import ConfigError


@cache
def _countries() -> dict[str, list[str]]:
    import holidays  # imported when a team has holidays, not at start-up

    return dict(holidays.list_supported_countries())


@dataclass(frozen=True)
class HolidayCalendar:
    country: str  # ISO 3166-1 alpha-2, as ``holidays`` knows it
    subdivision: str | None = None  # a state or region: ``CA`` of ``US-CA``
    _years: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> HolidayCalendar:
        """``US`` or ``US-CA``; an unknown country or region raises ``ConfigError``
        with what is known (the caller adds file:line)."""
        country, _, subdivision = text.strip().upper().partition("-")
        known = _countries()
        if country not in known:
            raise ConfigError(
                f"unknown holidays country '{text}' (an ISO code such as US, GB, DE or FR)"
            )
        if subdivision and subdivision not in known[country]:
            shown = ", ".join(known[country][:12]) + (", ..." if len(known[country]) > 12 else "")
            raise ConfigError(
                f"'{text}': {country} has no region '{subdivision}' (regions: {shown or 'none'})"
            )
        return cls(country, subdivision or None)

    def name(self, day: date) -> str | None:
        """The holiday on ``day``, or None."""
        if day.year not in self._years:
            import holidays

            self._years[day.year] = holidays.country_holidays(
                self.country, subdiv=self.subdivision, years=day.year
            )
        found = self._years[day.year].get(day)
        return str(found) if found else None

    def closed(self, day: date) -> bool:
        """No meeting that day: a weekend or a holiday."""
        return day.weekday() >= 5 or self.name(day) is not None

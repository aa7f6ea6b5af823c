"""Cell values as people type them, read tolerantly into typed values.

A spreadsheet cell reaches us as text, a number, a boolean, a date or a formula.
Each ``read_*`` function returns the typed value, or raises ``ValueError`` with a
short reason; the page parser keeps what cannot be read exactly as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

SERIAL_EPOCH = date(1899, 12, 30)  # day 0 of Excel and Google Sheets date serials
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
CELL_TEXT_MAX = 32_767  # Excel's limit per cell (Google's is 50,000): fits both


def check_text(text: str) -> str:
    """Text sheetsync will write into a cell: no control characters (a NUL cannot
    be saved in .xlsx, an escape sequence rewrites a terminal) and no more than a
    cell holds. Raises ``ValueError`` saying which."""
    bad = next((ch for ch in text if (ord(ch) < 32 and ch not in "\t\n\r") or ch == "\x7f"), None)
    if bad is not None:
        raise ValueError(f"a control character (U+{ord(bad):04X}); remove it")
    if len(text) > CELL_TEXT_MAX:
        raise ValueError(f"{len(text):,} characters, more than a cell holds ({CELL_TEXT_MAX:,})")
    return text


@dataclass(frozen=True)
class Formula:
    """A formula a person typed in the sheet; kept as a formula, never evaluated by
    sheetsync. ``value`` is what the spreadsheet program last computed for it,
    where the workbook says (sheetsync reads a formula's cell as that value)."""

    text: str
    value: str | int | float | bool | date | datetime | None = None

    def __str__(self) -> str:
        return self.text


CellValue = str | int | float | bool | date | datetime | Formula | None

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_EU = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DMY_WORDS = re.compile(r"^(\d{1,2})[\s-]+([a-z]+)\.?,?[\s-]+(\d{4})$")
_MDY_WORDS = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_AMOUNT = re.compile(r"^([+-]?\d+(?:\.\d+)?)([kmb]?)$")
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
TRUE_WORDS = {"true", "yes", "y", "x", "✓", "✔", "done", "1"}
FALSE_WORDS = {"false", "no", "n", "0", ""}


def is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _checked(y: int, m: int, d: int) -> date:
    try:
        result = date(y, m, d)
    except ValueError as exc:
        raise ValueError(f"{y:04d}-{m:02d}-{d:02d} is not a calendar date") from exc
    if not MIN_DATE <= result <= MAX_DATE:
        raise ValueError(f"{result.isoformat()} is outside 1900-2199")
    return result


def from_serial(serial: float) -> date:
    """A spreadsheet date serial (days since 1899-12-30) as a date."""
    if not 1 <= serial <= 2_958_465:
        raise ValueError(f"{serial:g} is not a date serial number")
    return _checked_date(SERIAL_EPOCH + timedelta(days=int(serial)))


def _checked_date(d: date) -> date:
    return _checked(d.year, d.month, d.day)


def to_serial(d: date) -> int:
    return (d - SERIAL_EPOCH).days


def read_date(value: CellValue) -> date | None:
    """``11/27/2026``, ``27 Nov 2026``, ``Nov 27, 2026``, ``2026-11-27``,
    ``27.11.2026``, a date serial or a real date cell."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return _checked_date(value.date())
    if isinstance(value, date):
        return _checked_date(value)
    if isinstance(value, (bool, Formula)):
        raise ValueError("not a date")
    if isinstance(value, int | float):
        return from_serial(float(value))
    text = str(value).strip().lower()
    if m := _ISO.match(text):
        return _checked(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _US.match(text):
        year = int(m.group(3))
        year = year + 2000 if year < 100 else year
        return _checked(year, int(m.group(1)), int(m.group(2)))
    if m := _EU.match(text):
        return _checked(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if (m := _DMY_WORDS.match(text)) and m.group(2) in _MONTHS:
        return _checked(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    if (m := _MDY_WORDS.match(text)) and m.group(1) in _MONTHS:
        return _checked(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return from_serial(float(text))
    raise ValueError("not a date (try 2026-11-27)")


def read_number(value: CellValue) -> float | int | None:
    """``12500``, ``$12,500``, ``12.5k``, ``1.2M``, ``USD 900``, ``30%``."""
    if is_blank(value):
        return None
    if isinstance(value, (bool, Formula | date)):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        return value
    text = str(value).strip().lower()
    percent = text.endswith("%")
    text = text.rstrip("%")
    for noise in ("usd", "eur", "gbp", "$", "€", "£", ",", " ", "\u00a0"):
        text = text.replace(noise, "")
    m = _AMOUNT.match(text)
    if not m:
        raise ValueError("not a number (try 12500 or 12.5k)")
    number = float(m.group(1)) * _SCALE[m.group(2)]
    if percent:
        number /= 100
    return int(number) if number.is_integer() and not percent else number


def read_checkbox(value: CellValue) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError("not a yes/no value (tick the box, or type yes or no)")


def read_choice(value: CellValue, choices: tuple[str, ...]) -> str | None:
    """The choice matching ``value`` ignoring case and spacing, as the template spells it."""
    if is_blank(value):
        return None
    text = " ".join(str(value).split()).casefold()
    for choice in choices:
        if choice.casefold() == text:
            return choice
    raise ValueError(f"'{value}' is not one of {', '.join(choices)}")


def read_text(value: CellValue) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()

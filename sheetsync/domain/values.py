"""Cell values as people type them, read tolerantly into typed values.

A spreadsheet cell reaches us as text, a number, a boolean, a date or a formula.
Each ``read_*`` function returns the typed value, or raises ``ValueError`` with a
short reason; the page parser keeps what cannot be read exactly as typed.
"""

from __future__ import annotations

import calendar
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
_NUMERIC = re.compile(r"^(\d{1,2})([/-])(\d{1,2})\2(\d{2}|\d{4})$")  # 11/27/2026, 27-11-2026
_EU = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DMY_WORDS = re.compile(r"^(\d{1,2})[\s-]+([a-z]+)\.?,?[\s-]+(\d{4})$")
_MDY_WORDS = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
TRUE_WORDS = {"true", "yes", "y", "x", "✓", "✔", "done", "1"}
FALSE_WORDS = {"false", "no", "n", "0", ""}


def is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _checked(y: int, m: int, d: int, typed: str | None = None) -> date:
    """The date, or ``ValueError`` saying what is wrong in the terms of what was
    typed (``typed``), never in a form nobody wrote."""
    try:
        result = date(y, m, d)
    except ValueError:
        if typed is None:
            raise ValueError(f"{y:04d}-{m:02d}-{d:02d} is not a calendar date") from None
        raise ValueError(f"'{typed}' is not a date: {_why_not(y, m, d)}") from None
    if not MIN_DATE <= result <= MAX_DATE:
        shown = f"'{typed}'" if typed is not None else result.isoformat()
        raise ValueError(f"{shown} is outside the years 1900-2199")
    return result


def _why_not(y: int, m: int, d: int) -> str:
    if not 1 <= m <= 12:
        return f"there is no month {m}"
    days = calendar.monthrange(y, m)[1]
    return f"{calendar.month_name[m]} {y} has {days} days"


def from_serial(serial: float) -> date:
    """A spreadsheet date serial (days since 1899-12-30) as a date."""
    if not 1 <= serial <= 2_958_465:
        raise ValueError(f"{serial:g} is not a date serial number")
    return _checked_date(SERIAL_EPOCH + timedelta(days=int(serial)))


def _checked_date(d: date) -> date:
    return _checked(d.year, d.month, d.day)


def to_serial(d: date) -> int:
    return (d - SERIAL_EPOCH).days


def read_date(value: CellValue, day_first: bool = False) -> date | None:
    """``11/27/2026``, ``27 Nov 2026``, ``Nov 27, 2026``, ``2026-11-27``,
    ``27.11.2026``, a date serial or a real date cell. ``day_first``: the team
    writes ``27/11/2026`` (its locale says so), not ``11/27/2026``."""
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
    typed = " ".join(str(value).split())
    text = typed.lower()
    if m := _ISO.match(text):
        return _checked(int(m.group(1)), int(m.group(2)), int(m.group(3)), typed)
    if m := _NUMERIC.match(text):
        year = int(m.group(4))
        year = year + 2000 if year < 100 else year
        a, b = int(m.group(1)), int(m.group(3))
        day, month = (a, b) if day_first else (b, a)
        try:
            return _checked(year, month, day, typed)
        except ValueError as exc:
            raise ValueError(_numeric_hint(typed, year, day, month, day_first, exc)) from None
    if m := _EU.match(text):
        return _checked(int(m.group(3)), int(m.group(2)), int(m.group(1)), typed)
    if (m := _DMY_WORDS.match(text)) and m.group(2) in _MONTHS:
        return _checked(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)), typed)
    if (m := _MDY_WORDS.match(text)) and m.group(1) in _MONTHS:
        return _checked(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)), typed)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return from_serial(float(text))
    raise ValueError("not a date (try 2026-11-27)")


def _numeric_hint(
    typed: str, year: int, day: int, month: int, day_first: bool, exc: ValueError
) -> str:
    """What to write instead of a ``a/b/yyyy`` date that is not one in the team's
    order: the date it would be the other way round, when that is one."""
    if "outside" in str(exc):
        return str(exc)
    try:
        swapped = date(year, day, month)  # the other order
    except ValueError:
        example = "27/11/2026" if day_first else "11/27/2026"
        return f"{exc}; write it as 2026-11-27 or {example}"
    if day_first:
        ours = f"{swapped.day}/{swapped.month}/{swapped.year}"
        return f"'{typed}' is not a date sheetsync can read: write {swapped.isoformat()} or {ours}"
    ours = f"{swapped.month}/{swapped.day}/{swapped.year}"
    return (
        f"'{typed}' is not a date sheetsync can read: write {swapped.isoformat()} or "
        f"{ours} (or set the team's locale, e.g. en_GB, to read day/month/year)"
    )


# --- amounts -------------------------------------------------------------------------

# a currency written before or after an amount: a symbol, a code (EUR), or a
# prefixed dollar (US$, C$, NZ$); letters only when apart from a scale (500 kr, 5k)
_CURRENCY = r"[^\W\d_]{1,3}\.?\$?|[$€£¥₹₩₽₺₪₫₱]"
_MONEY = re.compile(
    rf"^(?P<s1>[+-])?\s*(?P<c1>{_CURRENCY})?\s*(?P<s2>[+-])?\s*"
    r"(?P<num>\d[\d.,'’\s]*)\s*(?P<scale>[kmb](?![^\W\d_]))?\s*"
    rf"(?P<c2>{_CURRENCY})?$",
    re.IGNORECASE,
)
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
CURRENCY_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "₫": "VND",
    "₱": "PHP",
    "zł": "PLN",
    "kč": "CZK",
    "ft": "HUF",
    "fr.": "CHF",
    "r$": "BRL",
    "us$": "USD",
    "c$": "CAD",
    "ca$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "mx$": "MXN",
}


def _words(text: str) -> list[str]:
    return text.split()


ISO_CURRENCIES = frozenset(
    _words(
        "USD EUR GBP CHF CAD AUD NZD JPY CNY INR BRL MXN SEK NOK DKK ISK PLN CZK HUF RON "
        "BGN ZAR SGD HKD KRW RUB TRY ILS AED SAR VND PHP"
    )
)
# what "$" and "kr" mean where the team's locale names a country; else USD, SEK
_DOLLARS = {"CA": "CAD", "AU": "AUD", "NZ": "NZD", "SG": "SGD", "HK": "HKD", "MX": "MXN"}
_KRONOR = {"SE": "SEK", "NO": "NOK", "DK": "DKK", "IS": "ISK"}

# Languages that write a decimal comma (1.234,56), and the countries that write
# otherwise than their language: from CLDR (Babel 2.18's locale data), trimmed to
# languages with a two- or three-letter code. Everything else writes 1,234.56.
_COMMA_LANGUAGES = frozenset(
    _words(
        "af ast az be bg br bs ca cs da de dsb el eo es et eu fi fo fr fy gl hr hsb hu "
        "hy ia id is it jv ka kk kl ky lb lo lt lv mk nb nl nn no pl ps pt ro ru sc se "
        "sk sl sq sr su sv tg tk tr tt uk uz vi"
    )
)
_DECIMAL_EXCEPTIONS = {
    **dict.fromkeys(
        _words(
            "de_CH de_LI it_CH es_419 es_BR es_BZ es_CU es_DO es_GT es_HN es_MX es_NI "
            "es_PA es_PE es_PR es_SV es_US"
        ),
        ".",
    ),
    **dict.fromkeys(
        _words(
            "en_AT en_BE en_CZ en_DE en_DK en_ES en_FI en_FR en_HU en_ID en_IT en_NL "
            "en_NO en_PL en_PT en_RO en_SE en_SI en_SK en_ZA ar_DZ ar_LB ar_LY ar_MA "
            "ar_MR ar_TN ms_BN ms_ID"
        ),
        ",",
    ),
}
# Where people write the month first (11/27/2026), from CLDR's short date formats;
# every other locale writes the day first (27/11/2026).
_MONTH_FIRST = frozenset(
    _words(
        "en en_US en_AS en_GU en_MH en_MP en_PH en_PR en_UM en_VI es_PA es_PR fil "
        "fil_PH zu zu_ZA xh xh_ZA"
    )
)


def _currency_code(token: str, region: str | None) -> str | None:
    """The ISO code a currency symbol or code stands for; None if unknown."""
    t = token.strip().casefold()
    if t == "$":
        return _DOLLARS.get(region or "", "USD")
    if t == "kr":
        return _KRONOR.get(region or "", "SEK")
    if t in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[t]
    return t.upper() if t.upper() in ISO_CURRENCIES else None


@dataclass(frozen=True)
class Reading:
    """How a team types amounts and dates, from its ``locale`` and ``currency``.

    ``decimal`` decides only what cannot be told from the text: ``2.500`` and
    ``12,500`` (one separator, three digits after it). ``1.234,56``, ``12,5k``,
    ``7,5`` and ``30,000.50`` read the same for every team. ``currency`` is the
    team's (None: any currency is taken, for values sheetsync wrote itself)."""

    decimal: str = "."
    day_first: bool = False
    currency: str | None = None  # as configured: a symbol ($, €) or a code (EUR)
    region: str | None = None  # the locale's country (CA: "$" is CAD)

    @classmethod
    def of(cls, locale: str | None, currency: str) -> Reading:
        """A team's reading. The locale decides; without one, a euro team writes a
        decimal comma (most of the euro area does; an Irish team sets en_IE), and
        dates are read month first as before (a team that writes 27/11 sets its
        locale)."""
        region = None
        if locale:
            lang, _, rest = locale.partition("_")
            region = rest.upper() or None
            key = f"{lang.lower()}_{region}" if region else lang.lower()
            decimal = _DECIMAL_EXCEPTIONS.get(key, "," if lang.lower() in _COMMA_LANGUAGES else ".")
            day_first = key not in _MONTH_FIRST
            return cls(decimal, day_first, currency, region)
        euro = _currency_code(currency, None) == "EUR"
        return cls("," if euro else ".", False, currency, None)

    def own_currency(self, token: str) -> bool:
        """Whether a currency written with an amount is the team's own."""
        if self.currency is None or token.casefold() == self.currency.casefold():
            return True
        theirs = _currency_code(self.currency, self.region)
        return theirs is not None and _currency_code(token, self.region) == theirs


ANY = Reading()  # values sheetsync wrote (History): any currency, 1,234.56


class OtherCurrency(ValueError):
    """An amount in another currency than the team's: kept as typed, not counted."""

    def __init__(self, typed: str, currency: str, team_currency: str) -> None:
        super().__init__(
            f"'{typed}' is in {currency}, not the team's currency ({team_currency}); "
            "not counted in the pipeline"
        )
        self.currency = currency


def _digits(text: str, decimal: str) -> str | None:
    """``text`` (digits with separators) as a plain decimal number, or None."""
    body = re.sub(r"[\s'’]", "", text)
    if not body or not body[0].isdigit() or not body[-1].isdigit():
        return None
    seps = [ch for ch in body if ch in ".,"]
    if not seps:
        return body
    if len(set(seps)) == 2:  # 1.234,56 or 1,234.56: the last one is the decimal
        point = body[max(body.rfind("."), body.rfind(","))]
        group = "," if point == "." else "."
        whole, _, frac = body.rpartition(point)
        if group in frac or point in whole:
            return None
        return f"{whole.replace(group, '')}.{frac}" if _grouped(whole, group) else None
    sep = seps[0]
    whole, _, frac = body.rpartition(sep)
    if len(seps) > 1:  # 1.234.567: only a group separator comes more than once
        return body.replace(sep, "") if _grouped(body, sep) else None
    if len(frac) == 3 and whole != "0" and len(whole) <= 3 and sep != decimal:
        return whole + frac  # 2.500 for a decimal-comma team, 12,500 for the others
    return f"{whole}.{frac}"  # 12,5 and 7.5 can only be decimals


def _grouped(text: str, sep: str) -> bool:
    return re.fullmatch(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+", text) is not None


def read_number(value: CellValue, reading: Reading = ANY) -> float | int | None:
    """``12500``, ``$12,500``, ``12.5k``, ``1.2M``, ``USD 900``, ``30%``, ``1.234,56``,
    ``€ 2.500`` and ``12,5k`` (decimal comma: ``reading``). An amount in another
    currency than the team's raises ``OtherCurrency``."""
    if is_blank(value):
        return None
    if isinstance(value, (bool, Formula | date)):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        return value
    typed = " ".join(str(value).split())
    text = str(value).replace("\u00a0", " ").replace("\u202f", " ").strip()
    percent = text.endswith("%")
    text = text.rstrip("%").strip()
    m = _MONEY.match(text)
    digits = m and _digits(m.group("num"), reading.decimal)
    if not m or not digits or (m.group("s1") and m.group("s2")):
        raise ValueError("not a number (try 12500 or 12.5k)")
    if m.group("c1") and m.group("c2"):
        raise ValueError(f"'{typed}' is not a number: two currencies")
    for token in filter(None, (m.group("c1"), m.group("c2"))):
        code = _currency_code(token, reading.region)
        if code is None:
            raise ValueError(f"'{typed}' is not a number: '{token}' is not a currency")
        if not reading.own_currency(token):
            raise OtherCurrency(typed, code, reading.currency or "")
    number = float(digits) * _SCALE[(m.group("scale") or "").lower()]
    if "-" in (m.group("s1") or "", m.group("s2") or ""):
        number = -number
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

from __future__ import annotations

from datetime import date, datetime

import pytest

from sheetsync.domain import values as v

NOV27 = date(2026, 11, 27)


@pytest.mark.parametrize(
    "raw",
    [
        "11/27/2026",
        "2026-11-27",
        "27 Nov 2026",
        "Nov 27, 2026",
        "27.11.2026",
        " 2026/11/27 ",
        "27-nov-2026",
        "November 27th, 2026",
        46353,
        46353.0,
        "46353",
        datetime(2026, 11, 27, 0, 0),
        NOV27,
    ],
)
def test_dates_as_people_type_them(raw: v.CellValue) -> None:
    assert v.read_date(raw) == NOV27


@pytest.mark.parametrize("raw", ["next week", "13/45/2026", "1850-01-01", True, "2200-01-01"])
def test_unreadable_dates_raise(raw: v.CellValue) -> None:
    with pytest.raises(ValueError):
        v.read_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$12,500", 12500),
        ("12.5k", 12500),
        ("1.2M", 1_200_000),
        ("USD 900", 900),
        (" 7 ", 7),
        (3.5, 3.5),
        ("30%", 0.3),
        ("€1 000", 1000),
    ],
)
def test_amounts(raw: v.CellValue, expected: float) -> None:
    assert v.read_number(raw) == expected


def test_bad_amount_and_blank() -> None:
    with pytest.raises(ValueError):
        v.read_number("about twelve")
    assert v.read_number("  ") is None


def test_checkbox_and_choice() -> None:
    assert v.read_checkbox("Yes") is True
    assert v.read_checkbox("") is False
    assert v.read_checkbox(None) is False
    with pytest.raises(ValueError):
        v.read_checkbox("maybe")
    assert v.read_choice("  closed   WON ", ("Demo", "Closed won")) == "Closed won"
    with pytest.raises(ValueError, match="not one of"):
        v.read_choice("Won-ish", ("Demo", "Closed won"))


def test_serials_round_trip() -> None:
    assert v.from_serial(v.to_serial(NOV27)) == NOV27


DOLLARS = v.Reading.of(None, "$")
EURO = v.Reading.of(None, "€")  # no locale: a euro team writes a decimal comma
GERMAN = v.Reading.of("de_DE", "€")
SWISS = v.Reading.of("de_CH", "CHF")  # German, but 1'234.50


@pytest.mark.parametrize(
    ("raw", "reading", "expected"),
    [
        ("12,5k", DOLLARS, 12500),  # was 125000
        ("1.234,56", DOLLARS, 1234.56),  # was 1.23456
        ("7,5", DOLLARS, 7.5),  # was 75
        ("€ 2.500", EURO, 2500),  # was 2.5
        ("€ 2.500", GERMAN, 2500),
        ("2.500", SWISS, 2.5),
        ("2.500", DOLLARS, 2.5),
        ("12,500", DOLLARS, 12500),
        ("12,500", GERMAN, 12.5),
        ("12.5k", GERMAN, 12500),  # only a decimal can be followed by one digit
        ("1.234.567", GERMAN, 1234567),
        ("30,000.50", GERMAN, 30000.5),
        ("12 500 €", GERMAN, 12500),
        ("-$500", DOLLARS, -500),
        ("CAD 900", v.Reading.of("en_CA", "$"), 900),  # a Canadian team's $ is CAD
    ],
)
def test_amounts_the_teams_way(raw: str, reading: v.Reading, expected: float) -> None:
    assert v.read_number(raw, reading) == expected


@pytest.mark.parametrize(
    ("raw", "reading", "code"),
    [
        ("30,000.50 EUR", DOLLARS, "EUR"),
        ("€ 2.500", DOLLARS, "EUR"),
        ("$12,500", GERMAN, "USD"),
        ("£400", EURO, "GBP"),
        ("CAD 900", DOLLARS, "CAD"),
    ],
)
def test_an_amount_in_another_currency_is_refused_naming_it(
    raw: str, reading: v.Reading, code: str
) -> None:
    with pytest.raises(v.OtherCurrency) as exc:
        v.read_number(raw, reading)
    assert exc.value.currency == code and f"'{raw}' is in {code}" in str(exc.value)


@pytest.mark.parametrize("raw", ["1.2.3", "12,34,5", "5 XYZ", "$5€"])
def test_malformed_amounts_are_not_numbers(raw: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        v.read_number(raw, DOLLARS)


def test_locales_decide_the_decimal_and_the_day_order() -> None:
    got = {
        loc: (v.Reading.of(loc, "$").decimal, v.Reading.of(loc, "$").day_first)
        for loc in ("en_US", "en_GB", "de_DE", "de_CH", "fr_FR", "es_MX", "en_ZA", "en")
    }
    assert got == {
        "en_US": (".", False),
        "en_GB": (".", True),
        "de_DE": (",", True),
        "de_CH": (".", True),
        "fr_FR": (",", True),
        "es_MX": (".", True),
        "en_ZA": (",", True),
        "en": (".", False),
    }
    assert (EURO.decimal, EURO.day_first) == (",", False)  # the currency: decimal only


def test_a_day_first_date_is_read_or_warned_in_the_terms_typed() -> None:
    assert v.read_date("31/12/2026", day_first=True) == date(2026, 12, 31)
    assert v.read_date("05/12/2026", day_first=True) == date(2026, 12, 5)
    assert v.read_date("05/12/2026") == date(2026, 5, 12)
    with pytest.raises(ValueError) as exc:
        v.read_date("31/12/2026")
    assert str(exc.value).startswith(
        "'31/12/2026' is not a date sheetsync can read: write 2026-12-31 or 12/31/2026"
    )
    with pytest.raises(ValueError, match=r"^'2026-02-30' is not a date: February 2026 has 28"):
        v.read_date("2026-02-30")
    with pytest.raises(ValueError, match=r"^'12/31/2026' .* write 2026-12-31 or 31/12/2026$"):
        v.read_date("12/31/2026", day_first=True)

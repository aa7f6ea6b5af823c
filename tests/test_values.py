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

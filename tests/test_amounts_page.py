"""Amounts and dates on a page read the team's way (its locale and currency), and
what cannot be read is warned about in the terms it was typed, naming the cell."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from sheetsync.config import load_config
from sheetsync.domain.page import Item, blank_page, parse_page
from sheetsync.domain.periods import Cadence
from sheetsync.domain.render import render_page
from sheetsync.domain.template import Template
from sheetsync.domain.values import CellValue, Reading
from tests.conftest import CONFIG


def grid_with(template: Template, amount: str, close: str) -> tuple[list[list[CellValue]], int]:
    page = blank_page("Alice", template, {"rep": "Alice", "manager": "Dana", "period": "2026-11"})
    deal = {"opportunity": "Northwind", "account": "Northwind", "stage": "Demo"}
    page.items("existing_opportunities").append(Item("d1", deal))
    grid = render_page(page, template).values()
    r = next(i for i, row in enumerate(grid) if "Northwind" in row)
    grid[r][3], grid[r][5] = amount, close
    return grid, r + 1


def test_a_german_team_page(monthly: Template) -> None:
    german = replace(monthly, reading=Reading.of("de_DE", "€"))
    grid, _ = grid_with(german, "€ 1.234,56", "31/12/2026")
    page = parse_page("Alice", grid, german, Cadence.MONTHLY)
    (deal,) = page.items("existing_opportunities")
    assert deal.values["amount"] == 1234.56 and deal.values["close_date"] == date(2026, 12, 31)
    assert page.warnings == []


def test_what_a_us_team_cannot_read_is_warned_naming_the_cell(monthly: Template) -> None:
    grid, row = grid_with(monthly, "30,000.50 EUR", "31/12/2026")
    us = replace(monthly, reading=Reading.of(None, "$"))
    page = parse_page("Alice", grid, us, Cadence.MONTHLY)
    (deal,) = page.items("existing_opportunities")
    assert deal.values["amount"] == "30,000.50 EUR"  # kept as typed, not taken as dollars
    assert deal.values["close_date"] == "31/12/2026"
    assert page.warnings == [
        f"tab 'Alice' D{row}: '30,000.50 EUR' is in EUR, not the team's currency ($); "
        "not counted in the pipeline; kept as typed",
        f"tab 'Alice' F{row}: '31/12/2026' is not a date sheetsync can read: write "
        "2026-12-31 or 12/31/2026 (or set the team's locale, e.g. en_GB, to read "
        "day/month/year); kept as typed",
    ]


def test_the_config_gives_the_team_its_reading(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        CONFIG.replace("    reps:\n", "    locale: fr-FR\n    currency: €\n    reps:\n", 1)
    )
    reading = load_config(path).teams[0].template.reading
    assert (reading.decimal, reading.day_first, reading.currency) == (",", True, "€")
    path.write_text(CONFIG)
    reading = load_config(path).teams[0].template.reading
    assert (reading.decimal, reading.day_first, reading.currency) == (".", False, "$")

from __future__ import annotations

from datetime import date

import pytest

from sheetsync.domain.page import Item, Page, assign_ids, blank_page, parse_page
from sheetsync.domain.page_checks import check_page
from sheetsync.domain.periods import Cadence
from sheetsync.domain.render import render_page
from sheetsync.domain.template import Template
from sheetsync.domain.values import CellValue, Formula
from sheetsync.errors import PageError

M = Cadence.MONTHLY


def _page(template: Template) -> Page:
    page = blank_page(
        "Alice",
        template,
        {
            "rep": "Alice",
            "manager": "Dana",
            "period": "2026-11",
            "meeting_date": date(2026, 11, 27),
        },
    )
    page.items("existing_opportunities").append(
        Item(
            None,
            {
                "opportunity": "Northwind renewal",
                "account": "Northwind",
                "amount": 48000,
                "stage": "Proposal",
                "close_date": date(2026, 12, 15),
            },
        )
    )
    page.items("actions").append(
        Item(
            None,
            {"what": "Call CFO", "owner": "Rep", "status": "Open"},
            origin="2026-09",
            carried=2,
        )
    )
    assign_ids(page, template)
    return page


def _grid(page: Page, template: Template) -> list[list[CellValue]]:
    return render_page(page, template).values()


def _find(grid: list[list[CellValue]], text: str) -> int:
    return next(i for i, row in enumerate(grid) if text in row)


def test_render_then_parse_round_trips(monthly: Template) -> None:
    page = _page(monthly)
    again = parse_page("Alice", _grid(page, monthly), monthly, M)
    deal = again.items("existing_opportunities")[0]
    assert deal.values["amount"] == 48000
    assert deal.values["close_date"] == date(2026, 12, 15)
    assert deal.id == page.items("existing_opportunities")[0].id
    action = again.items("actions")[0]
    assert (action.origin, action.carried) == ("2026-09", 2)
    assert again.header["meeting_date"] == date(2026, 11, 27)
    assert again.warnings == []


def test_tolerates_what_people_do(monthly: Template) -> None:
    grid = _grid(_page(monthly), monthly)
    r = _find(grid, "Northwind renewal")
    row = list(grid[r])
    # typed by hand: no id, US date, $ amount, stage in odd case, stray spaces
    typed = [
        "",
        "  Globex expansion ",
        "Globex",
        "$12,500",
        "proposal ",
        "11/27/2026",
        "27 Nov 2026",
        "Send proposal",
    ]
    grid.insert(r, typed + [None] * (len(row) - len(typed)))
    grid.insert(r, [None] * len(row))  # a blank inserted row
    grid[r + 2], grid[r] = grid[r], grid[r + 2]  # reorder rows
    head = _find(grid, "#kpis")
    grid[head][1] = "Numbers we watch"  # retitled section
    page = parse_page("Alice", grid, monthly, M)
    deals = {i.values["opportunity"]: i for i in page.items("existing_opportunities")}
    globex = deals["Globex expansion"]
    assert globex.id is None
    assert globex.values == {
        "opportunity": "Globex expansion",
        "account": "Globex",
        "amount": 12500,
        "stage": "Proposal",
        "close_date": date(2026, 11, 27),
        "last_activity": date(2026, 11, 27),
        "next_step": "Send proposal",
        "stage_since": None,  # sheetsync fills it in at the next refresh
    }
    assert page.sections["kpis"].title == "Numbers we watch"
    assert assign_ids(page, monthly) == 1
    assert globex.id and len(globex.id) == 6


def test_unreadable_values_are_kept_and_warned(monthly: Template) -> None:
    grid = _grid(_page(monthly), monthly)
    r = _find(grid, "Northwind renewal")
    grid[r][5] = "next week"
    grid[r][3] = Formula("=B2*2")
    page = parse_page("Alice", grid, monthly, M)
    deal = page.items("existing_opportunities")[0]
    assert deal.values["close_date"] == "next week"
    assert deal.values["amount"] == Formula("=B2*2")
    assert page.warnings == [f"tab 'Alice' F{r + 1}: not a date (try 2026-11-27); kept as typed"]


def test_deleted_header_row_names_the_cell(monthly: Template) -> None:
    grid = _grid(_page(monthly), monthly)
    r = _find(grid, "#existing_opportunities")
    del grid[r + 1]
    with pytest.raises(PageError) as info:
        parse_page("Alice", grid, monthly, M)
    assert str(info.value).startswith(f"tab 'Alice' A{r + 2}: header row of section")


def test_lost_marker_found_by_title_but_not_when_title_gone_too(monthly: Template) -> None:
    grid = _grid(_page(monthly), monthly)
    r = _find(grid, "#kpis")
    grid[r][0] = None
    assert parse_page("Alice", grid, monthly, M).sections["kpis"].title == "KPIs"
    grid[r][1] = "something else"
    with pytest.raises(PageError, match="section 'KPIs' not found"):
        parse_page("Alice", grid, monthly, M)


def test_missing_period_label_and_bad_period(monthly: Template) -> None:
    grid = _grid(_page(monthly), monthly)
    r = _find(grid, "Period")
    grid[r][2] = "sometime"
    with pytest.raises(PageError, match=f"tab 'Alice' C{r + 1}: Period"):
        parse_page("Alice", grid, monthly, M)
    grid[r][1] = None
    with pytest.raises(PageError, match="header field 'Period' is missing"):
        parse_page("Alice", grid, monthly, M)


def test_duplicate_ids_get_a_new_one(monthly: Template) -> None:
    grid = _grid(_page(monthly), monthly)
    r = _find(grid, "Northwind renewal")
    grid.insert(r + 1, list(grid[r]))  # copy-pasted row, id and all
    page = parse_page("Alice", grid, monthly, M)
    check_page(page, monthly, "Alice", {})  # as every command does after reading
    assert [i.id is None for i in page.items("existing_opportunities")] == [False, True]
    assign_ids(page, monthly)
    ids = [i.id for i in page.items("existing_opportunities")]
    assert len(set(ids)) == 2


def test_page_layout_has_dropdowns_checkboxes_and_frozen_title(monthly: Template) -> None:
    layout = render_page(_page(monthly), monthly)
    choices = {v.choices for v in layout.validations if v.choices}
    assert ("Rep", "Manager") in choices
    assert any(v.is_checkbox for v in layout.validations)
    assert layout.freeze_rows == 1 and layout.widths[0] < layout.widths[1]

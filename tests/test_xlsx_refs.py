"""References follow their rows when rows are inserted, deleted or moved, as Excel
and LibreOffice keep them."""

from __future__ import annotations

import pytest

from sheetsync.adapters.xlsx_refs import row_map, shift_formula, shift_sqref
from sheetsync.domain.plan import RowOp

INSERT = RowOp("insert", 5, 2)  # two rows at row 5
DELETE = RowOp("delete", 5, 2)  # rows 5 and 6
DOWN = RowOp("move", 3, 2, 8)  # rows 3-4 moved before row 8
UP = RowOp("move", 8, 2, 3)  # rows 8-9 moved before row 3


def test_rows_go_where_a_person_would_see_them_go() -> None:
    assert [row_map(INSERT)(r) for r in (4, 5, 6)] == [4, 7, 8]
    assert [row_map(DELETE)(r) for r in (4, 5, 6, 7)] == [4, None, None, 5]
    # 1 2 [3 4] 5 6 7 | 8  ->  1 2 5 6 7 3 4 8
    assert [row_map(DOWN)(r) for r in range(1, 9)] == [1, 2, 6, 7, 3, 4, 5, 8]
    # 1 2 | 3 4 5 6 7 [8 9] 10  ->  1 2 8 9 3 4 5 6 7 10
    assert [row_map(UP)(r) for r in range(1, 11)] == [1, 2, 5, 6, 7, 8, 9, 3, 4, 10]


@pytest.mark.parametrize(
    ("formula", "op", "expected"),
    [
        ("=C58-E58", RowOp("insert", 10, 3), "=C61-E61"),
        ("=C58-E58", RowOp("insert", 60, 3), "=C58-E58"),
        ("=SUM(D5:D9)*2", INSERT, "=SUM(D7:D11)*2"),  # at the range's top: it moves
        ("=SUM(D4:D9)", INSERT, "=SUM(D4:D11)"),  # inside: it grows
        ("=SUM(D4:D9)", DELETE, "=SUM(D4:D7)"),
        ("=SUM(D5:D6)", DELETE, "=SUM(#REF!)"),
        ("=D5+1", DELETE, "=#REF!+1"),
        ("=$D$9", DELETE, "=$D$7"),
        ("=SUM(A:A)+B:B", INSERT, "=SUM(A:A)+B:B"),
        ("=SUM(7:9)", INSERT, "=SUM(9:11)"),
        ("=D3*2", DOWN, "=D6*2"),
        ("='Alice Chen'!D9", INSERT, "='Alice Chen'!D11"),
        ("=Other!D9", INSERT, "=Other!D9"),
        ('=IF(D9>0,"D9 sold",MyName)', INSERT, '=IF(D11>0,"D9 sold",MyName)'),
        ("=[1]Sheet!D9", INSERT, "=[1]Sheet!D9"),
    ],
)
def test_formulas_on_the_page(formula: str, op: RowOp, expected: str) -> None:
    assert shift_formula(formula, "Alice Chen", "Alice Chen", op) == expected


def test_a_formula_on_another_tab_follows_only_references_to_the_changed_tab() -> None:
    formula = "=SUM('Alice Chen'!D5:D9)+D5"
    assert shift_formula(formula, "Summary", "Alice Chen", INSERT) == (
        "=SUM('Alice Chen'!D7:D11)+D5"
    )
    assert shift_formula("O'Brien!A1", "x", "O'Brien", INSERT) == "O'Brien!A1"
    assert shift_formula("'O''Brien'!A7", "x", "O'Brien", INSERT) == "'O''Brien'!A9"


def test_range_lists_lose_what_was_deleted() -> None:
    assert shift_sqref("J20:J40 K5 B5:B6", DELETE) == "J18:J38"
    assert shift_sqref("A1:B2 C7", INSERT) == "A1:B2 C9"

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


def test_cells_written_after_rows_move_land_in_the_rows_as_moved() -> None:
    """A sheet's write finds its cells through an index: a cell cleared and
    written again is one cell, and after rows move the index is of the moved rows."""
    from lxml import etree

    from sheetsync.adapters.xlsx_read import split_ref
    from sheetsync.adapters.xlsx_sheet import Sheet

    root = etree.fromstring(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData></sheetData></worksheet>"
    )
    sheet = Sheet(root, "Ana")
    for r in range(1, 10):
        sheet.set(r, 2, f"row {r}")
    sheet.set(4, 2, None)  # no format: the cell goes
    sheet.set(4, 2, "back")
    sheet.set(4, 1, "first")  # made before B4, where the schema wants it
    sheet.shift_rows_all([DELETE, RowOp("insert", 2, 1)])
    sheet.set(8, 2, "was row 9")  # rows 5-6 gone, one row in at 2: row 9 is row 8
    sheet.set(2, 2, "new")

    def cells() -> list[tuple[str, str]]:
        ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
        return [
            (c.get("r"), "".join(c.itertext())) for c in root.iterfind("m:sheetData/m:row/m:c", ns)
        ]

    found = cells()
    assert found == [
        ("B1", "row 1"),
        ("B2", "new"),
        ("B3", "row 2"),
        ("B4", "row 3"),
        ("A5", "first"),
        ("B5", "back"),
        ("B6", "row 7"),
        ("B7", "row 8"),
        ("B8", "was row 9"),
    ]
    rows = root.iterfind("m:sheetData/m:row", {"m": root.nsmap[None]})
    assert all(split_ref(c.get("r"))[0] == int(row.get("r")) for row in rows for c in row)


def test_a_cell_without_its_name_cleared_then_written_is_written() -> None:
    """A cell may leave out its name (``r`` is optional in the file format): clearing
    it and writing it again writes it, through the sheet's index of cells."""
    from lxml import etree

    from sheetsync.adapters.xlsx_sheet import Sheet

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    root = etree.fromstring(
        f'<worksheet xmlns="{main}"><sheetData><row r="5"><c><v>1</v></c>'
        '<c r="B5"><v>2</v></c></row></sheetData></worksheet>'.encode()
    )
    sheet = Sheet(root, "Ana")
    sheet.set(5, 1, None)  # the first cell, A5 by its place: no format, so it goes
    sheet.set(5, 1, "again")
    found = [(c.get("r"), "".join(c.itertext())) for c in root.iter(f"{{{main}}}c")]
    assert found == [("A5", "again"), ("B5", "2")]

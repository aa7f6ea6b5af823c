"""What the workbook looks like to the people who open and print it (issue 14):
tabs in the order a manager reads them, headers over their figures, the Team
tab's time in the team's zone, History's titles and numbers, checkboxes that
are booleans, and pages that print at a size people can read."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from typing import Any

from sheetsync.adapters.xlsx_print import MIN_SCALE, PRINTABLE_WIDTH_PT, column_points, print_scale
from sheetsync.domain.layout import place_tab
from tests.backends import Backend, GoogleBackend, XlsxBackend
from tests.test_cli import run

TAB = "Alice Chen"
ORDER = ["Team", TAB, "Bob", "History", "_sheetsync", "_stages"]
CARA = "      - {name: Cara Diaz, email: cara@example.com}\n"


def look(b: Backend, tab: str, row: int, col: int) -> tuple[str | None, str | None]:
    """A cell's horizontal alignment (left, center, right or None) and number format."""
    if isinstance(b, XlsxBackend):
        cell = b._book()[tab].cell(row, col)  # loaded again only when the file changed
        return cell.alignment.horizontal, cell.number_format
    assert isinstance(b, GoogleBackend)
    fmt = b.book.sheet(title=tab).cells.get((row - 1, col - 1), {}).get("userEnteredFormat", {})
    align = fmt.get("horizontalAlignment")
    return (align.lower() if align else None), fmt.get("numberFormat", {}).get("pattern")


def test_tabs_headers_history_and_the_team_tab_look_as_people_read_them(
    backend: Backend,
) -> None:
    b = backend
    text = b.config.read_text().replace("timezone: UTC", "timezone: America/New_York")
    b.config.write_text(text)
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    # Google's spreadsheet came with a "Sheet1" of its own: it stays where it was
    assert [t for t in b.tabs() if t != "Sheet1"] == ORDER
    b.type_row(TAB, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-11-20"])
    b.type_row(TAB, "#not_working", ["Slow legal review", "Send redlines"])
    b.config.write_text(b.config.read_text() + CARA)  # a rep joins: a page among the reps
    res = run(b.config, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    assert [t for t in b.tabs() if t != "Sheet1"] == [*ORDER[:3], "Cara Diaz", *ORDER[3:]]

    team = b.cells("Team")
    head = list(team[0])
    updated = team[1][head.index("Updated")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d America/New_York", str(updated)), updated
    for name in ("Pipeline", "Stalled", "Pushed"):  # a figure's header sits over it
        col = head.index(name) + 1
        assert look(b, "Team", 1, col)[0] == look(b, "Team", 2, col)[0] == "right", name
    assert look(b, "Team", 1, head.index("Rep") + 1)[0] == "left"

    page = b.cells(TAB)
    deals = b.find(TAB, "#existing_opportunities") + 1
    amount = page[deals - 1].index("Amount") + 1
    assert look(b, TAB, deals, amount)[0] == look(b, TAB, deals + 1, amount)[0] == "right"
    # the carried problem's "Resolved" box is a boolean, as are the blank rows' boxes
    problems = b.find(TAB, "#not_working") + 1
    resolved = page[problems - 1].index("Resolved")
    boxes = [r[resolved] for r in page[problems : problems + 3]]
    assert boxes == [False, False, False] and all(type(v) is bool for v in boxes), boxes

    history = b.cells("History")
    keys = list(history[0])
    assert keys[:3] == ["period", "rep", "section"]  # what every reader finds them by
    shown = {k: look(b, "History", 1, i + 1) for i, k in enumerate(keys)}
    assert shown["period"][1] == ';;;"Period"' and shown["close_date"][1] == ';;;"Close date"'
    assert shown["amount"] == ("right", ';;;"Amount"')
    globex = next(r for r in range(2, len(history) + 1) if "Globex" in history[r - 1])
    amount_col = keys.index("amount") + 1
    assert history[globex - 1][amount_col - 1] == 30000  # a number, formatted as one
    assert look(b, "History", globex, amount_col)[1] == "#,##0"
    close_col = keys.index("close_date") + 1  # a date, shown as one, in every locale alike
    assert history[globex - 1][close_col - 1] == date(2026, 11, 20)
    assert look(b, "History", globex, close_col)[1] == "yyyy-mm-dd"


def test_a_page_prints_landscape_at_nine_points_or_more_with_its_titles_repeated(
    backend: Backend,
) -> None:
    if not isinstance(backend, XlsxBackend):  # the Sheets API has no print settings
        return
    assert run(backend.config, "init", today="2026-10-05").exit_code == 0
    book = backend._book()
    for tab in ORDER:
        ws = book[tab]
        if tab in ("_sheetsync", "_stages"):
            continue
        scale = int(ws.page_setup.scale)
        assert ws.page_setup.orientation == "landscape", tab
        fit = ws.sheet_properties.pageSetUpPr
        assert fit is None or not fit.fitToPage, tab  # the scale decides, not a fit
        assert 10 * scale / 100 >= 9, (tab, scale)
        assert ws.print_title_rows == "$1:$1", tab
    # a page wider than a sheet of paper goes on across pages, never shrunk to one
    widths = [book[TAB].column_dimensions[c].width for c in "ABCDEFGHIJK"]
    assert sum(column_points(w) for w in widths) * int(book[TAB].page_setup.scale) / 100 > (
        PRINTABLE_WIDTH_PT
    )


def test_the_print_scale_fills_whole_pages_and_tabs_go_where_their_kind_goes() -> None:
    assert print_scale([10, 20, 30]) == 100  # fits one page as it is
    narrow_fit = print_scale([100, 40])  # a little too wide: shrunk onto one page
    assert MIN_SCALE <= narrow_fit < 100
    assert print_scale([60] * 12) >= MIN_SCALE  # very wide: across pages, readable
    assert place_tab("team", ["", "history", "ledger"]) == 0
    assert place_tab("page", ["team", "", "", "history", "ledger"]) == 3
    assert place_tab("page", ["", "", "history", "ledger", "team"]) == 2  # an older order
    assert place_tab("history", ["team", "", ""]) == 3
    assert place_tab("ledger", ["team", "", "history"]) == 3


def test_a_checkbox_is_excel_365s_checkbox_and_shows_true_or_false_elsewhere(
    backend: Backend,
) -> None:
    assert run(backend.config, "init", today="2026-10-05").exit_code == 0
    page = backend.cells(TAB)
    agenda = backend.find(TAB, "#agenda") + 1
    col = page[agenda - 1].index("Discussed") + 1
    assert page[agenda][col - 1] is False
    if isinstance(backend, GoogleBackend):  # a BOOLEAN rule: Google draws a box
        cell: dict[str, Any] = backend.book.sheet(title=TAB).cells[(agenda, col - 1)]
        assert cell["dataValidation"]["condition"]["type"] == "BOOLEAN"
        return
    assert isinstance(backend, XlsxBackend)
    assert look(backend, TAB, agenda + 1, col)[1] == '"TRUE";"TRUE";"FALSE"'
    with zipfile.ZipFile(backend.path) as z:
        styles = z.read("xl/styles.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        assert "xl/featurePropertyBag/featurePropertyBag.xml" in z.namelist()
    assert "FeaturePropertyBag" in rels and "xfComplement" in styles

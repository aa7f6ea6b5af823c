"""How sheetsync's tabs print: landscape, at a scale that keeps 10 pt text at 9 pt
or more, across as many pages as the columns need, with the title rows
repeated on every page.

A tab that is wider than a page is not shrunk onto one (``fitToWidth=1`` printed a
rep page at about 3.6 pt and History smaller still): the scale is the largest, up
to 100 %, that fills a whole number of pages across, and never below 90 %. The
repeated rows are the workbook's defined name ``_xlnm.Print_Titles`` for the tab,
which Excel, LibreOffice and Google (on import) all read."""

from __future__ import annotations

import math
from collections.abc import Sequence

from lxml import etree

from sheetsync.adapters.xlsx_package import NS, Element, Package, q
from sheetsync.domain.layout import SheetLayout
from sheetsync.domain.page import column_letter

# landscape Letter (the narrower of Letter and A4), less two half-inch margins
PRINTABLE_WIDTH_PT = 792 - 72
MIN_SCALE = 90  # percent: 10 pt text prints at 9 pt at least
BODY_PT = 10
PRINT_TITLES = "_xlnm.Print_Titles"
BEFORE_NAMES = ("sheets", "functionGroups", "externalReferences")  # ECMA-376 order
MARGINS = {"left": "0.5", "right": "0.5", "top": "0.6", "bottom": "0.6"}
MARGINS |= {"header": "0.3", "footer": "0.3"}


def column_points(width: float) -> float:
    """A column ``width`` characters wide, in points (Excel's rule for a 7-pixel
    digit, as Arial 10 has: the characters plus 5 pixels of padding, 96 pixels to
    72 points)."""
    return math.floor(width * 7 + 5) * 0.75


def print_scale(widths: Sequence[float]) -> int:
    """The print scale in percent for a tab whose columns are ``widths`` wide: the
    largest up to 100 that fills a whole number of pages across, never below
    ``MIN_SCALE``."""
    total = sum(column_points(w) for w in widths)
    if total <= 0:
        return 100
    pages = max(1, math.ceil(total * MIN_SCALE / 100 / PRINTABLE_WIDTH_PT))
    return max(MIN_SCALE, min(100, math.floor(100 * pages * PRINTABLE_WIDTH_PT / total)))


def page_elements(layout: SheetLayout) -> list[Element]:
    """A new worksheet's print options, margins and page set-up: landscape, the
    scale of ``print_scale``, pages across before pages down (a section's columns
    print side by side). No ``fitToPage`` in its ``sheetPr``: the scale decides."""
    options = etree.Element(q("printOptions"))
    options.set("horizontalCentered", "0")
    margins = etree.Element(q("pageMargins"))
    for side, size in MARGINS.items():
        margins.set(side, size)
    setup = etree.Element(q("pageSetup"))
    setup.set("orientation", "landscape")
    setup.set("scale", str(print_scale(layout.widths)))
    setup.set("pageOrder", "overThenDown")
    return [options, margins, setup]


def print_titles(pkg: Package, layout: SheetLayout) -> None:
    """Repeat the tab's frozen rows (its title or header row) on every printed page
    (its ``_xlnm.Print_Titles``, replacing one it had). Columns are not repeated:
    LibreOffice repeats the part of a chart that lies over them too (the Team
    tab's)."""
    title, rows, cols = layout.title, layout.freeze_rows, 0
    sheets = [s.title for s in pkg.sheets()]
    if title not in sheets or not (rows or cols):
        return
    local = str(sheets.index(title))
    quoted = "'" + title.replace("'", "''") + "'"
    parts = []
    if cols:
        parts.append(f"{quoted}!$A:${column_letter(cols)}")
    if rows:
        parts.append(f"{quoted}!$1:${rows}")
    book = pkg.workbook
    names = book.find("m:definedNames", NS)
    if names is None:
        names = etree.Element(q("definedNames"))
        before = [book.find(f"m:{tag}", NS) for tag in BEFORE_NAMES]
        [e for e in before if e is not None][-1].addnext(names)
    for old in names.findall("m:definedName", NS):
        if old.get("name") == PRINT_TITLES and old.get("localSheetId") == local:
            names.remove(old)
    name = etree.SubElement(names, q("definedName"))
    name.set("name", PRINT_TITLES)
    name.set("localSheetId", local)
    name.text = ",".join(parts)

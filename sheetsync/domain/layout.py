"""A backend-neutral picture of a tab: cell values with styles, column widths,
dropdowns and checkboxes, frozen panes. The ``.xlsx`` and Google adapters each
turn one of these into their own calls, so both workbooks look alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sheetsync.domain.values import CellValue

DATE_FORMAT = "d mmm yyyy"
NUMBER_FORMAT = "#,##0.##"
# A font every platform has or substitutes metric for metric (Liberation Sans on
# Linux, Arimo on ChromeOS): named in every format, so that LibreOffice does not
# fall back to its serif default, and Google's own default besides.
FONT = "Arial"
# How a boolean cell shows where the program keeps booleans as 1 and 0 with a
# format (LibreOffice reads an .xlsx boolean as =FALSE() and shows 0 without one);
# Excel and Google show a boolean's TRUE or FALSE whatever the format.
BOOLEAN_FORMAT = '"TRUE";"TRUE";"FALSE"'
# how the numbers of History's rows show: whole ones with thousands separated,
# the others with their decimals (amounts, targets and actuals, typed numbers)
WHOLE_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0#########"
# how History's dates show: the ISO order reads the same in every locale and sorts
ISO_DATE_FORMAT = "yyyy-mm-dd"
ISO_MOMENT_FORMAT = "yyyy-mm-dd hh:mm"


def appended_format(value: object) -> str | None:
    """The number format of a value appended to History (none for text)."""
    if isinstance(value, bool):
        return BOOLEAN_FORMAT
    if isinstance(value, datetime):
        return ISO_MOMENT_FORMAT
    if isinstance(value, date):
        return ISO_DATE_FORMAT
    if isinstance(value, int | float):
        return WHOLE_FORMAT if float(value).is_integer() else DECIMAL_FORMAT
    return None


# What a tab's kind decides: where a new one goes among the others (Team first,
# then the rep pages, History, the hidden ledger); "" for any other tab.
TAB_KINDS = ("team", "page", "history", "ledger")


def money_format(symbol: str) -> str:
    return f'"{symbol}"#,##0' if symbol else "#,##0"


@dataclass(frozen=True)
class Style:
    bold: bool = False
    italic: bool = False
    size: int = 10
    color: str = "#1F2328"  # text colour
    fill: str | None = None  # background colour
    number_format: str | None = None
    wrap: bool = False
    align: str | None = None  # left | center | right
    checkbox: bool = False  # a box to tick, where the format can show one


@dataclass(frozen=True)
class Cell:
    value: CellValue = None
    style: Style = Style()


@dataclass(frozen=True)
class Validation:
    """A dropdown (``choices``) or a checkbox (no choices) over a block of cells."""

    column: int  # 1-based
    first_row: int  # 1-based, inclusive
    last_row: int
    choices: tuple[str, ...] = ()

    @property
    def is_checkbox(self) -> bool:
        return not self.choices


@dataclass(frozen=True)
class Chart:
    """Columns per category (a bar per row) on the left axis, and optionally a line
    on a right axis: a native chart on both backends."""

    title: str
    categories: int  # 1-based column of the category names
    bars: tuple[int, ...]  # 1-based columns drawn as bars (left axis)
    line: int | None  # 1-based column drawn as a line (right axis)
    header_row: int  # 1-based; the rows below it, to last_row, are the data
    last_row: int
    anchor_row: int  # 1-based cell the chart's top-left corner sits on
    anchor_col: int = 1
    left_title: str = ""
    right_title: str = ""


@dataclass(frozen=True)
class Highlight:
    """A conditional format: cells of a column block whose text contains ``text``
    get the ``fill`` background, whoever writes them; earlier rules win."""

    column: int  # 1-based
    first_row: int
    last_row: int
    text: str
    fill: str


@dataclass
class SheetLayout:
    title: str
    rows: list[list[Cell]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # characters, per column from A
    validations: list[Validation] = field(default_factory=list)
    freeze_rows: int = 0
    freeze_cols: int = 0
    hidden: bool = False
    tab_color: str | None = None
    editors: tuple[str, ...] = ()  # who may edit the tab (emails); empty: anyone
    charts: list[Chart] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    kind: str = ""  # one of TAB_KINDS: where a new tab of this kind is placed

    def add(self, *cells: Cell) -> int:
        """Append a row; returns its 1-based row number."""
        self.rows.append(list(cells))
        return len(self.rows)

    def values(self) -> list[list[CellValue]]:
        return [[c.value for c in row] for row in self.rows]


def tint(hex_color: str, amount: float) -> str:
    """``hex_color`` mixed with white; 0 keeps it, 1 gives white."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02X}" for c in mix)


def place_tab(kind: str, kinds: list[str]) -> int:
    """Where a new tab of ``kind`` goes among tabs of ``kinds`` (as ``tab_kind``
    tells them): ``Team`` first; a rep's page after the last page, or, where the
    pages are not told apart from a person's tabs, just before History (or the
    ledger): among the reps; History before the ledger; anything else at the end.
    Tabs already there are never moved: a person's order stays."""
    if kind == "team":
        return 0
    pages = [i for i, k in enumerate(kinds) if k == "page"]
    if kind == "page" and pages:
        return pages[-1] + 1
    after = ("history", "ledger") if kind == "page" else ("ledger",)
    if kind in ("page", "history"):
        later = [i for i, k in enumerate(kinds) if k in after]
        return later[0] if later else len(kinds)
    return len(kinds)


OWN_TAB_KINDS = {"Team": "team", "History": "history", "_sheetsync": "ledger", "_stages": "ledger"}


def tab_kind(title: str) -> str:
    """The kind of an existing tab, told by its title: sheetsync's own tabs; ""
    for the rest (rep pages and a person's own tabs alike, which ``place_tab``
    keeps together before History)."""
    return OWN_TAB_KINDS.get(title, "")

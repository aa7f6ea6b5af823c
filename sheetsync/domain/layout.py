"""A backend-neutral picture of a tab: cell values with styles, column widths,
dropdowns and checkboxes, frozen panes. The ``.xlsx`` and Google adapters each
turn one of these into their own calls, so both workbooks look alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetsync.domain.values import CellValue

DATE_FORMAT = "d mmm yyyy"
NUMBER_FORMAT = "#,##0.##"


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

"""What one command writes, as data: applied by a ``Workbook`` in one atomic write."""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetsync.domain.layout import Cell, Highlight, SheetLayout, Validation
from sheetsync.domain.values import CellValue

Grid = list[list[CellValue]]


@dataclass(frozen=True)
class RowOp:
    """Whole rows changed as a person would change them: ``count`` rows inserted at
    ``start``, the rows ``start..start+count-1`` deleted, or that block moved
    before row ``to``. Rows are 1-based, counted as the sheet is just before the
    operation; everything in a row (formats, notes, a person's own cells) goes
    with it, and references to it follow."""

    kind: str  # insert | delete | move
    start: int
    count: int = 1
    to: int = 0


@dataclass
class PageEdit:
    """A page changed the way a careful person would: whole rows deleted, moved and
    inserted (``ops``, in order), then the cells sheetsync owns written, at the
    rows they end up on. ``styled`` cells get their format too (rows sheetsync
    made or moved); the others keep whatever format they have. Everything else on
    the page stays where it was relative to its row."""

    title: str
    ops: list[RowOp] = field(default_factory=list)
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)  # (row, col), 1-based
    styled: set[tuple[int, int]] = field(default_factory=set)
    validations: list[Validation] = field(default_factory=list)  # for rows made or moved
    highlights: list[Highlight] | None = None  # sheetsync's own colour rules; None: kept
    rows: int = 0  # rows the page has after the edit
    editors: tuple[str, ...] = ()  # who may edit the tab (emails), where it is protected

    @property
    def empty(self) -> bool:
        return not (self.ops or self.cells or self.validations or self.highlights is not None)


@dataclass
class WritePlan:
    # tabs renamed (old title, new title), before anything else; references follow
    rename: list[tuple[str, str]] = field(default_factory=list)
    create: list[SheetLayout] = field(default_factory=list)  # added only where missing
    replace: list[SheetLayout] = field(default_factory=list)  # content replaced whole
    edit: list[PageEdit] = field(default_factory=list)  # pages changed in place
    history: Grid = field(default_factory=list)  # rows appended to History
    # titles added to History's header row: (1-based column, title)
    history_columns: list[tuple[int, str]] = field(default_factory=list)
    ledger: Grid = field(default_factory=list)  # rows appended to _sheetsync
    stages: Grid = field(default_factory=list)  # rows appended to _stages (``stage_log``)
    # existing tabs whose protection is put back where it is missing (their
    # ``editors`` only; where the backend can protect a tab)
    protect: list[SheetLayout] = field(default_factory=list)

    @property
    def changes_content(self) -> bool:
        return bool(
            self.rename
            or self.create
            or self.replace
            or any(not e.empty for e in self.edit)
            or self.history
            or self.history_columns
            or self.ledger
            or self.stages
        )

    @property
    def empty(self) -> bool:
        return not (self.changes_content or self.protect)


@dataclass
class Snapshot:
    """One read of the workbook: every tab's title, the values of the tabs asked
    for, the ledger rows (without their header), and the tabs it may not write."""

    exists: bool
    titles: list[str] = field(default_factory=list)
    grids: dict[str, Grid] = field(default_factory=dict)
    ledger: Grid = field(default_factory=list)
    # tabs sheetsync may read but not write (protected against it), each with one
    # line that names the tab and says what to do
    blocked: dict[str, str] = field(default_factory=dict)
    # the notes on the cells of the tabs read, by tab and (row, column)
    notes: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    # tabs renamed to their rep's title in the config just before this read (for
    # a command that writes nothing: still to be renamed, and read under the new
    # title too): new title -> the title it had (see ``sheetsync.tab_records``)
    renamed: dict[str, str] = field(default_factory=dict)

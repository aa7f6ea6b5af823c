"""What one command writes, as data: applied by a ``Workbook`` in one atomic write."""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetsync.domain.layout import SheetLayout
from sheetsync.domain.values import CellValue

Grid = list[list[CellValue]]


@dataclass
class WritePlan:
    create: list[SheetLayout] = field(default_factory=list)  # added only where missing
    replace: list[SheetLayout] = field(default_factory=list)  # content replaced whole
    history: Grid = field(default_factory=list)  # rows appended to History
    ledger: Grid = field(default_factory=list)  # rows appended to _sheetsync
    # existing tabs whose protection is put back where it is missing (their
    # ``editors`` only; where the backend can protect a tab)
    protect: list[SheetLayout] = field(default_factory=list)

    @property
    def changes_content(self) -> bool:
        return bool(self.create or self.replace or self.history or self.ledger)

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

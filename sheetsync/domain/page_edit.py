"""A page changed the way a careful person would change it, not rebuilt.

Given the page as it was read (with where everything sits on the sheet) and the
page as it should be (after a rollover, a refresh or an import), this works out
a ``PageEdit``: the whole rows to delete (items that left), to move (items that
go to another section) and to insert (typing rows, new items, the "To talk about"
block of an older page), and the cells sheetsync owns to write at the rows they
end up on. A person's cells, formats, notes, own columns and row heights ride
with their rows; nothing else on the page is touched.

Cells are written only where their value changes, so a refresh of a page whose
signals did not move writes nothing, and a formula a person typed in a cell
sheetsync reads (an amount, say) stays a formula while its value is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sheetsync.domain.layout import Cell, Highlight, Validation
from sheetsync.domain.page import TALK_ROWS, Item, Page, SectionShape
from sheetsync.domain.plan import Grid, PageEdit, RowOp
from sheetsync.domain.render import (
    header_value,
    item_cells,
    row_validations,
    section_header_cells,
    signal_highlights,
    talk_cells,
    title_cells,
)
from sheetsync.domain.template import HEADER_FIELDS, Section, Template
from sheetsync.domain.values import CellValue, Formula, is_blank

KEEP = Cell("\x00keep")  # a cell left as the person left it


@dataclass
class Row:
    """One row of the page after the edit: the row it was (None for a new one) and
    what sheetsync puts on it."""

    old: int | None
    role: str  # keep | item | arrival | new | typing | talk
    section: Section | None = None
    item: Item | None = None
    origin: Section | None = None  # an arrival's section before
    n: int = 0  # a talk row's place in the block


def same(wanted: CellValue, current: CellValue) -> bool:
    """Whether writing ``wanted`` over ``current`` would change what the cell says."""
    if isinstance(current, Formula):
        current = current.value if current.value is not None else current
    if is_blank(wanted) and is_blank(current):
        return True
    if (wanted is False and current is None) or (wanted is None and current is False):
        return True  # an unticked box
    wanted, current = _day(wanted), _day(current)
    if isinstance(wanted, bool) or isinstance(current, bool):
        return wanted is current
    if isinstance(wanted, int | float) and isinstance(current, int | float):
        return float(wanted) == float(current)
    return wanted == current


def _day(value: CellValue) -> CellValue:
    """A moment at midnight is its day (spreadsheets store both as the same number)."""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value


def ops_for(targets: Sequence[int | None], rows: int) -> list[RowOp]:
    """The row operations that turn a sheet of ``rows`` rows into ``targets`` (each
    final row: the row it was, or None for a new one): deletes from the bottom up,
    then moves, then inserts from the top down."""
    keep = [r for r in targets if r is not None]
    kept = set(keep)
    ops: list[RowOp] = []
    gone = [r for r in range(rows, 0, -1) if r not in kept]
    i = 0
    while i < len(gone):
        k = 1
        while i + k < len(gone) and gone[i + k] == gone[i] - k:
            k += 1
        ops.append(RowOp("delete", gone[i] - k + 1, k))
        i += k
    current = sorted(kept)
    for i, want in enumerate(keep):
        if current[i] == want:
            continue
        j = current.index(want, i)
        k = 1
        while i + k < len(keep) and j + k < len(current) and keep[i + k] == current[j + k]:
            k += 1
        ops.append(RowOp("move", j + 1, k, i + 1))
        block = current[j : j + k]
        del current[j : j + k]
        current[i:i] = block
    i = 0
    while i < len(targets):
        if targets[i] is None:
            k = 1
            while i + k < len(targets) and targets[i + k] is None:
                k += 1
            ops.append(RowOp("insert", i + 1, k))
            i += k
        else:
            i += 1
    return ops


def _value(grid: Grid, row: int | None, col: int) -> CellValue:
    if row is None or row - 1 >= len(grid) or col - 1 >= len(grid[row - 1]):
        return None
    return grid[row - 1][col - 1]


def _empty_row(grid: Grid, row: int) -> bool:
    return row - 1 >= len(grid) or all(v is None or v == "" for v in grid[row - 1])


class EditBuilder:
    """Works out one page's edit (see the module's docstring)."""

    def __init__(
        self,
        before: Page,
        grid: Grid,
        template: Template,
        currency: str,
        signals: Mapping[str, Sequence[str]],
        talk: Sequence[str],
    ) -> None:
        if before.shape is None:
            raise ValueError("the page was not read from a sheet")
        self.before = before
        self.shape = before.shape
        self.grid = grid
        self.template = template
        self.currency = currency
        self.signals = signals
        self.talk = talk
        self.by_row: dict[int, tuple[Section, Item]] = {}  # the row read from -> the item
        self.by_id: dict[str, tuple[Section, Item]] = {}
        for sec in template.sections:
            for item in before.sections[sec.key].items:
                self.by_row[item.row] = (sec, item)
                if item.id:
                    self.by_id.setdefault(item.id, (sec, item))

    def _source(self, item: Item) -> tuple[Section, Item] | None:
        """Where an item of the page after was before: the row it was read from, or
        (an item a rollover made anew) its id; None for a new item."""
        if item.row and item.row in self.by_row:
            return self.by_row[item.row]
        return self.by_id.get(item.id) if item.id else None

    def _sec_shape(self, sec: Section) -> SectionShape:
        shape = self.before.sections[sec.key].shape
        assert shape is not None
        return shape

    def _missing_columns(self, edit: PageEdit, final: dict[int, int]) -> None:
        """A column the template has and the page lacks (a page made before it
        existed: a column of sheetsync's, or one a template change added) is added:
        its title in the section's header row, in the template's place where that
        cell is free, else in the next free one."""
        for sec in self.template.sections:
            shape = self._sec_shape(sec)
            header = section_header_cells(sec, self.template.width)
            for i, col in enumerate(sec.columns):
                if col.key in shape.columns:
                    continue
                taken = set(shape.columns.values()) | set(shape.extra)
                at = i + 2
                while at in taken or any(  # a person's untitled cells stay theirs
                    not is_blank(_value(self.grid, r, at))
                    for r in range(shape.header_row, shape.last_row + 1)
                ):
                    at += 1
                shape.columns[col.key] = at
                row = final[shape.header_row]
                edit.cells[(row, at)] = header[i + 1]
                edit.styled.add((row, at))

    # --- where each row goes -------------------------------------------------------------

    def targets(self, after: Page, reshape: bool) -> list[Row]:
        """The page's rows after the edit. ``reshape``: rows may be inserted (typing
        rows a section lacks, the "To talk about" block of an older page); a refresh
        never does, so that it never moves the page."""
        order = sorted(self.template.sections, key=lambda s: self._sec_shape(s).title_row)
        first_title = self._sec_shape(order[0]).title_row
        rows: list[Row] = []
        talk = set(self.shape.talk)
        talk_done = False
        last_header = max(self.shape.header_rows.values(), default=1)
        for r in range(1, first_title):
            if r in talk:
                if talk_done:
                    continue
                talk_done = True
                rows += self._talk_rows(reshape)
                continue
            rows.append(Row(r, "keep"))
            if r == last_header and not talk and reshape and not talk_done:
                talk_done = True
                rows += [Row(None, "talk", n=n) for n in range(TALK_ROWS)]
        survivors = {
            source[1].row
            for content in after.sections.values()
            for item in content.items
            if (source := self._source(item)) is not None
        }
        for sec in order:
            rows += self._section_rows(sec, after, survivors, reshape)
        return rows

    def _talk_rows(self, reshape: bool) -> list[Row]:
        old = self.shape.talk
        if not self.shape.talk_marked and reshape:  # an older page's list: made anew
            return [Row(None, "talk", n=n) for n in range(TALK_ROWS)]
        out = [Row(r, "talk", n=n) for n, r in enumerate(old)]
        if reshape and len(out) < TALK_ROWS:
            out += [Row(None, "talk", n=n) for n in range(len(out), TALK_ROWS)]
        return out

    def _section_rows(
        self, sec: Section, after: Page, survivors: set[int], reshape: bool
    ) -> list[Row]:
        shape = self._sec_shape(sec)
        here = {item.row: item for item in self.before.sections[sec.key].items}
        staying: dict[int, Item] = {}
        arrivals: list[Row] = []
        for item in after.sections[sec.key].items:
            source = self._source(item)
            if source is None:
                arrivals.append(Row(None, "new", sec, item))
            elif source[0].key == sec.key:
                staying[source[1].row] = item
            else:
                arrivals.append(Row(source[1].row, "arrival", sec, item, source[0]))
        rows = [Row(shape.title_row, "keep"), Row(shape.header_row, "keep")]
        body: list[Row] = []
        for r in range(shape.header_row + 1, shape.last_row + 1):
            if r in staying:
                body.append(Row(r, "item", sec, staying[r]))
            elif r in here and r in survivors:
                continue  # it moves to another section
            elif r in here:
                continue  # it leaves the page (History has it)
            else:
                body.append(Row(r, "keep", sec))
        last = max((i for i, row in enumerate(body) if row.role == "item"), default=-1)
        body[last + 1 : last + 1] = arrivals
        last += len(arrivals)
        if reshape or arrivals:
            blanks = 0
            for row in body[last + 1 :]:
                if row.old is not None and _empty_row(self.grid, row.old):
                    blanks += 1
                else:
                    break
            missing = sec.blank_rows + 1 - blanks
            if missing > 0:
                body[last + 1 : last + 1] = [Row(None, "typing", sec) for _ in range(missing)]
        return rows + body

    # --- what is written ------------------------------------------------------------------

    def build(self, after: Page, reshape: bool, colours: bool) -> PageEdit:
        """The edit from this page to ``after``. ``colours``: set sheetsync's signal
        colour rules again for the rows as they now are."""
        rows = self.targets(after, reshape)
        edit = PageEdit(self.before.tab, ops_for([r.old for r in rows], self.shape.rows))
        edit.rows = len(rows)
        final = {row.old: i for i, row in enumerate(rows, start=1) if row.old is not None}
        self._missing_columns(edit, final)
        self._header(after, final, edit)
        for at, row in enumerate(rows, start=1):
            if row.role == "talk":
                # the block is sheetsync's: a line that changes gets its format too
                # (a topic's fill, the italic "nothing to talk about")
                cells = talk_cells(self.talk, row.n)
                new = row.old is None
                changed = new or not same(cells[2].value, _value(self.grid, row.old, 3))
                self._write(edit, at, row.old, cells, [1, 2, 3], styled=[new, new, changed])
            elif row.role in ("item", "arrival", "new", "typing"):
                self._item(edit, at, row)
        if colours:
            edit.highlights = self._highlights(rows)
        return edit

    def _header(self, after: Page, final: dict[int, int], edit: PageEdit) -> None:
        title = title_cells(after)[1]
        if not same(title.value, _value(self.grid, 1, 2)):
            edit.cells[(final.get(1, 1), 2)] = title
        for fld in HEADER_FIELDS:
            row = self.shape.header_rows.get(fld.key)
            if row is None or row not in final:
                continue
            wanted = header_value(after, fld.key)
            if not same(wanted.value, _value(self.grid, row, 3)):
                edit.cells[(final[row], 3)] = wanted

    def _write(
        self,
        edit: PageEdit,
        at: int,
        old: int | None,
        cells: Sequence[Cell],
        columns: Sequence[int | None],
        styled: bool | Sequence[bool],
    ) -> None:
        """``cells[i]`` into column ``columns[i]`` of final row ``at`` (the row was
        ``old``): where the value changes, or with its format where ``styled``."""
        for i, (cell, col) in enumerate(zip(cells, columns, strict=False)):
            if col is None or cell is KEEP:
                continue
            style = styled if isinstance(styled, bool) else styled[i]
            if style:
                edit.cells[(at, col)] = cell
                edit.styled.add((at, col))
            elif not same(cell.value, _value(self.grid, old, col)):
                edit.cells[(at, col)] = cell

    def _item(self, edit: PageEdit, at: int, row: Row) -> None:
        sec = row.section
        assert sec is not None
        shape = self._sec_shape(sec)
        columns: list[int | None] = [1, *(shape.columns.get(c.key) for c in sec.columns)]
        flags = self.signals.get(row.item.id or "", ()) if row.item else ()
        cells = item_cells(sec, row.item, self.currency, flags)
        if row.role in ("new", "typing"):
            self._write(edit, at, None, cells, columns, True)
            edit.validations += self._validations(sec, shape, at)
            return
        found = self._source(row.item) if row.item else None
        theirs = self._changed(sec, cells, row.item, found)
        if row.role == "item":
            self._write(edit, at, row.old, theirs, columns, False)
            return
        # an arrival: the row came from another section, whose columns may sit
        # elsewhere; what sits in a different place, or is sheetsync's, is written
        # with its format, and the old section's cells that are now no column's go
        origin = row.origin
        assert origin is not None
        before = self._sec_shape(origin).columns
        kinds = {c.key: c.type for c in origin.columns}
        styled = [False] + [
            c.is_system
            or before.get(c.key) != shape.columns.get(c.key)
            or kinds.get(c.key) != c.type
            for c in sec.columns
        ]
        cells = [c if s else t for c, t, s in zip(cells, theirs, styled, strict=True)]
        self._write(edit, at, row.old, cells, columns, styled)
        used = {c for c in columns if c is not None}
        for col in before.values():
            if col not in used and not is_blank(_value(self.grid, row.old, col)):
                edit.cells[(at, col)] = Cell(None)
        edit.validations += self._validations(sec, shape, at)

    @staticmethod
    def _changed(
        sec: Section,
        cells: list[Cell],
        item: Item | None,
        found: tuple[Section, Item] | None,
    ) -> list[Cell]:
        """``cells`` with a person's columns set to ``KEEP`` where sheetsync did not
        change the value: what they typed stays as typed, a formula a formula."""
        if item is None or found is None:
            return cells
        before = found[1]
        out = [cells[0]]
        for col, cell in zip(sec.columns, cells[1:], strict=True):
            theirs = (
                not col.is_system
                and col.key not in before.mended
                and same(item.values.get(col.key), before.values.get(col.key))
            )
            out.append(KEEP if theirs else cell)
        return out

    @staticmethod
    def _validations(sec: Section, shape: SectionShape, at: int) -> list[Validation]:
        out = []
        for v in row_validations(sec, at, at):
            key = sec.columns[v.column - 2].key
            col = shape.columns.get(key)
            if col is not None:
                out.append(Validation(col, at, at, v.choices))
        return out

    def _highlights(self, rows: list[Row]) -> list[Highlight]:
        out: list[Highlight] = []
        spans: dict[str, list[int]] = {}
        for at, row in enumerate(rows, start=1):
            if row.section is not None:  # a row of a section's body
                spans.setdefault(row.section.key, []).append(at)
        for sec in self.template.sections:
            signal = next((c for c in sec.columns if c.type == "signal"), None)
            col = self._sec_shape(sec).columns.get(signal.key) if signal else None
            body = spans.get(sec.key)
            if col is None or not body:
                continue
            out += signal_highlights(sec, col, min(body), max(body))
        return out


def page_edit(
    before: Page,
    grid: Grid,
    after: Page,
    template: Template,
    currency: str = "$",
    signals: Mapping[str, Sequence[str]] | None = None,
    talk: Sequence[str] = (),
    reshape: bool = True,
) -> PageEdit:
    """The edit that turns the page ``before`` (as read from ``grid``) into ``after``.
    ``reshape`` (a rollover, an import): rows may be inserted, deleted and moved; a
    refresh passes False and only writes cells."""
    builder = EditBuilder(before, grid, template, currency, signals or {}, talk)
    return builder.build(after, reshape, colours=reshape)

"""A rep page as data, and the tolerant parser that reads it from a grid of cells.

Layout (rows from the top): a title row; header fields as label/value pairs in
columns B and C; then each section: a title row whose column A holds the marker
``#key``, a header row whose column A reads ``id``, and item rows whose column A
holds the item id. Blank rows anywhere are ignored.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sheetsync.domain.periods import Cadence, Period, parse_period, period_of
from sheetsync.domain.template import HEADER_FIELDS, Section, Template
from sheetsync.domain.values import (
    ANY,
    CellValue,
    Formula,
    Reading,
    check_text,
    is_blank,
    read_checkbox,
    read_date,
)
from sheetsync.errors import PageError, PeriodError

MARKER = "#"
TALK_MARKER = "#talk"  # column A of the first row of the "To talk about" block
TALK_LABEL = "To talk about"
ID_HEADER = "id"
_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TALK_ROWS = 5  # the "To talk about" block: a fixed number of rows, so that it never moves the page


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """A -> 1, AA -> 27; the inverse of ``column_letter``."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def cell_name(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


@dataclass
class Item:
    """One row of a section. ``values`` holds typed values by column key; a value that
    could not be read is kept exactly as typed; a formula counts as the value the
    spreadsheet computed for it. ``extra`` holds the row's cells under a person's
    own columns, by their header, and ``notes`` the notes on its cells."""

    id: str | None
    values: dict[str, CellValue]
    origin: str | None = None  # period label the item first appeared in
    carried: int = 0  # how many rollovers it has survived
    row: int = 0  # sheet row it was read from; 0 if made by sheetsync
    extra: dict[str, CellValue] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # column title -> note
    mended: set[str] = field(default_factory=set)  # keys sheetsync set, not as typed

    def label(self, section: Section) -> str:
        """A short name for messages: the first text column's value."""
        for col in section.user_columns:
            value = self.values.get(col.key)
            if not is_blank(value):
                return str(value)
        return self.id or "(blank)"


@dataclass
class SectionShape:
    """Where a section is on the sheet, as read (rows and columns 1-based)."""

    title_row: int
    header_row: int
    last_row: int  # the last row before the next section's title (or the page's end)
    columns: dict[str, int]  # template column key -> sheet column
    extra: dict[int, str] = field(default_factory=dict)  # a person's own columns: title


@dataclass
class PageShape:
    """Where sheetsync's parts of a page are on the sheet, as read."""

    rows: int  # rows the grid has
    header_rows: dict[str, int]  # header field key -> row
    talk: list[int] = field(default_factory=list)  # the rows of the "To talk about" block
    talk_marked: bool = False  # the block carries its marker (older pages do not)


@dataclass
class SectionContent:
    key: str
    title: str  # as shown on the page, which people may retitle
    items: list[Item] = field(default_factory=list)
    shape: SectionShape | None = None  # None: not read from a sheet


@dataclass
class Page:
    tab: str
    header: dict[str, CellValue]
    sections: dict[str, SectionContent]
    warnings: list[str] = field(default_factory=list)
    shape: PageShape | None = None  # None: not read from a sheet
    period_put_back: str | None = None  # what a person had typed over the Period cell

    @property
    def period_label(self) -> str:
        return str(self.header.get("period") or "")

    def items(self, key: str) -> list[Item]:
        return self.sections[key].items

    def snapshot(self) -> Page:
        """The page as it is now, with copies of its items: what a change that adds,
        removes or alters items is worked out against (items are matched by the
        row they were read from)."""
        sections = {
            k: SectionContent(
                c.key,
                c.title,
                [
                    replace(i, values=dict(i.values), extra=dict(i.extra), notes=dict(i.notes))
                    for i in c.items
                ],
                c.shape,
            )
            for k, c in self.sections.items()
        }
        return Page(self.tab, dict(self.header), sections, list(self.warnings), self.shape)


def new_id(seed: str, taken: set[str]) -> str:
    """A short, stable id from ``seed``, unique among ``taken`` (which it joins)."""
    n = 0
    while True:
        digest = hashlib.sha1(f"{seed}|{n}".encode()).digest()
        ident = _ID_ALPHABET[digest[0] % 23] + "".join(
            _ID_ALPHABET[b % len(_ID_ALPHABET)] for b in digest[1:6]
        )
        if ident not in taken:
            taken.add(ident)
            return ident
        n += 1


def _text(value: CellValue) -> str:
    return " ".join(str(value).split()) if not is_blank(value) else ""


def _norm(value: CellValue) -> str:
    text = _text(value).casefold()
    return text.split(" · ")[0].strip()


def _cell(grid: list[list[CellValue]], row: int, col: int) -> CellValue:
    """Value at 1-based (row, col), None outside the grid."""
    if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
        return grid[row - 1][col - 1]
    return None


def _find_sections(tab: str, grid: list[list[CellValue]], template: Template) -> dict[str, int]:
    """Section key -> its title row. By marker in column A, else by title in column B."""
    found: dict[str, int] = {}
    keys = {sec.key for sec in template.sections}
    for r in range(1, len(grid) + 1):
        marker = _text(_cell(grid, r, 1))
        if marker.startswith(MARKER) and marker[1:] in keys:
            key = marker[1:]
            if key in found:
                raise PageError(
                    tab,
                    cell_name(r, 1),
                    f"section marker '{marker}' appears twice (also row "
                    f"{found[key]}); delete the copy",
                )
            found[key] = r
    for sec in template.sections:
        if sec.key in found:
            continue
        titles = {sec.title.casefold(), sec.display_title.casefold()}
        hits = [
            r
            for r in range(1, len(grid) + 1)
            if _norm(_cell(grid, r, 2)) in titles and _norm(_cell(grid, r + 1, 1)) == ID_HEADER
        ]
        if len(hits) == 1 and hits[0] not in found.values():
            found[sec.key] = hits[0]
        else:
            raise PageError(
                tab,
                "column A",
                f"section '{sec.title}' not found: its marker "
                f"'{MARKER}{sec.key}' is gone; restore it above the section's header row",
            )
    return found


def _extra_columns(
    grid: list[list[CellValue]], row: int, columns: dict[str, int]
) -> dict[int, str]:
    """A person's own columns in a section's header row: titled cells that are not
    the template's."""
    ours = set(columns.values())
    width = len(grid[row - 1]) if row - 1 < len(grid) else 0
    return {
        c: _text(_cell(grid, row, c))
        for c in range(2, width + 1)
        if c not in ours and _text(_cell(grid, row, c))
    }


def _header_columns(
    tab: str,
    grid: list[list[CellValue]],
    row: int,
    section: Section,
    end: int,
    known: frozenset[str] | None = None,
) -> dict[str, int]:
    """Column key -> sheet column, matched by header title (columns may be reordered).

    A column of the template the header row lacks is new to this page (a template
    changed since the page was made, issue 13) and left out: the page gains it at
    its next write. Unless its title was deleted: a column where the template puts
    it, untitled, with values below, is refused as before; and so is any column
    ``known`` (the keys, casefolded, the section's columns have had, where that is
    known): its title was deleted. A title at a column's place that names a known
    column the template dropped is not taken for a retitling."""
    current = {c.key.casefold() for c in section.columns}
    retired = (known or frozenset()) - current
    if _norm(_cell(grid, row, 1)) != ID_HEADER:
        raise PageError(
            tab,
            cell_name(row, 1),
            f"header row of section '{section.title}' is missing "
            f"(expected 'id' here, then the column titles); restore it",
        )
    width = max(len(grid[row - 1]), 1 + len(section.columns))
    titles = {c: _norm(_cell(grid, row, c)) for c in range(2, width + 1)}
    found: dict[str, int] = {}
    for col in section.columns:
        names = {col.title.casefold(), col.key.casefold()}
        match = [c for c, t in titles.items() if t in names and c not in found.values()]
        if match:
            found[col.key] = match[0]
    for i, col in enumerate(section.columns):
        default = i + 2
        title = titles.get(default)
        if (
            col.key not in found
            and default not in found.values()
            and title
            and title.replace(" ", "_") not in retired  # not a column the template dropped
        ):
            found[col.key] = default  # retitled column: trust its position
    for i, col in enumerate(section.columns):
        at = i + 2
        if col.key in found or col.is_system:
            continue
        deleted = known is None or col.key.casefold() in known
        if deleted or (
            at not in found.values()
            and not titles.get(at)
            and any(not is_blank(_cell(grid, r, at)) for r in range(row + 1, end))
        ):
            raise PageError(
                tab,
                cell_name(row, at),
                f"section '{section.title}' has no '{col.title}' column in its header row",
            )
    return found


def _computed(value: CellValue) -> CellValue:
    """A formula counts as the value the spreadsheet computed for it, where known."""
    if isinstance(value, Formula) and value.value is not None:
        return value.value
    return value


def _read_item(
    tab: str,
    grid: list[list[CellValue]],
    row: int,
    section: Section,
    shape: SectionShape,
    warnings: list[str],
    notes: dict[tuple[int, int], str],
    reading: Reading = ANY,
) -> Item | None:
    columns = shape.columns
    raw = {
        col.key: _computed(_cell(grid, row, columns[col.key])) if col.key in columns else None
        for col in section.columns
    }
    if all(is_blank(raw[c.key]) or raw[c.key] is False for c in section.user_columns):
        return None  # blank, or only an unticked box
    parsed: dict[str, CellValue] = {}
    origin: str | None = None
    carried = 0
    for col in section.columns:
        value = raw[col.key]
        if isinstance(value, str):
            try:
                check_text(value)
            except ValueError as exc:
                raise PageError(tab, cell_name(row, columns[col.key]), str(exc)) from None
        try:
            typed = col.parse(value, reading)
        except ValueError as exc:
            where = cell_name(row, columns[col.key])
            warnings.append(f"tab '{tab}' {where}: {exc}; kept as typed")
            typed = value.strip() if isinstance(value, str) else value
        if col.type == "signal":
            continue  # sheetsync's own reading of the deal, rewritten every time
        if col.type == "origin":
            origin = None if is_blank(typed) else _text(typed)
        elif col.type == "carried":
            carried = int(typed) if isinstance(typed, int | float) else 0
        else:
            parsed[col.key] = typed
    ident = _text(_cell(grid, row, 1)) or None
    extra = {
        title: _computed(_cell(grid, row, c))
        for c, title in shape.extra.items()
        if not is_blank(_cell(grid, row, c))
    }
    beyond = max([*columns.values(), *shape.extra, 1])
    width = len(grid[row - 1]) if row - 1 < len(grid) else 0
    for c in range(beyond + 1, width + 1):  # an untitled note far to the right: its letter
        if c not in shape.extra and not is_blank(_cell(grid, row, c)):
            extra.setdefault(column_letter(c), _computed(_cell(grid, row, c)))
    titles = {v: col.title for col in section.columns if (v := columns.get(col.key))}
    titles.update(shape.extra)
    row_notes = {
        titles.get(c, column_letter(c)): text for (r, c), text in notes.items() if r == row and text
    }
    return Item(ident, parsed, origin, carried, row, extra, row_notes)


def _refuse_strays(
    tab: str,
    grid: list[list[CellValue]],
    row: int,
    section: Section,
    shape: SectionShape,
    width: int,
) -> None:
    """An item row with values under no column of its section (untitled columns
    within the page's width): rows of another section pasted here, most likely.
    One such cell is a note; two or more, a refusal that says how to keep them."""
    used = set(shape.columns.values()) | set(shape.extra)
    strays = [
        cell_name(row, c)
        for c in range(2, width + 1)
        if c not in used and not is_blank(_cell(grid, row, c))
    ]
    if len(strays) >= 2:
        raise PageError(
            tab,
            strays[0],
            f"row {row} has values under no column of section '{section.title}' "
            f"({', '.join(strays)}): rows of another section pasted here? Move them back; "
            "or, to keep them as your own columns, give each a title in the header row "
            f"(row {shape.header_row})",
        )


def _read_header(
    tab: str,
    grid: list[list[CellValue]],
    first_section_row: int,
    cadence: Cadence,
    rows: dict[str, int],
    day_first: bool = False,
) -> dict[str, CellValue]:
    labels: dict[str, int] = {}
    for r in range(1, first_section_row):
        label = _norm(_cell(grid, r, 2))
        if label:
            labels.setdefault(label, r)
    header: dict[str, CellValue] = {}
    for fld in HEADER_FIELDS:
        found = labels.get(fld.label.casefold())
        if found is not None:
            rows[fld.key] = found
        if found is None:
            if fld.key in ("rep", "period"):
                raise PageError(
                    tab,
                    f"B1:B{max(first_section_row - 1, 1)}",
                    f"header field '{fld.label}' is missing; restore its label in column B",
                )
            header[fld.key] = None
            continue
        value = _computed(_cell(grid, found, 3))
        try:
            if fld.type == "date":
                value = read_date(value, day_first)
            elif fld.type == "checkbox":
                value = read_checkbox(value)
            elif fld.key == "period":
                value = _read_period(value, cadence).label
        except (ValueError, PeriodError) as exc:
            raise PageError(tab, cell_name(found, 3), f"{fld.label}: {exc}") from None
        header[fld.key] = value.strip() if isinstance(value, str) else value
    return header


def _read_period(value: CellValue, cadence: Cadence) -> Period:
    if isinstance(value, date):
        return period_of(value, cadence)
    if is_blank(value) or isinstance(value, Formula | bool):
        raise ValueError("no period; expected e.g. 2026-11")
    return parse_period(_text(value), cadence)


def _talk_rows(grid: list[list[CellValue]], after: int, before: int) -> tuple[list[int], bool]:
    """The rows of the "To talk about" block between the header fields (``after``)
    and the first section (``before``): from its marker, or, on a page made before
    the marker, the rows holding the list (its label, then its lines)."""
    for r in range(after + 1, before):
        if _text(_cell(grid, r, 1)) == TALK_MARKER:
            rows = [r]
            while (
                rows[-1] + 1 < before
                and not _text(_cell(grid, rows[-1] + 1, 1))
                and not _text(_cell(grid, rows[-1] + 1, 2))
                and len(rows) < TALK_ROWS
            ):
                rows.append(rows[-1] + 1)
            return rows, True
    rows = []
    for r in range(after + 1, before):
        label = _norm(_cell(grid, r, 2))
        if label == TALK_LABEL.casefold() or (rows and not label and _text(_cell(grid, r, 3))):
            rows.append(r)
        elif rows:
            break
    return rows, False


def parse_page(
    tab: str,
    grid: list[list[CellValue]],
    template: Template,
    cadence: Cadence,
    notes: dict[tuple[int, int], str] | None = None,
    known: Mapping[str, frozenset[str]] | None = None,
    reading: Reading | None = None,
) -> Page:
    """Read a rep page. Raises ``PageError`` naming the cell when it cannot be read safely;
    collects a warning for each value it kept as typed. ``notes``: the notes on the
    tab's cells, by (row, column); ``known``: the column keys each section has had,
    where that is known (``_header_columns``): a column missing from a page is new
    to it only when it is not among them. ``reading``: how the team types amounts
    and dates (its locale and currency; default: the template's, which the config
    sets from the team's)."""
    reading = reading or template.reading
    starts = _find_sections(tab, grid, template)
    header_rows: dict[str, int] = {}
    header = _read_header(tab, grid, min(starts.values()), cadence, header_rows, reading.day_first)
    last_header = max(header_rows.values(), default=1)
    talk, marked = _talk_rows(grid, last_header, min(starts.values()))
    shape = PageShape(len(grid), header_rows, talk, marked)
    boundaries = [*sorted(starts.values()), len(grid) + 1]
    warnings: list[str] = []
    rank = {sec.key: i for i, sec in enumerate(template.sections)}
    placed = sorted(starts, key=starts.__getitem__)
    for upper, lower in itertools.pairwise(placed):
        if rank[upper] > rank[lower]:  # read where it is; a rewrite puts it back
            warnings.append(
                f"tab '{tab}' {cell_name(starts[lower], 1)}: section "
                f"'{template.section(lower).title}' is below "
                f"'{template.section(upper).title}' (moved?); it is read where it is and "
                "goes back to its place when the page is rewritten"
            )
            break
    sections: dict[str, SectionContent] = {}
    for sec in template.sections:
        start = starts[sec.key]
        end = boundaries[boundaries.index(start) + 1]
        header_row = start + 1
        before = known.get(sec.key) if known is not None else None
        columns = _header_columns(tab, grid, header_row, sec, end, before)
        sec_shape = SectionShape(
            start, header_row, end - 1, columns, _extra_columns(grid, header_row, columns)
        )
        for col in sec.user_columns:
            if col.key not in columns:
                warnings.append(
                    f"tab '{tab}' row {header_row}: section '{sec.title}' has no "
                    f"'{col.title}' column yet (new in the template); the next write "
                    "adds it"
                )
        title = _text(_cell(grid, start, 2)).split(" · ")[0].strip() or sec.title
        content = SectionContent(sec.key, title, shape=sec_shape)
        has_counter = any(c.type == "carried" for c in sec.columns)
        period = str(header["period"])
        for r in range(header_row + 1, end):
            if _norm(_cell(grid, r, 1)) == ID_HEADER:
                raise PageError(
                    tab,
                    cell_name(r, 1),
                    f"a header row inside section '{sec.title}': two "
                    "sections were merged or a section title row was deleted",
                )
            item = _read_item(tab, grid, r, sec, sec_shape, warnings, notes or {}, reading)
            if item is None:
                continue
            _refuse_strays(tab, grid, r, sec, sec_shape, template.width)
            if not has_counter and item.origin and item.origin < period:
                item.carried = max(item.carried, 1)  # no Carried column: at least once
            content.items.append(item)
        sections[sec.key] = content
    return Page(tab, header, sections, warnings, shape)


def assign_ids(page: Page, template: Template) -> int:
    """Give every item without an id a stable one; returns how many were assigned."""
    taken = {i.id for s in page.sections.values() for i in s.items if i.id}
    count = 0
    for sec in template.sections:
        for n, item in enumerate(page.sections[sec.key].items):
            if item.id is None:
                content = "|".join(f"{k}={v!r}" for k, v in sorted(item.values.items()))
                seed = f"{page.tab}|{sec.key}|{page.period_label}|{n}|{content}"
                item.id = new_id(seed, taken)
                count += 1
    return count


def blank_page(tab: str, template: Template, header: dict[str, Any]) -> Page:
    """A new page with empty sections."""
    sections = {s.key: SectionContent(s.key, s.title) for s in template.sections}
    return Page(tab, dict(header), sections)

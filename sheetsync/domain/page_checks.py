"""What people do to a page that sheetsync must not guess at, checked against
History's last record of each item (its section and its name).

- Rows of one section found inside another (a block cut and pasted between two
  deal rows): refused, naming the row; the page is left as it is.
- A section sorted without its id column (the ids no longer match their rows):
  refused, naming the row.
- An id on two rows (a row copied with its id): the row whose name matches the
  record keeps it, the copy gets its own, and a warning says so.
- Text in column A that is not an id (a deal's name typed where ids live): moved
  to the row's first text column when that is empty, else kept in History's
  ``extra``; the row gets an id of its own; a warning says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sheetsync.domain.history import header_index, texts_under, under
from sheetsync.domain.page import Item, Page, cell_name
from sheetsync.domain.template import Section, Template
from sheetsync.domain.values import CellValue, is_blank
from sheetsync.errors import PageError

_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")  # sheetsync's ids and the CRMs'
LEAVES = ("closed", "archived", "reviewed")


@dataclass(frozen=True)
class Record:
    """An item as History last saw it."""

    section: str  # where it is expected now (the section it moved to, if it moved)
    label: str


def _name(value: CellValue) -> str:
    return " ".join(str(value).split()).casefold() if not is_blank(value) else ""


def label_column(section: Section) -> str | None:
    """The column that names an item: the section's first text column."""
    return next((c.key for c in section.user_columns if c.type == "text"), None)


def records_of(
    history: Sequence[Sequence[CellValue]], template: Template
) -> dict[tuple[str, str], Record]:
    """(rep, item id) -> where History says the item is now, and its name."""
    index = header_index(history)
    keys = {sec.key: sec for sec in template.sections}
    labels = {sec.key: label_column(sec) for sec in template.sections}  # once, not per row
    out: dict[tuple[str, str], Record] = {}
    fields = ("rep", "section", "id", "outcome")
    for row in history[1:]:
        rep, section, item_id, outcome = texts_under(row, index, fields)
        sec = keys.get(section)
        if not item_id or sec is None:
            continue
        if outcome in LEAVES:
            out.pop((rep, item_id), None)
            continue
        now = sec.carry.move_to if outcome == "moved" and sec.carry.move_to else section
        column = labels[section]
        label = _name(under(row, index, column)) if column else ""
        out[(rep, item_id)] = Record(now, label)
    return out


def check_page(
    page: Page, template: Template, rep: str, records: dict[tuple[str, str], Record]
) -> None:
    """Refuse (``PageError``) or mend what people did to ``page``; see the module.
    With no ``records`` (History not read), only what the page shows by itself."""
    titles = {sec.key: sec.title for sec in template.sections}
    for sec in template.sections:
        items = page.sections[sec.key].items
        for item in items:
            not_an_id(page, sec, item)
            record = records.get((rep, item.id or ""))
            if record is not None and record.section != sec.key and record.section in titles:
                raise PageError(
                    page.tab,
                    cell_name(item.row, 1),
                    f"'{item.label(sec)}' belongs to section '{titles[record.section]}' but "
                    f"is inside '{sec.title}' (rows cut and pasted?); move it back, or clear "
                    "its id in column A to start it anew here",
                )
        _sorted_without_ids(page, sec, rep, records)
    _one_row_per_id(page, template, rep, records)


def _sorted_without_ids(
    page: Page, sec: Section, rep: str, records: dict[tuple[str, str], Record]
) -> None:
    column = label_column(sec)
    if column is None:
        return
    items = page.sections[sec.key].items
    here = {item.id: item for item in items if item.id}
    recorded = {
        item_id: rec.label
        for item_id in here
        if (rec := records.get((rep, item_id or ""))) is not None and rec.label
    }
    owner = {label: item_id for item_id, label in recorded.items()}
    for item in items:
        label = _name(item.values.get(column))
        was = recorded.get(item.id or "")
        if was is None or not label or label == was:
            continue
        other = owner.get(label)
        if other is not None and other != item.id:
            raise PageError(
                page.tab,
                cell_name(item.row, 1),
                f"the ids in column A no longer match their rows: '{item.label(sec)}' carries "
                f"the id of '{was}' (the section sorted without column A?); undo the sort, or "
                "sort again with column A included",
            )


def _one_row_per_id(
    page: Page, template: Template, rep: str, records: dict[tuple[str, str], Record]
) -> None:
    rows: dict[str, list[tuple[Section, Item]]] = {}
    for sec in template.sections:
        for item in page.sections[sec.key].items:
            if item.id:
                rows.setdefault(item.id, []).append((sec, item))
    for item_id, found in rows.items():
        if len(found) < 2:
            continue
        record = records.get((rep, item_id))
        keeper = found[0]
        if record is not None:
            for sec, item in found:
                column = label_column(sec)
                if column and _name(item.values.get(column)) == record.label:
                    keeper = (sec, item)
                    break
        for sec, item in found:
            if item is keeper[1]:
                continue
            page.warnings.append(
                f"tab '{page.tab}' {cell_name(item.row, 1)}: id '{item_id}' is also on row "
                f"{keeper[1].row} (a copied row?); '{item.label(sec)}' gets an id of its own"
            )
            item.id = None


def not_an_id(page: Page, sec: Section, item: Item) -> None:
    """Text in column A that is not an id: a name typed there goes to the row's
    first text column where that is empty, else to History's ``extra``; either way
    the row gets an id of its own, and a warning says so."""
    text = item.id or ""
    if not text or _ID.match(text):
        return
    column = label_column(sec)
    where = f"tab '{page.tab}' {cell_name(item.row, 1)}"
    if column and is_blank(item.values.get(column)):
        item.values[column] = text
        item.mended.add(column)
        page.warnings.append(
            f"{where}: '{text}' is in column A, where sheetsync keeps ids; it is moved to "
            f"'{next(c.title for c in sec.columns if c.key == column)}'"
        )
    else:
        item.extra["column A"] = text
        page.warnings.append(
            f"{where}: '{text}' is in column A, where sheetsync keeps ids; History keeps it "
            "and the row gets an id of its own"
        )
    item.id = None

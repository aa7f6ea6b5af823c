"""Lay out pages and sheetsync's own tabs as ``SheetLayout`` objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from sheetsync.domain.layout import (
    DATE_FORMAT,
    NUMBER_FORMAT,
    Cell,
    Highlight,
    SheetLayout,
    Style,
    Validation,
    money_format,
    tint,
)
from sheetsync.domain.page import (
    ID_HEADER,
    MARKER,
    TALK_LABEL,
    TALK_MARKER,
    TALK_ROWS,
    Item,
    Page,
)
from sheetsync.domain.stage_log import STAGE_LOG_HEADER, STAGE_LOG_TAB
from sheetsync.domain.template import HEADER_FIELDS, Column, Section, Template
from sheetsync.domain.values import CellValue

INK = "#1F2328"
MUTED = "#6E7781"
TITLE = Style(bold=True, size=16, color="#0B2545")
LABEL = Style(bold=True, color=MUTED, align="right")
VALUE = Style(bold=True)
CHECKBOX = Style(align="center", checkbox=True)
META = Style(size=8, color="#8C959F")
HINT_COLOR = "#FFFFFF"
HISTORY_FIXED = ("period", "rep", "section", "id", "outcome", "since", "carried")
HISTORY_EXTRA = "extra"
LEDGER_HEADER = ("kind", "rep", "period", "at", "detail")
SCHEMA_VERSION = "1"
TEAM_HEADER = (
    "Rep",
    "Period",
    "Meeting date",
    "Open deals",
    "Pipeline",
    "Quota",
    "Coverage",
    "Win rate",
    "Stalled",
    "Pushed",
    "Slow",
    "Open actions",
    "Carried over",
    "Commitments hit",
    "Hit streak",
    "Last recap",
    "Updated",
)


def _value_style(column: Column, currency: str) -> Style:
    if column.type == "stage_since":
        return Style(color=MUTED, number_format=DATE_FORMAT, align="left")
    if column.type == "date":
        return Style(number_format=DATE_FORMAT, align="left")
    if column.type == "money":
        return Style(number_format=money_format(currency), align="right")
    if column.type == "number":
        return Style(number_format=NUMBER_FORMAT, align="right")
    if column.type in ("origin", "carried"):
        return Style(color=MUTED, align="center")
    if column.type == "signal":
        return Style(size=9, color=MUTED)
    if column.type == "checkbox":
        return CHECKBOX
    return Style(wrap=True)


def column_align(column: Column) -> str | None:
    """How a column's values sit in their cells, so that its header sits the same
    way (a right-aligned amount under a left-aligned title reads as the next
    column's)."""
    return _value_style(column, "").align


def _item_value(item: Item, column: Column) -> CellValue:
    if column.type == "origin":
        return item.origin
    if column.type == "carried":
        return item.carried or None
    value = item.values.get(column.key)
    if column.type == "checkbox" and value is None:
        return False
    return value


ALERT = "#FBE3E1"  # stalled or slow: red tint
WATCH = "#FDF1D6"  # pushed: amber tint
TALK_STYLE = Style(color=INK, fill=WATCH, wrap=False)
TALK_EMPTY = Style(italic=True, color=MUTED)
NOTHING_TO_TALK = "nothing flagged"


SIGNAL_COLORS = (("stalled", ALERT), ("slow", ALERT), ("pushed", WATCH))  # first match wins


def signal_style(flags: Sequence[str]) -> Style:
    """The signal cell's text; its colour comes from conditional formats, so that
    it follows the text. One line that runs on to the right: a wrapped cell would
    need a taller row."""
    return Style(size=9, color=INK if flags else MUTED)


# --- rows, one at a time: a new page is made of them, and an edit writes them -----------


def title_cells(page: Page) -> list[Cell]:
    rep = page.header.get("rep") or page.tab
    return [Cell(None, META), Cell(f"{rep} · 1:1 · {page.period_label}", TITLE)]


def header_value(page: Page, key: str) -> Cell:
    """The value cell (column C) of a header field."""
    fld = next(f for f in HEADER_FIELDS if f.key == key)
    value = page.header.get(fld.key)
    if fld.type == "date":
        return Cell(value, Style(bold=True, number_format=DATE_FORMAT, align="left"))
    if fld.type == "checkbox":
        return Cell(value is True, Style(align="left", checkbox=True))
    return Cell(value, VALUE)


def talk_cells(talk: Sequence[str], n: int) -> list[Cell]:
    """Row ``n`` of the "To talk about" block: its marker and label on the first,
    then one line each; a block of a fixed number of rows, so that a longer or
    shorter list never moves the page."""
    line = talk[n] if n < len(talk) else None
    value = Cell(line, TALK_STYLE) if line else Cell(None, Style())
    if n == 0:
        if not talk:
            value = Cell(NOTHING_TO_TALK, TALK_EMPTY)
        return [Cell(TALK_MARKER, META), Cell(TALK_LABEL, LABEL), value]
    return [Cell(), Cell(), value]


def section_title_cells(sec: Section, title: str, width: int) -> list[Cell]:
    band = Style(bold=True, size=12, color="#FFFFFF", fill=sec.color)
    hint = Style(italic=True, color=HINT_COLOR, fill=sec.color)
    shown = f"{title} · {sec.minutes} min" if sec.minutes else title
    cells = [
        Cell(MARKER + sec.key, Style(size=8, color=sec.color, fill=sec.color)),
        Cell(shown, band),
    ]
    cells += [Cell(None, band) for _ in range(width - 2)]
    if sec.hint and width > 3:
        cells[3] = Cell(sec.hint, hint)
    return cells


def section_header_cells(sec: Section, width: int) -> list[Cell]:
    head = Style(bold=True, fill=tint(sec.color, 0.82), color=INK)
    return [
        Cell(ID_HEADER, Style(bold=True, size=8, color=MUTED, fill=tint(sec.color, 0.82))),
        *[Cell(col.title, replace(head, align=column_align(col))) for col in sec.columns],
        *[Cell(None, head) for _ in range(width - 1 - len(sec.columns))],
    ]


def item_cells(
    sec: Section, item: Item | None, currency: str, flags: Sequence[str] = ()
) -> list[Cell]:
    """An item's row (column A, then the section's columns); a blank typing row for
    no item."""
    styles = [_value_style(col, currency) for col in sec.columns]
    if item is None:
        return [
            Cell(None, META),
            *[
                Cell(False if col.type == "checkbox" else None, st)
                for col, st in zip(sec.columns, styles, strict=True)
            ],
        ]
    return [
        Cell(item.id, META),
        *[
            Cell("; ".join(flags) or None, signal_style(flags))
            if col.type == "signal"
            else Cell(_item_value(item, col), st)
            for col, st in zip(sec.columns, styles, strict=True)
        ],
    ]


def row_validations(sec: Section, first: int, last: int) -> list[Validation]:
    """The dropdowns and checkboxes of a section's rows ``first..last``."""
    out = []
    for i, col in enumerate(sec.columns):
        if col.type == "choice":
            out.append(Validation(i + 2, first, last, col.choices))
        elif col.type == "checkbox":
            out.append(Validation(i + 2, first, last))
    return out


def signal_highlights(sec: Section, column: int, first: int, last: int) -> list[Highlight]:
    return [Highlight(column, first, last, text, fill) for text, fill in SIGNAL_COLORS]


def page_widths(template: Template) -> list[float]:
    width = template.width
    widths = [9.0] + [14.0] * (width - 1)
    widths[1] = 16.0
    for sec in template.sections:
        for i, col in enumerate(sec.columns):
            if col.width:
                widths[i + 1] = max(widths[i + 1], float(col.width))
    return widths


def render_page(
    page: Page,
    template: Template,
    currency: str = "$",
    signals: Mapping[str, Sequence[str]] | None = None,
    talk: Sequence[str] = (),
) -> SheetLayout:
    """The full tab for ``page``: title, header block, the "to talk about" block, then
    every section. ``signals`` maps a deal's id to its flags (shown in the deal
    sections' signal column); ``talk`` is the short list under the header."""
    width = template.width
    sheet = SheetLayout(title=page.tab, freeze_rows=1, freeze_cols=1, kind="page")
    sheet.add(*title_cells(page))
    for fld in HEADER_FIELDS:
        row = sheet.add(Cell(), Cell(fld.label, LABEL), header_value(page, fld.key))
        if fld.type == "checkbox":
            sheet.validations.append(Validation(3, row, row))
    for n in range(TALK_ROWS):
        sheet.add(*talk_cells(talk, n))
    sheet.add()
    for sec in template.sections:
        _render_section(sheet, sec, page, width, currency, signals or {})
    sheet.widths = page_widths(template)
    return sheet


def _render_section(
    sheet: SheetLayout,
    sec: Section,
    page: Page,
    width: int,
    currency: str,
    signals: Mapping[str, Sequence[str]],
) -> None:
    content = page.sections.get(sec.key)
    sheet.add(*section_title_cells(sec, content.title if content else sec.title, width))
    sheet.add(*section_header_cells(sec, width))
    items = content.items if content else []
    first = len(sheet.rows) + 1
    for item in items:
        sheet.add(*item_cells(sec, item, currency, signals.get(item.id or "", ())))
    for _ in range(sec.blank_rows):
        sheet.add(*item_cells(sec, None, currency))
    last = len(sheet.rows)
    for i, col in enumerate(sec.columns):
        if col.type == "signal":
            sheet.highlights += signal_highlights(sec, i + 2, first, last)
    sheet.validations += row_validations(sec, first, last)
    sheet.add()


def history_header(template: Template) -> list[str]:
    """History's columns: the fixed ones, the template's, and ``extra`` (a person's
    own columns and the notes of an archived row, as ``Header: value`` pairs)."""
    return [*HISTORY_FIXED, *template.history_keys, HISTORY_EXTRA]


# what History's columns show as their titles; the cells hold the keys
HISTORY_TITLES = {
    "period": "Period",
    "rep": "Rep",
    "section": "Section",
    "id": "Item id",
    "outcome": "Outcome",
    "since": "Since",
    "carried": "Times carried",
    "extra": "Extra (own columns, notes)",
}
HISTORY_WIDTHS = {"period": 9, "rep": 18, "section": 22, "id": 9, "outcome": 10, "since": 9}


def history_titles(template: Template) -> dict[str, str]:
    """Each History column's title as people read it: the template's title for
    its column (its key, made readable, where two sections title it apart)."""
    titles: dict[str, set[str]] = {}
    for sec in template.sections:
        for col in sec.columns:
            titles.setdefault(col.key, set()).add(col.title)
    out = dict(HISTORY_TITLES)
    for key in template.history_keys:
        named = titles.get(key, set())
        out[key] = next(iter(named)) if len(named) == 1 else key.replace("_", " ").capitalize()
    return out


def shown_as(title: str) -> str:
    """A number format that shows a text cell as ``title``: History's header cells
    keep the key every reader (sheetsync, a person's formulas, an export) finds
    the column by, and show people a title."""
    return ';;;"' + title.replace('"', "'") + '"'


def history_aligns(template: Template) -> dict[str, str | None]:
    """How each History column's values sit: numbers right, the rest left."""
    out: dict[str, str | None] = {"carried": "right"}
    for sec in template.sections:
        for col in sec.columns:
            if col.type in ("number", "money"):
                out.setdefault(col.key, "right")
    return out


def render_history(template: Template) -> SheetLayout:
    head = Style(bold=True, fill="#E6EAF0")
    sheet = SheetLayout(title="History", freeze_rows=1, tab_color="#6E7781", kind="history")
    titles, aligns = history_titles(template), history_aligns(template)
    keys = history_header(template)
    sheet.add(
        *[
            Cell(k, replace(head, number_format=shown_as(titles[k]), align=aligns.get(k)))
            for k in keys
        ]
    )
    sheet.widths = [
        float(HISTORY_WIDTHS.get(k, 40 if k == HISTORY_EXTRA else max(12, len(titles[k]) + 3)))
        for k in keys
    ]
    return sheet


def render_stage_log() -> SheetLayout:
    """``_stages``, empty: each deal's dated changes of stage (``stage_log``)."""
    sheet = SheetLayout(title=STAGE_LOG_TAB, hidden=True, kind="ledger")
    sheet.add(*[Cell(h, Style(bold=True)) for h in STAGE_LOG_HEADER])
    sheet.widths = [12, 20, 14, 16, 16, 11, 30, 22]
    return sheet


def render_ledger(rows: Sequence[Sequence[CellValue]]) -> SheetLayout:
    sheet = SheetLayout(title="_sheetsync", hidden=True, kind="ledger")
    sheet.add(*[Cell(h, Style(bold=True)) for h in LEDGER_HEADER])
    for row in rows:
        sheet.add(*[Cell(v) for v in row])
    sheet.widths = [10, 20, 10, 22, 30]
    return sheet


def render_table(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    formats: Sequence[str | None],
    tab_color: str | None = None,
) -> SheetLayout:
    """A plain table tab such as ``Team``: bold header, formatted columns, each
    header aligned as its figures are (numbers right, text and dates left), and
    columns wide enough for their longest text."""
    sheet = SheetLayout(title=title, freeze_rows=1, freeze_cols=1, tab_color=tab_color)
    aligns: list[str | None] = [table_align(f) for f in formats]
    aligns += [None] * (len(header) - len(aligns))
    head = Style(bold=True, color="#FFFFFF", fill="#0B2545")
    sheet.add(*[Cell(h, replace(head, align=a)) for h, a in zip(header, aligns, strict=True)])
    for row in rows:
        sheet.add(
            *[
                Cell(v, Style(number_format=f, align=a))
                for v, f, a in zip(row, formats, aligns, strict=False)
            ]
        )
    sheet.widths = [
        table_width(h, [r[i] if i < len(r) else None for r in rows]) for i, h in enumerate(header)
    ]
    sheet.widths[0] = max(sheet.widths[0], 20.0)
    return sheet


def table_align(number_format: str | None) -> str:
    """Right for a number's format, left for text and dates."""
    if number_format is None or is_date_pattern(number_format):
        return "left"
    return "right"


def is_date_pattern(code: str) -> bool:
    bare = "".join(code.split('"')[::2])  # quoted text left out
    return any(part in bare.lower() for part in ("d", "m", "y")) and "General" not in bare


def table_width(header: str, values: Sequence[CellValue]) -> float:
    """A column wide enough for its header and its longest text (in characters),
    between 8 and 40."""
    longest = max((len(v) for v in values if isinstance(v, str)), default=0)
    return float(min(40, max(8, len(header) + 3, longest + 2)))

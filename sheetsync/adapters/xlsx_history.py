"""Append-only tabs (History, the ledger) handled as bytes: a rollover costs time
for the rows it adds, not for every row ever archived.

Rows are read with a regular expression where they have the shape sheetsync
writes (several times faster than an XML parser), with a streaming parser for
anything else (rows Excel or LibreOffice saved with shared strings and styles).
New rows go after the last row that holds a value, before any empty rows a
program left further down (LibreOffice writes one at the sheet's last row after
a row is deleted), and the rows already there are never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, unescape

from sheetsync.adapters.xlsx_package import splice
from sheetsync.adapters.xlsx_read import Dates
from sheetsync.domain.layout import (
    BOOLEAN_FORMAT,
    DECIMAL_FORMAT,
    ISO_DATE_FORMAT,
    ISO_MOMENT_FORMAT,
    WHOLE_FORMAT,
    Style,
)
from sheetsync.domain.page import column_letter, column_number
from sheetsync.domain.values import CellValue, Formula

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHEETDATA = re.compile(rb"<sheetData\s*/>|<sheetData[^>]*>")
_ROW_START = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_DIMENSION = re.compile(rb"<dimension[^>]*/>")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_OUR_ROW = re.compile(rb'<row r="(\d+)">(.*?)</row>', re.S)
# a cell as (column, the rest): the rest, as bytes, says the value whatever the row
_OUR_CELL_REST = re.compile(
    rb'<c r="([A-Z]+)\d+"((?: s="\d+")?(?: t="(?:b|inlineStr)")?>'
    rb'(?:<v>[^<]*</v>|<is><t(?: xml:space="preserve")?>[^<]*</t></is>)</c>)'
)
_REST = re.compile(
    rb'(?: s="(\d+)")?(?: t="(b|inlineStr)")?>'
    rb'(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)</c>'
)
Rows = list[tuple[int, list[CellValue]]]
# how appended values show: whole numbers with thousands separated, others with
# their decimals (History's amounts, targets and actuals, as typed numbers), and
# dates as dates (a serial number in a date format, as Excel and LibreOffice keep them)
NUMBER_STYLES = {
    "whole": Style(number_format=WHOLE_FORMAT),
    "decimal": Style(number_format=DECIMAL_FORMAT),
    "boolean": Style(number_format=BOOLEAN_FORMAT),  # LibreOffice shows 0 without
    "date": Style(number_format=ISO_DATE_FORMAT),
    "moment": Style(number_format=ISO_MOMENT_FORMAT),
}


class Unsupported(Exception):
    """The sheet's XML is not shaped as a worksheet should be."""


def sheet_data(xml: bytes) -> tuple[int, int]:
    """Where the rows of a worksheet's XML are: (start, end) of what lies between
    ``<sheetData>`` and ``</sheetData>``."""
    m = _SHEETDATA.search(xml)
    if m is None:
        raise Unsupported("no sheetData")
    if m.group(0).endswith(b"/>"):
        return m.start(), m.start()
    end = xml.find(b"</sheetData>", m.end())
    if end < 0:
        raise Unsupported("no end of sheetData")
    return m.end(), end


def parse_rows(body: bytes, strings: Sequence[str] | None, dates: Dates | None = None) -> Rows:
    """(row number, values) for each row of a sheetData fragment; without
    ``strings``, a shared string reads as "" (there, but its text not looked up)."""
    # streamed, each row emptied once read: a tree of a large History would take
    # gigabytes (one element per cell)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    parser.feed(b'<sheetData xmlns="' + MAIN.encode() + b'">')
    row_tag, cell_tag = f"{{{MAIN}}}row", f"{{{MAIN}}}c"
    rows: Rows = []
    chunk = 1 << 20
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] + [b"</sheetData>"]
    for piece in pieces:
        parser.feed(piece)
        for event in parser.read_events():
            elem = event[1]  # type: ignore[misc]  # typeshed: ("end", Element)
            if not isinstance(elem, ET.Element) or elem.tag != row_tag:
                continue
            values: list[CellValue] = []
            for c in elem.iter(cell_tag):
                ref = c.get("r", "")
                col = column_number(ref.rstrip("0123456789")) if ref else len(values) + 1
                values.extend([None] * (col - 1 - len(values)))
                values.append(_cell(c, strings, dates or Dates()))
            while values and values[-1] is None:
                values.pop()
            rows.append((int(elem.get("r", len(rows) + 1)), values))
            elem.clear()
    parser.close()
    return rows


def _cell(c: ET.Element, strings: Sequence[str] | None, dates: Dates) -> CellValue:
    kind = c.get("t", "n")
    v = c.find(f"{{{MAIN}}}v")
    text = v.text if v is not None else None
    if kind == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{{{MAIN}}}t"))
    if text is None:
        return None
    if kind == "s":
        return strings[int(text)] if strings is not None else ""
    if kind == "b":
        return text.strip() == "1"
    if kind in ("str", "e"):
        return text
    return dates.value(float(text), int(c.get("s", "0")))


def read_rows(xml: bytes, strings: Sequence[str] | None, dates: Dates | None = None) -> Rows:
    """Every row of a worksheet, as (row number, values); a number in a date
    format as the date (``dates``). A value that repeats (a period, a rep, a
    stage: most of History) is read once and is one object however many cells
    hold it, which keeps a long History to a fraction of the time and memory a
    value per cell takes."""
    dates = dates or Dates()
    start, end = sheet_data(xml)
    body = memoryview(xml)[start:end]  # not copied: History's XML is tens of MB
    rows: Rows = []
    seen: dict[bytes, CellValue] = {}  # a cell's XML after its reference -> its value
    columns: dict[bytes, int] = {}
    for m in _OUR_ROW.finditer(body):
        inner = m.group(2)
        cells = _OUR_CELL_REST.findall(inner)
        if len(cells) != inner.count(b"<c "):
            return parse_rows(bytes(body), strings, dates)
        values: list[CellValue] = []
        for col, rest in cells:
            n = columns.get(col)
            if n is None:
                n = columns[col] = column_number(col.decode())
            if n - 1 > len(values):
                values.extend([None] * (n - 1 - len(values)))
            value = seen.get(rest, _MISSING)
            if value is _MISSING:
                value = seen[rest] = _value(rest, dates)
            values.append(value)  # type: ignore[arg-type]  # not _MISSING by now
        rows.append((int(m.group(1)), values))
    if len(rows) != xml.count(b"<row", start, end):
        return parse_rows(bytes(body), strings, dates)
    return rows


def _value(rest: bytes, dates: Dates) -> CellValue:
    m = _REST.match(rest)
    assert m is not None  # matched by _OUR_CELL_REST
    style, kind, number, text = m.groups()
    if kind == b"inlineStr":
        return unescape(text.decode("utf-8"))
    if kind == b"b":
        return bool(number.strip() == b"1")
    return dates.value(float(number), int(style or 0))


_MISSING = object()


def last_data_row(rows: Rows) -> int:
    """The last row that holds a value (0 for none): where an append goes after."""
    return max((r for r, values in rows if any(v is not None for v in values)), default=0)


def as_grid(rows: Rows) -> list[list[CellValue]]:
    """Rows in order, as a grid without the empty ones (a row deleted in a
    spreadsheet program leaves no hole in the log)."""
    return [values for _, values in sorted(rows) if any(v is not None for v in values)]


def _xml_text(value: str) -> str:
    return escape(_XML_BAD.sub("", value))


def rows_xml(
    rows: Iterable[Sequence[CellValue]],
    first_row: int,
    numbers: Mapping[str, int] | None = None,
    dates: Dates | None = None,
) -> bytes:
    """Rows as worksheet XML: text as inline strings (never formulas), numbers
    and booleans, and dates as date serials (``dates``: the workbook's epoch),
    each formatted with the cell format ``numbers`` gives for its kind of
    ``NUMBER_STYLES``. Without a date format, a date goes as ISO text."""
    numbers = numbers or {}
    dates = dates or Dates()
    whole, decimal, boolean, day, moment = (
        f' s="{numbers[k]}"' if k in numbers else ""
        for k in ("whole", "decimal", "boolean", "date", "moment")
    )
    out: list[str] = []
    for r, row in enumerate(rows, start=first_row):
        cells: list[str] = []
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            ref = f"{column_letter(c)}{r}"
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}"{boolean} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                style = whole if float(value).is_integer() else decimal
                cells.append(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
            elif isinstance(value, date) and (moment if isinstance(value, datetime) else day):
                style = moment if isinstance(value, datetime) else day
                cells.append(f'<c r="{ref}"{style}><v>{dates.serial(value)!r}</v></c>')
            else:
                text = value.isoformat() if isinstance(value, date) else str(value)
                if isinstance(value, Formula):
                    text = value.text
                cells.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">'
                    f"{_xml_text(text)}</t></is></c>"
                )
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(out).encode("utf-8")


def append_rows(
    xml: bytes,
    rows: Sequence[Sequence[CellValue]],
    last_data_row: int,
    numbers: Mapping[str, int] | None = None,
    dates: Dates | None = None,
) -> bytes:
    """``rows`` added after row ``last_data_row`` (the last that holds a value), and
    before any row a program left further down; an empty row element in the way
    (a format, no value) gives its place to the new row."""
    return b"".join(append_pieces(xml, rows, last_data_row, numbers, dates))


@dataclass(frozen=True)
class Tail:
    """Where an append goes in a worksheet's XML as read: the offsets of its
    ``<dimension>``, of the end of its rows, and of each row element after the last
    row with data (r, start, end). What an append needs, without the XML."""

    last_data_row: int
    rows_end: int
    dimension: tuple[int, int] | None
    after: tuple[tuple[int, int, int], ...]


def tail_of(xml: bytes, last_data_row: int) -> Tail | None:
    """The ``Tail`` of a worksheet whose last row with data is ``last_data_row``:
    its rows are in order, so the search starts at that row's element. None for
    a sheet whose ``<sheetData/>`` is empty and closed (a tab a program cleared):
    rows cannot go inside it without rewriting the tag (``append_pieces`` does)."""
    opening = _SHEETDATA.search(xml)
    if opening is not None and opening.group(0).endswith(b"/>"):
        return None
    start, end = sheet_data(xml)
    view = memoryview(xml)
    from_ = start
    if last_data_row:
        found = re.compile(rb'<row\b[^>]*?\br="%d"' % last_data_row).search(view, start, end)
        from_ = found.start() if found else start
    after = []
    for m in re.finditer(rb"<row\b[^>]*?/>|<row\b.*?</row>", view[from_:end], re.S):
        element = m.group(0)
        number = _ROW_START.match(element[: element.find(b">") + 1])  # its own tag
        r = int(number.group(1)) if number else 0
        if r > last_data_row:
            after.append((r, from_ + m.start(), from_ + m.end()))
    dimension = _DIMENSION.search(view[:start])
    span = (dimension.start(), dimension.end()) if dimension else None
    return Tail(last_data_row, end, span, tuple(after))


def splices(
    tail: Tail,
    rows: Sequence[Sequence[CellValue]],
    numbers: Mapping[str, int] | None = None,
    dates: Dates | None = None,
) -> list[tuple[int, int, bytes]]:
    """(start, end, new bytes) that append ``rows`` to the XML ``tail`` was read
    from: after the last row with data and before any row a program left further
    down; an empty row element in the way (a format, no value) gives its place to
    the new row; the stale ``<dimension>`` goes (programs work the size out)."""
    first, last = tail.last_data_row + 1, tail.last_data_row + len(rows)
    out: list[tuple[int, int, bytes]] = []
    if tail.dimension:
        out.append((*tail.dimension, b""))
    cut = tail.rows_end
    for r, start, end in tail.after:
        if first <= r <= last:  # empty by definition of last_data_row: it makes way
            out.append((start, end, b""))
        elif cut == tail.rows_end:
            cut = start
    out.append((cut, cut, rows_xml(rows, first, numbers, dates)))
    return sorted(out, key=lambda s: (s[0], s[1]))


def append_pieces(
    xml: bytes,
    rows: Sequence[Sequence[CellValue]],
    last_data_row: int,
    numbers: Mapping[str, int] | None = None,
    dates: Dates | None = None,
) -> list[bytes | memoryview]:
    """``append_rows`` as the pieces that make it, views of ``xml`` and the new
    rows' XML: the whole is never built in memory."""
    if not rows:
        return [xml]
    xml = re.sub(rb"<sheetData\s*/>", b"<sheetData></sheetData>", xml, count=1)
    tail = tail_of(xml, last_data_row)
    assert tail is not None  # <sheetData/> was opened just above
    return list(splice([xml], splices(tail, rows, numbers, dates)))


def header_cells(xml: bytes, columns: Sequence[tuple[int, str]]) -> bytes:
    """Titles added to the first row (``columns``: 1-based column, title), after the
    cells it has."""
    start, end = sheet_data(xml)
    m = re.compile(rb'<row\b[^>]*?\br="1"[^>]*?(/>|>)').search(xml, start, end)
    cells = b"".join(
        f'<c r="{column_letter(c)}1" t="inlineStr"><is><t>{_xml_text(t)}</t></is></c>'.encode()
        for c, t in columns
    )
    if m is None:  # no header row at all: one with just these
        return xml[:start] + b'<row r="1">' + cells + b"</row>" + xml[start:]
    opening = re.sub(rb'\sspans="[^"]*"', b"", xml[m.start() : m.end()])  # a hint, now stale
    if m.group(1) == b"/>":
        return xml[: m.start()] + opening[:-2] + b">" + cells + b"</row>" + xml[m.end() :]
    close = xml.find(b"</row>", m.end())
    return xml[: m.start()] + opening + xml[m.end() : close] + cells + xml[close:]

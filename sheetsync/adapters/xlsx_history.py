"""History without openpyxl: the append-only tab is carried through a write as
XML, so a rollover costs time for the rows it adds, not for every row ever archived.

On read, openpyxl gets the workbook with History cut down to its header row. On
write, openpyxl saves that, and History's rows are put back: the old ones as they
were (converted to inline strings if Excel or LibreOffice stored them as shared
strings) and the new ones after them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, unescape

from sheetsync.domain.page import column_letter, column_number
from sheetsync.domain.values import CellValue, Formula

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEETDATA = re.compile(rb"<sheetData\s*/>|<sheetData[^>]*>")
_ROW_NUM = re.compile(rb'<row[^>]*\br="(\d+)"')
_DIMENSION = re.compile(rb"<dimension[^>]*/>")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Unsupported(Exception):
    """The sheet is shaped in a way this fast path does not handle; use openpyxl."""


def sheet_part(z: zipfile.ZipFile, title: str) -> str | None:
    """The zip member holding the worksheet titled ``title``."""
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rid = None
    for sheet in book.iter(f"{{{MAIN}}}sheet"):
        if sheet.get("name") == title:
            rid = sheet.get(f"{{{REL}}}id")
    if rid is None:
        return None
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{{{PKG}}}Relationship"):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


@dataclass
class SplitSheet:
    """A worksheet's XML cut into: everything up to and including the header row,
    the rows after it, and everything from ``</sheetData>`` on."""

    head: bytes
    body: bytes
    tail: bytes

    @property
    def last_row(self) -> int:
        rows = _ROW_NUM.findall(self.body) or _ROW_NUM.findall(self.head)
        return int(rows[-1]) if rows else 0

    def stub(self) -> bytes:
        return self.head + self.tail


def split_sheet(xml: bytes) -> SplitSheet:
    m = _SHEETDATA.search(xml)
    if m is None:
        raise Unsupported("no sheetData")
    if m.group(0).endswith(b"/>"):  # empty sheet
        start = m.start()
        return SplitSheet(xml[:start] + b"<sheetData>", b"", b"</sheetData>" + xml[m.end() :])
    end = xml.find(b"</sheetData>", m.end())
    first = xml.find(b"</row>", m.end())
    if end < 0 or b"<x:" in xml[: m.end()]:
        raise Unsupported("unexpected sheet XML")
    cut = m.end() if first < 0 or first > end else first + len(b"</row>")
    return SplitSheet(xml[:cut], xml[cut:end], xml[end:])


def is_plain(body: bytes) -> bool:
    """Rows sheetsync wrote: inline strings and no style references."""
    return b' t="s"' not in body and b" s=" not in body


def shared_strings(z: zipfile.ZipFile) -> list[str]:
    try:
        root = ET.fromstring(z.read("xl/sharedStrings.xml"))
    except KeyError:
        return []
    return ["".join(t.text or "" for t in si.iter(f"{{{MAIN}}}t")) for si in root]


def parse_rows(body: bytes, strings: Sequence[str]) -> list[tuple[int, list[CellValue]]]:
    """(row number, values) for each row of a sheetData fragment."""
    # streamed, each row emptied once read: a tree of a large History would take
    # gigabytes (one element per cell)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    parser.feed(b'<sheetData xmlns="' + MAIN.encode() + b'">')
    row_tag, cell_tag = f"{{{MAIN}}}row", f"{{{MAIN}}}c"
    rows: list[tuple[int, list[CellValue]]] = []
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
                values.append(_cell(c, strings))
            rows.append((int(elem.get("r", len(rows) + 2)), values))
            elem.clear()
    parser.close()
    return rows


def _cell(c: ET.Element, strings: Sequence[str]) -> CellValue:
    kind = c.get("t", "n")
    v = c.find(f"{{{MAIN}}}v")
    text = v.text if v is not None else None
    if kind == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{{{MAIN}}}t"))
    if text is None:
        return None
    if kind == "s":
        return strings[int(text)]
    if kind == "b":
        return text.strip() == "1"
    if kind in ("str", "e"):
        return text
    number = float(text)
    return int(number) if number.is_integer() else number


def _xml_text(value: str) -> str:
    return escape(_XML_BAD.sub("", value))


def rows_xml(rows: Iterable[Sequence[CellValue]], first_row: int) -> bytes:
    """Rows as worksheet XML: text as inline strings (never formulas), numbers,
    booleans; dates as ISO text."""
    out: list[str] = []
    for r, row in enumerate(rows, start=first_row):
        cells: list[str] = []
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            ref = f"{column_letter(c)}{r}"
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
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


@dataclass
class HeldHistory:
    """History's rows as read, held aside while openpyxl handles the rest."""

    body: bytes
    last_row: int


def hold_history(data: bytes, title: str) -> tuple[bytes, HeldHistory | None]:
    """The workbook with ``title`` cut to its header row, and the rows cut out.
    Returns the workbook unchanged and None where the fast path does not apply."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            part = sheet_part(z, title)
            if part is None:
                return data, None
            split = split_sheet(z.read(part))
            body = split.body
            if not is_plain(body):
                rows = parse_rows(body, shared_strings(z))
                body = b"".join(rows_xml([values], r) for r, values in rows)
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as stub:
                for info in z.infolist():
                    content = split.stub() if info.filename == part else z.read(info)
                    stub.writestr(info.filename, content)
    except (Unsupported, ET.ParseError, KeyError, ValueError, IndexError):
        return data, None
    return out.getvalue(), HeldHistory(body, split.last_row)


def put_back(saved: bytes, title: str, held: HeldHistory | None, new_rows: bytes) -> bytes:
    """``saved`` (openpyxl's output) with History's held rows and ``new_rows`` after its
    header row."""
    if held is None and not new_rows:
        return saved
    body = (held.body if held else b"") + new_rows
    with zipfile.ZipFile(io.BytesIO(saved)) as z:
        part = sheet_part(z, title)
        if part is None:
            raise Unsupported(f"tab '{title}' vanished while saving")
        split = split_sheet(z.read(part))
        xml = _DIMENSION.sub(b"", split.head) + body + split.tail
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as final:
            for info in z.infolist():
                final.writestr(info, xml if info.filename == part else z.read(info))
    return out.getvalue()


_OUR_ROW = re.compile(rb'<row r="\d+">(.*?)</row>', re.S)
_OUR_CELL = re.compile(
    rb'<c r="([A-Z]+)\d+"(?: t="(b|inlineStr)")?>'
    rb'(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)</c>'
)


def read_rows(body: bytes) -> list[list[CellValue]]:
    """History's rows as values. A held body is always in the shape ``rows_xml``
    writes, which a regular expression reads several times faster than an XML
    parser; anything else (a row it does not recognise) goes to the full parser."""
    rows: list[list[CellValue]] = []
    matched = 0
    for m in _OUR_ROW.finditer(body):
        inner = m.group(1)
        cells = _OUR_CELL.findall(inner)
        if len(cells) != inner.count(b"<c "):
            return [values for _, values in parse_rows(body, [])]
        values: list[CellValue] = []
        for col, kind, number, text in cells:
            n = column_number(col.decode())
            values.extend([None] * (n - 1 - len(values)))
            if kind == b"inlineStr":
                values.append(unescape(text.decode("utf-8")))
            elif kind == b"b":
                values.append(number.strip() == b"1")
            else:
                x = float(number)
                values.append(int(x) if x.is_integer() else x)
        rows.append(values)
        matched += 1
    if matched != body.count(b"<row"):
        return [values for _, values in parse_rows(body, [])]
    return rows

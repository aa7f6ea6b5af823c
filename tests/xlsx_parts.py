"""An ``.xlsx`` file looked at as Excel reads it: its zip parts, the drawings of a
tab (found workbook -> sheet -> the sheet's relationships), what a drawing shows,
and where its pictures are anchored; and a small PNG to put in one."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from lxml import etree


def png(path: Path) -> Path:
    """A small picture: a 16×16 green square, as a PNG file."""
    rows = b"".join(b"\x00" + b"\x20\xa0\x40" * 16 for _ in range(16))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def parts(book: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(book) as z:
        return {name: z.read(name) for name in z.namelist()}


def drawings_of(book: Path, tab: str) -> list[str]:
    """The drawing parts of a tab, found the way Excel does: workbook -> sheet ->
    the sheet's relationships."""
    files = parts(book)
    rel = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rid_attr = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    workbook = etree.fromstring(files["xl/workbook.xml"])
    rels = {
        r.get("Id"): r.get("Target")
        for r in etree.fromstring(files["xl/_rels/workbook.xml.rels"]).iter(rel)
    }
    sheet = next(s for s in workbook.iter(f"{main}sheet") if s.get("name") == tab)
    target = str(rels[sheet.get(rid_attr)]).lstrip("/")
    part = target if target.startswith("xl/") else "xl/" + target
    folder, name = part.rsplit("/", 1)
    sheet_rels = etree.fromstring(files[f"{folder}/_rels/{name}.rels"])
    return [
        "xl/" + str(r.get("Target")).split("../")[-1]
        for r in sheet_rels.iter(rel)
        if str(r.get("Type")).endswith("/drawing")
    ]


def hanging_from(book: Path, drawing: str) -> list[str]:
    """The parts a drawing shows: its pictures and charts."""
    rel = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
    folder, name = drawing.rsplit("/", 1)
    rels = etree.fromstring(parts(book)[f"{folder}/_rels/{name}.rels"])
    return ["xl/" + str(r.get("Target")).split("../")[-1] for r in rels.iter(rel)]


def picture_rows(book: Path, tab: str) -> list[int]:
    """The 1-based row each picture on ``tab`` is anchored at."""
    xdr = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
    rows = []
    for part in drawings_of(book, tab):
        for anchor in etree.fromstring(parts(book)[part]):
            if anchor.find(f"{xdr}pic") is not None:
                rows.append(int(anchor.find(f"{xdr}from/{xdr}row").text) + 1)
    return rows

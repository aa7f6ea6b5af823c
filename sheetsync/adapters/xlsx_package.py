"""An ``.xlsx`` file as its parts: the zip's members, the workbook's list of sheets
and the relationships between parts.

sheetsync edits a workbook the way a person's program would, not by rebuilding
it: every part it does not change is written back exactly as it was read, so a
chart, an image, a comment or a feature sheetsync knows nothing of survives.
A part is inflated only when something reads it, and one not changed is copied
as the file had it, still compressed: a write costs what it changes, not the
size of History (issue 16). XML it does change is handled with lxml, which
keeps every namespace prefix as written (Excel refuses a file whose
``mc:Ignorable`` prefixes were renamed, which the standard library's
ElementTree does).
"""

from __future__ import annotations

import functools
import posixpath
import re
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_REL = REL + "/worksheet"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
NS = {"m": MAIN, "r": REL, "p": PKG_REL, "ct": CT}
Element = Any  # an lxml element (lxml ships no type hints)


def q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


def parse(data: bytes) -> Element:
    return etree.fromstring(data, parser=etree.XMLParser(remove_blank_text=False, huge_tree=True))


def serialize(root: Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


@functools.lru_cache(maxsize=4096)  # a team's write resolves the same few hundred often
def resolve(base_part: str, target: str) -> str:
    """A relationship's target as a part name, relative to the part that has it."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


@dataclass
class SheetEntry:
    title: str
    part: str
    element: Element  # the <sheet> element of workbook.xml

    @property
    def hidden(self) -> bool:
        return self.element.get("state") in ("hidden", "veryHidden")


class Package:
    """The parts of one workbook, read lazily from the zip: a part is inflated only
    when read, and one never changed is saved as its original compressed bytes."""

    def __init__(self, data: bytes) -> None:
        self._members = zip_members(data)
        self.order: list[str] = list(self._members)
        self._plain: dict[str, bytes] = {}  # inflated or written bytes, by part
        self._written: set[str] = set()  # parts whose bytes are sheetsync's, not the file's
        self._trees: dict[str, Element] = {}
        self._pieces: dict[str, list[bytes | memoryview]] = {}  # written as pieces
        self._spliced: dict[str, list[tuple[int, int, bytes]]] = {}  # the file's, spliced
        # related() by (part, kind), until a relationships part changes: a team's
        # write looks up the workbook's tabs for every page
        self._related: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.parts = _Parts(self)
        self.workbook_part = self._workbook_part()

    # --- parts --------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self._members or self._held(name)

    def _bytes(self, name: str) -> bytes:
        """The part's bytes as the file or the last ``write`` has them."""
        if name in self._spliced:
            member = self._members[name]
            self._plain[name] = b"".join(splice(member.chunks(), self._spliced.pop(name)))
        if name in self._pieces:
            self._plain[name] = b"".join(self._pieces.pop(name))
        if name not in self._plain:
            self._plain[name] = self._members[name].inflate()
        return self._plain[name]

    def search(self, name: str, pattern: re.Pattern[bytes], reach: int = 256) -> bool:
        """Whether ``pattern`` (matching at most ``reach`` bytes) occurs in the part,
        looked for piece by piece in a part not held inflated."""
        if name not in self._members or self._held(name):
            return bool(pattern.search(self._bytes(name)))
        before = b""
        for piece in self._members[name].chunks():
            if pattern.search(before + piece):
                return True
            before = piece[-reach:]
        return False

    def fingerprint(self, name: str) -> tuple[int, int, int] | None:
        """A part's CRC-32, size and compressed size as the file has them; None where
        the part is not the file's (new, or changed by this command)."""
        member = self._members.get(name)
        if member is None or not self.unchanged(name):
            return None
        return member.crc, member.size, len(member.raw)

    def unchanged(self, name: str) -> bool:
        """Whether the part is still the file's bytes (offsets read from it hold)."""
        return name in self._members and name not in self._written and name not in self._trees

    def _held(self, name: str) -> bool:
        held = (self._plain, self._trees, self._pieces, self._spliced)
        return any(name in where for where in held)

    def write_spliced(self, name: str, splices: Sequence[tuple[int, int, bytes]]) -> None:
        """The part as the file has it, with each ``(start, end, new)`` of ``splices``
        (offsets into its inflated bytes) put in place of those bytes: written when
        the package is saved, inflated and deflated again piece by piece, so History
        is never whole in memory to have rows appended."""
        if self._held(name) or name not in self._members:
            self.write_pieces(name, list(splice([self._bytes(name)], sorted(splices))))
            return
        self._written.add(name)
        self._spliced[name] = sorted(splices)

    def forget(self, name: str) -> None:
        """Let go of a part's inflated bytes, read again from the file's compressed
        ones when next needed: History's XML is not held while a command plans."""
        if self.unchanged(name):
            self._plain.pop(name, None)

    def read(self, name: str) -> bytes:
        if name in self._trees:
            return serialize(self._trees[name])
        return self._bytes(name)

    def parsed(self, name: str) -> bool:
        """Whether the part is held as XML (changed, or about to be)."""
        return name in self._trees

    def tree(self, name: str) -> Element:
        """The part as XML, parsed once; changes to it are saved with the package."""
        if name not in self._trees:
            self._trees[name] = parse(self._bytes(name))
        return self._trees[name]

    def _changing(self, name: str) -> None:
        if name.endswith(".rels"):
            self._related.clear()

    def write(self, name: str, data: bytes) -> None:
        self._changing(name)
        self._trees.pop(name, None)
        self._pieces.pop(name, None)
        self._spliced.pop(name, None)
        if not self.has(name):
            self.order.append(name)
        self._plain[name] = data
        self._written.add(name)

    def write_pieces(self, name: str, pieces: Sequence[bytes | memoryview]) -> None:
        """``write`` of the bytes ``pieces`` make one after the other, never joined
        unless read again: History's new XML is its old XML (tens of MB, viewed,
        not copied) with the new rows in it, and is deflated piece by piece."""
        self.write(name, b"")
        del self._plain[name]
        self._pieces[name] = list(pieces)

    def put_tree(self, name: str, root: Element) -> None:
        self._changing(name)
        if not self.has(name):
            self.order.append(name)
            self._plain[name] = b""
            self._written.add(name)
        self._trees[name] = root

    def remove(self, name: str) -> None:
        self._changing(name)
        self._members.pop(name, None)
        self._plain.pop(name, None)
        self._pieces.pop(name, None)
        self._spliced.pop(name, None)
        self._written.discard(name)
        self._trees.pop(name, None)
        if name in self.order:
            self.order.remove(name)

    def own_every_part(self) -> None:
        """Every part taken as sheetsync's (a new workbook's skeleton): each is
        deflated on saving, not copied as it was made."""
        self._written.update(self.order)
        for name in self.order:
            self._bytes(name)

    def free_name(self, pattern: str) -> str:
        """``pattern`` with the first number that makes a name not yet taken."""
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)

    # --- relationships ----------------------------------------------------------------

    def rels(self, part: str) -> Element | None:
        name = rels_name(part)
        return self.tree(name) if self.has(name) else None

    def related(self, part: str, kind: str) -> list[tuple[str, str]]:
        """(relationship id, part name) of ``part``'s relationships of type ``kind``
        (the end of the type URI, e.g. ``worksheet``, ``comments``, ``drawing``)."""
        found = self._related.get((part, kind))
        if found is None:
            rels = self.rels(part)
            found = self._related[(part, kind)] = [
                (rel.get("Id"), resolve(part, rel.get("Target", "")))
                for rel in (() if rels is None else rels.iterfind(q("Relationship", PKG_REL)))
                if rel.get("Type", "").rsplit("/", 1)[-1] == kind
                and rel.get("TargetMode") != "External"
            ]
        return list(found)

    def relate(self, part: str, target: str, rel_type: str) -> str:
        """Add a relationship from ``part`` to ``target``; returns its id."""
        name = rels_name(part)
        self._changing(name)
        if not self.has(name):
            self.put_tree(name, etree.Element(q("Relationships", PKG_REL), nsmap={None: PKG_REL}))
        rels = self.tree(name)
        taken = {r.get("Id") for r in rels}
        n = 1
        while f"rId{n}" in taken:
            n += 1
        rel = etree.SubElement(rels, q("Relationship", PKG_REL))
        rel.set("Id", f"rId{n}")
        rel.set("Type", rel_type)
        rel.set("Target", posixpath.relpath(target, posixpath.dirname(part)))
        return f"rId{n}"

    def unrelate(self, part: str, rid: str) -> None:
        self._changing(rels_name(part))
        rels = self.rels(part)
        if rels is None:
            return
        for rel in list(rels):
            if rel.get("Id") == rid:
                rels.remove(rel)

    def content_type(self, part: str, kind: str) -> None:
        types = self.tree("[Content_Types].xml")
        for o in types.iterfind(q("Override", CT)):
            if o.get("PartName") == "/" + part:
                o.set("ContentType", kind)
                return
        o = etree.SubElement(types, q("Override", CT))
        o.set("PartName", "/" + part)
        o.set("ContentType", kind)

    def drop_content_type(self, part: str) -> None:
        types = self.tree("[Content_Types].xml")
        for o in list(types.iterfind(q("Override", CT))):
            if o.get("PartName") == "/" + part:
                types.remove(o)

    # --- the workbook -------------------------------------------------------------------

    def _workbook_part(self) -> str:
        root = parse(self._bytes("_rels/.rels"))
        for rel in root.iterfind(q("Relationship", PKG_REL)):
            if rel.get("Type", "").endswith("/officeDocument"):
                return str(rel.get("Target", "")).lstrip("/")
        return "xl/workbook.xml"

    @property
    def workbook(self) -> Element:
        return self.tree(self.workbook_part)

    def _entries(self, title: str | None = None) -> Iterator[SheetEntry]:
        """The workbook's worksheets in tab order, each with its part; with
        ``title``, only those of that name (names are compared first: a write
        looks up one tab per page, and makes no entry for the others)."""
        targets = dict(self.related(self.workbook_part, "worksheet"))
        for el in self.workbook.iterfind("m:sheets/m:sheet", NS):
            name = el.get("name", "")
            if title is not None and name != title:
                continue
            part = targets.get(el.get(q("id", REL)))
            if part is not None:
                yield SheetEntry(name, part, el)

    def sheets(self) -> list[SheetEntry]:
        return list(self._entries())

    def sheet(self, title: str) -> SheetEntry | None:
        return next(self._entries(title), None)

    @property
    def date1904(self) -> bool:
        pr = self.workbook.find("m:workbookPr", NS)
        return pr is not None and pr.get("date1904") in ("1", "true")

    def add_sheet(
        self, title: str, root: Element, hidden: bool = False, at: int | None = None
    ) -> str:
        """A new worksheet part holding ``root``, listed at ``at`` (default: last)."""
        part = self.free_name("xl/worksheets/sheet{}.xml")
        self.put_tree(part, root)
        self.content_type(part, SHEET_TYPE)
        rid = self.relate(self.workbook_part, part, WORKSHEET_REL)
        sheets = self.workbook.find("m:sheets", NS)
        taken = {int(s.get("sheetId", "0")) for s in sheets}
        el = etree.Element(q("sheet"))
        if at is None or at >= len(sheets):
            sheets.append(el)
        else:
            sheets.insert(at, el)
            self._renumber_sheets(at, 1)
        el.set("name", title)
        el.set("sheetId", str(max(taken, default=0) + 1))
        if hidden:
            el.set("state", "hidden")
        el.set(q("id", REL), rid)
        return part

    def remove_sheet(self, title: str) -> int:
        """Drop a worksheet and the parts only it uses; returns where it was listed."""
        entry = self.sheet(title)
        assert entry is not None
        sheets = self.workbook.find("m:sheets", NS)
        index = list(sheets).index(entry.element)
        rid = entry.element.get(q("id", REL))
        sheets.remove(entry.element)
        self._renumber_sheets(index, -1)
        self.unrelate(self.workbook_part, rid)
        for part in self.owned_by(entry.part):
            self.remove(part)
            self.drop_content_type(part)
        self.remove(entry.part)
        self.remove(rels_name(entry.part))
        self.drop_content_type(entry.part)
        return index

    def _renumber_sheets(self, at: int, delta: int) -> None:
        """The workbook's references to sheets by position (a defined name's
        ``localSheetId``, the tab shown on opening) after a sheet was listed at
        ``at`` (``delta`` 1) or taken from there (-1, its own names go with it)."""
        names = self.workbook.find("m:definedNames", NS)
        for name in [] if names is None else list(names):
            local = name.get("localSheetId")
            if local is None or not local.isdigit() or int(local) < at:
                continue
            if delta < 0 and int(local) == at:
                names.remove(name)
            else:
                name.set("localSheetId", str(int(local) + delta))
        if names is not None and not len(names):
            self.workbook.remove(names)
        for view in self.workbook.iterfind("m:bookViews/m:workbookView", NS):
            for attr in ("activeTab", "firstSheet"):
                value = view.get(attr)
                # the tab at ``at`` stays shown: a tab made again where it was
                # (sheetsync's Team) is still the one shown
                if value and value.isdigit() and int(value) > at:
                    view.set(attr, str(max(0, int(value) + delta)))

    def owned_by(self, part: str) -> Iterator[str]:
        """The parts hanging from ``part`` (its drawing, the drawing's charts, its
        comments), which nothing else uses."""
        rels = self.rels(part)
        if rels is None:
            return
        for rel in rels.iterfind(q("Relationship", PKG_REL)):
            if rel.get("TargetMode") == "External":
                continue
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            if kind in ("drawing", "comments", "vmlDrawing", "chart"):
                child = resolve(part, rel.get("Target", ""))
                yield from self.owned_by(child)
                yield rels_name(child)
                yield child

    # --- saving -------------------------------------------------------------------------

    def save(self) -> bytes:
        """The package as a zip: a part sheetsync did not change is copied as the
        file had it, still compressed; a changed one is deflated again."""
        out = ZipWriter()
        for name in self.order:
            member = self._members.get(name)
            if name in self._trees:
                data = serialize(self._trees[name])
                if member is not None and name not in self._written and self._same(name, data):
                    out.copy(name, member)
                else:
                    out.add(name, data)
            elif name in self._spliced and member is not None:
                pieces = splice(member.chunks(), self._spliced[name])
                out.add_pieces(name, pieces, APPENDED_LEVEL)
            elif name in self._pieces:
                out.add_pieces(name, self._pieces[name], APPENDED_LEVEL)
            elif name in self._written:
                out.add(name, self._plain[name])
            elif member is not None:
                out.copy(name, member)
        return out.finish()

    def _same(self, name: str, data: bytes) -> bool:
        """Whether a parsed part's XML is still the file's: parsed only to be read
        (the workbook's list of tabs, its relationships, shared strings), or
        changed back. Another program's bytes (its quotes, its line ends) are
        compared as sheetsync would write them."""
        plain = self._plain[name]
        return data == plain or data == serialize(parse(plain))


def splice(
    chunks: Iterable[bytes], splices: Sequence[tuple[int, int, bytes]]
) -> Iterator[bytes | memoryview]:
    """The bytes ``chunks`` make in turn, with each ``(start, end, new)`` of the
    sorted, non-overlapping ``splices`` put in place of bytes ``start:end``."""
    k, pos, skip = 0, 0, 0  # next splice; offset of this chunk; bytes before skip are gone
    for chunk in chunks:
        end = pos + len(chunk)
        view = memoryview(chunk)
        i = max(skip, pos)
        while k < len(splices) and splices[k][0] < end:
            start, stop, new = splices[k]
            if start > i:
                yield view[i - pos : start - pos]
            yield new
            i = skip = max(i, stop)
            k += 1
        if i < end:
            yield view[i - pos :]
        pos = end
    for _, _, new in splices[k:]:  # at the very end
        yield new


# --- the zip container ------------------------------------------------------------------
# Read and written here rather than with ``zipfile``, which can only copy a member
# by inflating and deflating it again: a save copies the compressed bytes of every
# part it did not change (History's, above all) with their CRC and sizes.

_LOCAL = struct.Struct("<4s2B4HL2L2H")  # local file header, before name and extra
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # central directory entry
_END = struct.Struct("<4s4H2LH")  # end of central directory record
_LOCAL_SIG, _CENTRAL_SIG, _END_SIG = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
_UTF8 = 0x800  # general purpose flag: the name is UTF-8
_ENCRYPTED = 0x1 | 0x40 | 0x2000  # encrypted, strong encryption, masked central directory
_STORED, _DEFLATED = 0, 8
_DOS_TIME, _DOS_DATE = 0, (1 << 5) | 1  # 1980-01-01 00:00: saves are deterministic
_VERSION = 20  # 2.0: deflate
# made on Unix, a file readable and writable by its owner: as zipfile wrote them before
_MADE_ON, _ATTRIBUTES = 3, 0o600 << 16
_MAX32, _MAX16 = 0xFFFFFFFF, 0xFFFF
# An append-only tab (History, the ledger) is deflated again whole after every
# append. History of 200 reps and two years, 103 MB of XML, deflates in 1.08 s to
# 5.4 MB at zlib's default level (6), in 0.41 s to 6.1 MB at level 3 (0.34 s,
# 7.5 MB at 1): the rollover's largest single cost, for 13% more bytes on disk.
APPENDED_LEVEL = 3


class BadPackage(ValueError):
    """The file is not a zip sheetsync can read, or could not be written as one."""


@dataclass(frozen=True)
class Member:
    """One member of a zip: its compressed bytes as they are in the file."""

    name: str
    method: int
    crc: int
    size: int  # inflated
    raw: memoryview  # compressed

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The inflated bytes, a piece of at most ``size`` at a time, checked against
        the member's size and CRC at the end: a part of 100 MB is never whole."""
        if self.method != _DEFLATED:
            yield self.inflate()
            return
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        crc, total, at = 0, 0, 0
        try:
            while not inflater.eof:
                if inflater.unconsumed_tail:
                    data: bytes | memoryview = inflater.unconsumed_tail
                elif at < len(self.raw):
                    data, at = self.raw[at : at + size], at + size
                else:
                    data = b""  # all read in: output the inflater still holds
                piece = inflater.decompress(data, size)
                if not piece and not data:
                    break  # nothing more will come: cut short (checked below)
                crc, total = zlib.crc32(piece, crc), total + len(piece)
                if piece:
                    yield piece
        except zlib.error as exc:
            raise BadPackage(f"{self.name}: damaged compressed data ({exc})") from None
        if not inflater.eof or total != self.size or crc != self.crc:
            raise BadPackage(f"{self.name}: damaged (its size or CRC does not match)")

    def inflate(self) -> bytes:
        if self.method == _STORED:
            data = bytes(self.raw)
        elif self.method == _DEFLATED:
            # into a buffer of the size the zip gives (never grown, so never copied),
            # up to a bound: a size a damaged or hostile file claims is not allocated
            try:
                data = zlib.decompress(self.raw, -zlib.MAX_WBITS, min(max(self.size, 1), 1 << 28))
            except zlib.error as exc:
                if "incomplete" in str(exc) or "truncated" in str(exc):
                    raise BadPackage(f"{self.name}: compressed data cut short") from None
                raise BadPackage(f"{self.name}: damaged compressed data ({exc})") from None
        else:
            raise BadPackage(f"{self.name}: compression method {self.method} is not supported")
        if len(data) != self.size or zlib.crc32(data) != self.crc:
            raise BadPackage(f"{self.name}: damaged (its size or CRC does not match)")
        return data


def zip_members(data: bytes) -> dict[str, Member]:
    """The members of a zip by name, in the order of its central directory, each
    its compressed bytes; folders left out. A zip64, encrypted or multi-disk zip is
    refused (an .xlsx is none of them)."""
    view = memoryview(data)
    end = data.rfind(_END_SIG, max(0, len(data) - _END.size - _MAX16))
    if end < 0 or end + _END.size > len(data):
        raise BadPackage("not a zip file (no end of central directory)")
    _, disk, cd_disk, n_disk, n, cd_size, cd_offset, _ = _END.unpack_from(data, end)
    zip64 = end >= 20 and data[end - 20 : end - 16] == _ZIP64_LOCATOR_SIG
    if zip64 or _MAX32 in (cd_size, cd_offset) or n == _MAX16:
        raise BadPackage("a zip64 archive, which sheetsync does not read")
    if disk or cd_disk or n_disk != n:
        raise BadPackage("a zip split over several disks")
    base = end - cd_size - cd_offset  # bytes before the zip (0 but for a prefixed file)
    if base < 0:
        raise BadPackage("the central directory is out of bounds")
    members: dict[str, Member] = {}
    pos = base + cd_offset
    for _ in range(n):
        if pos + _CENTRAL.size > end or data[pos : pos + 4] != _CENTRAL_SIG:
            raise BadPackage("bad central directory entry")
        entry = _CENTRAL.unpack_from(data, pos)
        flags, method = entry[5], entry[6]
        crc, csize, size, nlen, elen, clen = entry[9:15]
        offset = entry[18]
        raw_name = data[pos + _CENTRAL.size : pos + _CENTRAL.size + nlen]
        pos += _CENTRAL.size + nlen + elen + clen
        name = raw_name.decode("utf-8" if flags & _UTF8 else "cp437")
        if flags & _ENCRYPTED:
            raise BadPackage(f"{name}: encrypted, which sheetsync does not read")
        if _MAX32 in (csize, size, offset):
            raise BadPackage(f"{name}: a zip64 member, which sheetsync does not read")
        local = base + offset
        if local + _LOCAL.size > len(data) or data[local : local + 4] != _LOCAL_SIG:
            raise BadPackage(f"{name}: bad local header")
        lnlen, lelen = _LOCAL.unpack_from(data, local)[-2:]
        start = local + _LOCAL.size + lnlen + lelen
        if start + csize > len(data):
            raise BadPackage(f"{name}: cut short")
        if name.endswith("/"):
            continue
        members.pop(name, None)  # a name twice: the last one, as zipfile reads it
        members[name] = Member(name, method, crc, size, view[start : start + csize])
    return members


class ZipWriter:
    """A zip built in memory: members copied as they are, or deflated."""

    def __init__(self) -> None:
        self._chunks: list[bytes | memoryview] = []
        self._central: list[bytes] = []
        self._offset = 0

    def add(self, name: str, data: bytes) -> None:
        self.add_pieces(name, [data])

    def add_pieces(
        self,
        name: str,
        pieces: Iterable[bytes | memoryview],
        level: int = zlib.Z_DEFAULT_COMPRESSION,
    ) -> None:
        """A member deflated (at ``level``) from the bytes ``pieces`` make in turn."""
        deflater = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        raw: list[bytes] = []
        crc, size = 0, 0
        for piece in pieces:
            raw.append(deflater.compress(piece))
            crc = zlib.crc32(piece, crc)
            size += len(piece)
        raw.append(deflater.flush())
        self._member(name, _DEFLATED, crc, size, b"".join(raw))

    def copy(self, name: str, member: Member) -> None:
        self._member(name, member.method, member.crc, member.size, member.raw)

    def _member(self, name: str, method: int, crc: int, size: int, raw: bytes | memoryview) -> None:
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else _UTF8
        if max(len(raw), size, self._offset) >= _MAX32:
            raise BadPackage(f"{name}: too large for a zip without zip64")
        fields = (flags, method, _DOS_TIME, _DOS_DATE, crc, len(raw), size, len(encoded))
        header = _LOCAL.pack(_LOCAL_SIG, _VERSION, 0, *fields, 0)
        self._central.append(
            _CENTRAL.pack(
                _CENTRAL_SIG,
                _VERSION,
                _MADE_ON,
                _VERSION,
                0,
                *fields,
                0,
                0,
                0,
                0,
                _ATTRIBUTES,
                self._offset,
            )
            + encoded
        )
        self._chunks += [header, encoded, raw]
        self._offset += len(header) + len(encoded) + len(raw)

    def finish(self) -> bytes:
        central = b"".join(self._central)
        n = len(self._central)
        if n >= _MAX16 or self._offset + len(central) >= _MAX32:
            raise BadPackage("too many parts or too large for a zip without zip64")
        end = _END.pack(_END_SIG, 0, 0, n, n, len(central), self._offset, 0)
        return b"".join([*self._chunks, central, end])


class _Parts(Mapping[str, bytes]):
    """A package's parts by name, each inflated when first looked at."""

    def __init__(self, pkg: Package) -> None:
        self._pkg = pkg

    def __getitem__(self, name: str) -> bytes:
        # the bytes the part was read or written as (a parsed part: as it was parsed)
        return self._pkg._bytes(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._pkg.has(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._pkg.order))

    def __len__(self) -> int:
        return len(self._pkg.order)

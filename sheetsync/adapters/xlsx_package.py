"""An ``.xlsx`` file as its parts: the zip's members, the workbook's list of sheets
and the relationships between parts.

sheetsync edits a workbook the way a person's program would, not by rebuilding
it: every part it does not change is written back exactly as it was read, so a
chart, an image, a comment or a feature sheetsync knows nothing of survives.
XML it does change is handled with lxml, which keeps every namespace prefix as
written (Excel refuses a file whose ``mc:Ignorable`` prefixes were renamed, which
the standard library's ElementTree does).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
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
    """The parts of one workbook; changed parts are kept as bytes until saved."""

    def __init__(self, data: bytes) -> None:
        self.order: list[str] = []
        self.parts: dict[str, bytes] = {}
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                self.order.append(info.filename)
                self.parts[info.filename] = z.read(info)
        self.workbook_part = self._workbook_part()
        self._trees: dict[str, Element] = {}

    # --- parts --------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self.parts

    def read(self, name: str) -> bytes:
        if name in self._trees:
            return serialize(self._trees[name])
        return self.parts[name]

    def parsed(self, name: str) -> bool:
        """Whether the part is held as XML (changed, or about to be)."""
        return name in self._trees

    def tree(self, name: str) -> Element:
        """The part as XML, parsed once; changes to it are saved with the package."""
        if name not in self._trees:
            self._trees[name] = parse(self.parts[name])
        return self._trees[name]

    def write(self, name: str, data: bytes) -> None:
        self._trees.pop(name, None)
        if name not in self.parts:
            self.order.append(name)
        self.parts[name] = data

    def put_tree(self, name: str, root: Element) -> None:
        if name not in self.parts:
            self.order.append(name)
            self.parts[name] = b""
        self._trees[name] = root

    def remove(self, name: str) -> None:
        self.parts.pop(name, None)
        self._trees.pop(name, None)
        if name in self.order:
            self.order.remove(name)

    def free_name(self, pattern: str) -> str:
        """``pattern`` with the first number that makes a name not yet taken."""
        n = 1
        while pattern.format(n) in self.parts:
            n += 1
        return pattern.format(n)

    # --- relationships ----------------------------------------------------------------

    def rels(self, part: str) -> Element | None:
        name = rels_name(part)
        return self.tree(name) if name in self.parts or name in self._trees else None

    def related(self, part: str, kind: str) -> list[tuple[str, str]]:
        """(relationship id, part name) of ``part``'s relationships of type ``kind``
        (the end of the type URI, e.g. ``worksheet``, ``comments``, ``drawing``)."""
        rels = self.rels(part)
        if rels is None:
            return []
        out = []
        for rel in rels.iterfind(q("Relationship", PKG_REL)):
            if (
                rel.get("Type", "").rsplit("/", 1)[-1] == kind
                and rel.get("TargetMode") != "External"
            ):
                out.append((rel.get("Id"), resolve(part, rel.get("Target", ""))))
        return out

    def relate(self, part: str, target: str, rel_type: str) -> str:
        """Add a relationship from ``part`` to ``target``; returns its id."""
        name = rels_name(part)
        if name not in self.parts and name not in self._trees:
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
        root = parse(self.parts["_rels/.rels"])
        for rel in root.iterfind(q("Relationship", PKG_REL)):
            if rel.get("Type", "").endswith("/officeDocument"):
                return str(rel.get("Target", "")).lstrip("/")
        return "xl/workbook.xml"

    @property
    def workbook(self) -> Element:
        return self.tree(self.workbook_part)

    def sheets(self) -> list[SheetEntry]:
        targets = dict((rid, part) for rid, part in self.related(self.workbook_part, "worksheet"))
        out = []
        for el in self.workbook.iterfind("m:sheets/m:sheet", NS):
            part = targets.get(el.get(q("id", REL)))
            if part is not None:
                out.append(SheetEntry(el.get("name", ""), part, el))
        return out

    def sheet(self, title: str) -> SheetEntry | None:
        return next((s for s in self.sheets() if s.title == title), None)

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
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name in self.order:
                if name in self._trees:
                    data = serialize(self._trees[name])
                else:
                    data = self.parts.get(name, b"")
                if name not in self.parts and name not in self._trees:
                    continue
                z.writestr(
                    zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)),
                    data,
                    compress_type=zipfile.ZIP_DEFLATED,
                )
        return buffer.getvalue()

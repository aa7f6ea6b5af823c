"""Rows inserted, deleted or moved on one worksheet, with everything that points at
them kept pointing at the same cells: formulas on every sheet, defined names
(print areas among them), notes and threaded comments, images and charts
anchored to the rows, tables, and charts' data ranges. As Excel and LibreOffice
do when a person does the same."""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence

from sheetsync.adapters.xlsx_package import NS, Element, Package, q
from sheetsync.adapters.xlsx_refs import RowMap, mentions, row_map, shift_area, shift_formula
from sheetsync.adapters.xlsx_sheet import Sheet
from sheetsync.domain.plan import RowOp

XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_HAS_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VML_ROW = re.compile(r"(<x:Row>)(\d+)(</x:Row>)")
_VML_ANCHOR = re.compile(r"(<x:Anchor>)([^<]*)(</x:Anchor>)")
_VML_SHAPE = re.compile(r"<v:shape\b.*?</v:shape>", re.DOTALL)


def expand_shared(root: Element) -> None:
    """Shared formulas written out cell by cell, so that each can follow its own
    references (a group shares one text, which no longer fits once rows move)."""
    from openpyxl.formula.translate import Translator  # openpyxl only where a formula is shared

    masters: dict[str, tuple[str, str]] = {}
    shared = [f for f in root.iter(q("f")) if f.get("t") == "shared"]
    for f in shared:
        if f.text and f.get("si") is not None:
            masters[f.get("si")] = (f.text, f.getparent().get("r", "A1"))
    for f in shared:
        si = f.get("si")
        if not f.text and si in masters:
            text, origin = masters[si]
            where = f.getparent().get("r", "A1")
            f.text = Translator("=" + text, origin).translate_formula(where)[1:]
        for attr in ("t", "si", "ref"):
            f.attrib.pop(attr, None)


_formula_scan: weakref.WeakKeyDictionary[Package, dict[str, bool]] = weakref.WeakKeyDictionary()


def _has_formula(pkg: Package, scanned: dict[str, bool], part: str) -> bool:
    """Whether a part holds a formula, looked for once a package, piece by piece
    (History, tens of MB, is not inflated whole to be searched)."""
    if part not in scanned:
        scanned[part] = pkg.has(part) and pkg.search(part, _HAS_FORMULA)
    return scanned[part]


_formula_texts: weakref.WeakKeyDictionary[Package, dict[str, str]] = weakref.WeakKeyDictionary()


def _tree_mentions(pkg: Package, part: str, title: str) -> bool:
    """Whether a parsed sheet's formulas may name ``title`` (any case, quoted or
    not). Its formulas are read once a write: moving rows changes the rows they
    point at, never which sheets they name."""
    texts = _formula_texts.setdefault(pkg, {})
    if part not in texts:
        texts[part] = "\n".join((f.text or "").casefold() for f in pkg.tree(part).iter(q("f")))
    forms = (title.casefold(), title.replace("'", "''").casefold())
    return any(form in texts[part] for form in forms)


class RowMover:
    """Applies row operations to one sheet of a package."""

    def __init__(self, pkg: Package, title: str) -> None:
        self.pkg = pkg
        self.title = title
        entry = pkg.sheet(title)
        assert entry is not None, title
        self.part = entry.part
        self.sheet = Sheet(pkg.tree(entry.part), title, pkg.date1904)
        # Only the parts that can refer to this sheet are parsed, and so rewritten:
        # the sheet itself, and others whose formulas name it; the rest of the
        # package (a person's own tabs and charts) is copied byte for byte.
        # (each part's "has a formula" is looked up once per package: a team's write
        # edits every page, and scanning every part for every page grew with the
        # square of the team)
        scanned = _formula_scan.setdefault(pkg, {})
        sheets = pkg.sheets()
        self._formula_parts = [
            (s.title, s.part)
            for s in sheets
            if s.part == self.part
            or (pkg.parsed(s.part) and _tree_mentions(pkg, s.part, title))
            or (
                not pkg.parsed(s.part)
                and _has_formula(pkg, scanned, s.part)
                and mentions(pkg.parts.get(s.part, b""), title)
            )
        ]
        # what ``apply`` looks up for every op, looked up once: the tabs don't change
        # while one page's rows move
        self._titles = [s.title for s in sheets]
        self._own_names: list[tuple[Element, str]] | None = None
        self._related = {
            kind: [p for _, p in pkg.related(self.part, kind) if pkg.has(p)]
            for kind in ("comments", "threadedComment", "vmlDrawing", "drawing", "table")
        }
        self._charts = [
            p
            for p in pkg.order
            if p.startswith("xl/charts/chart")
            and (pkg.parsed(p) or mentions(pkg.parts.get(p, b""), title))
        ]
        for _, part in self._formula_parts:
            expand_shared(pkg.tree(part))

    def apply(self, op: RowOp) -> None:
        self.apply_all([op])

    def apply_all(self, ops: Sequence[RowOp]) -> None:
        """Each of ``ops`` in turn: the sheet's rows moved once for all of them, then
        each reference that can name them (formulas, names, notes, drawings, tables,
        charts) op by op."""
        self.sheet.shift_rows_all(ops)
        for op in ops:
            self._references(op)

    def _references(self, op: RowOp) -> None:
        for host, part in self._formula_parts:
            for f in self.pkg.tree(part).iter(q("f")):
                if f.text:
                    f.text = shift_formula(f.text, host, self.title, op)
        self._names(op)
        self._notes(op)
        self._drawings(op)
        self._tables(op)
        for part in self._charts:
            for f in self.pkg.tree(part).iter(f"{{{CHART}}}f"):
                if f.text:
                    f.text = shift_formula(f.text, "", self.title, op)

    def _names(self, op: RowOp) -> None:
        if self._own_names is None:  # found once: which names can name this page
            titles = self._titles
            forms = {self.title.casefold(), self.title.replace("'", "''").casefold()}
            self._own_names = []
            for name in self.pkg.workbook.iterfind("m:definedNames/m:definedName", NS):
                local = name.get("localSheetId")
                host = titles[int(local)] if local is not None and int(local) < len(titles) else ""
                text = (name.text or "").casefold()
                if text and (host == self.title or any(form in text for form in forms)):
                    self._own_names.append((name, host))  # not another sheet's print titles
        for name, host in self._own_names:
            if name.text:
                name.text = shift_formula(name.text, host, self.title, op)

    def _notes(self, op: RowOp) -> None:
        for kind in ("comments", "threadedComment"):
            for part in self._related[kind]:
                root = self.pkg.tree(part)
                for el in list(root.iter()):
                    ref = el.get("ref")
                    if ref is None or el is root:
                        continue
                    new = shift_area(ref, op)
                    if new is None:
                        el.getparent().remove(el)
                    else:
                        el.set("ref", new)
        move = row_map(op)
        for part in self._related["vmlDrawing"]:
            text = self.pkg.read(part).decode("utf-8", errors="replace")

            def shape(m: re.Match[str]) -> str:
                block = m.group(0)
                row = _VML_ROW.search(block)
                if row is None:
                    return block
                new = move(int(row.group(2)) + 1)
                if new is None:
                    return ""  # the note's row was deleted: so is the note
                block = _VML_ROW.sub(lambda r: f"{r.group(1)}{new - 1}{r.group(3)}", block)
                return _VML_ANCHOR.sub(
                    lambda a: a.group(1) + _anchor(a.group(2), move) + a.group(3), block
                )

            self.pkg.write(part, _VML_SHAPE.sub(shape, text).encode("utf-8"))

    def _drawings(self, op: RowOp) -> None:
        move = row_map(op)
        for part in self._related["drawing"]:
            for row in self.pkg.tree(part).iter(f"{{{XDR}}}row"):
                new = move(int(row.text or "0") + 1)
                row.text = str((new if new is not None else op.start) - 1)

    def _tables(self, op: RowOp) -> None:
        for part in self._related["table"]:
            root = self.pkg.tree(part)
            for el in [root, *root.iterfind("m:autoFilter", NS)]:
                ref = el.get("ref")
                if ref:
                    el.set("ref", shift_area(ref, op) or ref)


def _anchor(text: str, move: RowMap) -> str:
    """A VML anchor (column, offset, row, offset, column, offset, row, offset; rows
    0-based) with its rows moved."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 8:
        return text
    for i in (2, 6):
        new = move(int(parts[i]) + 1)
        parts[i] = str((new if new is not None else int(parts[i]) + 1) - 1)
    return ", ".join(parts)

"""One worksheet's XML, changed in place: cells written, rows inserted, deleted and
moved with everything in them, sheetsync's own colour rules and dropdowns added;
and a new worksheet made from a ``SheetLayout``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from lxml import etree

from sheetsync.adapters.xlsx_package import MAIN, NS, Element, q
from sheetsync.adapters.xlsx_print import page_elements
from sheetsync.adapters.xlsx_read import split_ref
from sheetsync.adapters.xlsx_refs import row_map, shift_area, shift_formula, shift_sqref
from sheetsync.adapters.xlsx_styles import StyleBook
from sheetsync.domain.layout import Highlight, SheetLayout, Style, Validation
from sheetsync.domain.page import cell_name, column_letter
from sheetsync.domain.plan import RowOp
from sheetsync.domain.values import SERIAL_EPOCH, CellValue, Formula

XM = "http://schemas.microsoft.com/office/excel/2006/main"
# the order ECMA-376 gives a worksheet's children (Excel refuses other orders)
ORDER = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]
# the texts of sheetsync's own signal colour rules (render.SIGNAL_COLORS)
OWN_RULE_TEXTS = frozenset({"stalled", "slow", "pushed"})


def serial(value: date, date1904: bool = False) -> float:
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - datetime(1899, 12, 30)
        days = delta.days + delta.seconds / 86_400
    else:
        days = (value - SERIAL_EPOCH).days
    return days - 1462 if date1904 else days


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**53 else repr(float(x))


def place(root: Element, child: Element) -> Element:
    """Put ``child`` where the schema wants it among ``root``'s children."""
    name = etree.QName(child).localname
    rank = ORDER.index(name)
    for i, existing in enumerate(root):
        other = etree.QName(existing).localname
        if other in ORDER and ORDER.index(other) > rank:
            root.insert(i, child)
            return child
    root.append(child)
    return child


def _child(
    parent: Element, tag: str, key: int, key_of: Callable[[Element], int], attrs: dict[str, str]
) -> Element:
    """The ``tag`` child of ``parent`` whose ``key_of`` is ``key`` (rows by number,
    cells by column), made where the ordered children say it belongs if missing."""
    before = None
    for child in parent.iterfind(f"m:{tag}", NS):
        found = key_of(child)
        if found == key:
            return child
        if found > key:
            before = child
            break
    made = etree.Element(q(tag))
    for name, value in attrs.items():
        made.set(name, value)
    if before is not None:
        before.addprevious(made)
    else:
        parent.append(made)
    return made


class Sheet:
    """A worksheet's XML tree with its rows indexed."""

    def __init__(self, root: Element, title: str, date1904: bool = False) -> None:
        self.root = root
        self.title = title
        self.date1904 = date1904
        data = root.find("m:sheetData", NS)
        if data is None:
            data = place(root, etree.Element(q("sheetData")))
        self.data = data
        self._rows: dict[int, Element] | None = None  # by number, made when first needed
        self._cells: dict[int, dict[str, Element]] = {}  # a row's cells by name, likewise

    # --- cells --------------------------------------------------------------------------

    def _row(self, r: int) -> Element:
        if self._rows is None:  # indexed once: a page's write sets a few hundred cells
            self._rows = {int(row.get("r", "0")): row for row in self.data.iterfind("m:row", NS)}
        found = self._rows.get(r)
        if found is None:
            found = _child(self.data, "row", r, lambda row: int(row.get("r", "0")), {"r": str(r)})
            self._rows[r] = found
        return found

    def _cell(self, r: int, c: int) -> Element:
        cells = self._cells.get(r)
        if cells is None:
            row = self._row(r)
            found_in_row = list(row.iterfind("m:c", NS))[::-1]  # the first of a name wins
            cells = self._cells[r] = {cell.get("r", ""): cell for cell in found_in_row}
        name = cell_name(r, c)
        found = cells.get(name)
        if found is None:
            key_of = lambda cell: split_ref(cell.get("r", "A1"))[1]  # noqa: E731
            found = cells[name] = _child(self._row(r), "c", c, key_of, {"r": name})
        return found

    def set(self, r: int, c: int, value: CellValue, style: int | None = None) -> None:
        """Write a value (typed: text stays text, a ``Formula`` is a formula) and,
        with ``style``, the cell's format; other formats stay."""
        cell = self._cell(r, c)
        for child in list(cell):
            cell.remove(child)
        cell.attrib.pop("t", None)
        if style is not None:
            if style:
                cell.set("s", str(style))
            else:
                cell.attrib.pop("s", None)
        if value is None:
            if not cell.get("s"):
                cell.getparent().remove(cell)
                self._cells.pop(r, None)  # indexed again when next needed
            return
        if isinstance(value, Formula):
            etree.SubElement(cell, q("f")).text = value.text.removeprefix("=")
        elif isinstance(value, bool):
            cell.set("t", "b")
            etree.SubElement(cell, q("v")).text = "1" if value else "0"
        elif isinstance(value, int | float):
            etree.SubElement(cell, q("v")).text = _number(value)
        elif isinstance(value, date):
            etree.SubElement(cell, q("v")).text = _number(serial(value, self.date1904))
        else:
            cell.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(cell, q("is")), q("t"))
            text = str(value)
            t.text = text
            if text != text.strip() or "\n" in text:
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")

    def style_of(self, r: int, c: int) -> int:
        row = self.data.find(f"m:row[@r='{r}']", NS)
        if row is None:
            return 0
        cell = row.find(f"m:c[@r='{cell_name(r, c)}']", NS)
        return int(cell.get("s", "0")) if cell is not None else 0

    def last_row(self) -> int:
        rows = [int(row.get("r", "0")) for row in self.data.iterfind("m:row", NS)]
        return max(rows, default=0)

    # --- rows ---------------------------------------------------------------------------

    def shift_rows(self, op: RowOp) -> None:
        """Apply ``op`` to the rows of this sheet and to every range it keeps on its
        own (merged cells, conditional formats, validations, links, filters, breaks,
        selections). Formulas are the package's business (they may live on any
        sheet)."""
        self.shift_rows_all([op])

    def shift_rows_all(self, ops: Sequence[RowOp]) -> None:
        """``shift_rows`` of each of ``ops`` in turn, with the rows walked once for
        all of them (a rollover deletes and moves several blocks of each page)."""
        if not ops:
            return
        self._rows, self._cells = None, {}
        maps = [row_map(op) for op in ops]

        def move(r: int | None) -> int | None:
            for one in maps:
                if r is None:
                    return None
                r = one(r)
            return r

        for row in list(self.data.iterfind("m:row", NS)):
            old = int(row.get("r", "0"))
            new = move(old)
            if new is None:
                self.data.remove(row)
                continue
            if new != old:  # a row the ops leave where it is keeps its cells' names
                row.set("r", str(new))
                digits = str(new)
                for cell in row.iterfind("m:c", NS):
                    ref = cell.get("r")
                    if ref:
                        cell.set("r", ref.rstrip("0123456789") + digits)
        for shared in self.data.iterfind("m:row/m:c/m:f[@ref]", NS):  # may span moved rows
            area = shared.get("ref")
            for op in ops:
                area = shift_area(area, op) or area
            shared.set("ref", area)
        if any(op.kind == "move" for op in ops):  # in order again (not needed otherwise)
            kept = sorted(self.data.iterfind("m:row", NS), key=lambda r: int(r.get("r", "0")))
            for row in kept:
                self.data.append(row)
        for op in ops:
            self._shift_ranges(op)

    def _shift_ranges(self, op: RowOp) -> None:
        root = self.root
        for tag, attr in (("mergeCells/m:mergeCell", "ref"), ("hyperlinks/m:hyperlink", "ref")):
            for el in root.findall(f"m:{tag}", NS):
                new = shift_area(el.get(attr, ""), op)
                if new is None:
                    el.getparent().remove(el)
                else:
                    el.set(attr, new)
        for group in root.findall("m:mergeCells", NS):
            group.set("count", str(len(group)))
            if not len(group):
                root.remove(group)
        for cf in root.findall("m:conditionalFormatting", NS):
            sqref = shift_sqref(cf.get("sqref", ""), op)
            if not sqref:
                root.remove(cf)
                continue
            cf.set("sqref", sqref)
            for f in cf.iterfind("m:cfRule/m:formula", NS):
                f.text = shift_formula(f.text or "", self.title, self.title, op)
        for group in root.findall("m:dataValidations", NS):
            for dv in group.findall("m:dataValidation", NS):
                sqref = shift_sqref(dv.get("sqref", ""), op)
                if not sqref:
                    group.remove(dv)
                    continue
                dv.set("sqref", sqref)
                for f in [*dv.iterfind("m:formula1", NS), *dv.iterfind("m:formula2", NS)]:
                    f.text = shift_formula(f.text or "", self.title, self.title, op)
            group.set("count", str(len(group)))
            if not len(group):
                root.remove(group)
        for ext in root.iterfind("m:extLst", NS):  # not the cells: an extension list's own
            for el in ext.iter(f"{{{XM}}}sqref"):  # Excel 2010's conditional formats, validations
                el.text = shift_sqref(el.text or "", op) or "A1"
            for el in ext.iter(f"{{{XM}}}f"):
                el.text = shift_formula(el.text or "", self.title, self.title, op)
        filt = root.find("m:autoFilter", NS)
        if filt is not None:
            new = shift_area(filt.get("ref", ""), op)
            if new is None:
                root.remove(filt)
            else:
                filt.set("ref", new)
        breaks = root.find("m:rowBreaks", NS)
        if breaks is not None:
            move = row_map(op)
            for brk in list(breaks):
                new_row = move(int(brk.get("id", "0")))
                if new_row is None:
                    breaks.remove(brk)
                else:
                    brk.set("id", str(new_row))
            breaks.set("count", str(len(breaks)))
            breaks.set("manualBreakCount", str(len(breaks)))
        for sel in root.iterfind("m:sheetViews/m:sheetView/m:selection", NS):
            active = sel.get("activeCell")
            if active and shift_area(active, op) is None:
                sel.set("activeCell", "A1")
                sel.set("sqref", "A1")
            elif active:
                sel.set("activeCell", shift_area(active, op) or "A1")
                sel.set("sqref", shift_sqref(sel.get("sqref", active), op) or "A1")

    def fit_dimension(self) -> None:
        dim = self.root.find("m:dimension", NS)
        last_r, last_c = 1, 1
        for row in self.data.iterfind("m:row", NS):
            cells = row.findall("m:c", NS)
            if cells:  # in column order: the last one is the row's widest
                r, c = split_ref(cells[-1].get("r", "A1"))
                last_r, last_c = max(last_r, r), max(last_c, c)
        ref = f"A1:{cell_name(last_r, last_c)}" if (last_r, last_c) != (1, 1) else "A1"
        if dim is None:
            dim = place(self.root, etree.Element(q("dimension")))
        dim.set("ref", ref)

    # --- sheetsync's own rules ----------------------------------------------------------

    def validations(self, items: Iterable[Validation]) -> None:
        """Add dropdowns and checkboxes (a warning, not a refusal, as on Google)."""
        groups: dict[tuple[str, ...], list[str]] = {}
        for v in items:
            key = v.choices or ("TRUE", "FALSE")
            col = column_letter(v.column)
            groups.setdefault(key, []).append(f"{col}{v.first_row}:{col}{v.last_row}")
        if not groups:
            return
        group = self.root.find("m:dataValidations", NS)
        if group is None:
            group = place(self.root, etree.Element(q("dataValidations")))
        for choices, ranges in groups.items():
            dv = etree.SubElement(group, q("dataValidation"))
            dv.set("type", "list")
            dv.set("errorStyle", "warning")
            dv.set("allowBlank", "1")
            dv.set("showErrorMessage", "1")
            dv.set("error", f"Pick one of: {', '.join(choices)}")
            dv.set("sqref", " ".join(ranges))
            etree.SubElement(dv, q("formula1")).text = '"' + ",".join(choices) + '"'
        group.set("count", str(len(group)))

    def highlights(self, items: Iterable[Highlight], styles: StyleBook) -> None:
        """Replace sheetsync's signal colour rules (a person's own rules stay)."""
        for cf in self.root.findall("m:conditionalFormatting", NS):
            rules = cf.findall("m:cfRule", NS)
            if rules and all(
                r.get("type") == "containsText" and r.get("text") in OWN_RULE_TEXTS for r in rules
            ):
                self.root.remove(cf)
        priority = 1 + max(
            (int(r.get("priority", "0")) for r in self.root.iter(q("cfRule"))), default=0
        )
        for h in items:
            col = column_letter(h.column)
            first = f"{col}{h.first_row}"
            cf = place(self.root, etree.Element(q("conditionalFormatting")))
            cf.set("sqref", f"{first}:{col}{h.last_row}")
            rule = etree.SubElement(cf, q("cfRule"))
            rule.set("type", "containsText")
            rule.set("dxfId", str(styles.dxf(h.fill)))
            rule.set("priority", str(priority))
            rule.set("stopIfTrue", "1")
            rule.set("operator", "containsText")
            rule.set("text", h.text)
            text = h.text.replace('"', '""')
            etree.SubElement(rule, q("formula")).text = f'NOT(ISERROR(SEARCH("{text}",{first})))'
            priority += 1


# --- a new worksheet ----------------------------------------------------------------------


def new_sheet(layout: SheetLayout, styles: StyleBook, date1904: bool = False) -> Sheet:
    """A worksheet holding ``layout``: values, formats, widths, frozen panes,
    dropdowns and colour rules, and how it prints (``xlsx_print``)."""
    root = etree.Element(q("worksheet"), nsmap={None: MAIN, "r": NS["r"]})
    pr = etree.SubElement(root, q("sheetPr"))
    if layout.tab_color:
        etree.SubElement(pr, q("tabColor")).set("rgb", "FF" + layout.tab_color[1:].upper())
    etree.SubElement(root, q("dimension")).set("ref", "A1")
    view = etree.SubElement(etree.SubElement(root, q("sheetViews")), q("sheetView"))
    view.set("workbookViewId", "0")
    if layout.freeze_rows or layout.freeze_cols:
        pane = etree.SubElement(view, q("pane"))
        if layout.freeze_cols:
            pane.set("xSplit", str(layout.freeze_cols))
        if layout.freeze_rows:
            pane.set("ySplit", str(layout.freeze_rows))
        pane.set("topLeftCell", cell_name(layout.freeze_rows + 1, layout.freeze_cols + 1))
        pane.set("activePane", "bottomRight" if layout.freeze_cols else "bottomLeft")
        pane.set("state", "frozen")
    etree.SubElement(root, q("sheetFormatPr")).set("defaultRowHeight", "15")
    if layout.widths:
        cols = etree.SubElement(root, q("cols"))
        for i, width in enumerate(layout.widths, start=1):
            col = etree.SubElement(cols, q("col"))
            col.set("min", str(i))
            col.set("max", str(i))
            col.set("width", f"{width:g}")
            col.set("customWidth", "1")
    etree.SubElement(root, q("sheetData"))
    sheet = Sheet(root, layout.title, date1904)
    for r, row in enumerate(layout.rows, start=1):
        for c, spec in enumerate(row, start=1):
            if spec.value is None and spec.style == Style():
                continue
            style = styles.xf(spec.style) if spec.style != Style() else 0
            sheet.set(r, c, spec.value, style)
    sheet.highlights(layout.highlights, styles)
    sheet.validations(layout.validations)
    for element in page_elements(layout):
        place(root, element)
    sheet.fit_dimension()
    return sheet

"""A worksheet renamed as Excel and LibreOffice rename one: its entry in the
workbook, and every reference to it by name (formulas on every sheet, conditional
formats and validations, hyperlinks into it, defined names, charts' data ranges,
pivot caches' sources, the title list of ``docProps/app.xml``). Parts that do not
name it are copied byte for byte."""

from __future__ import annotations

from sheetsync.adapters.xlsx_package import NS, Package, parse, q, serialize
from sheetsync.adapters.xlsx_refs import mentions, rename_in_formula, rename_operand
from sheetsync.adapters.xlsx_rows import CHART

_FORMULA_TAGS = {q("f"), q("formula"), q("formula1"), q("formula2")}
_APP = "docProps/app.xml"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"


def rename_sheet(pkg: Package, old: str, new: str) -> None:
    entry = pkg.sheet(old)
    assert entry is not None, old
    entry.element.set("name", new)
    for sheet in pkg.sheets():
        if not (pkg.parsed(sheet.part) or mentions(pkg.parts.get(sheet.part, b""), old)):
            continue
        for el in pkg.tree(sheet.part).iter():
            if el.tag in _FORMULA_TAGS and el.text:
                el.text = rename_in_formula(el.text, old, new)
            elif el.tag == q("hyperlink") and el.get("location"):
                el.set("location", rename_operand(el.get("location", ""), old, new))
    for name in pkg.workbook.iterfind("m:definedNames/m:definedName", NS):
        if name.text:
            name.text = rename_in_formula(name.text, old, new)
    for part in list(pkg.order):
        if not (pkg.parsed(part) or mentions(pkg.parts.get(part, b""), old)):
            continue
        if part.startswith("xl/charts/chart"):
            for f in pkg.tree(part).iter(f"{{{CHART}}}f"):
                if f.text:
                    f.text = rename_in_formula(f.text, old, new)
        elif part.startswith("xl/pivotCache/pivotCacheDefinition"):
            for src in pkg.tree(part).iter(q("worksheetSource")):
                if (src.get("sheet") or "").casefold() == old.casefold():
                    src.set("sheet", new)
    if pkg.has(_APP) and mentions(pkg.read(_APP), old):
        root = parse(pkg.read(_APP))
        for el in root.iter(f"{{{_VT}}}lpstr"):
            if el.text == old:
                el.text = new
        pkg.write(_APP, serialize(root))

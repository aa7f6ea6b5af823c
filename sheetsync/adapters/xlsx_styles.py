"""The workbook's style table (``styles.xml``): which cell formats are dates, for
reading; and sheetsync's ``Style`` as a cell format index, added once, for
writing. Formats a person made are never changed or removed."""

from __future__ import annotations

import re

from lxml import etree

from sheetsync.adapters.xlsx_package import NS, Element, Package, q
from sheetsync.domain.layout import BOOLEAN_FORMAT, FONT, Style

STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
# Excel 365's checkbox: a cell format that shows a boolean as a box to tick,
# written as XlsxWriter writes it (``Format.set_checkbox``, 3.2.1 and later): a
# feature property bag part, and an extension on the cell format naming it.
# Other programs (LibreOffice, older Excel) skip both and show TRUE or FALSE.
BAGS = "http://schemas.microsoft.com/office/spreadsheetml/2022/featurepropertybag"
BAGS_PART = "xl/featurePropertyBag/featurePropertyBag.xml"
BAGS_TYPE = "application/vnd.ms-excel.featurepropertybag+xml"
BAGS_REL = "http://schemas.microsoft.com/office/2022/11/relationships/FeaturePropertyBag"
XF_COMPLEMENT = "{C7286773-470A-42A8-94C5-96B5CB345126}"
CHECKBOX_BAGS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<FeaturePropertyBags xmlns="{BAGS}"><bag type="Checkbox"/>'
    '<bag type="XFControls"><bagId k="CellControl">0</bagId></bag>'
    '<bag type="XFComplement"><bagId k="XFControls">1</bagId></bag>'
    '<bag type="XFComplements" extRef="XFComplementsMapperExtRef">'
    '<a k="MappedFeaturePropertyBags"><bagId>2</bagId></a></bag></FeaturePropertyBags>'
).encode()
# Excel's built-in number formats that are dates or times (ECMA-376, 18.8.30)
BUILTIN_DATES = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_DATE_PART = re.compile(r"[dmyhs]", re.IGNORECASE)

MINIMAL = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{NS["m"]}">
<fonts count="1"><font><sz val="10"/><name val="{FONT}"/><family val="2"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
<dxfs count="0"/>
</styleSheet>
""".encode()


def is_date_format(code: str) -> bool:
    """A number format that shows a date or time: d, m, y, h or s outside quoted
    text, brackets (colours, locales) and escaped characters."""
    bare = _QUOTED.sub("", code)
    return bool(_DATE_PART.search(bare)) and "General" not in bare


def _argb(hex_color: str) -> str:
    return "FF" + hex_color.lstrip("#").upper()


class StyleBook:
    """Reads and extends one package's ``styles.xml``."""

    def __init__(self, pkg: Package, part: str) -> None:
        self.pkg = pkg
        self.part = part
        self._dates: list[bool] | None = None
        self._xfs: dict[Style, int] = {}
        self._dxfs: dict[str, int] = {}
        self._boxes: bool | None = None

    @property
    def root(self) -> Element:
        return self.pkg.tree(self.part)

    # --- reading ------------------------------------------------------------------------

    def date_styles(self) -> list[bool]:
        """For each cell format index: does it show a date?"""
        if self._dates is None:
            root = self.root
            custom = {
                int(f.get("numFmtId", "0")): f.get("formatCode", "")
                for f in root.iterfind("m:numFmts/m:numFmt", NS)
            }
            dates = []
            for xf in root.iterfind("m:cellXfs/m:xf", NS):
                fmt = int(xf.get("numFmtId", "0"))
                code = custom.get(fmt)
                dates.append(fmt in BUILTIN_DATES if code is None else is_date_format(code))
            self._dates = dates
        return self._dates

    def is_date(self, index: int) -> bool:
        dates = self.date_styles()
        return 0 <= index < len(dates) and dates[index]

    # --- writing ------------------------------------------------------------------------

    def _list(self, tag: str) -> Element:
        found = self.root.find(f"m:{tag}", NS)
        if found is None:
            found = etree.SubElement(self.root, q(tag))
            order = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs"]
            order += ["cellStyles", "dxfs", "tableStyles", "colors", "extLst"]
            later = [
                c for c in self.root if etree.QName(c).localname in order[order.index(tag) + 1 :]
            ]
            if later:
                later[0].addprevious(found)
        return found

    def _append(self, tag: str, child: Element) -> int:
        group = self._list(tag)
        group.append(child)
        group.set("count", str(len(group)))
        return len(group) - 1

    def _font(self, style: Style) -> int:
        font = etree.Element(q("font"))
        if style.bold:
            etree.SubElement(font, q("b"))
        if style.italic:
            etree.SubElement(font, q("i"))
        etree.SubElement(font, q("sz")).set("val", str(style.size))
        etree.SubElement(font, q("color")).set("rgb", _argb(style.color))
        etree.SubElement(font, q("name")).set("val", FONT)
        etree.SubElement(font, q("family")).set("val", "2")
        return self._append("fonts", font)

    def _fill(self, color: str) -> int:
        fill = etree.Element(q("fill"))
        pattern = etree.SubElement(fill, q("patternFill"))
        pattern.set("patternType", "solid")
        etree.SubElement(pattern, q("fgColor")).set("rgb", _argb(color))
        etree.SubElement(pattern, q("bgColor")).set("indexed", "64")
        return self._append("fills", fill)

    def _number_format(self, code: str) -> int:
        builtin = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}
        if code in builtin:
            return builtin[code]
        group = self._list("numFmts")
        for f in group:
            if f.get("formatCode") == code:
                return int(f.get("numFmtId", "0"))
        taken = [int(f.get("numFmtId", "0")) for f in group]
        fmt_id = max([163, *taken]) + 1
        f = etree.SubElement(group, q("numFmt"))
        f.set("numFmtId", str(fmt_id))
        f.set("formatCode", code)
        group.set("count", str(len(group)))
        return fmt_id

    def xf(self, style: Style) -> int:
        """The index of a cell format that looks like ``style`` (added the first
        time it is asked for)."""
        if style in self._xfs:
            return self._xfs[style]
        xf = etree.Element(q("xf"))
        code = BOOLEAN_FORMAT if style.checkbox else style.number_format
        fmt = self._number_format(code or "General")
        xf.set("numFmtId", str(fmt))
        xf.set("fontId", str(self._font(style)))
        xf.set("fillId", str(self._fill(style.fill) if style.fill else 0))
        xf.set("borderId", "0")
        xf.set("xfId", "0")
        if fmt:
            xf.set("applyNumberFormat", "1")
        xf.set("applyFont", "1")
        if style.fill:
            xf.set("applyFill", "1")
        xf.set("applyAlignment", "1")
        align = etree.SubElement(xf, q("alignment"))
        if style.align:
            align.set("horizontal", style.align)
        align.set("vertical", "top")
        if style.wrap:
            align.set("wrapText", "1")
        if style.checkbox and self._checkboxes():
            ext = etree.SubElement(
                etree.SubElement(xf, q("extLst")), q("ext"), nsmap={"xfpb": BAGS}
            )
            ext.set("uri", XF_COMPLEMENT)
            etree.SubElement(ext, q("xfComplement", BAGS)).set("i", "0")
        index = self._append("cellXfs", xf)
        self._xfs[style] = index
        self._dates = None
        return index

    def _checkboxes(self) -> bool:
        """Whether a cell format may be an Excel 365 checkbox: the workbook's
        feature property bags are the checkbox's (added here where it has none);
        a workbook with bags of its own keeps them, and TRUE/FALSE cells."""
        if self._boxes is None:
            pkg = self.pkg
            if not pkg.has(BAGS_PART):
                if any(True for _ in pkg.related(pkg.workbook_part, "FeaturePropertyBag")):
                    self._boxes = False
                    return False
                pkg.write(BAGS_PART, CHECKBOX_BAGS)
                pkg.content_type(BAGS_PART, BAGS_TYPE)
                pkg.relate(pkg.workbook_part, BAGS_PART, BAGS_REL)
            self._boxes = pkg.read(BAGS_PART) == CHECKBOX_BAGS
        return self._boxes

    def dxf(self, fill: str) -> int:
        """A differential format (for a conditional format) filling the cell."""
        if fill in self._dxfs:
            return self._dxfs[fill]
        dxf = etree.Element(q("dxf"))
        pattern = etree.SubElement(etree.SubElement(dxf, q("fill")), q("patternFill"))
        pattern.set("patternType", "solid")
        etree.SubElement(pattern, q("bgColor")).set("rgb", _argb(fill))
        index = self._append("dxfs", dxf)
        self._dxfs[fill] = index
        return index

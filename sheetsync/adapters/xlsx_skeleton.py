"""The parts of a new, empty workbook (sheetsync adds its tabs before saving), and
the style table of any workbook, made where a program left none."""

from __future__ import annotations

import io
import zipfile

from sheetsync.adapters.xlsx_package import REL, Package
from sheetsync.adapters.xlsx_styles import MINIMAL, STYLES_TYPE

WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

PARTS = {
    "[Content_Types].xml": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{WORKBOOK_TYPE}"/>
<Override PartName="/xl/styles.xml" ContentType="{STYLES_TYPE}"/>
</Types>""",
    "_rels/.rels": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG}">
<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>""",
    "xl/workbook.xml": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{M}" xmlns:r="{REL}">
<workbookPr/>
<bookViews><workbookView activeTab="0"/></bookViews>
<sheets/>
<calcPr calcId="191029" fullCalcOnLoad="1"/>
</workbook>""",
    "xl/_rels/workbook.xml.rels": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG}">
<Relationship Id="rId1" Type="{REL}/styles" Target="styles.xml"/>
</Relationships>""",
}


def new_package() -> Package:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, text in PARTS.items():
            z.writestr(name, text.encode("utf-8"))
        z.writestr("xl/styles.xml", MINIMAL)
    return Package(buffer.getvalue())


def styles_part(pkg: Package) -> str:
    """The workbook's style table, made if it has none."""
    for _, part in pkg.related(pkg.workbook_part, "styles"):
        if pkg.has(part):
            return part
    part = pkg.free_name("xl/styles{}.xml")
    pkg.write(part, MINIMAL)
    pkg.content_type(part, STYLES_TYPE)
    pkg.relate(pkg.workbook_part, part, f"{REL}/styles")
    return part

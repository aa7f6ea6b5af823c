"""A native chart on a worksheet sheetsync makes (the Team tab): columns on the
left axis and a line on a right axis. The chart's XML comes from openpyxl's chart
classes; the drawing that places it is written here."""

from __future__ import annotations

from lxml import etree

from sheetsync.adapters.xlsx_package import REL, Element, Package, q
from sheetsync.adapters.xlsx_sheet import place
from sheetsync.domain.layout import Chart

XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
DRAWING_REL = REL + "/drawing"
CHART_REL = REL + "/chart"
EMU_PER_CM = 360_000


SERIES_COLORS = ("1F77B4", "AEC7E8", "2CA02C", "98DF8A")
LINE_COLOR = "D62728"


class _Titled:
    """What openpyxl's ``Reference`` needs of a worksheet: its title."""

    def __init__(self, title: str) -> None:
        self.title = title


def chart_xml(title: str, spec: Chart) -> bytes:
    from openpyxl.chart import BarChart, LineChart, Reference  # only when a chart is written
    from openpyxl.xml.functions import tostring

    ws = _Titled(title)
    first, last = spec.header_row, spec.last_row
    bars = BarChart()
    bars.type = "col"
    bars.title = spec.title
    bars.y_axis.title = spec.left_title
    for col in spec.bars:
        ref = Reference(ws, min_col=col, min_row=first, max_row=last)
        bars.add_data(ref, titles_from_data=True)
    cats = Reference(ws, min_col=spec.categories, min_row=first + 1, max_row=last)
    bars.set_categories(cats)
    # colours named: a workbook without a theme part (sheetsync's own) left
    # LibreOffice nothing to colour the bars with, and it drew none
    for series, color in zip(bars.series, SERIES_COLORS, strict=False):
        series.graphicalProperties.solidFill = color
        series.graphicalProperties.line.solidFill = color
    if spec.line is not None:
        line = LineChart()
        ref = Reference(ws, min_col=spec.line, min_row=first, max_row=last)
        line.add_data(ref, titles_from_data=True)
        line.y_axis.axId = 200
        line.y_axis.title = spec.right_title
        line.y_axis.crosses = "max"
        for series in line.series:
            series.graphicalProperties.line.solidFill = LINE_COLOR
            series.graphicalProperties.line.width = 28575  # 2.25 pt, in EMU
            series.smooth = False  # a rep to the next is no curve
        bars += line
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + bytes(
        tostring(bars._write())
    )


def add_charts(
    pkg: Package, sheet_part: str, root: Element, title: str, charts: list[Chart]
) -> None:
    """A drawing on the sheet holding each chart at its anchor cell."""
    if not charts:
        return
    drawing_part = pkg.free_name("xl/drawings/drawing{}.xml")
    drawing = etree.Element(q("wsDr", XDR), nsmap={"xdr": XDR, "a": A})
    for spec in charts:
        chart_part = pkg.free_name("xl/charts/chart{}.xml")
        pkg.write(chart_part, chart_xml(title, spec))
        pkg.content_type(chart_part, CHART_TYPE)
        rid = pkg.relate(drawing_part, chart_part, CHART_REL)
        anchor = etree.SubElement(drawing, q("oneCellAnchor", XDR))
        start = etree.SubElement(anchor, q("from", XDR))
        for tag, value in (
            ("col", spec.anchor_col - 1),
            ("colOff", 0),
            ("row", spec.anchor_row - 1),
            ("rowOff", 0),
        ):
            etree.SubElement(start, q(tag, XDR)).text = str(value)
        ext = etree.SubElement(anchor, q("ext", XDR))
        ext.set("cx", str(18 * EMU_PER_CM))
        ext.set("cy", str(9 * EMU_PER_CM))
        frame = etree.SubElement(anchor, q("graphicFrame", XDR))
        frame.set("macro", "")
        nv = etree.SubElement(frame, q("nvGraphicFramePr", XDR))
        pr = etree.SubElement(nv, q("cNvPr", XDR))
        pr.set("id", str(len(drawing) + 1))
        pr.set("name", spec.title or "Chart")
        etree.SubElement(nv, q("cNvGraphicFramePr", XDR))
        xfrm = etree.SubElement(frame, q("xfrm", XDR))
        etree.SubElement(xfrm, q("off", A)).attrib.update({"x": "0", "y": "0"})
        etree.SubElement(xfrm, q("ext", A)).attrib.update({"cx": "0", "cy": "0"})
        graphic = etree.SubElement(etree.SubElement(frame, q("graphic", A)), q("graphicData", A))
        graphic.set("uri", C)
        ref = etree.SubElement(graphic, q("chart", C), nsmap={"c": C, "r": REL})
        ref.set(q("id", REL), rid)
        etree.SubElement(anchor, q("clientData", XDR))
    pkg.put_tree(drawing_part, drawing)
    pkg.content_type(drawing_part, DRAWING_TYPE)
    rid = pkg.relate(sheet_part, drawing_part, DRAWING_REL)
    el = place(root, etree.Element(q("drawing")))
    el.set(q("id", REL), rid)

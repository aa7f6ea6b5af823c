"""Edits a workbook in real LibreOffice, through its UNO bridge, the way a person
would in Calc: moves (cuts and pastes) rows, inserts and deletes rows and
columns, types values and formulas, adds notes, adds a tab of their own, puts an
image or a chart on a tab; then saves it as .xlsx.

Run by ``tests/libreoffice.py`` with the system's Python, which has LibreOffice's
``uno`` module: ``python3 lo_uno.py BOOK.xlsx PROFILE_DIR ACTIONS.json``."""

import json
import os
import subprocess
import sys
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.awt import Point, Rectangle, Size  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.table import CellAddress, CellRangeAddress  # type: ignore[import-not-found]


def prop(name, value):  # type: ignore[no-untyped-def]
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main() -> None:
    book, profile, actions_file = sys.argv[1:4]
    with open(actions_file, encoding="utf-8") as handle:
        actions = json.load(handle)
    pipe = f"sheetsync_{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"-env:UserInstallation=file://{profile}",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        ctx = None
        for _ in range(300):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.1)
        if ctx is None:
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        url = uno.systemPathToFileUrl(os.path.abspath(book))
        doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
        for action in actions:
            if action["op"] == "new_tab":
                doc.Sheets.insertNewByName(action["tab"], doc.Sheets.getCount())
            sheet = doc.Sheets.getByName(action["tab"])
            index = sheet.RangeAddress.Sheet
            op = action["op"]
            if op == "move_rows":  # cut rows first..first+count-1, paste them before `before`
                first, count, before = action["first"] - 1, action["count"], action["before"] - 1
                sheet.Rows.insertByIndex(before, count)
                if first >= before:
                    first += count
                source = CellRangeAddress(index, 0, first, 1023, first + count - 1)
                sheet.moveRange(CellAddress(index, 0, before), source)
                sheet.Rows.removeByIndex(first, count)
            elif op == "insert_rows":
                sheet.Rows.insertByIndex(action["at"] - 1, action["count"])
            elif op == "delete_rows":
                sheet.Rows.removeByIndex(action["first"] - 1, action["count"])
            elif op == "insert_column":
                sheet.Columns.insertByIndex(action["col"] - 1, 1)
            elif op == "set":
                cell = sheet.getCellByPosition(action["col"] - 1, action["row"] - 1)
                value = action["value"]
                if isinstance(value, str) and value.startswith("="):
                    cell.setFormula(value)
                elif isinstance(value, int | float):
                    cell.setValue(value)
                else:
                    cell.setString(value)
            elif op == "new_tab":
                pass
            elif op == "image":  # a picture file placed on the sheet
                provider = ctx.ServiceManager.createInstanceWithContext(
                    "com.sun.star.graphic.GraphicProvider", ctx
                )
                picture = uno.systemPathToFileUrl(os.path.abspath(action["file"]))
                shape = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
                shape.Graphic = provider.queryGraphic((prop("URL", picture),))
                sheet.DrawPage.add(shape)
                shape.setSize(Size(4000, 3000))
                if "row" in action:  # at the top of that row, beside its cells
                    top = sheet.getCellByPosition(0, action["row"] - 1).Position
                    shape.setPosition(Point(action.get("x", 500), top.Y + 20))
                else:
                    shape.setPosition(Point(action.get("x", 500), action.get("y", 500)))
            elif op == "chart":  # a column chart of a block of cells (first row: titles)
                r0, c0, r1, c1 = (v - 1 for v in action["cells"])
                data = CellRangeAddress(index, c0, r0, c1, r1)
                where = Rectangle(action.get("x", 6000), action.get("y", 500), 9000, 6000)
                sheet.Charts.addNewByName(action["name"], where, (data,), True, True)
            elif op == "note":
                where = CellAddress(index, action["col"] - 1, action["row"] - 1)
                sheet.getAnnotations().insertNew(where, action["text"])
            else:
                raise SystemExit(f"unknown action {op}")
        doc.calculateAll()
        doc.storeToURL(url, (prop("FilterName", "Calc MS Excel 2007 XML"),))
        doc.close(True)
    finally:
        office.terminate()
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()


main()

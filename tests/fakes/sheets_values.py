"""The ``spreadsheets.values`` endpoints on the fake: get, batchGet, update,
append, clear, batchClear and batchUpdate, with A1 ranges as the API reads and
echoes them (``SpreadsheetTest.test_values_get``, ``test_values_batch_get``,
``WorksheetTest.test_append_row`` among the recordings)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from tests.fakes.a1 import Box, parse_cells, quote_title, split_range
from tests.fakes.formulas import evaluate
from tests.fakes.sheets_model import Sheet, Span, Spreadsheet, bad, denied

Json = dict[str, Any]
NUMBER = re.compile(r"-?\d+(\.\d+)?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EPOCH = date(1899, 12, 30)  # day 0 of Google's date serials


def resolve(book: Spreadsheet, text: str) -> tuple[Sheet, Box]:
    title, cells = split_range(text)
    if title is None and cells is not None and any(s.title == cells for s in book.sheets):
        title, cells = cells, None  # a bare tab title is the whole tab
    for named in book.named_ranges:  # a named range stands for its cells
        if cells == named.get("name"):
            rng = named.get("range", {})
            sheet = book.sheet(sheet_id=rng.get("sheetId", 0))
            return sheet, Box(
                rng.get("startRowIndex", 0),
                rng.get("startColumnIndex", 0),
                rng.get("endRowIndex", sheet.rows),
                rng.get("endColumnIndex", sheet.cols),
            )
    sheet = book.sheet(title=title) if title is not None else book.sheets[0]
    if cells is None:
        return sheet, Box(0, 0, sheet.rows, sheet.cols)
    try:
        box = parse_cells(cells, sheet.rows, sheet.cols)
    except ValueError as exc:
        raise bad(str(exc)) from None
    return sheet, Box(box.r0, box.c0, min(box.r1, sheet.rows), min(box.c1, sheet.cols))


def a1(sheet: Sheet, box: Box) -> str:
    return f"{quote_title(sheet.title)}!{box.a1()}"


def date_text(serial: float, pattern: str) -> str:
    """A date serial in a date pattern (the parts sheetsync and the recordings use)."""
    day = EPOCH + timedelta(days=int(serial))
    out = pattern.replace("yyyy", f"{day.year:04d}").replace("mmm", day.strftime("%b"))
    out = out.replace("mm", f"{day.month:02d}").replace("dd", f"{day.day:02d}")
    return out.replace("d", str(day.day)) if "d" in out else out


def render(
    cell: Json | None,
    option: str,
    dates: str = "SERIAL_NUMBER",
    computed: Callable[[str], Any] | None = None,
) -> Any:
    value = (cell or {}).get("userEnteredValue")
    if not value:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "formulaValue":
        if option == "FORMULA":
            return raw
        result = computed(raw) if computed else None
        if result is None:
            return None
        if option == "FORMATTED_VALUE":
            return str(int(result)) if float(result).is_integer() else str(result)
        return int(result) if float(result).is_integer() else result
    fmt = ((cell or {}).get("userEnteredFormat") or {}).get("numberFormat") or {}
    if kind == "numberValue" and fmt.get("type") in ("DATE", "DATE_TIME"):
        if option == "FORMATTED_VALUE" or dates == "FORMATTED_STRING":
            return date_text(raw, fmt.get("pattern", "yyyy-mm-dd"))
        return int(raw) if float(raw).is_integer() else raw
    if option == "FORMATTED_VALUE":
        if kind == "boolValue":
            return "TRUE" if raw else "FALSE"
        if kind == "numberValue" and float(raw).is_integer():
            return str(int(raw))
        return str(raw)
    return raw


def get(book: Spreadsheet, text: str, query: dict[str, list[str]]) -> Json:
    sheet, box = resolve(book, text)
    option = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
    dates = query.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[0]
    columns = query.get("majorDimension", ["ROWS"])[0] == "COLUMNS"
    rows: list[list[Any]] = []

    def at(title: str, r: int, c: int) -> Any:
        try:
            target = book.sheet(title=title)
        except Exception:
            return None
        return render(target.cells.get((r - 1, c - 1)), "UNFORMATTED_VALUE", "SERIAL_NUMBER")

    def computed(text: str) -> Any:
        return evaluate(text, sheet.title, at)

    for r in range(box.r0, box.r1):
        row = [
            render(sheet.cells.get((r, c)), option, dates, computed) for c in range(box.c0, box.c1)
        ]
        rows.append(row)
    if columns:
        rows = [list(col) for col in zip(*rows, strict=False)] if rows else []
    out_rows = []
    for row in rows:
        while row and row[-1] is None:
            row.pop()  # trailing empty cells are dropped
        out_rows.append(["" if v is None else v for v in row])
    while out_rows and not out_rows[-1]:
        out_rows.pop()  # and trailing empty rows
    out: Json = {"range": a1(sheet, box), "majorDimension": "COLUMNS" if columns else "ROWS"}
    if out_rows:
        out["values"] = out_rows  # no key at all for an empty range
    return out


def entered(v: Any, option: str) -> Json:
    """A value as RAW keeps it (text stays text) or as USER_ENTERED parses it (``=``
    a formula, digits a number), the way the UI would."""
    if isinstance(v, bool):
        return {"userEnteredValue": {"boolValue": v}}
    if isinstance(v, int | float):
        return {"userEnteredValue": {"numberValue": v}}
    text = "" if v is None else str(v)
    if option == "USER_ENTERED" and text.startswith("="):
        return {"userEnteredValue": {"formulaValue": text}}
    if option == "USER_ENTERED" and NUMBER.fullmatch(text):
        return {"userEnteredValue": {"numberValue": float(text)}}
    if option == "USER_ENTERED" and ISO_DATE.fullmatch(text):  # a date, as the UI reads it
        serial = (date.fromisoformat(text) - EPOCH).days
        return {
            "userEnteredValue": {"numberValue": serial},
            "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}},
        }
    if option == "USER_ENTERED" and text.upper() in ("TRUE", "FALSE"):
        return {"userEnteredValue": {"boolValue": text.upper() == "TRUE"}}
    return {"userEnteredValue": {"stringValue": text}} if text else {}


def write(
    book: Spreadsheet,
    who: str | None,
    text: str,
    rows: list[list[Any]],
    option: str,
    append: bool,
    columns: bool = False,
) -> Json:
    """values.update and values.append; the cells written replace what was there."""
    if option not in ("RAW", "USER_ENTERED"):
        raise bad("Invalid valueInputOption: must be RAW or USER_ENTERED")
    if not book.can_change(who):
        raise denied()
    sheet, box = resolve(book, text)
    if columns:
        rows = [list(col) for col in zip(*rows, strict=False)]
    table = find_table(sheet, box) if append else None
    r0 = table.r1 if table else box.r0
    if table:
        box = Box(box.r0, table.c0, box.r1, box.c1)
    width = max((len(r) for r in rows), default=0)
    if rows and width:
        book.check_cells(who, sheet, Span(r0, r0 + len(rows), box.c0, box.c0 + width))
    if append:
        sheet.rows = max(sheet.rows, r0 + len(rows))
    elif r0 + len(rows) > sheet.rows or box.c0 + width > sheet.cols:
        raise bad(
            f"Range ({a1(sheet, box)}) exceeds grid limits. Max rows: {sheet.rows}, "
            f"max columns: {sheet.cols}"
        )
    touched: set[tuple[int, int]] = set()
    for dr, row in enumerate(rows):
        for dc, v in enumerate(row):
            if v is None:
                continue  # null leaves the cell as it is (WorksheetTest.test_update_cell_objects)
            key = (r0 + dr, box.c0 + dc)
            touched.add(key)
            cell = sheet.cells.setdefault(key, {})
            cell.pop("userEnteredValue", None)
            cell.update(entered(v, option))
            if not cell:
                del sheet.cells[key]
    done = Box(r0, box.c0, r0 + len(rows), box.c0 + width)
    update = {
        "spreadsheetId": book.spreadsheet_id,
        "updatedRange": a1(sheet, done),
        "updatedRows": len({r for r, _ in touched}),
        "updatedColumns": len({c for _, c in touched}),
        "updatedCells": len(touched),
        "_touched": sorted(touched),
    }
    if append:
        out: Json = {"spreadsheetId": book.spreadsheet_id}
        if table is not None:
            out["tableRange"] = a1(sheet, table)
        out["updates"] = update
        return out
    return update


def find_table(sheet: Sheet, box: Box) -> Box | None:
    """values.append's "table" in the range, as Google finds it (a heuristic it does
    not document; this one answers as the recordings do: ``test_insert_row``,
    ``test_append_row_with_empty_value*``): the rows holding values from the
    range's first row down to the first empty one, and of the first such row the
    last run of adjacent filled cells."""

    def filled(r: int, c: int) -> bool:
        return "userEnteredValue" in sheet.cells.get((r, c), {})

    first = [c for c in range(box.c0, box.c1) if filled(box.r0, c)]
    if not first:
        return None
    end = first[-1]
    start = end
    while start - 1 >= box.c0 and filled(box.r0, start - 1):
        start -= 1
    r1 = box.r0
    while r1 < sheet.rows and any(filled(r1, c) for c in range(start, box.c1)):
        r1 += 1
    last = max(c for r in range(box.r0, r1) for c in range(start, box.c1) if filled(r, c))
    return Box(box.r0, start, r1, last + 1)


def clear(book: Spreadsheet, who: str | None, text: str) -> str:
    """values.clear: the values go, formats and validation stay."""
    if not book.can_change(who):
        raise denied()
    sheet, box = resolve(book, text)
    book.check_cells(who, sheet, Span(box.r0, box.r1, box.c0, box.c1))
    for key in [k for k in sheet.cells if box.r0 <= k[0] < box.r1 and box.c0 <= k[1] < box.c1]:
        sheet.cells[key].pop("userEnteredValue", None)
        if not sheet.cells[key]:
            del sheet.cells[key]
    return a1(sheet, box)

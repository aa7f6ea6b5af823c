"""Between our data and the Sheets API's JSON: a ``SheetLayout`` as batchUpdate
requests (typed values, formats, dropdowns, checkboxes, widths, frozen panes), and
a ``CellData`` read back as a typed ``CellValue``.

Values are always sent typed: text as ``stringValue`` (so ``=1+1`` typed as text
stays text), numbers as ``numberValue``, dates as date serials with a date format,
booleans as ``boolValue``, and a formula only when a person typed one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sheetsync.domain.layout import (
    FONT,
    ISO_DATE_FORMAT,
    Chart,
    Highlight,
    SheetLayout,
    Style,
    Validation,
    appended_format,
)
from sheetsync.domain.plan import Grid, PageEdit
from sheetsync.domain.values import SERIAL_EPOCH, CellValue, Formula, to_serial

Json = dict[str, Any]

DEFAULT_FONT_SIZE = 10
CHAR_PIXELS = 7  # one character of column width, in pixels (Arial 10)
CELL_FIELDS = "userEnteredValue,userEnteredFormat,dataValidation"
_DATE_TYPES = ("DATE", "DATE_TIME")
_ALIGN = {"left": "LEFT", "center": "CENTER", "right": "RIGHT"}
# what a read asks for: typed values, and the format that tells a date from a number
READ_CELL_FIELDS = "userEnteredValue,effectiveFormat.numberFormat.type,note"
OWN_RULE_TEXTS = frozenset({"stalled", "slow", "pushed"})  # render.SIGNAL_COLORS


def color(hex_color: str) -> Json:
    """An ``rgbColor`` that Google keeps as exactly this colour. Google stores 8 bits
    a channel and truncates (0.5 comes back as 127/255, as the recordings show), so
    a level is sent a quarter step above its own: it truncates and rounds to it."""
    levels = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    r, g, b = (min(1.0, round((k + 0.25) / 255, 4)) for k in levels)
    return {"red": r, "green": g, "blue": b}


def number_format(pattern: str) -> Json:
    if pattern.startswith(";;;"):  # text shown another way (History's titles): a
        # custom format, which Google files under NUMBER; its fourth part is text's
        return {"type": "NUMBER", "pattern": pattern}
    lowered = pattern.lower().replace('"', "")
    if not any(part in lowered for part in ("yy", "mmm", "d ", "dd")):
        return {"type": "NUMBER", "pattern": pattern}
    return {"type": "DATE_TIME" if "h" in lowered else "DATE", "pattern": pattern}


def serial(value: date) -> float:
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86_400
    return float(to_serial(value))


def extended_value(value: CellValue) -> Json | None:
    if value is None:
        return None
    if isinstance(value, Formula):
        return {"formulaValue": value.text}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value}
    if isinstance(value, date):
        return {"numberValue": serial(value)}
    return {"stringValue": str(value)}


def cell_format(style: Style) -> Json:
    """What differs from Google's defaults (10 pt, black, overflow), and the font
    named (``FONT``, Google's own default, but a spreadsheet's default format may
    be another). Body text in the page's ink colour is left to Google's black,
    which it is all but indistinguishable from: a colour on every block of every
    page would cost an eighth of a large team's write. A checkbox is the cell's
    BOOLEAN validation (``validation_request``), not a format."""
    text: Json = {"fontFamily": FONT}
    if style.color.upper() != Style().color.upper():
        text["foregroundColorStyle"] = {"rgbColor": color(style.color)}
    if style.size != DEFAULT_FONT_SIZE:
        text["fontSize"] = style.size
    if style.bold:
        text["bold"] = True
    if style.italic:
        text["italic"] = True
    fmt: Json = {"verticalAlignment": "TOP", "textFormat": text}
    if style.wrap:
        fmt["wrapStrategy"] = "WRAP"
    if style.fill:
        fmt["backgroundColorStyle"] = {"rgbColor": color(style.fill)}
    if style.align:
        fmt["horizontalAlignment"] = _ALIGN[style.align]
    if style.number_format:
        fmt["numberFormat"] = number_format(style.number_format)
    return fmt


def cell_data(value: CellValue, style: Style | None = None) -> Json:
    out: Json = {}
    ev = extended_value(value)
    if ev is not None:
        out["userEnteredValue"] = ev
    if style is not None and style != Style():
        out["userEnteredFormat"] = cell_format(style)
    elif isinstance(value, date):
        out["userEnteredFormat"] = {"numberFormat": number_format(ISO_DATE_FORMAT)}
    return out


def row_data(cells: list[Json]) -> Json:
    return {"values": cells}


def grid_rows(grid: Grid) -> list[Json]:
    """Rows to append (History, the ledger): values, a date format on dates, and
    a number format on numbers (``appended_format``; a boolean needs none)."""
    return [row_data([_appended(v) for v in row]) for row in grid]


def _appended(value: CellValue) -> Json:
    out = cell_data(value)
    pattern = appended_format(value)
    if pattern is not None and not isinstance(value, bool):
        out["userEnteredFormat"] = {"numberFormat": number_format(pattern)}
    return out


def validation_request(sheet_id: int, v: Validation) -> Json:
    """A ``setDataValidation`` for a dropdown or checkbox column block."""
    return {
        "setDataValidation": {
            "range": grid_range(sheet_id, v.first_row - 1, v.last_row, v.column - 1, v.column),
            "rule": _validation_rule(v),
        }
    }


def _validation_rule(v: Validation) -> Json:
    if v.is_checkbox:
        return {"condition": {"type": "BOOLEAN"}}
    return {
        "condition": {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": c} for c in v.choices],
        },
        "inputMessage": f"Pick one of: {', '.join(v.choices)}",
        "strict": False,  # a warning, as on the .xlsx page
        "showCustomUi": True,
    }


def grid_size(layout: SheetLayout) -> tuple[int, int]:
    """(rows, columns) for the tab: the page and room to grow. Not Google's default
    1000 x 26: a spreadsheet holds at most 10 million cells, and 200 tabs of that
    size would take half of them."""
    cols = max([len(r) for r in layout.rows] + [len(layout.widths), 1])
    return len(layout.rows) + 100, cols + 2


def grid_range(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> Json:
    """A GridRange, zero starts left out (proto3 defaults) to keep the body small."""
    out: Json = {"sheetId": sheet_id, "endRowIndex": r1, "endColumnIndex": c1}
    if r0:
        out["startRowIndex"] = r0
    if c0:
        out["startColumnIndex"] = c0
    return out


Block = tuple[int, int, int, int, Style]  # rows r0..r1, columns c0..c1 (0-based, end excluded)


def style_blocks(layout: SheetLayout) -> list[Block]:
    """The layout's formats as rectangles of one style each: runs of equal styles
    along a row, grown down while the rows below repeat them. A page's formats are
    a few dozen rectangles, not one format per cell, which keeps the write small
    (Google refuses a request body over 10 MB)."""
    open_blocks: dict[tuple[int, int, Style], int] = {}
    blocks: list[Block] = []
    for r, row in enumerate(layout.rows):
        runs: set[tuple[int, int, Style]] = set()
        c = 0
        while c < len(row):
            end = c + 1
            while end < len(row) and row[end].style == row[c].style:
                end += 1
            if row[c].style != Style():
                runs.add((c, end, row[c].style))
            c = end
        for key in [k for k in open_blocks if k not in runs]:
            blocks.append((open_blocks.pop(key), r, key[0], key[1], key[2]))
        for key in runs:
            open_blocks.setdefault(key, r)
    end_row = len(layout.rows)
    blocks += [(r0, end_row, c0, c1, st) for (c0, c1, st), r0 in open_blocks.items()]
    return sorted(blocks, key=lambda b: (b[0], b[2]))


def content_requests(sheet_id: int, layout: SheetLayout, clear: bool) -> list[Json]:
    """The cells, formats, validation and column widths of ``layout`` on the sheet
    ``sheet_id``. With ``clear`` every cell of the sheet is rewritten: what the
    layout does not cover is emptied, as a whole-tab replacement must; column widths
    are set only on a new tab, so that widths a person chose survive a rollover."""
    rows = []
    for row in layout.rows:
        values = [cell_data(c.value) for c in row]
        while values and not values[-1]:
            values.pop()  # the range's remaining cells are cleared anyway
        rows.append(row_data(values))
    update: Json = {"rows": rows, "fields": CELL_FIELDS}
    if clear:
        update["range"] = {"sheetId": sheet_id}
    else:
        update["start"] = {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0}
    requests: list[Json] = [{"updateCells": update}]
    for r0, r1, c0, c1, style in style_blocks(layout):
        requests.append(
            {
                "repeatCell": {
                    "range": grid_range(sheet_id, r0, r1, c0, c1),
                    "cell": {"userEnteredFormat": cell_format(style)},
                    "fields": "userEnteredFormat",
                }
            }
        )
    requests += [validation_request(sheet_id, v) for v in layout.validations]
    requests += _rule_requests(sheet_id, layout.highlights)
    if clear:
        return requests  # a tab rewritten keeps the column widths people may have set
    for i, width in enumerate(layout.widths):
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "startIndex": i,
                        "endIndex": i + 1,
                    },
                    "properties": {"pixelSize": round(width * CHAR_PIXELS + 5)},
                    "fields": "pixelSize",
                }
            }
        )
    return requests


def _rule_requests(sheet_id: int, highlights: list[Highlight]) -> list[Json]:
    """Signal colours as conditional formats: one rule per (text, colour), with all
    its ranges, ahead of any rule a person made."""
    rules: dict[tuple[str, str], list[Json]] = {}
    for h in highlights:
        rng = grid_range(sheet_id, h.first_row - 1, h.last_row, h.column - 1, h.column)
        rules.setdefault((h.text, h.fill), []).append(rng)
    out: list[Json] = []
    for n, ((contains, fill), ranges) in enumerate(rules.items()):
        condition = {"type": "TEXT_CONTAINS", "values": [{"userEnteredValue": contains}]}
        background = {"backgroundColorStyle": {"rgbColor": color(fill)}}
        out.append(
            {
                "addConditionalFormatRule": {
                    "rule": {
                        "ranges": ranges,
                        "booleanRule": {"condition": condition, "format": background},
                    },
                    "index": n,
                }
            }
        )
    return out


def sheet_properties(sheet_id: int, layout: SheetLayout, index: int | None = None) -> Json:
    rows, cols = grid_size(layout)
    props: Json = {
        "sheetId": sheet_id,
        "title": layout.title,
        "gridProperties": {
            "rowCount": rows,
            "columnCount": cols,
            "frozenRowCount": layout.freeze_rows,
            "frozenColumnCount": layout.freeze_cols,
        },
        "hidden": layout.hidden,
    }
    if index is not None:
        props["index"] = index
    if layout.tab_color:
        props["tabColorStyle"] = {"rgbColor": color(layout.tab_color)}
    return props


# --- reading ----------------------------------------------------------------------------


def _number(raw: float) -> int | float:
    return int(raw) if float(raw).is_integer() else raw


def read_cell(cell: Json) -> CellValue:
    value = cell.get("userEnteredValue")
    if not value:
        return None
    if "formulaValue" in value:
        return Formula(value["formulaValue"])
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "numberValue" in value:
        raw = value["numberValue"]
        kind = cell.get("effectiveFormat", {}).get("numberFormat", {}).get("type")
        if kind in _DATE_TYPES and 1 <= raw <= 2_958_465:
            moment = datetime(1899, 12, 30) + timedelta(days=raw)
            if kind == "DATE" or moment.time() == datetime.min.time():
                return SERIAL_EPOCH + timedelta(days=int(raw))
            return moment
        return _number(raw)
    return str(next(iter(value.values())))  # errorValue and anything newer: its text


def read_notes(data: list[Json]) -> dict[tuple[int, int], str]:
    """The notes on a tab's cells, by 1-based (row, column)."""
    out: dict[tuple[int, int], str] = {}
    for block in data:
        r0, c0 = block.get("startRow", 0), block.get("startColumn", 0)
        for r, row in enumerate(block.get("rowData", []), start=r0 + 1):
            for c, cell in enumerate(row.get("values", []), start=c0 + 1):
                if cell.get("note"):
                    out[(r, c)] = str(cell["note"]).strip()
    return out


def formula_cells(grid: Grid) -> list[tuple[int, int]]:
    return [
        (r, c)
        for r, row in enumerate(grid, start=1)
        for c, value in enumerate(row, start=1)
        if isinstance(value, Formula)
    ]


def with_results(grid: Grid, values: list[list[Any]]) -> Grid:
    """``grid`` with each formula given the value Google computed for it (a
    values read with UNFORMATTED_VALUE and SERIAL_NUMBER dates)."""
    out = [list(row) for row in grid]
    for r, c in formula_cells(grid):
        found = values[r - 1][c - 1] if r - 1 < len(values) and c - 1 < len(values[r - 1]) else None
        formula = out[r - 1][c - 1]
        assert isinstance(formula, Formula)
        if found in ("", None):
            continue
        result: CellValue = found if not isinstance(found, float) else _number(found)
        out[r - 1][c - 1] = Formula(formula.text, result)  # type: ignore[arg-type]
    return out


def edit_requests(sheet_id: int, edit: PageEdit) -> list[Json]:
    """A page changed in place: whole rows deleted, moved and inserted, then the
    changed cells (values; formats only where the edit says), dropdowns for rows
    sheetsync made or moved. A changed block of cells is one request per row."""
    out: list[Json] = []
    for op in edit.ops:
        rng = {
            "sheetId": sheet_id,
            "dimension": "ROWS",
            "startIndex": op.start - 1,
            "endIndex": op.start - 1 + op.count,
        }
        if op.kind == "delete":
            out.append({"deleteDimension": {"range": rng}})
        elif op.kind == "insert":
            out.append({"insertDimension": {"range": rng, "inheritFromBefore": op.start > 1}})
        else:
            out.append({"moveDimension": {"source": rng, "destinationIndex": op.to - 1}})
    rows: dict[int, list[int]] = {}
    for r, c in edit.cells:
        rows.setdefault(r, []).append(c)
    for r in sorted(rows):
        cols = sorted(rows[r])
        i = 0
        while i < len(cols):
            styled = (r, cols[i]) in edit.styled
            j = i
            while (
                j + 1 < len(cols)
                and cols[j + 1] == cols[j] + 1
                and ((r, cols[j + 1]) in edit.styled) == styled
            ):
                j += 1
            values = []
            for c in cols[i : j + 1]:
                cell = edit.cells[(r, c)]
                data = cell_data(cell.value, cell.style if styled else None)
                if not styled:
                    data.pop("userEnteredFormat", None)
                values.append(data)
            out.append(
                {
                    "updateCells": {
                        "start": {
                            "sheetId": sheet_id,
                            "rowIndex": r - 1,
                            "columnIndex": cols[i] - 1,
                        },
                        "rows": [row_data(values)],
                        "fields": "userEnteredValue,userEnteredFormat"
                        if styled
                        else "userEnteredValue",
                    }
                }
            )
            i = j + 1
    out += [validation_request(sheet_id, v) for v in edit.validations]
    return out


def own_rule(rule: Json) -> bool:
    """A conditional format rule sheetsync made (a signal colour)."""
    condition = rule.get("booleanRule", {}).get("condition", {})
    texts = [v.get("userEnteredValue") for v in condition.get("values", [])]
    return (
        condition.get("type") == "TEXT_CONTAINS" and len(texts) == 1 and texts[0] in OWN_RULE_TEXTS
    )


def highlight_requests(sheet_id: int, rules: list[Json], highlights: list[Highlight]) -> list[Json]:
    """sheetsync's colour rules replaced; a person's own rules stay, in their order."""
    out: list[Json] = [
        {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": i}}
        for i in reversed(range(len(rules)))
        if own_rule(rules[i])
    ]
    out += _rule_requests(sheet_id, highlights)
    return out


def read_grid(data: list[Json]) -> Grid:
    """A tab's ``GridData`` (one block, from A1) as rows of values, trailing blanks off."""
    grid: Grid = []
    for block in data:
        for row in block.get("rowData", []):
            values = [read_cell(c) for c in row.get("values", [])]
            while values and values[-1] is None:
                values.pop()
            grid.append(values)
    while grid and not grid[-1]:
        grid.pop()
    return grid


def chart_request(sheet_id: int, spec: Chart) -> Json:
    """An ``addChart``: a combo of columns (left axis) and a line (right axis)."""

    def source(col: int, first: int) -> Json:
        return {
            "sourceRange": {"sources": [grid_range(sheet_id, first, spec.last_row, col - 1, col)]}
        }

    series: list[Json] = [
        {"series": source(col, spec.header_row - 1), "targetAxis": "LEFT_AXIS", "type": "COLUMN"}
        for col in spec.bars
    ]
    axes: list[Json] = [
        {"position": "BOTTOM_AXIS"},
        {"position": "LEFT_AXIS", "title": spec.left_title},
    ]
    if spec.line is not None:
        series.append(
            {
                "series": source(spec.line, spec.header_row - 1),
                "targetAxis": "RIGHT_AXIS",
                "type": "LINE",
            }
        )
        axes.append({"position": "RIGHT_AXIS", "title": spec.right_title})
    return {
        "addChart": {
            "chart": {
                "spec": {
                    "title": spec.title,
                    "basicChart": {
                        "chartType": "COMBO",
                        "legendPosition": "BOTTOM_LEGEND",
                        "axis": axes,
                        "domains": [{"domain": source(spec.categories, spec.header_row - 1)}],
                        "series": series,
                        "headerCount": 1,
                    },
                },
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": spec.anchor_row - 1,
                            "columnIndex": spec.anchor_col - 1,
                        },
                        "widthPixels": 640,
                        "heightPixels": 320,
                    }
                },
            }
        }
    }

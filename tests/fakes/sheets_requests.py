"""``spreadsheets.batchUpdate`` on the fake: each request kind, applied to a copy
of the spreadsheet that is kept only if every request succeeds (atomic, as the
API's contract says).

Rules the real API has, with their evidence (see also ``sheets_model``):
- A tab holds one whole-sheet protection; a second is 400 ``Sheet "<title>"
  already has sheet protection.`` (recordings README;
  googleapis/google-api-python-client#1064).
- Hiding the last visible tab is 400 ``You can't hide all the sheets in a
  document.`` (recordings README).
- An unknown protected range id is 400 ``No protected range with id: N``
  (google-api-python-client#1064).
- Editors cannot be set on a warning-only protection (gspread#1437).
- Replies leave out proto3 defaults; ``addProtectedRange`` answers
  ``requestingUserCanEdit: true`` and the editors as they were asked for
  (``editors: {}`` for none), without the owner and requester Google adds
  (``WorksheetTest.test_add_protected_range_normal``).
- A colour comes back with 8 bits a channel, and a format given with
  ``backgroundColor`` comes back with ``backgroundColorStyle`` too
  (``WorksheetTest.test_format``, ``test_update_tab_color``).
- Changes to protected cells are refused with 400 (recordings README).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

from tests.fakes.a1 import Box, quote_title
from tests.fakes.fieldmask import Mask, parse_mask
from tests.fakes.formulas import follow_rows, rename_sheet
from tests.fakes.sheets_defaults import colour
from tests.fakes.sheets_model import (
    ApiError,
    Sheet,
    Span,
    Spreadsheet,
    bad,
    protected,
    range_view,
    whole_sheet,
)

Json = dict[str, Any]
MAX_CELL_CHARS = 50_000
CELL_PARTS = ("userEnteredValue", "userEnteredFormat", "dataValidation", "note", "textFormatRuns")
# deprecated colour <-> its Style twin; Google fills in both (test_format)
COLOUR_TWINS = (
    (("backgroundColor",), ("backgroundColorStyle", "rgbColor")),
    (("textFormat", "foregroundColor"), ("textFormat", "foregroundColorStyle", "rgbColor")),
)


def _get(obj: Json, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _put(obj: Json, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        obj = obj.setdefault(key, {})
    obj[path[-1]] = value


def field_list(fields: str | None, given: Json) -> list[str]:
    """A field mask as a list of dotted paths: ``/`` is a separator too, ``*`` and a
    bare object name stand for every field given under them."""
    out: list[str] = []
    for f in (fields or "").split(","):
        f = f.strip().replace("/", ".")
        if not f:
            continue
        if f == "*":
            out += [k for k in given if not isinstance(given[k], dict)]
            out += [f"{k}.{sub}" for k, v in given.items() if isinstance(v, dict) for sub in v]
        elif isinstance(given.get(f), dict) and f not in ("tabColorStyle", "tabColor"):
            out += [f"{f}.{sub}" for sub in given[f]]
        else:
            out.append(f)
    return out


def _masked(mask: Mask, path: tuple[str, ...]) -> bool:
    for key in path:
        if not mask:
            return True  # a leaf of the mask takes everything below it
        if key not in mask:
            return False
        mask = mask[key]
    return True


def sync_twins(fmt: Json, mask: Mask) -> None:
    """A format as Google keeps it: the colour a request set, in both of its fields
    (deprecated and Style), at 8 bits a channel."""
    for old, new in COLOUR_TWINS:
        # "If backgroundColorStyle is also set, this field takes precedence"
        # (CellFormat in Google's reference): the Style twin wins where both are
        # in the mask and it is given.
        if _masked(mask, new) and _get(fmt, new) is not None:
            value = _get(fmt, new)
        elif _masked(mask, old):
            value = _get(fmt, old)
        elif _masked(mask, new):
            value = _get(fmt, new)
        else:
            continue
        for path in (old, new):
            if isinstance(value, dict):
                _put(fmt, path, colour(value))
            else:
                parent = _get(fmt, path[:-1]) if len(path) > 1 else fmt
                if isinstance(parent, dict):
                    parent.pop(path[-1], None)
    for key in ("backgroundColorStyle", "textFormat"):
        if fmt.get(key) == {}:
            del fmt[key]
    style = _get(fmt, ("textFormat", "foregroundColorStyle"))
    if style == {}:
        del fmt["textFormat"]["foregroundColorStyle"]


def clone(value: Any) -> Any:
    """A copy of a JSON value (several times faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def merge_fields(current: Json, given: Json, mask: Mask) -> None:
    """Set the masked fields of ``current`` from ``given``; a masked field absent
    from ``given`` is cleared, as the API's field masks do."""
    for key, sub in mask.items():
        if key == "*":
            current.clear()
            current.update(clone(given))
            return
        if not sub or key not in given or not isinstance(given.get(key), dict):
            if key in given and given[key] is not None:
                current[key] = clone(given[key])
            else:
                current.pop(key, None)
            continue
        inner = current.setdefault(key, {})
        merge_fields(inner, given[key], sub)
        if not inner:
            current.pop(key)


class BatchUpdate:
    """One batchUpdate by ``caller`` on a working copy of ``book``."""

    def __init__(self, book: Spreadsheet, caller: str | None, ids: itertools.count[int]) -> None:
        self.book = book
        self.caller = caller
        self.ids = ids
        self._formulas: list[tuple[Sheet, Json]] | None = None  # cells holding one

    def apply(self, requests: list[Json]) -> list[Json]:
        replies = []
        for i, request in enumerate(requests):
            kind, args = next(iter(request.items()))
            handler = getattr(self, f"do_{kind}", None)
            if handler is None:
                raise bad(f"requests[{i}]: the fake does not implement {kind}")
            try:
                replies.append(handler(args) or {})
                if self.book.sheets and all(s.hidden for s in self.book.sheets):
                    raise bad("You can't hide all the sheets in a document.")
            except ApiError as exc:
                if exc.code != 400:
                    raise
                raise bad(f"Invalid requests[{i}].{kind}: {exc.message}") from None
        return replies

    # --- helpers -------------------------------------------------------------------------

    def sheet(self, sheet_id: int | None) -> Sheet:
        return self.book.sheet(sheet_id=sheet_id or 0)

    def editable(self, sheet_id: int | None, span: Span | None = None) -> Sheet:
        """The sheet, if the caller may change ``span`` of it (or the sheet itself)."""
        sheet = self.sheet(sheet_id)
        self.book.check_cells(self.caller, sheet, span)
        return sheet

    @staticmethod
    def box(sheet: Sheet, grid: Json) -> Box:
        box = Box(
            grid.get("startRowIndex", 0),
            grid.get("startColumnIndex", 0),
            grid.get("endRowIndex", sheet.rows),
            grid.get("endColumnIndex", sheet.cols),
        )
        if box.r1 > sheet.rows or box.c1 > sheet.cols or box.r0 >= box.r1 or box.c0 >= box.c1:
            raise bad(f"Range ({quote_title(sheet.title)}!{box.a1()}) exceeds grid limits.")
        return box

    def cells_at(self, sheet: Sheet, r0: int, c0: int, rows: list[Json], fields: str) -> None:
        if not fields:
            raise bad("At least one field must be specified.")
        mask = parse_mask(fields)
        if "*" in mask:
            mask = {k: {} for k in CELL_PARTS}
        for dr, row in enumerate(rows):
            for dc, cell in enumerate(row.get("values", []) or []):
                r, c = r0 + dr, c0 + dc
                if r >= sheet.rows or c >= sheet.cols:
                    raise bad(
                        f"Range ({quote_title(sheet.title)}!{Box(r, c, r + 1, c + 1).a1()})"
                        f" exceeds grid limits. Max rows: {sheet.rows}, max columns: "
                        f"{sheet.cols}"
                    )
                text = next(iter((cell.get("userEnteredValue") or {}).values()), "")
                if isinstance(text, str) and len(text) > MAX_CELL_CHARS:
                    raise bad(
                        f"Your input contains more than the maximum of {MAX_CELL_CHARS} "
                        "characters in a single cell."
                    )
                current = sheet.cells.setdefault((r, c), {})
                if "formulaValue" in (cell.get("userEnteredValue") or {}):
                    self._formulas = None  # a new formula: look again
                merge_fields(current, cell, mask)
                if current.get("note") == "":
                    del current["note"]  # an empty note is no note (test_worksheet_notes)
                if "userEnteredFormat" in mask and "userEnteredFormat" in current:
                    sync_twins(current["userEnteredFormat"], mask["userEnteredFormat"])
                if not current:
                    del sheet.cells[(r, c)]

    # --- sheets ---------------------------------------------------------------------------

    def do_addSheet(self, args: Json) -> Json:
        props = args.get("properties") or {}
        title = props.get("title") or f"Sheet{len(self.book.sheets) + 1}"
        if any(s.title.casefold() == title.casefold() for s in self.book.sheets):
            raise bad(f'A sheet with the name "{title}" already exists. Please enter another name.')
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = next(self.ids)
        if any(s.sheet_id == sheet_id for s in self.book.sheets):
            raise bad(f"A sheet with id {sheet_id} already exists.")
        grid = props.get("gridProperties") or {}
        index = min(props.get("index", len(self.book.sheets)), len(self.book.sheets))
        sheet = Sheet(
            sheet_id,
            title,
            index,
            grid.get("rowCount", 1000),
            grid.get("columnCount", 26),
            bool(props.get("hidden", False)),
            grid.get("frozenRowCount", 0),
            grid.get("frozenColumnCount", 0),
        )
        tab = (props.get("tabColorStyle") or {}).get("rgbColor") or props.get("tabColor")
        sheet.tab_color = colour(tab) if tab else None
        self.book.sheets.insert(index, sheet)
        self.book.reindex()
        return {"addSheet": {"properties": sheet.properties()}}

    def do_deleteSheet(self, args: Json) -> None:
        sheet = self.editable(args.get("sheetId"))
        if len(self.book.sheets) == 1:
            raise bad("You can't remove all the sheets in a document.")
        self.book.sheets.remove(sheet)
        self.book.protected = [
            p for p in self.book.protected if p["range"].get("sheetId", 0) != sheet.sheet_id
        ]
        self.book.reindex()

    def do_updateSheetProperties(self, args: Json) -> None:
        props = args.get("properties") or {}
        sheet = self.editable(props.get("sheetId"))
        fields = field_list(args.get("fields"), props)
        if not fields:
            raise bad("At least one field must be specified.")
        grid = props.get("gridProperties") or {}
        for f in fields:
            if f == "sheetId":
                continue
            if f == "title":
                title = props.get("title", "")
                if any(
                    s is not sheet and s.title.casefold() == title.casefold()
                    for s in self.book.sheets
                ):
                    raise bad(f'A sheet with the name "{title}" already exists.')
                rename_sheet(self.book.sheets, sheet, title)
            elif f == "index":
                self.book.sheets.remove(sheet)
                self.book.sheets.insert(min(props.get("index", 0), len(self.book.sheets)), sheet)
                self.book.reindex()
            elif f == "hidden":
                sheet.hidden = bool(props.get("hidden", False))
            elif f == "gridProperties.rowCount":
                self._resize(sheet, grid.get("rowCount", 0), sheet.cols)
            elif f == "gridProperties.columnCount":
                self._resize(sheet, sheet.rows, grid.get("columnCount", 0))
            elif f == "gridProperties.frozenRowCount":
                sheet.frozen_rows = grid.get("frozenRowCount", 0)
            elif f == "gridProperties.frozenColumnCount":
                sheet.frozen_cols = grid.get("frozenColumnCount", 0)
            elif f == "gridProperties.hideGridlines":
                sheet.hide_gridlines = bool(grid.get("hideGridlines", False))
            elif f in ("tabColorStyle", "tabColorStyle.rgbColor", "tabColor"):
                rgb = (props.get("tabColorStyle") or {}).get("rgbColor") or props.get("tabColor")
                sheet.tab_color = colour(rgb) if rgb else None
            else:
                raise bad(f"the fake does not implement updateSheetProperties field {f}")

    def _resize(self, sheet: Sheet, rows: int, cols: int) -> None:
        """A smaller grid loses the cells outside it."""
        if rows < 1 or cols < 1:
            raise bad("A sheet needs at least one row and one column.")
        if rows < sheet.rows:
            self.do_deleteDimension(
                {"range": self._whole(sheet, "ROWS", rows, sheet.rows)}, resize=True
            )
        if cols < sheet.cols:
            self.do_deleteDimension(
                {"range": self._whole(sheet, "COLUMNS", cols, sheet.cols)}, resize=True
            )
        sheet.rows, sheet.cols = rows, cols

    @staticmethod
    def _whole(sheet: Sheet, dimension: str, start: int, end: int) -> Json:
        return {
            "sheetId": sheet.sheet_id,
            "dimension": dimension,
            "startIndex": start,
            "endIndex": end,
        }

    def do_updateSpreadsheetProperties(self, args: Json) -> None:
        if self.book.role_of(self.caller) != "owner" and not self.book.can_change(self.caller):
            raise protected()
        props = args.get("properties") or {}
        for f in [f.strip() for f in (args.get("fields") or "").split(",") if f.strip()]:
            if f == "title":
                self.book.title = props.get("title", "")
            elif f == "locale":
                self.book.locale = props.get("locale", "")
            elif f == "timeZone":
                self.book.time_zone = props.get("timeZone", "")
            elif f == "autoRecalc":
                self.book.auto_recalc = props.get("autoRecalc", "ON_CHANGE")
            else:
                raise bad(f"the fake does not implement updateSpreadsheetProperties field {f}")

    # --- cells ----------------------------------------------------------------------------

    def do_updateCells(self, args: Json) -> None:
        rows = args.get("rows") or []
        fields = args.get("fields", "")
        if "start" in args:
            start = args["start"]
            sheet = self.sheet(start.get("sheetId"))
            r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
            width = max((len(r.get("values") or []) for r in rows), default=0)
            if rows and width:
                self.book.check_cells(self.caller, sheet, Span(r0, r0 + len(rows), c0, c0 + width))
            self.cells_at(sheet, r0, c0, rows, fields)
            return
        sheet = self.sheet(args["range"].get("sheetId"))
        box = self.box(sheet, args["range"])
        self.book.check_cells(self.caller, sheet, Span(box.r0, box.r1, box.c0, box.c1))
        # the cells of the range that ``rows`` leaves out are cleared, field by field
        for r, c in [k for k in sheet.cells if box.r0 <= k[0] < box.r1 and box.c0 <= k[1] < box.c1]:
            dr, dc = r - box.r0, c - box.c0
            if dr >= len(rows) or dc >= len(rows[dr].get("values") or []):
                self.cells_at(sheet, r, c, [{"values": [{}]}], fields)
        self.cells_at(sheet, box.r0, box.c0, rows, fields)

    def do_appendCells(self, args: Json) -> None:
        sheet = self.sheet(args.get("sheetId"))
        start, _ = sheet.data_extent()
        rows = args.get("rows") or []
        width = max((len(r.get("values") or []) for r in rows), default=1)
        self.book.check_cells(self.caller, sheet, Span(start, start + len(rows), 0, width))
        sheet.rows = max(sheet.rows, start + len(rows))  # appendCells adds rows as needed
        self.cells_at(sheet, start, 0, rows, args.get("fields", ""))

    def do_repeatCell(self, args: Json) -> None:
        sheet = self.sheet(args["range"].get("sheetId"))
        box = self.box(sheet, args["range"])
        self.book.check_cells(self.caller, sheet, Span(box.r0, box.r1, box.c0, box.c1))
        row = {"values": [args.get("cell") or {}] * (box.c1 - box.c0)}
        self.cells_at(sheet, box.r0, box.c0, [row] * (box.r1 - box.r0), args.get("fields", ""))

    def do_setDataValidation(self, args: Json) -> None:
        sheet = self.sheet(args["range"].get("sheetId"))
        box = self.box(sheet, args["range"])
        self.book.check_cells(self.caller, sheet, Span(box.r0, box.r1, box.c0, box.c1))
        rule = args.get("rule")
        if rule is not None:
            condition = rule.get("condition") or {}
            if condition.get("type") == "ONE_OF_LIST" and not condition.get("values"):
                raise bad("Invalid DataValidation: ONE_OF_LIST needs at least one value.")
        for r in range(box.r0, box.r1):
            for c in range(box.c0, box.c1):
                cell = sheet.cells.setdefault((r, c), {})
                if rule is None:
                    cell.pop("dataValidation", None)
                else:
                    cell["dataValidation"] = clone(rule)

    def do_mergeCells(self, args: Json) -> None:
        sheet = self.sheet(args["range"].get("sheetId"))
        box = self.box(sheet, args["range"])
        self.book.check_cells(self.caller, sheet, Span(box.r0, box.r1, box.c0, box.c1))
        merge_type = args.get("mergeType", "MERGE_ALL")
        pieces = {
            "MERGE_ALL": [box],
            "MERGE_ROWS": [Box(r, box.c0, r + 1, box.c1) for r in range(box.r0, box.r1)],
            "MERGE_COLUMNS": [Box(box.r0, c, box.r1, c + 1) for c in range(box.c0, box.c1)],
        }[merge_type]
        area = Span(box.r0, box.r1, box.c0, box.c1)
        sheet.merges = [m for m in sheet.merges if not area.meets(Span.of(m))]  # replaced
        for piece in pieces:
            if (piece.r1 - piece.r0) * (piece.c1 - piece.c0) > 1:
                grid = {
                    "startRowIndex": piece.r0,
                    "endRowIndex": piece.r1,
                    "startColumnIndex": piece.c0,
                    "endColumnIndex": piece.c1,
                }
                if sheet.sheet_id:
                    grid = {"sheetId": sheet.sheet_id, **grid}
                sheet.merges.append(grid)

    def do_unmergeCells(self, args: Json) -> None:
        sheet = self.sheet(args["range"].get("sheetId"))
        span = Span.of(args["range"])
        sheet.merges = [m for m in sheet.merges if not span.meets(Span.of(m))]

    # --- rows and columns -----------------------------------------------------------------

    def do_updateDimensionProperties(self, args: Json) -> None:
        rng = args["range"]
        sheet = self.editable(rng.get("sheetId"))
        props = args.get("properties") or {}
        fields = field_list(args.get("fields"), props)
        if not fields or not set(fields) <= {"pixelSize", "hiddenByUser"}:
            raise bad(f"the fake does not implement updateDimensionProperties fields {fields}")
        columns = rng.get("dimension") == "COLUMNS"
        limit = sheet.cols if columns else sheet.rows
        start, end = rng.get("startIndex", 0), rng.get("endIndex", limit)
        if not 0 <= start < end <= limit:
            raise bad(f"Invalid dimension range {start}:{end} (grid has {limit}).")
        hidden = sheet.hidden_cols if columns else sheet.hidden_rows
        for i in range(start, end):
            if "pixelSize" in fields:
                (sheet.col_widths if columns else sheet.row_heights)[i] = int(
                    props.get("pixelSize", 0)
                )
            if "hiddenByUser" in fields:
                if props.get("hiddenByUser"):
                    hidden.add(i)
                else:
                    hidden.discard(i)

    def _dimension(self, rng: Json) -> tuple[Sheet, bool, int, int]:
        sheet = self.sheet(rng.get("sheetId"))
        if rng.get("dimension") not in ("ROWS", "COLUMNS"):
            raise bad("A dimension range needs dimension ROWS or COLUMNS.")
        rows = rng["dimension"] == "ROWS"
        start, end = rng.get("startIndex", 0), rng.get("endIndex")
        if end is None or not 0 <= start < end:
            raise bad(f"Invalid dimension range {start}:{end}.")
        return sheet, rows, start, end

    def do_insertDimension(self, args: Json) -> None:
        """New rows (or columns) at ``startIndex``; everything at and after it moves,
        protections and merges with it; the new ones take the format of the row
        before (``inheritFromBefore``) or after."""
        sheet, rows, start, end = self._dimension(args["range"])
        n = end - start
        limit = sheet.rows if rows else sheet.cols
        if start > limit:
            raise bad(f"Invalid dimension range {start}:{end} (grid has {limit}).")
        before = bool(args.get("inheritFromBefore"))
        if before and start == 0:
            raise bad("inheritFromBefore cannot be true when inserting at index 0.")
        self.book.check_cells(self.caller, sheet)
        inside = (
            Span(start - 1, start + 1, 0, None) if rows else Span(0, None, start - 1, start + 1)
        )
        for prot in self.book.protected:  # rows inserted inside a protected range change it
            r = Span.of(prot["range"])
            grows = (
                (r.r0 < start and (r.r1 is None or start < r.r1))
                if rows
                else (r.c0 < start and (r.c1 is None or start < r.c1))
            )
            if (
                grows
                and prot["range"].get("sheetId", 0) == sheet.sheet_id
                and not prot.get("warningOnly")
                and not self.book.is_editor(self.caller, prot)
                and self.book.covers(prot, sheet, inside)
            ):
                raise protected()
        source = start - 1 if before else start
        moved: dict[tuple[int, int], Json] = {}
        for (r, c), cell in sheet.cells.items():
            i = r if rows else c
            key = ((r + n, c) if rows else (r, c + n)) if i >= start else (r, c)
            moved[key] = cell
        for k in range(start, end):
            for other in range(sheet.cols if rows else sheet.rows):
                src = sheet.cells.get((source, other) if rows else (other, source))
                if not src:
                    continue
                new = {
                    key: copy.deepcopy(src[key])
                    for key in ("userEnteredFormat", "dataValidation")
                    if key in src
                }
                if new:
                    moved[(k, other) if rows else (other, k)] = new
        sheet.cells = moved
        sizes = sheet.row_heights if rows else sheet.col_widths
        shifted = {(i + n if i >= start else i): v for i, v in sizes.items()}
        if source in sizes:
            shifted.update({k: sizes[source] for k in range(start, end)})
        sizes.clear()
        sizes.update(shifted)
        if rows:
            sheet.rows += n
        else:
            sheet.cols += n
        for grid in self._ranges_on(sheet):
            self._shift(grid, rows, start, n)
        if rows:
            self._follow(sheet, lambda r: r + n if r >= start + 1 else r, (0, -1))

    def do_moveDimension(self, args: Json) -> None:
        """Rows (or columns) moved, with everything in them: cells, sizes, and the
        references to them (Sheets reference, MoveDimensionRequest:
        ``destinationIndex`` counts as the sheet is before the move)."""
        sheet, rows, start, end = self._dimension(args["source"])
        n = end - start
        limit = sheet.rows if rows else sheet.cols
        dest = args.get("destinationIndex", 0)
        if end > limit or not 0 <= dest <= limit:
            raise bad(f"Invalid dimension range {start}:{end} (grid has {limit}).")
        if start <= dest <= end:
            return  # it stays where it is
        lo, hi = min(start, dest), max(end, dest)
        span = Span(lo, hi, 0, None) if rows else Span(0, None, lo, hi)
        self.book.check_cells(self.caller, sheet, span)

        def move(i: int) -> int:  # 0-based
            if start <= i < end:
                return i - start + (dest - n if dest > end else dest)
            if dest > end and end <= i < dest:
                return i - n
            if dest < start and dest <= i < start:
                return i + n
            return i

        sheet.cells = {
            ((move(r), c) if rows else (r, move(c))): cell for (r, c), cell in sheet.cells.items()
        }
        sizes = sheet.row_heights if rows else sheet.col_widths
        moved = {move(i): v for i, v in sizes.items()}
        sizes.clear()
        sizes.update(moved)
        for grid in self._ranges_on(sheet):
            lo_key, hi_key = (
                ("startRowIndex", "endRowIndex") if rows else ("startColumnIndex", "endColumnIndex")
            )
            if lo_key in grid and hi_key in grid:
                a, b = move(grid[lo_key]), move(grid[hi_key] - 1) + 1
                grid[lo_key], grid[hi_key] = min(a, b - 1), max(a + 1, b)
        if rows:
            self._follow(sheet, lambda r: move(r - 1) + 1, (0, -1))

    def _follow(
        self, sheet: Sheet, move: Callable[[int], int | None], deleted: tuple[int, int]
    ) -> None:
        """Every formula of the workbook keeps pointing at the same cells of ``sheet``."""
        if self._formulas is None:
            self._formulas = [
                (other, cell)
                for other in self.book.sheets
                for cell in other.cells.values()
                if "formulaValue" in (cell.get("userEnteredValue") or {})
            ]
        for other, cell in self._formulas:
            value = cell.get("userEnteredValue") or {}
            if "formulaValue" in value:
                value["formulaValue"] = follow_rows(
                    value["formulaValue"], other.title, sheet.title, move, deleted
                )

    def do_deleteDimension(self, args: Json, resize: bool = False) -> None:
        sheet, rows, start, end = self._dimension(args["range"])
        limit = sheet.rows if rows else sheet.cols
        if end > limit:
            raise bad(f"Invalid dimension range {start}:{end} (grid has {limit}).")
        if start == 0 and end == limit and not resize:
            what = "rows" if rows else "columns"
            raise bad(f"You can't delete all the {what} on the sheet.")
        span = Span(start, end, 0, None) if rows else Span(0, None, start, end)
        self.book.check_cells(self.caller, sheet, span)
        n = end - start
        kept: dict[tuple[int, int], Json] = {}
        for (r, c), cell in sheet.cells.items():
            i = r if rows else c
            if start <= i < end:
                continue
            kept[((r - n, c) if rows else (r, c - n)) if i >= end else (r, c)] = cell
        sheet.cells = kept
        sizes = sheet.row_heights if rows else sheet.col_widths
        rest = {(i - n if i >= end else i): v for i, v in sizes.items() if not start <= i < end}
        sizes.clear()
        sizes.update(rest)
        if rows:
            sheet.rows -= n
        else:
            sheet.cols -= n
        for grid in self._ranges_on(sheet):
            self._shift(grid, rows, end, -n, cut=start)
        self._drop_empty(sheet)
        if rows:
            first, last = start + 1, end

            def move(r: int) -> int | None:
                return None if first <= r <= last else (r - n if r > last else r)

            self._follow(sheet, move, (first, last))

    def _ranges_on(self, sheet: Sheet) -> list[Json]:
        """Every GridRange on ``sheet`` that moves with its cells."""
        out = [p["range"] for p in self.book.protected]
        out += [u for p in self.book.protected for u in p.get("unprotectedRanges") or []]
        out += [m for m in sheet.merges]
        out += [r for rule in sheet.conditional for r in rule.get("ranges", [])]
        out += [n["range"] for n in self.book.named_ranges]
        return [g for g in out if g.get("sheetId", 0) == sheet.sheet_id]

    @staticmethod
    def _shift(grid: Json, rows: bool, at: int, n: int, cut: int | None = None) -> None:
        """Move a range's indexes for ``n`` rows inserted at ``at`` (or, with ``cut``,
        the rows ``cut..at`` deleted, ``n`` negative)."""
        lo, hi = (
            ("startRowIndex", "endRowIndex") if rows else ("startColumnIndex", "endColumnIndex")
        )
        for key in (lo, hi):
            if key not in grid:
                continue
            value = grid[key]
            if cut is None:
                if value > at or (value == at and key == lo):
                    grid[key] = value + n
            elif value >= at:
                grid[key] = value + n
            elif value > cut:
                grid[key] = cut

    def _drop_empty(self, sheet: Sheet) -> None:
        def empty(g: Json) -> bool:
            return any(
                g.get(a) is not None and g.get(b) is not None and g[a] >= g[b]
                for a, b in (
                    ("startRowIndex", "endRowIndex"),
                    ("startColumnIndex", "endColumnIndex"),
                )
            )

        self.book.protected = [p for p in self.book.protected if not empty(p["range"])]
        sheet.merges = [m for m in sheet.merges if not empty(m)]
        for rule in sheet.conditional:
            rule["ranges"] = [r for r in rule.get("ranges", []) if not empty(r)]
        sheet.conditional = [rule for rule in sheet.conditional if rule.get("ranges")]

    def do_addDimensionGroup(self, args: Json) -> Json:
        """A group of rows or columns (``WorksheetTest.test_group_rows``): the reply
        lists the sheet's groups, sheet id left out."""
        sheet, rows, start, end = self._dimension(args["range"])
        kind = "ROWS" if rows else "COLUMNS"
        self.book.check_cells(self.caller, sheet)
        rng = {"dimension": kind, "startIndex": start, "endIndex": end}
        depth = 1 + sum(
            1
            for g in sheet.groups
            if g["range"]["dimension"] == kind
            and g["range"]["startIndex"] <= start
            and end <= g["range"]["endIndex"]
        )
        sheet.groups.append({"range": rng, "depth": depth})
        sheet.grouped.add(kind)
        mine = [g for g in sheet.groups if g["range"]["dimension"] == kind]
        return {"addDimensionGroup": {"dimensionGroups": copy.deepcopy(mine)}}

    def do_deleteDimensionGroup(self, args: Json) -> Json:
        sheet, rows, start, end = self._dimension(args["range"])
        kind = "ROWS" if rows else "COLUMNS"
        self.book.check_cells(self.caller, sheet)
        for g in sheet.groups:
            r = g["range"]
            if (r["dimension"], r["startIndex"], r["endIndex"]) == (kind, start, end):
                sheet.groups.remove(g)
                break
        else:
            raise bad(f"No dimension group at {kind} {start}:{end}.")
        mine = [g for g in sheet.groups if g["range"]["dimension"] == kind]
        return {"deleteDimensionGroup": {"dimensionGroups": mine} if mine else {}}

    def do_sortRange(self, args: Json) -> None:
        """Rows of the range in the order of ``sortSpecs``: numbers before text before
        booleans, text without regard to case, blanks last (``test_sort``)."""
        sheet = self.sheet(args["range"].get("sheetId"))
        box = self.box(sheet, args["range"])
        self.book.check_cells(self.caller, sheet, Span(box.r0, box.r1, box.c0, box.c1))
        rows = [
            {c: sheet.cells.pop((r, c)) for c in range(box.c0, box.c1) if (r, c) in sheet.cells}
            for r in range(box.r0, box.r1)
        ]

        def key(value: Any) -> tuple[int, Any]:
            if value is None:
                return (3, 0)
            if isinstance(value, bool):
                return (2, value)
            if isinstance(value, int | float):
                return (0, value)
            return (1, str(value).casefold())

        for spec in reversed(args.get("sortSpecs") or []):
            col = box.c0 + int(spec.get("dimensionIndex", 0))
            descending = spec.get("sortOrder") == "DESCENDING"

            def value(row: dict[int, Json], col: int = col) -> Any:
                entered = row.get(col, {}).get("userEnteredValue") or {}
                return next(iter(entered.values()), None)

            filled = [r for r in rows if value(r) is not None]
            blank = [r for r in rows if value(r) is None]
            filled.sort(key=lambda r: key(value(r)), reverse=descending)
            rows = filled + blank
        for i, row in enumerate(rows):
            for c, cell in row.items():
                sheet.cells[(box.r0 + i, c)] = cell

    def do_setBasicFilter(self, args: Json) -> None:
        """A sheet's filter; a range with no bounds is answered with the grid's
        (``WorksheetTest.test_basic_filters``)."""
        flt = copy.deepcopy(args.get("filter") or {})
        sheet = self.sheet((flt.get("range") or {}).get("sheetId"))
        self.book.check_cells(self.caller, sheet)
        box = self.box(sheet, flt.get("range") or {})
        flt["range"] = {
            "startRowIndex": box.r0,
            "endRowIndex": box.r1,
            "startColumnIndex": box.c0,
            "endColumnIndex": box.c1,
        }
        if sheet.sheet_id:
            flt["range"] = {"sheetId": sheet.sheet_id, **flt["range"]}
        sheet.basic_filter = flt

    def do_clearBasicFilter(self, args: Json) -> None:
        sheet = self.sheet(args.get("sheetId"))
        self.book.check_cells(self.caller, sheet)
        sheet.basic_filter = None

    def do_copyPaste(self, args: Json) -> None:
        """PASTE_NORMAL copies values, formats and validation; a destination larger
        than the source repeats it (Sheets reference, CopyPasteRequest)."""
        if args.get("pasteType", "PASTE_NORMAL") != "PASTE_NORMAL":
            raise bad("the fake implements copyPaste with PASTE_NORMAL only")
        src_sheet = self.sheet(args["source"].get("sheetId"))
        src = self.box(src_sheet, args["source"])
        dst_sheet = self.sheet(args["destination"].get("sheetId"))
        dst = self.box(dst_sheet, args["destination"])
        h, w = src.r1 - src.r0, src.c1 - src.c0
        rows = max(h, (dst.r1 - dst.r0) // h * h)
        cols = max(w, (dst.c1 - dst.c0) // w * w)
        span = Span(dst.r0, dst.r0 + rows, dst.c0, dst.c0 + cols)
        self.book.check_cells(self.caller, dst_sheet, span)
        taken = {
            (r, c): copy.deepcopy(src_sheet.cells.get((src.r0 + r % h, src.c0 + c % w)))
            for r in range(rows)
            for c in range(cols)
        }
        for (r, c), cell in taken.items():
            key = (dst.r0 + r, dst.c0 + c)
            if cell:
                dst_sheet.cells[key] = cell
            else:
                dst_sheet.cells.pop(key, None)

    def do_cutPaste(self, args: Json) -> None:
        """The source's cells move to the destination; the source is emptied."""
        src_sheet = self.sheet(args["source"].get("sheetId"))
        src = self.box(src_sheet, args["source"])
        dest = args["destination"]
        dst_sheet = self.sheet(dest.get("sheetId"))
        r0, c0 = dest.get("rowIndex", 0), dest.get("columnIndex", 0)
        h, w = src.r1 - src.r0, src.c1 - src.c0
        self.book.check_cells(self.caller, src_sheet, Span(src.r0, src.r1, src.c0, src.c1))
        self.book.check_cells(self.caller, dst_sheet, Span(r0, r0 + h, c0, c0 + w))
        moved = {
            (r, c): src_sheet.cells.pop((src.r0 + r, src.c0 + c), None)
            for r in range(h)
            for c in range(w)
        }
        for (r, c), cell in moved.items():
            if cell:
                dst_sheet.cells[(r0 + r, c0 + c)] = cell
            else:
                dst_sheet.cells.pop((r0 + r, c0 + c), None)

    # --- protection -----------------------------------------------------------------------

    def _with_owner_and_caller(self, editors: Json) -> Json:
        """The owner and whoever makes or changes a protection are always its editors
        (recordings README)."""
        out = copy.deepcopy(editors)
        users = list(out.get("users") or [])
        for who in (self.book.owner, self.caller):
            if who and who not in users:
                users.append(who)
        out["users"] = users
        if self.book.domain and out.get("domainUsersCanEdit") is None:
            out["domainUsersCanEdit"] = True  # left open unless said false (gspread PR 1273)
        return out

    def do_addProtectedRange(self, args: Json) -> Json:
        asked = copy.deepcopy(args.get("protectedRange") or {})
        rng = asked.get("range") or {}
        sheet = self.sheet(rng.get("sheetId"))
        self.book.check_cells(self.caller, sheet, Span.of(rng))
        if asked.get("warningOnly") and (asked.get("editors") or {}).get("users"):
            raise bad("ProtectedRange is warningOnly. Editors cannot be set on it.")
        if whole_sheet(rng) and any(
            whole_sheet(p["range"]) and p["range"].get("sheetId", 0) == sheet.sheet_id
            for p in self.book.protected
        ):
            raise bad(f'Sheet "{sheet.title}" already has sheet protection.')
        pid = asked.get("protectedRangeId")
        if pid is None:
            pid = next(self.ids)
        if any(p["protectedRangeId"] == pid for p in self.book.protected):
            raise bad(f"A protected range with id {pid} already exists.")
        stored: Json = {"protectedRangeId": pid, "range": {**rng, "sheetId": sheet.sheet_id}}
        for key in ("description", "warningOnly", "unprotectedRanges"):
            if asked.get(key):
                stored[key] = asked[key]
        if stored.get("unprotectedRanges") and not whole_sheet(rng):
            raise bad("Unprotected ranges are only supported on protected sheets.")
        stored["editors"] = self._with_owner_and_caller(asked.get("editors") or {})
        self.book.protected.append(stored)
        reply = self.book.protection_view(stored, self.caller)
        reply["editors"] = {  # as asked for: what Google added is not in the reply
            k: v for k, v in (asked.get("editors") or {}).items() if v not in (None, [], False)
        }
        return {"addProtectedRange": {"protectedRange": reply}}

    def _protection(self, pid: Any) -> Json:
        for prot in self.book.protected:
            if prot["protectedRangeId"] == pid:
                if not self.book.is_editor(self.caller, prot):
                    raise protected()
                return prot
        raise bad(f"No protected range with id: {pid}")

    def do_updateProtectedRange(self, args: Json) -> None:
        new = args.get("protectedRange") or {}
        prot = self._protection(new.get("protectedRangeId"))
        fields = [f.strip() for f in (args.get("fields") or "").split(",") if f.strip()]
        if not fields:
            raise bad("At least one field must be specified.")
        for f in fields:
            top = f.split(".")[0]
            if top == "editors":
                if prot.get("warningOnly") or new.get("warningOnly"):
                    raise bad("ProtectedRange is warningOnly. Editors cannot be set on it.")
                prot["editors"] = self._with_owner_and_caller(new.get("editors") or {})
            elif top == "range":
                rng = new.get("range") or {}
                others = [p for p in self.book.protected if p is not prot]
                if whole_sheet(rng) and any(
                    whole_sheet(p["range"])
                    and p["range"].get("sheetId", 0) == rng.get("sheetId", 0)
                    for p in others
                ):
                    title = self.sheet(rng.get("sheetId")).title
                    raise bad(f'Sheet "{title}" already has sheet protection.')
                prot["range"] = {**rng, "sheetId": rng.get("sheetId", 0)}
            elif top in ("description", "warningOnly", "unprotectedRanges"):
                if new.get(top):
                    prot[top] = copy.deepcopy(new[top])
                else:
                    prot.pop(top, None)
            else:
                raise bad(f"the fake does not implement updateProtectedRange field {f}")

    def do_deleteProtectedRange(self, args: Json) -> None:
        prot = self._protection(args.get("protectedRangeId"))
        self.book.protected.remove(prot)

    # --- charts, conditional formats, named ranges ----------------------------------------

    def do_addChart(self, args: Json) -> Json:
        chart = copy.deepcopy(args["chart"])
        anchor = chart["position"]["overlayPosition"]["anchorCell"]
        sheet = self.editable(anchor.get("sheetId"))
        basic = chart["spec"].get("basicChart", {})
        ranges = [d["domain"]["sourceRange"] for d in basic.get("domains", [])]
        ranges += [s["series"]["sourceRange"] for s in basic.get("series", [])]
        for rng in ranges:
            for src in rng.get("sources", []):
                self.box(self.sheet(src.get("sheetId")), src)
                if src.get("endColumnIndex", 0) - src.get("startColumnIndex", 0) != 1:
                    raise bad("A chart's data range must be one column wide.")
        if chart.get("chartId") is None:
            chart["chartId"] = next(self.ids)
        sheet.charts.append(chart)
        return {"addChart": {"chart": chart}}

    def do_deleteEmbeddedObject(self, args: Json) -> None:
        for sheet in self.book.sheets:
            for chart in sheet.charts:
                if chart["chartId"] == args.get("objectId"):
                    self.book.check_cells(self.caller, sheet)
                    sheet.charts.remove(chart)
                    return
        raise bad(f"No embedded object with id {args.get('objectId')}.")

    def do_addConditionalFormatRule(self, args: Json) -> None:
        rule = copy.deepcopy(args["rule"])
        ranges = rule.get("ranges", [])
        if not ranges:
            raise bad("A conditional format rule needs at least one range.")
        sheet = self.sheet(ranges[0].get("sheetId"))
        for rng in ranges:
            if rng.get("sheetId", 0) != sheet.sheet_id:
                raise bad("All ranges of a conditional format rule must be on one sheet.")
            box = self.box(sheet, rng)
            self.book.check_cells(self.caller, sheet, Span(box.r0, box.r1, box.c0, box.c1))
        if ("booleanRule" in rule) == ("gradientRule" in rule):
            raise bad("A conditional format rule is a booleanRule or a gradientRule.")
        index = args.get("index", 0)
        if not 0 <= index <= len(sheet.conditional):
            raise bad(f"Invalid index {index} for conditional formats.")
        sheet.conditional.insert(index, rule)

    def do_deleteConditionalFormatRule(self, args: Json) -> None:
        sheet = self.sheet(args.get("sheetId"))
        index = args.get("index", 0)
        if not 0 <= index < len(sheet.conditional):
            raise bad(f"No conditional format at index {index}.")
        for rng in sheet.conditional[index].get("ranges", []):
            self.book.check_cells(self.caller, sheet, Span.of(rng))
        del sheet.conditional[index]

    def do_addNamedRange(self, args: Json) -> Json:
        named = copy.deepcopy(args.get("namedRange") or {})
        if any(n["name"] == named.get("name") for n in self.book.named_ranges):
            raise bad(f"A named range with the name {named.get('name')} already exists.")
        if named.get("namedRangeId") is None:
            named["namedRangeId"] = str(next(self.ids))
        named["range"] = range_view(named.get("range") or {})
        self.book.named_ranges.append(named)
        return {"addNamedRange": {"namedRange": named}}

    def _named(self, named_id: Any) -> Json:
        for named in self.book.named_ranges:
            if named["namedRangeId"] == named_id:
                return named
        raise bad(f"No named range with id: {named_id}")

    def do_deleteNamedRange(self, args: Json) -> None:
        self.book.named_ranges.remove(self._named(args.get("namedRangeId")))

    def do_updateNamedRange(self, args: Json) -> None:
        new = args.get("namedRange") or {}
        named = self._named(new.get("namedRangeId"))
        for f in [f.strip() for f in (args.get("fields") or "").split(",") if f.strip()]:
            if f == "*":
                named.update({k: v for k, v in new.items() if k != "namedRangeId"})
            elif f in ("name", "range"):
                named[f] = range_view(new[f]) if f == "range" else new[f]
            else:
                raise bad(f"the fake does not implement updateNamedRange field {f}")

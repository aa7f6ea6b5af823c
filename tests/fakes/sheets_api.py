"""A stateful, in-memory Sheets API v4 on top of ``responses``.

The real gspread code sends real HTTP requests; this answers them the way Google
does: spreadsheets.get, values.get and values.batchGet, and batchUpdate applied
all or nothing. Every body and query is checked against Google's discovery
document first (``discovery.py``), every request is counted, and a test can make
the k-th request fail.

Known gaps (said here rather than faked): formulas are stored, never evaluated;
FORMATTED_VALUE renders numbers without their number format.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import responses

from tests.fakes.a1 import Box, parse_cells, quote_title, split_range
from tests.fakes.discovery import Discovery, SchemaViolation
from tests.fakes.fieldmask import apply_mask, parse_mask

BASE = "https://sheets.googleapis.com/v4/spreadsheets"
MAX_CELL_CHARS = 50_000
Json = dict[str, Any]


class ApiError(Exception):
    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message

    def body(self) -> Json:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


def bad(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


@dataclass
class Sheet:
    sheet_id: int
    title: str
    index: int
    rows: int = 1000
    cols: int = 26
    hidden: bool = False
    frozen_rows: int = 0
    frozen_cols: int = 0
    tab_color: Json | None = None
    cells: dict[tuple[int, int], Json] = field(default_factory=dict)
    col_widths: dict[int, int] = field(default_factory=dict)

    def properties(self) -> Json:
        grid: Json = {"rowCount": self.rows, "columnCount": self.cols}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        props: Json = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:
            props["hidden"] = True  # proto3: false is omitted
        if self.tab_color:
            props["tabColorStyle"] = {"rgbColor": self.tab_color}
        return props

    def data_extent(self) -> tuple[int, int]:
        """(rows, cols) up to the last cell that has a value."""
        used = [k for k, c in self.cells.items() if "userEnteredValue" in c]
        if not used:
            return 0, 0
        return max(r for r, _ in used) + 1, max(c for _, c in used) + 1


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[Sheet]
    protected: list[Json] = field(default_factory=list)

    def sheet(self, title: str | None = None, sheet_id: int | None = None) -> Sheet:
        for s in self.sheets:
            if (title is not None and s.title == title) or (
                sheet_id is not None and s.sheet_id == sheet_id
            ):
                return s
        if title is not None:
            raise bad(f"Unable to parse range: {quote_title(title)}")
        raise bad(f"No grid with id: {sheet_id}")


class FakeSheetsApi:
    """Register with ``install(responses_mock)``; inspect ``calls`` and ``books``."""

    def __init__(self) -> None:
        self.discovery = Discovery()
        self.books: dict[str, Spreadsheet] = {}
        self.calls: list[tuple[str, str]] = []
        self.faults: dict[int, Callable[[], tuple[int, dict[str, str], str]]] = {}
        self.before: dict[int, Callable[[FakeSheetsApi], None]] = {}  # a person's edit
        self._ids = itertools.count(1_000_001)

    # --- set-up -------------------------------------------------------------------------

    def create(
        self, spreadsheet_id: str, title: str = "Team 1:1s", tabs: tuple[str, ...] = ("Sheet1",)
    ) -> Spreadsheet:
        sheets = [Sheet(0 if i == 0 else next(self._ids), t, i) for i, t in enumerate(tabs)]
        book = Spreadsheet(spreadsheet_id, title, sheets)
        self.books[spreadsheet_id] = book
        return book

    def install(self, mock: responses.RequestsMock) -> None:
        pattern = re.compile(re.escape(BASE) + r"/.*")
        for method in (responses.GET, responses.POST):
            mock.add_callback(method, pattern, callback=self._handle)

    def fail(
        self,
        k: int,
        status: int,
        body: str = "",
        content_type: str = "application/json",
    ) -> None:
        """Make request number ``k`` (1-based) answer ``status`` with ``body``."""
        self.faults[k] = lambda: (status, {"Content-Type": content_type}, body)

    def fail_with(self, k: int, exc: Exception) -> None:
        def raise_it() -> tuple[int, dict[str, str], str]:
            raise exc

        self.faults[k] = raise_it

    # --- dispatch -------------------------------------------------------------------------

    def _handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        url = urlsplit(str(request.url))
        self.calls.append((str(request.method), url.path))
        k = len(self.calls)
        if k in self.before:
            self.before[k](self)
        if k in self.faults:
            return self.faults[k]()
        query = parse_qs(url.query, keep_blank_values=True)
        path = unquote(url.path[len("/v4/spreadsheets/") :])
        try:
            body = json.loads(request.body) if request.body else None
            result = self._route(str(request.method), path, query, body)
        except SchemaViolation as exc:
            return (
                400,
                {"Content-Type": "application/json"},
                json.dumps(bad(f"Invalid JSON payload received. {exc}").body()),
            )
        except ApiError as exc:
            return exc.code, {"Content-Type": "application/json"}, json.dumps(exc.body())
        return 200, {"Content-Type": "application/json"}, json.dumps(result)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Json:
        if method == "POST" and path.endswith(":batchUpdate"):
            self.discovery.check_query("sheets.spreadsheets.batchUpdate", query)
            self.discovery.check_body("sheets.spreadsheets.batchUpdate", body)
            return self.batch_update(self._book(path[: -len(":batchUpdate")]), body)
        if method == "GET" and path.endswith("/values:batchGet"):
            self.discovery.check_query("sheets.spreadsheets.values.batchGet", query)
            book = self._book(path[: -len("/values:batchGet")])
            render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
            return {
                "spreadsheetId": book.spreadsheet_id,
                "valueRanges": [self.values(book, r, render) for r in query.get("ranges", [])],
            }
        if method == "GET" and "/values/" in path:
            self.discovery.check_query("sheets.spreadsheets.values.get", query)
            book_id, rng = path.split("/values/", 1)
            render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
            return self.values(self._book(book_id), rng, render)
        if method == "GET" and "/" not in path:
            self.discovery.check_query("sheets.spreadsheets.get", query)
            book = self._book(path)
            out = self.metadata(book)
            if query.get("includeGridData", ["false"])[0] == "true":
                self._add_grid_data(book, out, query.get("ranges", []))
            if "fields" in query:
                try:
                    out = apply_mask(out, parse_mask(query["fields"][0]))
                except ValueError as exc:
                    raise bad(str(exc)) from None
            return out
        raise ApiError(404, "NOT_FOUND", f"the fake has no {method} {path}")

    def _book(self, spreadsheet_id: str) -> Spreadsheet:
        book = self.books.get(spreadsheet_id)
        if book is None:
            raise ApiError(404, "NOT_FOUND", "Requested entity was not found.")
        return book

    # --- reads ---------------------------------------------------------------------------

    def metadata(self, book: Spreadsheet) -> Json:
        out: Json = {
            "spreadsheetId": book.spreadsheet_id,
            "properties": {"title": book.title, "locale": "en_US", "timeZone": "Etc/GMT"},
            "sheets": [{"properties": s.properties()} for s in book.sheets],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit",
        }
        for s in book.sheets:
            prot = [p for p in book.protected if p["range"].get("sheetId") == s.sheet_id]
            if prot:
                out["sheets"][book.sheets.index(s)]["protectedRanges"] = prot
        return out

    def _add_grid_data(self, book: Spreadsheet, out: Json, ranges: list[str]) -> None:
        """``data`` for each sheet named in ``ranges`` (every sheet if none): typed cells
        up to the last row that has any, ``{}`` for an empty cell; proto3 zeros omitted."""
        wanted = [self.resolve(book, r) for r in ranges] or [
            (s, Box(0, 0, s.rows, s.cols)) for s in book.sheets
        ]
        entries = out["sheets"]
        keep = []
        for sheet, box in wanted:
            entry = entries[book.sheets.index(sheet)]
            rows: list[Json] = []
            for r in range(box.r0, box.r1):
                cells = [dict(sheet.cells.get((r, c), {})) for c in range(box.c0, box.c1)]
                while cells and not cells[-1]:
                    cells.pop()
                rows.append({"values": cells} if cells else {})
            while rows and not rows[-1]:
                rows.pop()
            data: Json = {"rowData": rows} if rows else {}
            if box.r0:
                data["startRow"] = box.r0
            if box.c0:
                data["startColumn"] = box.c0
            entry.setdefault("data", []).append(data)
            if entry not in keep:
                keep.append(entry)
        if ranges:
            out["sheets"] = keep  # with ranges, only the sheets they name

    def resolve(self, book: Spreadsheet, text: str) -> tuple[Sheet, Box]:
        title, cells = split_range(text)
        if title is None and cells is not None and any(s.title == cells for s in book.sheets):
            title, cells = cells, None  # a bare tab title is the whole tab
        sheet = book.sheet(title=title) if title is not None else book.sheets[0]
        if cells is None:
            return sheet, Box(0, 0, sheet.rows, sheet.cols)
        try:
            box = parse_cells(cells, sheet.rows, sheet.cols)
        except ValueError as exc:
            raise bad(str(exc)) from None
        return sheet, Box(box.r0, box.c0, min(box.r1, sheet.rows), min(box.c1, sheet.cols))

    def values(self, book: Spreadsheet, text: str, render: str) -> Json:
        sheet, box = self.resolve(book, text)
        rows: list[list[Any]] = []
        for r in range(box.r0, box.r1):
            row = [self._render(sheet.cells.get((r, c)), render) for c in range(box.c0, box.c1)]
            while row and row[-1] is None:
                row.pop()  # trailing empty cells are dropped
            rows.append(["" if v is None else v for v in row])
        while rows and not rows[-1]:
            rows.pop()  # and trailing empty rows
        out: Json = {"range": f"{quote_title(sheet.title)}!{box.a1()}", "majorDimension": "ROWS"}
        if rows:
            out["values"] = rows  # no key at all for an empty range
        return out

    @staticmethod
    def _render(cell: Json | None, render: str) -> Any:
        value = (cell or {}).get("userEnteredValue")
        if not value:
            return None
        kind, raw = next(iter(value.items()))
        if kind == "formulaValue":
            return raw if render == "FORMULA" else None
        if render == "FORMATTED_VALUE":
            if kind == "boolValue":
                return "TRUE" if raw else "FALSE"
            if kind == "numberValue" and float(raw).is_integer():
                return str(int(raw))
            return str(raw)
        return raw

    # --- batchUpdate ------------------------------------------------------------------------

    def batch_update(self, book: Spreadsheet, body: Json) -> Json:
        trial = copy.deepcopy(book)  # all or nothing: work on a copy, keep it only on success
        replies = []
        for i, request in enumerate(body.get("requests", [])):
            kind, args = next(iter(request.items()))
            handler = getattr(self, f"_do_{kind}", None)
            if handler is None:
                raise bad(f"requests[{i}]: the fake does not implement {kind}")
            try:
                replies.append(handler(trial, args) or {})
            except ApiError as exc:
                raise bad(f"Invalid requests[{i}].{kind}: {exc.message}") from None
        self.books[book.spreadsheet_id] = trial
        return {"spreadsheetId": book.spreadsheet_id, "replies": replies}

    def _do_addSheet(self, book: Spreadsheet, args: Json) -> Json:
        props = args.get("properties", {})
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        if any(s.title.casefold() == title.casefold() for s in book.sheets):
            raise bad(f'A sheet with the name "{title}" already exists. Please enter another name.')
        sheet_id = props.get("sheetId", next(self._ids))
        if any(s.sheet_id == sheet_id for s in book.sheets):
            raise bad(f"A sheet with id {sheet_id} already exists.")
        grid = props.get("gridProperties", {})
        index = min(props.get("index", len(book.sheets)), len(book.sheets))
        sheet = Sheet(
            sheet_id,
            title,
            index,
            grid.get("rowCount", 1000),
            grid.get("columnCount", 26),
            props.get("hidden", False),
            grid.get("frozenRowCount", 0),
            grid.get("frozenColumnCount", 0),
        )
        book.sheets.insert(index, sheet)
        for i, s in enumerate(book.sheets):
            s.index = i
        return {"addSheet": {"properties": sheet.properties()}}

    def _do_deleteSheet(self, book: Spreadsheet, args: Json) -> None:
        sheet = book.sheet(sheet_id=args.get("sheetId", 0))
        if len(book.sheets) == 1:
            raise bad("You can't remove all the sheets in a document.")
        book.sheets.remove(sheet)
        for i, s in enumerate(book.sheets):
            s.index = i

    def _cells_at(self, sheet: Sheet, r0: int, c0: int, rows: list[Json], fields: str) -> None:
        if not fields:
            raise bad("At least one field must be specified.")
        keep = None if fields.strip() == "*" else [f.strip() for f in fields.split(",")]
        for dr, row in enumerate(rows):
            for dc, cell in enumerate(row.get("values", [])):
                r, c = r0 + dr, c0 + dc
                if r >= sheet.rows or c >= sheet.cols:
                    raise bad(
                        f"Range ({quote_title(sheet.title)}!{Box(r, c, r + 1, c + 1).a1()})"
                        f" exceeds grid limits. Max rows: {sheet.rows}, max columns: "
                        f"{sheet.cols}"
                    )
                text = next(iter(cell.get("userEnteredValue", {}).values()), "")
                if isinstance(text, str) and len(text) > MAX_CELL_CHARS:
                    raise bad(
                        f"Your input contains more than the maximum of {MAX_CELL_CHARS} "
                        "characters in a single cell."
                    )
                current = sheet.cells.setdefault((r, c), {})
                for key in keep or [
                    "userEnteredValue",
                    "userEnteredFormat",
                    "dataValidation",
                    "note",
                ]:
                    top = key.split(".")[0]
                    if top in cell:
                        current[top] = cell[top]
                    else:
                        current.pop(top, None)  # fields named but absent are cleared

    def _do_updateCells(self, book: Spreadsheet, args: Json) -> None:
        if "start" in args:
            start = args["start"]
            sheet = book.sheet(sheet_id=start.get("sheetId", 0))
            r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        else:
            grid = args["range"]
            sheet = book.sheet(sheet_id=grid.get("sheetId", 0))
            r0, c0 = grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0)
        self._cells_at(sheet, r0, c0, args.get("rows", []), args.get("fields", ""))

    def _do_appendCells(self, book: Spreadsheet, args: Json) -> None:
        sheet = book.sheet(sheet_id=args.get("sheetId", 0))
        start, _ = sheet.data_extent()
        rows = args.get("rows", [])
        sheet.rows = max(sheet.rows, start + len(rows))  # appendCells adds rows as needed
        self._cells_at(sheet, start, 0, rows, args.get("fields", ""))

    def _do_updateSheetProperties(self, book: Spreadsheet, args: Json) -> None:
        props = args.get("properties", {})
        sheet = book.sheet(sheet_id=props.get("sheetId", 0))
        fields = [f.strip() for f in args.get("fields", "").split(",") if f.strip()]
        if not fields:
            raise bad("At least one field must be specified.")
        grid = props.get("gridProperties", {})
        for f in fields:
            if f == "title":
                title = props.get("title", "")
                if any(
                    s is not sheet and s.title.casefold() == title.casefold() for s in book.sheets
                ):
                    raise bad(f'A sheet with the name "{title}" already exists.')
                sheet.title = title
            elif f == "hidden":
                sheet.hidden = bool(props.get("hidden", False))
            elif f == "gridProperties.frozenRowCount":
                sheet.frozen_rows = grid.get("frozenRowCount", 0)
            elif f == "gridProperties.frozenColumnCount":
                sheet.frozen_cols = grid.get("frozenColumnCount", 0)
            elif f in ("tabColorStyle", "tabColorStyle.rgbColor"):
                sheet.tab_color = props.get("tabColorStyle", {}).get("rgbColor")
            else:
                raise bad(f"the fake does not implement updateSheetProperties field {f}")

"""A stateful, in-memory Sheets API v4 on top of ``responses``.

The real gspread code sends real HTTP requests; this answers them the way Google
does: spreadsheets.get, values.get and values.batchGet, and batchUpdate applied
all or nothing. Every body and query is checked against Google's discovery
document first (``discovery.py``), every request is counted, and a test can make
the k-th request fail.

It also answers Google's OAuth token endpoint, so the real credential code runs:
a service account's signed assertion or a person's refresh token buys an access
token, and each request is made as the account that token belongs to. Protected
tabs refuse cell writes from anyone who is not one of their editors (or the
owner), for sheetsync's requests and for a person's edits alike.

Known gaps (said here rather than faked): formulas are stored, never evaluated;
FORMATTED_VALUE renders numbers without their number format; conditional formats,
charts, merges and named ranges are not emulated; the token endpoint does not
check the assertion's signature.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import pickle
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import responses

from tests.fakes.a1 import Box, parse_cells, quote_title, split_range
from tests.fakes.discovery import Discovery, SchemaViolation
from tests.fakes.fieldmask import apply_mask, parse_mask
from tests.secrets import remember

BASE = "https://sheets.googleapis.com/v4/spreadsheets"
TOKEN_URL = "https://oauth2.googleapis.com/token"
PROTECTED = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet "
    "owner to remove protection if you need to edit."
)
MAX_CELL_CHARS = 50_000
MAX_PAYLOAD = 10_485_760  # bytes in one request body
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
    row_heights: dict[int, int] = field(default_factory=dict)
    charts: list[Json] = field(default_factory=list)
    conditional: list[Json] = field(default_factory=list)  # in priority order

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
    owner: str = "owner@example.com"
    shared: set[str] | None = None  # who it is shared with; None: anyone with the link

    def may_edit(self, who: str | None, sheet: Sheet) -> bool:
        if who is None or who == self.owner:
            return True  # anonymous test clients act as the owner
        for p in self.protected:
            if (
                p["range"].get("sheetId", 0) == sheet.sheet_id
                and not p.get("warningOnly")
                and who not in p.get("editors", {}).get("users", [])
            ):
                return False
        return True

    def sheet(self, title: str | None = None, sheet_id: int | None = None) -> Sheet:
        for s in self.sheets:
            if (title is not None and s.title == title) or (
                sheet_id is not None and s.sheet_id == sheet_id
            ):
                return s
        if title is not None:
            raise bad(f"Unable to parse range: {quote_title(title)}")
        raise bad(f"No grid with id: {sheet_id}")


class Killed(BaseException):
    """The process died (SIGKILL): raised through every ``except Exception`` and
    every retry, and raised again for any request the dead process would still make,
    so that no clean-up code of it reaches the spreadsheet."""


class FakeSheetsApi:
    """Register with ``install(responses_mock)``; inspect ``calls`` and ``books``."""

    def __init__(self) -> None:
        self.discovery = Discovery()
        self.books: dict[str, Spreadsheet] = {}
        self.calls: list[tuple[str, str]] = []
        self.faults: dict[int, Callable[[], tuple[int, dict[str, str], str]]] = {}
        self.before: dict[int, Callable[[FakeSheetsApi], None]] = {}  # a person's edit
        self.lost: set[int] = set()  # requests applied whose answer never arrives
        self.kill_at: int | None = None  # the process dies once request k is applied
        self.dead = False
        self.tokens: dict[str, str] = {}  # access token -> account
        self.refresh_tokens: dict[str, str] = {}  # a person's refresh token -> account
        self.token_calls = 0
        self.caller: str | None = None
        self.latency = 0.0  # seconds each answer takes, for the benchmarks
        self.body_sizes: list[int] = []  # bytes sent in each request
        self.offline = False  # the token endpoint cannot be reached
        self.timeouts: list[Any] = []  # the timeout the client set on each request
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
        for method in (responses.GET, responses.POST, responses.PUT):
            mock.add_callback(method, pattern, callback=self._handle)
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)

    def lose_answer(self, k: int) -> None:
        """Apply request ``k``, then drop the connection before the answer arrives."""
        self.lost.add(k)

    def kill_after(self, k: int) -> None:
        """Apply request ``k``, then the process dies before it sees the answer."""
        self.kill_at = k

    def kill(self) -> None:
        """The process dies now: its next request never goes out."""
        self.dead = True

    def revive(self) -> None:
        """A new process starts (the next run)."""
        self.dead, self.kill_at = False, None

    # --- a person at the keyboard ---------------------------------------------------------

    def type(
        self, spreadsheet_id: str, tab: str, row: int, col: int, value: Any, who: str | None = None
    ) -> None:
        """A person types ``value`` into a cell (1-based row and column), as the UI
        stores it: numbers and booleans typed, a date as a serial with a date format,
        text starting with ``=`` as a formula."""
        book = self.books[spreadsheet_id]
        sheet = book.sheet(title=tab)
        if not book.may_edit(who, sheet):
            raise PermissionError(f"{who} may not edit {tab}: {PROTECTED}")
        cell = sheet.cells.setdefault((row - 1, col - 1), {})
        if value is None:
            cell.pop("userEnteredValue", None)
        elif isinstance(value, bool):
            cell["userEnteredValue"] = {"boolValue": value}
        elif isinstance(value, int | float):
            cell["userEnteredValue"] = {"numberValue": value}
        elif hasattr(value, "toordinal"):
            cell["userEnteredValue"] = {"numberValue": value.toordinal() - 693594}
            cell.setdefault("userEnteredFormat", {})["numberFormat"] = {
                "type": "DATE",
                "pattern": "yyyy-mm-dd",
            }
        elif str(value).startswith("="):
            cell["userEnteredValue"] = {"formulaValue": str(value)}
        else:
            cell["userEnteredValue"] = {"stringValue": str(value)}

    def grid(self, spreadsheet_id: str, tab: str) -> list[list[Any]]:
        """A tab's values as a person sees them: numbers, booleans, text, a formula's
        text, and a date where the cell has a date format."""
        sheet = self.books[spreadsheet_id].sheet(title=tab)
        rows, cols = sheet.data_extent()
        out = []
        for r in range(rows):
            row = [self._typed(sheet.cells.get((r, c))) for c in range(cols)]
            while row and row[-1] is None:
                row.pop()
            out.append(row)
        return out

    @staticmethod
    def _typed(cell: Json | None) -> Any:
        value = (cell or {}).get("userEnteredValue")
        if not value:
            return None
        kind, raw = next(iter(value.items()))
        fmt = (cell or {}).get("userEnteredFormat", {}).get("numberFormat", {})
        if kind == "numberValue" and fmt.get("type") in ("DATE", "DATE_TIME"):
            return date.fromordinal(int(raw) + 693594)
        if kind == "numberValue" and float(raw).is_integer():
            return int(raw)
        return raw

    def delete_row(self, spreadsheet_id: str, tab: str, row: int) -> None:
        """A person deletes row ``row`` (1-based); the rows below move up."""
        sheet = self.books[spreadsheet_id].sheet(title=tab)
        moved: dict[tuple[int, int], Json] = {}
        for (r, c), cell in sheet.cells.items():
            if r != row - 1:
                moved[(r - 1 if r >= row else r, c)] = cell
        sheet.cells = moved

    def rename(self, spreadsheet_id: str, tab: str, new: str) -> None:
        self.books[spreadsheet_id].sheet(title=tab).title = new

    # --- OAuth --------------------------------------------------------------------------

    def _token(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if self.dead:
            raise Killed
        self.token_calls += 1
        if self.offline:
            raise requests.ConnectionError("Failed to resolve 'oauth2.googleapis.com'")
        raw = request.body or ""
        form = parse_qs(raw.decode() if isinstance(raw, bytes) else raw)
        grant = form.get("grant_type", [""])[0]
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            payload = form["assertion"][0].split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            who = str(claims["iss"])
        elif grant == "refresh_token":
            who_or_none = self.refresh_tokens.get(form.get("refresh_token", [""])[0])
            if who_or_none is None:
                body = {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
                return 400, {"Content-Type": "application/json"}, json.dumps(body)
            who = who_or_none
        else:
            return (
                400,
                {"Content-Type": "application/json"},
                json.dumps({"error": "unsupported_grant_type"}),
            )
        token = remember(f"ya29.fake-access-token-{len(self.tokens) + 1:04d}-{'x' * 12}")
        self.tokens[token] = who
        body = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

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
        if self.dead:
            raise Killed
        url = urlsplit(str(request.url))
        self.calls.append((str(request.method), url.path))
        k = len(self.calls)
        auth = str(request.headers.get("Authorization", ""))
        self.caller = self.tokens.get(auth.removeprefix("Bearer ")) if auth else None
        if auth and self.caller is None:
            body = {
                "error": {
                    "code": 401,
                    "message": "Request had invalid authentication credentials.",
                    "status": "UNAUTHENTICATED",
                }
            }
            return 401, {"Content-Type": "application/json"}, json.dumps(body)
        if self.latency:
            time.sleep(self.latency)
        if k in self.before:
            self.before[k](self)
        if k in self.faults:
            return self.faults[k]()
        body = request.body or b""
        self.body_sizes.append(len(body))
        self.timeouts.append(getattr(request, "req_kwargs", {}).get("timeout"))
        if len(body) > MAX_PAYLOAD:
            error = bad(f"Request payload size exceeds the limit: {MAX_PAYLOAD} bytes.")
            return 400, {"Content-Type": "application/json"}, json.dumps(error.body())
        if k in self.lost:
            self._answer(request, url)
            raise requests.ConnectionError("Connection aborted: the answer was lost")
        if k == self.kill_at:
            self._answer(request, url)
            self.dead = True
            raise Killed
        return self._answer(request, url)

    def _answer(
        self, request: requests.PreparedRequest, url: Any
    ) -> tuple[int, dict[str, str], str]:
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
            out = self.batch_update(self._book(path[: -len(":batchUpdate")]), body)
            return self._masked(out, query)
        if method == "GET" and path.endswith("/values:batchGet"):
            self.discovery.check_query("sheets.spreadsheets.values.batchGet", query)
            book = self._book(path[: -len("/values:batchGet")])
            render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
            return {
                "spreadsheetId": book.spreadsheet_id,
                "valueRanges": [self.values(book, r, render) for r in query.get("ranges", [])],
            }
        if method == "PUT" and "/values/" in path:
            self.discovery.check_query("sheets.spreadsheets.values.update", query)
            self.discovery.check_body("sheets.spreadsheets.values.update", body)
            book_id, rng = path.split("/values/", 1)
            return self._values_write(self._book(book_id), rng, query, body, append=False)
        if method == "POST" and "/values/" in path and path.endswith(":append"):
            self.discovery.check_query("sheets.spreadsheets.values.append", query)
            self.discovery.check_body("sheets.spreadsheets.values.append", body)
            book_id, rng = path[: -len(":append")].split("/values/", 1)
            return self._values_write(self._book(book_id), rng, query, body, append=True)
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
            return self._masked(out, query)
        raise ApiError(404, "NOT_FOUND", f"the fake has no {method} {path}")

    @staticmethod
    def _masked(out: Json, query: dict[str, list[str]]) -> Json:
        """The ``fields`` system parameter: a partial response, on any method."""
        if "fields" not in query:
            return out
        try:
            return dict(apply_mask(out, parse_mask(query["fields"][0])))
        except ValueError as exc:
            raise bad(str(exc)) from None

    def _book(self, spreadsheet_id: str) -> Spreadsheet:
        book = self.books.get(spreadsheet_id)
        if book is None:
            raise ApiError(404, "NOT_FOUND", "Requested entity was not found.")
        who = self.caller
        if book.shared is not None and who not in (None, book.owner) and who not in book.shared:
            raise ApiError(403, "PERMISSION_DENIED", "The caller does not have permission")
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
            if s.charts:
                out["sheets"][book.sheets.index(s)]["charts"] = copy.deepcopy(s.charts)
            if s.conditional:
                out["sheets"][book.sheets.index(s)]["conditionalFormats"] = copy.deepcopy(
                    s.conditional
                )
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
            # past the last cell that holds anything, every row would come out empty
            last_r = max((r for r, _ in sheet.cells), default=-1) + 1
            last_c = max((c for _, c in sheet.cells), default=-1) + 1
            for r in range(box.r0, min(box.r1, last_r)):
                cells = [
                    self._grid_cell(sheet.cells.get((r, c)))
                    for c in range(box.c0, min(box.c1, last_c))
                ]
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

    @staticmethod
    def _grid_cell(cell: Json | None) -> Json:
        """A cell as spreadsheets.get returns it: what was entered, and the format in
        effect (the user's number format; a plain number otherwise)."""
        if not cell:
            return {}
        out = dict(cell)  # shallow: the answer is serialised before anyone could change it
        fmt = cell.get("userEnteredFormat", {}).get("numberFormat")
        if "userEnteredValue" in cell and fmt:
            out["effectiveFormat"] = {"numberFormat": fmt}
        return out

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

    def _values_write(
        self, book: Spreadsheet, rng: str, query: dict[str, list[str]], body: Json, append: bool
    ) -> Json:
        """values.update and values.append: RAW keeps strings as text; USER_ENTERED
        parses them as the UI would (``=`` a formula, digits a number)."""
        option = query.get("valueInputOption", [""])[0]
        if option not in ("RAW", "USER_ENTERED"):
            raise bad("Invalid valueInputOption: must be RAW or USER_ENTERED")
        sheet, box = self.resolve(book, rng)
        if not book.may_edit(self.caller, sheet):
            raise ApiError(403, "PERMISSION_DENIED", PROTECTED)
        rows = body.get("values", [])
        r0 = sheet.data_extent()[0] if append else box.r0
        if append:
            sheet.rows = max(sheet.rows, r0 + len(rows))

        def entered(v: Any) -> Json:
            if isinstance(v, bool):
                return {"userEnteredValue": {"boolValue": v}}
            if isinstance(v, int | float):
                return {"userEnteredValue": {"numberValue": v}}
            text = str(v)
            if option == "USER_ENTERED" and text.startswith("="):
                return {"userEnteredValue": {"formulaValue": text}}
            if option == "USER_ENTERED" and re.fullmatch(r"-?\d+(\.\d+)?", text):
                return {"userEnteredValue": {"numberValue": float(text)}}
            return {"userEnteredValue": {"stringValue": text}} if text else {}

        grid = [{"values": [entered(v) for v in row]} for row in rows]
        self._cells_at(sheet, r0, box.c0, grid, "userEnteredValue")
        cols = max((len(r) for r in rows), default=0)
        done = Box(r0, box.c0, r0 + len(rows), box.c0 + cols)
        update = {
            "spreadsheetId": book.spreadsheet_id,
            "updatedRange": f"{quote_title(sheet.title)}!{done.a1()}",
            "updatedRows": len(rows),
            "updatedColumns": cols,
            "updatedCells": sum(len(r) for r in rows),
        }
        return {"spreadsheetId": book.spreadsheet_id, "updates": update} if append else update

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
        # all or nothing: work on a copy, keep it only on success (pickle: a fast deep copy)
        trial: Spreadsheet = pickle.loads(pickle.dumps(book))
        replies = []
        for i, request in enumerate(body.get("requests", [])):
            kind, args = next(iter(request.items()))
            handler = getattr(self, f"_do_{kind}", None)
            if handler is None:
                raise bad(f"requests[{i}]: the fake does not implement {kind}")
            try:
                replies.append(handler(trial, args) or {})
            except ApiError as exc:
                if exc.code != 400:
                    raise
                raise bad(f"Invalid requests[{i}].{kind}: {exc.message}") from None
        self.books[book.spreadsheet_id] = trial
        out: Json = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            updated = self.metadata(trial)
            if body.get("responseIncludeGridData") or body.get("responseRanges"):
                ranges = body.get("responseRanges", [])
                if body.get("responseIncludeGridData"):
                    self._add_grid_data(trial, updated, ranges)
            out["updatedSpreadsheet"] = updated
        return out

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

    def _editable(self, book: Spreadsheet, sheet_id: int) -> Sheet:
        sheet = book.sheet(sheet_id=sheet_id)
        if not book.may_edit(self.caller, sheet):
            raise ApiError(403, "PERMISSION_DENIED", PROTECTED)
        return sheet

    def _box(self, sheet: Sheet, grid: Json) -> Box:
        box = Box(
            grid.get("startRowIndex", 0),
            grid.get("startColumnIndex", 0),
            grid.get("endRowIndex", sheet.rows),
            grid.get("endColumnIndex", sheet.cols),
        )
        if box.r1 > sheet.rows or box.c1 > sheet.cols or box.r0 >= box.r1 or box.c0 >= box.c1:
            raise bad(f"Range ({quote_title(sheet.title)}!{box.a1()}) exceeds grid limits.")
        return box

    def _do_updateCells(self, book: Spreadsheet, args: Json) -> None:
        if "start" in args:
            start = args["start"]
            sheet = self._editable(book, start.get("sheetId", 0))
            r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        else:
            sheet = self._editable(book, args["range"].get("sheetId", 0))
            box = self._box(sheet, args["range"])
            r0, c0 = box.r0, box.c0
            rows = args.get("rows", [])
            fields = args.get("fields", "")
            # the cells of the range that ``rows`` leaves out are cleared, field by field
            for r, c in [
                k for k in sheet.cells if box.r0 <= k[0] < box.r1 and box.c0 <= k[1] < box.c1
            ]:
                dr, dc = r - box.r0, c - box.c0
                if dr >= len(rows) or dc >= len(rows[dr].get("values", [])):
                    self._cells_at(sheet, r, c, [{"values": [{}]}], fields)
            self._cells_at(sheet, r0, c0, rows, fields)
            return
        self._cells_at(sheet, r0, c0, args.get("rows", []), args.get("fields", ""))

    def _do_appendCells(self, book: Spreadsheet, args: Json) -> None:
        sheet = self._editable(book, args.get("sheetId", 0))
        start, _ = sheet.data_extent()
        rows = args.get("rows", [])
        sheet.rows = max(sheet.rows, start + len(rows))  # appendCells adds rows as needed
        self._cells_at(sheet, start, 0, rows, args.get("fields", ""))

    def _do_repeatCell(self, book: Spreadsheet, args: Json) -> None:
        sheet = self._editable(book, args["range"].get("sheetId", 0))
        box = self._box(sheet, args["range"])
        row = {"values": [args.get("cell", {})] * (box.c1 - box.c0)}
        self._cells_at(sheet, box.r0, box.c0, [row] * (box.r1 - box.r0), args.get("fields", ""))

    def _do_setDataValidation(self, book: Spreadsheet, args: Json) -> None:
        sheet = self._editable(book, args["range"].get("sheetId", 0))
        box = self._box(sheet, args["range"])
        rule = args.get("rule")
        if rule is not None:
            condition = rule.get("condition", {})
            if condition.get("type") == "ONE_OF_LIST" and not condition.get("values"):
                raise bad("Invalid DataValidation: ONE_OF_LIST needs at least one value.")
        for r in range(box.r0, box.r1):
            for c in range(box.c0, box.c1):
                cell = sheet.cells.setdefault((r, c), {})
                if rule is None:
                    cell.pop("dataValidation", None)
                else:
                    cell["dataValidation"] = copy.deepcopy(rule)

    def _do_updateDimensionProperties(self, book: Spreadsheet, args: Json) -> None:
        rng = args["range"]
        sheet = self._editable(book, rng.get("sheetId", 0))
        if args.get("fields") != "pixelSize":
            raise bad("the fake implements updateDimensionProperties for pixelSize only")
        size = int(args.get("properties", {}).get("pixelSize", 0))
        columns = rng.get("dimension") == "COLUMNS"
        limit = sheet.cols if columns else sheet.rows
        start, end = rng.get("startIndex", 0), rng.get("endIndex", limit)
        if not 0 <= start < end <= limit:
            raise bad(f"Invalid dimension range {start}:{end} (grid has {limit}).")
        for i in range(start, end):
            (sheet.col_widths if columns else sheet.row_heights)[i] = size

    def _do_addProtectedRange(self, book: Spreadsheet, args: Json) -> Json:
        prot = copy.deepcopy(args["protectedRange"])
        sheet = self._editable(book, prot.get("range", {}).get("sheetId", 0))
        if prot.get("warningOnly") and prot.get("editors"):
            raise bad("Editors are not supported with warningOnly protection.")
        prot["protectedRangeId"] = next(self._ids)
        prot.setdefault("range", {})["sheetId"] = sheet.sheet_id
        users = prot.setdefault("editors", {}).setdefault("users", [])
        if self.caller and self.caller not in users:
            users.append(self.caller)  # whoever protects a range can still edit it
        book.protected.append(prot)
        return {"addProtectedRange": {"protectedRange": prot}}

    def _do_updateProtectedRange(self, book: Spreadsheet, args: Json) -> None:
        new = args["protectedRange"]
        for prot in book.protected:
            if prot["protectedRangeId"] == new.get("protectedRangeId"):
                sheet = book.sheet(sheet_id=prot["range"].get("sheetId", 0))
                if not book.may_edit(self.caller, sheet):
                    raise ApiError(403, "PERMISSION_DENIED", PROTECTED)
                for f in [f.strip() for f in args.get("fields", "").split(",") if f.strip()]:
                    if f not in ("editors", "description", "warningOnly"):
                        raise bad(f"the fake does not implement updateProtectedRange field {f}")
                    prot[f] = copy.deepcopy(new.get(f))
                return
        raise bad(f"No protected range with id: {new.get('protectedRangeId')}")

    def _do_addChart(self, book: Spreadsheet, args: Json) -> Json:
        chart = copy.deepcopy(args["chart"])
        anchor = chart["position"]["overlayPosition"]["anchorCell"]
        sheet = self._editable(book, anchor.get("sheetId", 0))
        basic = chart["spec"].get("basicChart", {})
        ranges = [d["domain"]["sourceRange"] for d in basic.get("domains", [])]
        ranges += [s["series"]["sourceRange"] for s in basic.get("series", [])]
        for rng in ranges:
            for src in rng.get("sources", []):
                self._box(book.sheet(sheet_id=src.get("sheetId", 0)), src)
                if src.get("endColumnIndex", 0) - src.get("startColumnIndex", 0) != 1:
                    raise bad("A chart's data range must be one column wide.")
        chart["chartId"] = next(self._ids)
        sheet.charts.append(chart)
        return {"addChart": {"chart": chart}}

    def _do_addConditionalFormatRule(self, book: Spreadsheet, args: Json) -> None:
        rule = copy.deepcopy(args["rule"])
        ranges = rule.get("ranges", [])
        if not ranges:
            raise bad("A conditional format rule needs at least one range.")
        sheet = self._editable(book, ranges[0].get("sheetId", 0))
        for rng in ranges:
            if rng.get("sheetId", 0) != sheet.sheet_id:
                raise bad("All ranges of a conditional format rule must be on one sheet.")
            self._box(sheet, rng)
        if ("booleanRule" in rule) == ("gradientRule" in rule):
            raise bad("A conditional format rule is a booleanRule or a gradientRule.")
        index = args.get("index", 0)
        if not 0 <= index <= len(sheet.conditional):
            raise bad(f"Invalid index {index} for conditional formats.")
        sheet.conditional.insert(index, rule)

    def _do_deleteConditionalFormatRule(self, book: Spreadsheet, args: Json) -> None:
        sheet = self._editable(book, args.get("sheetId", 0))
        index = args.get("index", 0)
        if not 0 <= index < len(sheet.conditional):
            raise bad(f"No conditional format at index {index}.")
        del sheet.conditional[index]

    def _do_deleteEmbeddedObject(self, book: Spreadsheet, args: Json) -> None:
        for sheet in book.sheets:
            for chart in sheet.charts:
                if chart["chartId"] == args.get("objectId"):
                    self._editable(book, sheet.sheet_id)
                    sheet.charts.remove(chart)
                    return
        raise bad(f"No embedded object with id {args.get('objectId')}.")

    def _do_deleteProtectedRange(self, book: Spreadsheet, args: Json) -> None:
        for prot in book.protected:
            if prot["protectedRangeId"] == args.get("protectedRangeId"):
                sheet = book.sheet(sheet_id=prot["range"].get("sheetId", 0))
                if not book.may_edit(self.caller, sheet):
                    raise ApiError(403, "PERMISSION_DENIED", PROTECTED)
                book.protected.remove(prot)
                return
        raise bad(f"No protected range with id: {args.get('protectedRangeId')}")

    def _do_updateSheetProperties(self, book: Spreadsheet, args: Json) -> None:
        props = args.get("properties", {})
        sheet = self._editable(book, props.get("sheetId", 0))
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
            elif f == "gridProperties.rowCount":
                sheet.rows = max(1, grid.get("rowCount", 0))  # (the fake never shrinks data)
            elif f == "gridProperties.columnCount":
                sheet.cols = max(1, grid.get("columnCount", 0))
            elif f == "gridProperties.frozenRowCount":
                sheet.frozen_rows = grid.get("frozenRowCount", 0)
            elif f == "gridProperties.frozenColumnCount":
                sheet.frozen_cols = grid.get("frozenColumnCount", 0)
            elif f in ("tabColorStyle", "tabColorStyle.rgbColor"):
                sheet.tab_color = props.get("tabColorStyle", {}).get("rgbColor")
            else:
                raise bad(f"the fake does not implement updateSheetProperties field {f}")

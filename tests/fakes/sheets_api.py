"""A stateful, in-memory Sheets API v4 (and the Drive v3 calls sheetsync makes) on
top of ``responses``.

The real gspread code sends real HTTP requests; this answers them the way Google
does: spreadsheets.get, the values endpoints, and batchUpdate applied all or
nothing. Every body and query is checked against Google's discovery documents
first (``discovery.py``), every request is counted, and a test can make the k-th
request fail, lose its answer, be applied late, or kill the process.

It also answers Google's OAuth token endpoint, so the real credential code runs:
a service account's signed assertion or a person's refresh token buys an access
token for the scopes asked for, and each request is made as the account that
token belongs to. Who may open, change and protect what follows the real rules
(``sheets_model``, ``sheets_requests``, ``drive_api``), for sheetsync's requests
and for a person's edits alike. ``tests/test_fake_fidelity.py`` replays Google's
recorded answers against it.

Known gaps (said here rather than faked): formulas are stored, never evaluated;
FORMATTED_VALUE renders numbers without their number format; sorting, filters,
row groups and copy/paste are not emulated; the token endpoint does not check
the assertion's signature.
"""

from __future__ import annotations

import base64
import itertools
import json
import pickle
import re
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import responses

from tests.fakes import sheets_values as values
from tests.fakes.discovery import Discovery, SchemaViolation
from tests.fakes.drive_api import DRIVE, DriveApi
from tests.fakes.fieldmask import apply_mask, parse_mask
from tests.fakes.formulas import rename_sheet
from tests.fakes.sheets_defaults import spreadsheet_properties
from tests.fakes.sheets_model import (
    PROTECTED,
    ApiError,
    Sheet,
    Span,
    Spreadsheet,
    bad,
    denied,
)
from tests.fakes.sheets_requests import BatchUpdate
from tests.secrets import remember

__all__ = ["PROTECTED", "FakeSheetsApi", "Killed", "Sheet", "Spreadsheet"]

BASE = "https://sheets.googleapis.com/v4/spreadsheets"
TOKEN_URL = "https://oauth2.googleapis.com/token"
MAX_PAYLOAD = 10_485_760  # bytes in one request body (recordings README)
SCOPE = "https://www.googleapis.com/auth/"
SHEETS_SCOPES = {f"{SCOPE}{s}" for s in ("spreadsheets", "drive", "drive.file")}
SHEETS_READ_SCOPES = SHEETS_SCOPES | {f"{SCOPE}{s}" for s in ("spreadsheets.readonly",)}
SHEETS_READ_SCOPES |= {f"{SCOPE}drive.readonly"}
Json = dict[str, Any]
Answer = tuple[int, dict[str, str], str]
JSON_TYPE = {"Content-Type": "application/json; charset=UTF-8"}
ROW_PIXELS, COLUMN_PIXELS = 21, 100  # a new sheet's row height and column width


def insufficient_scopes(service: str) -> ApiError:
    """A token without the scope a method needs (Drive: genai-for-marketing#45, and
    the ErrorInfo Google adds to newer errors)."""
    return ApiError(
        403,
        "PERMISSION_DENIED",
        "Request had insufficient authentication scopes.",
        {
            "errors": [
                {
                    "message": "Insufficient Permission",
                    "domain": "global",
                    "reason": "insufficientPermissions",
                }
            ],
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                    "metadata": {"service": service},
                }
            ],
        },
    )


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
        self.faults: dict[int, Callable[[], Answer]] = {}
        self.before: dict[int, Callable[[FakeSheetsApi], None]] = {}  # a person's edit
        self.lost: set[int] = set()  # requests applied whose answer never arrives
        self.late: set[int] = set()  # requests that time out and are applied later
        self._queued: list[Callable[[], None]] = []  # what Google is still applying
        self.kill_at: int | None = None  # the process dies once request k is applied
        self.dead = False
        self.tokens: dict[str, str] = {}  # access token -> account
        self.token_scopes: dict[str, set[str]] = {}  # access token -> its scopes
        self.refresh_tokens: dict[str, str] = {}  # a person's refresh token -> account
        self.granted: dict[str, set[str]] = {}  # refresh token -> scopes consented to
        self.token_calls = 0
        self.caller: str | None = None
        self.scopes: set[str] | None = None  # the caller's token's; None: any
        self.latency = 0.0  # seconds each answer takes, for the benchmarks
        self.body_sizes: list[int] = []  # bytes sent in each request
        self.offline = False  # the token endpoint cannot be reached
        self.timeouts: list[Any] = []  # the timeout the client set on each request
        self._ids = itertools.count(1_000_001)
        self.drive = DriveApi(self)

    # --- set-up -------------------------------------------------------------------------

    def create(
        self,
        spreadsheet_id: str,
        title: str = "Team 1:1s",
        tabs: tuple[str, ...] = ("Sheet1",),
        owner: str = "owner@example.com",
    ) -> Spreadsheet:
        sheets = [Sheet(0 if i == 0 else next(self._ids), t, i) for i, t in enumerate(tabs)]
        book = Spreadsheet(spreadsheet_id, title, sheets, owner=owner)
        self.books[spreadsheet_id] = book
        return book

    def copy(self, spreadsheet_id: str, new_id: str, title: str) -> Spreadsheet:
        """Drive's files.copy: the same sheets, ids and protections, a new title."""
        book: Spreadsheet = pickle.loads(pickle.dumps(self.books[spreadsheet_id]))
        book.spreadsheet_id, book.title = new_id, title
        self.books[new_id] = book
        return book

    def install(self, mock: responses.RequestsMock) -> None:
        pattern = re.compile(re.escape(BASE) + r"/.*")
        for method in (responses.GET, responses.POST, responses.PUT):
            mock.add_callback(method, pattern, callback=self._handle)
        drive = re.compile(re.escape(DRIVE) + r"/.*")
        for method in (responses.GET, responses.POST, responses.PATCH, responses.DELETE):
            mock.add_callback(method, drive, callback=self._handle)
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)

    def lose_answer(self, k: int) -> None:
        """Apply request ``k``, then drop the connection before the answer arrives."""
        self.lost.add(k)

    def apply_late(self, k: int) -> None:
        """Request ``k`` takes longer than the client waits: the client's read times
        out, and Google applies it just before it handles the next write to the
        spreadsheet (it applies a spreadsheet's batchUpdates one at a time)."""
        self.late.add(k)

    def kill_after(self, k: int) -> None:
        """Apply request ``k``, then the process dies before it sees the answer."""
        self.kill_at = k

    def kill(self) -> None:
        """The process dies now: its next request never goes out."""
        self.dead = True

    def revive(self) -> None:
        """A new process starts (the next run)."""
        self.dead, self.kill_at = False, None

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
        def raise_it() -> Answer:
            raise exc

        self.faults[k] = raise_it

    # --- a person at the keyboard ---------------------------------------------------------

    def person_may_edit(self, spreadsheet_id: str, tab: str, row: int, col: int, who: str) -> bool:
        book = self.books[spreadsheet_id]
        sheet = book.sheet(title=tab)
        return book.can_change(who) and (
            book.refusing(who, sheet, Span(row - 1, row, col - 1, col)) is None
        )

    def type(
        self, spreadsheet_id: str, tab: str, row: int, col: int, value: Any, who: str | None = None
    ) -> None:
        """A person types ``value`` into a cell (1-based row and column), as the UI
        stores it: numbers and booleans typed, a date as a serial with a date format,
        text starting with ``=`` as a formula. Refused like the UI refuses: without
        edit access to the file, or in a cell protected against them."""
        book = self.books[spreadsheet_id]
        sheet = book.sheet(title=tab)
        if who is not None and not book.can_change(who):
            raise PermissionError(f"{who} cannot edit the file: it is not shared with them")
        if book.refusing(who, sheet, Span(row - 1, row, col - 1, col)) is not None:
            raise PermissionError(f"{who} may not edit {tab}: {PROTECTED}")
        # Google's UI has no cell beyond the grid: a person first adds rows or
        # columns ("Add 1000 more rows", Insert column), which grows the grid.
        sheet.rows, sheet.cols = max(sheet.rows, row), max(sheet.cols, col)
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

    def person(self, spreadsheet_id: str, who: str | None, requests: list[Json]) -> list[Json]:
        """A person does in the UI what these batchUpdate requests describe (protect a
        sheet, delete a row, hide a tab), under the same rules as the API."""
        book = self.books[spreadsheet_id]
        if who is not None and not book.can_change(who):
            raise PermissionError(f"{who} cannot edit the file: it is not shared with them")
        trial: Spreadsheet = pickle.loads(pickle.dumps(book))
        try:
            replies = BatchUpdate(trial, who, self._ids).apply(requests)
        except ApiError as exc:
            raise PermissionError(exc.message) from None
        self.books[spreadsheet_id] = trial
        return replies

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

    def delete_row(self, spreadsheet_id: str, tab: str, row: int, who: str | None = None) -> None:
        """A person deletes row ``row`` (1-based); the rows below move up."""
        sheet_id = self.books[spreadsheet_id].sheet(title=tab).sheet_id
        rng = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": row - 1, "endIndex": row}
        self.person(spreadsheet_id, who, [{"deleteDimension": {"range": rng}}])

    def rename(self, spreadsheet_id: str, tab: str, new: str) -> None:
        book = self.books[spreadsheet_id]
        rename_sheet(book.sheets, book.sheet(title=tab), new)

    # --- OAuth --------------------------------------------------------------------------

    def _token(self, request: requests.PreparedRequest) -> Answer:
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
            scopes = set(str(claims.get("scope", "")).split())
        elif grant == "refresh_token":
            refresh = form.get("refresh_token", [""])[0]
            who_or_none = self.refresh_tokens.get(refresh)
            if who_or_none is None:
                body = {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
                return 400, {"Content-Type": "application/json"}, json.dumps(body)
            who = who_or_none
            # a person's token carries what they consented to, whatever is asked now
            scopes = self.granted.get(refresh, {f"{SCOPE}spreadsheets"})
        else:
            return (
                400,
                {"Content-Type": "application/json"},
                json.dumps({"error": "unsupported_grant_type"}),
            )
        token = remember(f"ya29.fake-access-token-{len(self.tokens) + 1:04d}-{'x' * 12}")
        self.tokens[token] = who
        self.token_scopes[token] = scopes
        body = {
            "access_token": token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": " ".join(sorted(scopes)),
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    # --- dispatch -------------------------------------------------------------------------

    def _handle(self, request: requests.PreparedRequest) -> Answer:
        if self.dead:
            raise Killed
        url = urlsplit(str(request.url))
        self.calls.append((str(request.method), url.path))
        k = len(self.calls)
        auth = str(request.headers.get("Authorization", ""))
        token = auth.removeprefix("Bearer ")
        self.caller = self.tokens.get(token) if auth else None
        self.scopes = self.token_scopes.get(token)
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
        if k in self.late:
            self._queued.append(lambda: self._answer(request, url))
            raise requests.ReadTimeout("Read timed out: Google is still applying the write")
        if self._queued and str(request.method) != "GET":
            queued, self._queued = self._queued, []
            for apply in queued:
                apply()
        if k in self.lost:
            self._answer(request, url)
            raise requests.ConnectionError("Connection aborted: the answer was lost")
        if k == self.kill_at:
            self._answer(request, url)
            self.dead = True
            raise Killed
        return self._answer(request, url)

    def _answer(self, request: requests.PreparedRequest, url: Any) -> Answer:
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            body = json.loads(request.body) if request.body else None
            if url.netloc != "sheets.googleapis.com":
                status, result = self.drive.route(str(request.method), url.path, query, body)
                if status == 204:
                    return 204, {}, ""
                return status, JSON_TYPE, json.dumps(result)
            path = unquote(url.path[len("/v4/spreadsheets/") :])
            result = self._route(str(request.method), path, query, body)
        except SchemaViolation as exc:
            error = bad(f"Invalid JSON payload received. {exc}")
            return 400, JSON_TYPE, json.dumps(error.body())
        except ApiError as exc:
            return exc.code, JSON_TYPE, json.dumps(exc.body())
        return 200, JSON_TYPE, json.dumps(result)

    def _needs(self, scopes: set[str]) -> None:
        if self.scopes is not None and not self.scopes & scopes:
            raise insufficient_scopes("sheets.googleapis.com")

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Json:
        check = self.discovery.check_query
        if method == "GET":
            self._needs(SHEETS_READ_SCOPES)
        else:
            self._needs(SHEETS_SCOPES)
        if method == "POST" and path.endswith(":batchUpdate") and "/values" not in path:
            check("sheets.spreadsheets.batchUpdate", query)
            self.discovery.check_body("sheets.spreadsheets.batchUpdate", body)
            out = self.batch_update(self._book(path[: -len(":batchUpdate")]), body, query)
            return self._masked(out, query)
        if method == "GET" and path.endswith("/values:batchGet"):
            check("sheets.spreadsheets.values.batchGet", query)
            book = self._book(path[: -len("/values:batchGet")])
            ranges = query.get("ranges", [])
            return self._masked(
                {
                    "spreadsheetId": book.spreadsheet_id,
                    "valueRanges": [values.get(book, r, query) for r in ranges],
                },
                query,
            )
        if method == "POST" and path.endswith("/values:batchClear"):
            check("sheets.spreadsheets.values.batchClear", query)
            self.discovery.check_body("sheets.spreadsheets.values.batchClear", body)
            book = self._book(path[: -len("/values:batchClear")])
            trial = self._trial(book)
            cleared = [values.clear(trial, self.caller, r) for r in body.get("ranges", [])]
            self.books[book.spreadsheet_id] = trial
            return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": cleared}
        if method == "POST" and path.endswith("/values:batchUpdate"):
            check("sheets.spreadsheets.values.batchUpdate", query)
            self.discovery.check_body("sheets.spreadsheets.values.batchUpdate", body)
            book = self._book(path[: -len("/values:batchUpdate")])
            trial = self._trial(book)
            option = body.get("valueInputOption", "")
            replies = [
                values.write(
                    trial,
                    self.caller,
                    vr["range"],
                    vr.get("values", []),
                    option,
                    append=False,
                    columns=vr.get("majorDimension") == "COLUMNS",
                )
                for vr in body.get("data", [])
            ]
            self.books[book.spreadsheet_id] = trial
            touched = {
                (r["updatedRange"].split("!")[0], *cell)
                for r in replies
                for cell in r.pop("_touched")
            }
            return {  # rows and columns counted once however many ranges touch them
                "spreadsheetId": book.spreadsheet_id,
                "totalUpdatedRows": len({(s, r) for s, r, _ in touched}),
                "totalUpdatedColumns": len({(s, c) for s, _, c in touched}),
                "totalUpdatedCells": len(touched),
                "totalUpdatedSheets": len({s for s, _, _ in touched}),
                "responses": replies,
            }
        if "/values/" in path:
            book_id, rng = path.split("/values/", 1)
            if method == "POST" and rng.endswith(":clear"):
                check("sheets.spreadsheets.values.clear", query)
                book = self._book(book_id)
                trial = self._trial(book)
                cleared = values.clear(trial, self.caller, rng[: -len(":clear")])
                self.books[book.spreadsheet_id] = trial
                return {"spreadsheetId": book.spreadsheet_id, "clearedRange": cleared}
            if method in ("PUT", "POST"):
                append = method == "POST" and rng.endswith(":append")
                method_id = "append" if append else "update"
                check(f"sheets.spreadsheets.values.{method_id}", query)
                self.discovery.check_body(f"sheets.spreadsheets.values.{method_id}", body)
                book = self._book(book_id)
                trial = self._trial(book)
                out = values.write(
                    trial,
                    self.caller,
                    rng[: -len(":append")] if append else rng,
                    body.get("values", []),
                    query.get("valueInputOption", [""])[0],
                    append=append,
                    columns=body.get("majorDimension") == "COLUMNS",
                )
                self.books[book.spreadsheet_id] = trial
                (out["updates"] if append else out).pop("_touched")
                return out
            if method == "GET":
                check("sheets.spreadsheets.values.get", query)
                return self._masked(values.get(self._book(book_id), rng, query), query)
        if method == "GET" and "/" not in path:
            check("sheets.spreadsheets.get", query)
            book = self._book(path)
            out = self.metadata(book)
            if query.get("includeGridData", ["false"])[0].lower() == "true" or (
                # a field mask that asks for grid data gets it (Sheets reference)
                "fields" in query and re.search(r"(^|[.,(/])data([.,()/]|$)", query["fields"][0])
            ):
                metadata = self._metadata_wanted(query)
                self._add_grid_data(book, out, query.get("ranges", []), metadata)
            elif query.get("ranges"):
                self._only_ranged(book, out, query["ranges"])
            return self._masked(out, query)
        raise ApiError(404, "NOT_FOUND", f"the fake has no {method} {path}")

    @staticmethod
    def _trial(book: Spreadsheet) -> Spreadsheet:
        """A working copy; kept only if the whole request succeeds."""
        trial: Spreadsheet = pickle.loads(pickle.dumps(book))
        return trial

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
        if not book.can_open(self.caller):
            raise denied()
        return book

    # --- reads ---------------------------------------------------------------------------

    def metadata(self, book: Spreadsheet) -> Json:
        """The spreadsheet as ``spreadsheets.get`` answers it for the caller."""
        out: Json = {
            "spreadsheetId": book.spreadsheet_id,
            "properties": spreadsheet_properties(
                book.title, book.locale, book.time_zone, book.auto_recalc
            ),
            "sheets": [],
        }
        for s in book.sheets:
            entry: Json = {"properties": s.properties()}
            if s.merges:
                entry["merges"] = [dict(m) for m in s.merges]
            if s.basic_filter:
                entry["basicFilter"] = json.loads(json.dumps(s.basic_filter))
            for kind, key in (("ROWS", "rowGroups"), ("COLUMNS", "columnGroups")):
                groups = [g for g in s.groups if g["range"]["dimension"] == kind]
                if groups:
                    entry[key] = json.loads(json.dumps(groups))
            if s.conditional:
                entry["conditionalFormats"] = json.loads(json.dumps(s.conditional))
            prot = [
                book.protection_view(p, self.caller)
                for p in book.protected
                if p["range"].get("sheetId", 0) == s.sheet_id
            ]
            if prot:
                entry["protectedRanges"] = prot
            if s.charts:
                entry["charts"] = json.loads(json.dumps(s.charts))
            out["sheets"].append(entry)
        if book.named_ranges:
            out["namedRanges"] = json.loads(json.dumps(book.named_ranges))
        out["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit"
        return out

    def _only_ranged(self, book: Spreadsheet, out: Json, ranges: list[str]) -> None:
        """With ``ranges`` and no grid data, only the sheets they name are answered."""
        wanted = [values.resolve(book, r)[0] for r in ranges]
        out["sheets"] = [
            entry for entry, s in zip(out["sheets"], book.sheets, strict=True) if s in wanted
        ]

    @staticmethod
    def _metadata_wanted(query: dict[str, list[str]]) -> bool:
        """Whether the answer may show rows' and columns' metadata: not when a field
        mask leaves it out (building it for a long History only to mask it away
        would make the fake slow, not different)."""
        if "fields" not in query:
            return True
        fields = query["fields"][0]
        return "Metadata" in fields or re.search(r"data([,)]|$)", fields) is not None

    def _add_grid_data(
        self, book: Spreadsheet, out: Json, ranges: list[str], metadata: bool = True
    ) -> None:
        """``data`` for each sheet named in ``ranges`` (every sheet if none): typed cells
        up to the last row that has any, ``{}`` for an empty cell; proto3 zeros omitted."""
        from tests.fakes.a1 import Box

        wanted = [values.resolve(book, r) for r in ranges] or [
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
            if metadata:
                data["rowMetadata"] = [
                    self._dimension(sheet.row_heights, sheet.hidden_rows, r, ROW_PIXELS)
                    for r in range(box.r0, box.r1)
                ]
                data["columnMetadata"] = [
                    self._dimension(sheet.col_widths, sheet.hidden_cols, c, COLUMN_PIXELS)
                    for c in range(box.c0, box.c1)
                ]
            entry.setdefault("data", []).append(data)
            if entry not in keep:
                keep.append(entry)
        if ranges:
            out["sheets"] = keep  # with ranges, only the sheets they name

    @staticmethod
    def _dimension(sizes: dict[int, int], hidden: set[int], i: int, default: int) -> Json:
        """A row's or column's metadata (``WorksheetTest.test_auto_resize_columns``)."""
        out: Json = {"pixelSize": sizes.get(i, default)}
        if i in hidden:
            out["hiddenByUser"] = True
        return out

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

    # --- batchUpdate ------------------------------------------------------------------------

    def batch_update(
        self, book: Spreadsheet, body: Json, query: dict[str, list[str]] | None = None
    ) -> Json:
        """All or nothing: the requests work on a copy, kept only on success."""
        if not book.can_change(self.caller):
            raise denied()
        trial: Spreadsheet = pickle.loads(pickle.dumps(book))
        replies = BatchUpdate(trial, self.caller, self._ids).apply(body.get("requests", []))
        self.books[book.spreadsheet_id] = trial
        out: Json = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            updated = self.metadata(trial)
            if body.get("responseIncludeGridData"):
                fields = {"fields": query["fields"]} if query and "fields" in query else {}
                self._add_grid_data(
                    trial, updated, body.get("responseRanges", []), self._metadata_wanted(fields)
                )
            elif body.get("responseRanges"):
                self._only_ranged(trial, updated, body["responseRanges"])
            out["updatedSpreadsheet"] = updated
        return out

"""The team's workbook as a Google spreadsheet, through gspread.

A command costs a fixed number of requests whatever the team's size: the
spreadsheet's metadata (the fetch gspread makes on opening one), one
``spreadsheets.get`` that reads every tab asked for and the ledger, and for a
command that overwrites tabs, one ``batchUpdate`` that locks them and reads them
back, then one ``batchUpdate`` holding every change (atomic by the API's contract).

People win: a tab a person changed between our read and the lock is never
overwritten; ``write`` raises ``ConcurrentEdit`` naming it and the use case plans
again from a fresh read, while the lock keeps the tab still. Edits tried during
the lock are refused by Google, so none is silently lost.

The write carries a ``write`` row with a unique id into the ledger, in the same
batch. When the batch fails in a way that leaves it unknown whether Google applied
it (a 5xx, a dropped connection), the ledger is read: the id there means it
landed; otherwise the batch is sent again, a bounded number of times.
"""

from __future__ import annotations

import contextlib
import json
import uuid
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError

from sheetsync.adapters import google_cells as cells
from sheetsync.adapters.google_http import (
    GoogleUnavailable,
    Identity,
    RetryingHTTPClient,
    describe,
    explain,
    load_credentials,
)
from sheetsync.config import WorkbookConfig
from sheetsync.domain.layout import SheetLayout
from sheetsync.domain.plan import Grid, Snapshot, WritePlan
from sheetsync.errors import ConcurrentEdit, SheetsyncError, WorkbookBusy, WorkbookError

LOCK_NOTE = "sheetsync lock"
LOCK_STALE = timedelta(minutes=10)  # a lock this old was left by a run that died
LEDGER_TAB = "_sheetsync"
HISTORY_TAB = "History"
PROTECTION_NOTE = "sheetsync: "
WRITE_ATTEMPTS = 3
MAX_BODY = 10 * 2**20  # Google refuses a request body over 10 MB
Json = dict[str, Any]


GRID_FIELDS = f"sheets(properties.title,data.rowData.values({cells.READ_CELL_FIELDS}))"


def grids_of(spreadsheet: Json) -> dict[str, Grid]:
    """Each tab's values in a Spreadsheet answer (a read, or a batchUpdate's
    ``updatedSpreadsheet``) asked for with ``GRID_FIELDS``."""
    return {
        entry.get("properties", {}).get("title", ""): cells.read_grid(entry.get("data", []))
        for entry in spreadsheet.get("sheets", [])
    }


def encoded(body: Json) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def quoted(title: str) -> str:
    """A tab title as an A1 range; always quoted, which the API accepts for any
    title and which keeps ``CO2`` or ``R1C1`` from reading as a cell."""
    return "'" + title.replace("'", "''") + "'"


def stable_sheet_id(title: str, taken: set[int]) -> int:
    """A sheet id from the title, so a retried or repeated run makes the same gid."""
    sheet_id = zlib.crc32(title.encode("utf-8")) & 0x3FFFFFFF or 1
    while sheet_id in taken:
        sheet_id = (sheet_id + 1) & 0x3FFFFFFF or 1
    return sheet_id


class GoogleWorkbook:
    """The ``Workbook`` port on a Google spreadsheet."""

    def __init__(self, config: WorkbookConfig) -> None:
        self.config = config
        self.spreadsheet_id = config.spreadsheet or ""
        self.location = f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
        self.title = ""
        self._identity: Identity | None = None
        self._client: gspread.Client | None = None
        self._meta: dict[str, Json] = {}  # title -> sheet entry (properties, protectedRanges)
        self._grids: dict[str, Grid] = {}  # what the last read saw, for the people-win check
        self._ready = False
        self.run_id = uuid.uuid4().hex[:8]
        self._locks: dict[str, int] = {}  # tab -> id of the lock this run holds on it
        self._stale: list[int] = []  # locks left behind by a run that died
        self._busy: str | None = None  # another run's live lock

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = load_credentials(self.config)
        return self._identity

    @property
    def account(self) -> str | None:
        return self.identity.email

    @property
    def http(self) -> RetryingHTTPClient:
        if self._client is None:
            self._client = gspread.Client(self.identity.credentials, http_client=RetryingHTTPClient)
        http = self._client.http_client
        assert isinstance(http, RetryingHTTPClient)
        return http

    def _call(self, what: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return what(*args, **kwargs)
        except (APIError, requests.RequestException, GoogleAuthError) as exc:
            raise explain(exc, self.spreadsheet_id, self.identity) from None

    def __enter__(self) -> GoogleWorkbook:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._grids = {}
        if self._locks:  # the command stopped before its write: give the tabs back
            unlock = [self._unlock(i) for i in self._locks.values()]
            # best effort: the next run removes a stale lock, and `check` shows it
            with contextlib.suppress(
                APIError, requests.RequestException, GoogleAuthError, SheetsyncError
            ):
                self._post({"requests": unlock})
            self._locks = {}

    def _load_metadata(self) -> None:
        """The tab list, sizes and protection: the request gspread makes on opening a
        spreadsheet, with a field mask so that it stays small."""
        params = {
            "fields": "properties.title,"
            "sheets(properties,protectedRanges,charts.chartId,conditionalFormats.ranges.sheetId)"
        }
        raw = self._call(self.http.fetch_sheet_metadata, self.spreadsheet_id, params)
        self.title = raw.get("properties", {}).get("title", "")
        self._meta = {s["properties"]["title"]: s for s in raw.get("sheets", [])}
        self._locks, self._stale, self._busy = {}, [], None
        now = datetime.now(timezone.utc)
        for title, entry in self._meta.items():
            for prot in entry.get("protectedRanges", []):
                parts = str(prot.get("description", "")).split()
                if " ".join(parts[:2]) != LOCK_NOTE or len(parts) < 4:
                    continue
                try:
                    since = datetime.fromisoformat(parts[3])
                except ValueError:
                    since = now - LOCK_STALE
                if parts[2] == self.run_id:
                    self._locks[title] = int(prot["protectedRangeId"])
                elif now - since < LOCK_STALE:
                    self._busy = f"another sheetsync run has been writing since {parts[3]}"
                else:
                    self._stale.append(int(prot["protectedRangeId"]))

    def locks(self) -> dict[str, str]:
        """Tabs locked by a sheetsync write, live or left behind: for ``check``."""
        out: dict[str, str] = {}
        for title, entry in self._meta.items():
            for prot in entry.get("protectedRanges", []):
                if str(prot.get("description", "")).startswith(LOCK_NOTE):
                    out[title] = str(prot["description"])
        return out

    def _sheet_id(self, title: str) -> int:
        return int(self._meta[title]["properties"].get("sheetId", 0))

    # --- reading ----------------------------------------------------------------------------

    def _read_grids(self, titles: Sequence[str]) -> dict[str, Grid]:
        if not titles:
            return {}
        params: list[tuple[str, str]] = [("ranges", quoted(t)) for t in titles]
        params += [("includeGridData", "true"), ("fields", GRID_FIELDS)]
        return grids_of(self._call(self.http.fetch_sheet_metadata, self.spreadsheet_id, params))

    def read(self, tabs: Sequence[str]) -> Snapshot:
        self._load_metadata()
        wanted = [t for t in dict.fromkeys(tabs) if t in self._meta]
        if LEDGER_TAB in self._meta:
            wanted.append(LEDGER_TAB)
        grids = self._read_grids(wanted)
        ledger = grids.get(LEDGER_TAB, [])[1:]
        self._grids = {t: grids[t] for t in tabs if t in grids}
        self._ready = True
        return Snapshot(True, list(self._meta), dict(self._grids), ledger)

    # --- writing ----------------------------------------------------------------------------

    def write(self, plan: WritePlan) -> None:
        if plan.empty:
            return
        if not self._ready:
            raise WorkbookError(f"{self.location}: internal: write without a read first")
        self._ready = False
        if self._busy:
            raise WorkbookBusy(
                f"{self.location}: {self._busy}; nothing was written, run again in a few minutes"
            )
        self._hold(plan)
        token = uuid.uuid4().hex[:12]
        body = {"requests": self._requests(plan, token)}
        size = len(encoded(body))
        if size > MAX_BODY:
            raise WorkbookError(
                f"{self.location}: this write would be {size / 2**20:.1f} MB, over the 10 MB "
                "Google accepts in one request; nothing was written. Split the team into "
                "smaller teams in the config (each with its own spreadsheet)"
            )
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            if attempt > 1 and not self._locks:
                self._check_unchanged(plan)
            try:
                self._post(body)
                self._locks, self._stale = {}, []
                return
            except APIError as exc:
                if 400 <= exc.response.status_code < 500:
                    raise self._refused(explain(exc, self.spreadsheet_id, self.identity)) from None
                failure: Exception = exc  # a 5xx: it may or may not have landed
            except requests.RequestException as exc:
                failure = exc  # the answer was lost: it may or may not have landed
            except GoogleAuthError as exc:
                raise explain(exc, self.spreadsheet_id, self.identity) from None
            try:
                if self._landed(token):
                    self._locks, self._stale = {}, []
                    return
            except SheetsyncError:
                raise GoogleUnavailable(
                    f"{self.location}: the answer to the write was lost ({describe(failure)}) "
                    "and Google cannot be asked whether it landed; run the command again, "
                    "it picks up from what the spreadsheet holds"
                ) from None
            if attempt == WRITE_ATTEMPTS:
                raise GoogleUnavailable(
                    f"{self.location}: the write failed {attempt} times ({describe(failure)}); "
                    "nothing was written, run the command again"
                )
            RetryingHTTPClient.sleep(RetryingHTTPClient.policy.delay(attempt))

    def link(self, tab: str) -> str:
        gid = self._sheet_id(tab) if tab in self._meta else 0
        return f"{self.location}#gid={gid}"

    def record(self, rows: Grid) -> None:
        """An append to the ledger. Sending it twice only repeats a row, which
        readers of the ledger ignore, so it is retried on any failure."""
        if LEDGER_TAB not in self._meta:
            self._load_metadata()
        ids = {t: self._sheet_id(t) for t in self._meta}
        body = {"requests": [self._append(LEDGER_TAB, ids, rows)]}
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._post(body)
                return
            except (APIError, requests.RequestException, GoogleAuthError) as exc:
                status = exc.response.status_code if isinstance(exc, APIError) else 0
                if attempt == WRITE_ATTEMPTS or 400 <= status < 500:
                    raise explain(exc, self.spreadsheet_id, self.identity) from None
            RetryingHTTPClient.sleep(RetryingHTTPClient.policy.delay(attempt))

    def _post(self, body: Json, fields: str | None = None) -> Json:
        """One ``spreadsheets.batchUpdate``, sent as compact JSON."""
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{self.spreadsheet_id}:batchUpdate"
        params = {"fields": fields} if fields else None
        headers = {"Content-Type": "application/json"}
        response = self.http.request(
            "post", url, params=params, data=encoded(body), headers=headers
        )
        answer: Json = response.json()
        return answer

    def _refused(self, exc: SheetsyncError) -> SheetsyncError:
        text = str(exc)
        if "already exists" in text:
            return ConcurrentEdit(
                f"{self.location}: a tab was added while sheetsync was running; nothing was "
                "written, run the command again"
            )
        return exc

    def _hold(self, plan: WritePlan) -> None:
        """People win. Lock the tabs about to be overwritten (a protected range only
        this service account may edit) and, in the same request, read them back: an
        edit made before the lock shows in what comes back, and one after it is
        refused by Google, so none is lost. The write removes the locks. Without a
        service account (a person's own token) the tabs are re-read instead."""
        if not self.identity.email:
            self._check_unchanged(plan)
            return
        titles = [
            layout.title
            for layout in plan.replace
            if layout.title in self._grids and layout.title not in self._locks
        ]
        if not titles:
            return
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        note = f"{LOCK_NOTE} {self.run_id} {at} (a sheetsync write in progress)"
        body = {
            "requests": [
                {
                    "addProtectedRange": {
                        "protectedRange": {
                            "range": {"sheetId": self._sheet_id(t)},
                            "description": note,
                            "warningOnly": False,
                            "editors": {"users": [self.identity.email]},
                        }
                    }
                }
                for t in titles
            ],
            "includeSpreadsheetInResponse": True,
            "responseRanges": [quoted(t) for t in titles],
            "responseIncludeGridData": True,
        }
        lock_ids = "replies.addProtectedRange.protectedRange.protectedRangeId"
        fields = f"{lock_ids},updatedSpreadsheet.{GRID_FIELDS}"
        try:
            answer = self._post(body, fields)
        except (APIError, requests.RequestException) as exc:
            if isinstance(exc, APIError) and 400 <= exc.response.status_code < 500:
                raise explain(exc, self.spreadsheet_id, self.identity) from None
            raise ConcurrentEdit(  # unknown whether the locks landed: read again
                f"{self.location}: locking the tabs failed ({describe(exc)})"
            ) from None
        for title, reply in zip(titles, answer.get("replies", []), strict=False):
            self._locks[title] = int(
                reply["addProtectedRange"]["protectedRange"]["protectedRangeId"]
            )
        self._refuse_changed(titles, grids_of(answer.get("updatedSpreadsheet", {})))

    @staticmethod
    def _unlock(lock_id: int) -> Json:
        return {"deleteProtectedRange": {"protectedRangeId": lock_id}}

    def _check_unchanged(self, plan: WritePlan) -> None:
        """People win: re-read the tabs about to be overwritten, just before the write."""
        titles = [layout.title for layout in plan.replace if layout.title in self._grids]
        if titles:
            self._refuse_changed(titles, self._read_grids(titles))

    def _refuse_changed(self, titles: Sequence[str], now: dict[str, Grid]) -> None:
        """``ConcurrentEdit`` naming each tab whose values differ from our read."""
        changed = tuple(t for t in titles if now.get(t) != self._grids[t])
        if changed:
            raise ConcurrentEdit(
                f"{', '.join(repr(t) for t in changed)} changed while sheetsync was running; "
                "nothing was written",
                changed,
            )

    def _landed(self, token: str) -> bool:
        """Did the write with this id land? Its ``write`` row in the ledger says so
        (the ledger may itself have been created by that write)."""
        try:
            ledger = self._read_grids([LEDGER_TAB]).get(LEDGER_TAB, [])
        except WorkbookError as exc:
            if "Unable to parse range" in str(exc):
                return False  # no ledger tab: the write that creates it did not land
            raise
        return any(row and row[0] == "write" and str(row[-1]).endswith(token) for row in ledger)

    def _requests(self, plan: WritePlan, token: str) -> list[Json]:
        taken = {self._sheet_id(t) for t in self._meta}
        ids = {t: self._sheet_id(t) for t in self._meta}
        out: list[Json] = []
        for layout in plan.create:
            if layout.title not in ids:
                out += self._add(layout, ids, taken)
        for layout in plan.replace:
            if layout.title in ids:
                out += self._replace(layout, ids[layout.title])
            else:
                out += self._add(layout, ids, taken)
        if plan.history:
            out.append(self._append(HISTORY_TAB, ids, plan.history))
        ledger = list(plan.ledger)
        at = next((str(row[3]) for row in ledger if len(row) > 3), "")
        ledger.append(["write", "", "", at, f"{len(out)} changes; id {token}"])
        out.append(self._append(LEDGER_TAB, ids, ledger))
        out += [self._unlock(i) for i in [*self._locks.values(), *self._stale]]
        return out

    def _add(self, layout: SheetLayout, ids: dict[str, int], taken: set[int]) -> list[Json]:
        sheet_id = stable_sheet_id(layout.title, taken)
        taken.add(sheet_id)
        ids[layout.title] = sheet_id
        out: list[Json] = [{"addSheet": {"properties": cells.sheet_properties(sheet_id, layout)}}]
        out += cells.content_requests(sheet_id, layout, clear=False)
        out += [cells.chart_request(sheet_id, c) for c in layout.charts]
        out += self._protect(layout, sheet_id, existing=[])
        return out

    def _replace(self, layout: SheetLayout, sheet_id: int) -> list[Json]:
        entry = self._meta[layout.title]
        grid = entry["properties"].get("gridProperties", {})
        rows, cols = cells.grid_size(layout)
        props = cells.sheet_properties(sheet_id, layout)
        props["gridProperties"]["rowCount"] = max(rows, grid.get("rowCount", 0))
        props["gridProperties"]["columnCount"] = max(cols, grid.get("columnCount", 0))
        fields = ",".join(
            f"gridProperties.{f}"
            for f in ("rowCount", "columnCount", "frozenRowCount", "frozenColumnCount")
        )
        fields += ",hidden"
        if layout.tab_color:
            fields += ",tabColorStyle"
        props.pop("title")
        out: list[Json] = [{"updateSheetProperties": {"properties": props, "fields": fields}}]
        out += [  # the old page's conditional formats go; the layout brings its own
            {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}}
            for _ in entry.get("conditionalFormats", [])
        ]
        out += cells.content_requests(sheet_id, layout, clear=True)
        out += [
            {"deleteEmbeddedObject": {"objectId": chart["chartId"]}}
            for chart in entry.get("charts", [])
        ]
        out += [cells.chart_request(sheet_id, c) for c in layout.charts]
        out += self._protect(layout, sheet_id, entry.get("protectedRanges", []))
        return out

    def _protect(self, layout: SheetLayout, sheet_id: int, existing: list[Json]) -> list[Json]:
        """Whole-tab protection: the layout's editors and this service account."""
        if not layout.editors:
            return []
        users = sorted({*layout.editors, *([self.identity.email] if self.identity.email else [])})
        ours = [p for p in existing if str(p.get("description", "")).startswith(PROTECTION_NOTE)]
        if ours:
            current = sorted(ours[0].get("editors", {}).get("users", []))
            if current == users:
                return []
            return [
                {
                    "updateProtectedRange": {
                        "protectedRange": {
                            "protectedRangeId": ours[0]["protectedRangeId"],
                            "editors": {"users": users},
                        },
                        "fields": "editors",
                    }
                }
            ]
        return [
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {"sheetId": sheet_id},
                        "description": PROTECTION_NOTE + f"only {', '.join(users)} may edit",
                        "warningOnly": False,
                        "editors": {"users": users},
                    }
                }
            }
        ]

    def _append(self, title: str, ids: dict[str, int], rows: Grid) -> Json:
        if title not in ids:
            raise WorkbookError(f"tab '{title}' is missing; run sheetsync init")
        return {
            "appendCells": {
                "sheetId": ids[title],
                "rows": cells.grid_rows(rows),
                "fields": "userEnteredValue,userEnteredFormat.numberFormat",
            }
        }

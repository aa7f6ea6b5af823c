"""The team's workbook as a Google spreadsheet, through gspread.

A command costs a fixed number of requests whatever the team's size: the
spreadsheet's metadata (the fetch gspread makes on opening one), one
``spreadsheets.get`` that reads every tab asked for and the ledger, and for a
command that writes, one ``batchUpdate`` that locks the tabs it is about to
change and reads them back, then one ``batchUpdate`` holding every change
(atomic by the API's contract). History and the stage log, which only grow, are
read in that same request by what was added since this machine last read them
(``google_tail``); one more request reads one of them in full where its copy no
longer matches it.

People win: a tab a person changed between our read and the lock is never
overwritten; ``write`` raises ``ConcurrentEdit`` naming it and the use case plans
again from a fresh read, while the lock keeps the tab still. Edits tried during
the lock are refused by Google, so none is silently lost. The lock and the page
protection follow the real API's rules (``google_protection``).

The write carries a ``write`` row with a unique id into the ledger, in the same
batch, and removes the write's own locks (the ledger's included). When the
batch fails in a way that leaves it unknown whether Google applied it (a 5xx, a
dropped connection, no answer before the timeout), the ledger is read: the id
there means it landed; otherwise the batch is sent again, a bounded number of
times. A batch sent again after the first one did land cannot apply twice: the
locks it removes are gone, Google refuses it, and the ledger then says it landed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import uuid
import zlib
from collections.abc import Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError

from sheetsync.adapters import google_cells as cells
from sheetsync.adapters import google_drive as drive
from sheetsync.adapters import google_protection as guard
from sheetsync.adapters import google_tail as tail
from sheetsync.adapters.google_http import (
    GoogleUnavailable,
    Identity,
    RetryingHTTPClient,
    describe,
    explain,
    load_credentials,
)
from sheetsync.config import WorkbookConfig
from sheetsync.domain.access import Access, Shared
from sheetsync.domain.layout import SheetLayout, place_tab, tab_kind
from sheetsync.domain.plan import Grid, PageEdit, Snapshot, WritePlan
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.errors import ConcurrentEdit, SheetsyncError, WorkbookBusy, WorkbookError

LOCK_NOTE = guard.LOCK_NOTE
LEDGER_TAB = "_sheetsync"
HISTORY_TAB = "History"
WRITE_ATTEMPTS = 3
MAX_BODY = 10 * 2**20  # Google refuses a request body over 10 MB
# Google may take well over a minute to apply a large batchUpdate (reports cite a
# limit of 180 s on its side): a write waits longer than that for its answer.
WRITE_TIMEOUT = (10.0, 240.0)
_REQUEST_INDEX = re.compile(r"requests\[(\d+)\]")
_MISSING_PROTECTION = re.compile(r"No protected range with id: (\d+)")
Json = dict[str, Any]
Notes = dict[tuple[int, int], str]
log = logging.getLogger(__name__)


GRID_FIELDS = f"sheets(properties.title,data.rowData.values({cells.READ_CELL_FIELDS}))"
# a read's: with each block's first row, for a tab asked for in several ranges
READ_FIELDS = f"sheets(properties.title,data(startRow,rowData.values({cells.READ_CELL_FIELDS})))"


def grids_of(spreadsheet: Json) -> dict[str, Grid]:
    """Each tab's values in a Spreadsheet answer (a read, or a batchUpdate's
    ``updatedSpreadsheet``) asked for with ``GRID_FIELDS``."""
    return {
        entry.get("properties", {}).get("title", ""): cells.read_grid(entry.get("data", []))
        for entry in spreadsheet.get("sheets", [])
    }


def notes_of(spreadsheet: Json) -> dict[str, dict[tuple[int, int], str]]:
    out = {}
    for entry in spreadsheet.get("sheets", []):
        notes = cells.read_notes(entry.get("data", []))
        if notes:
            out[entry.get("properties", {}).get("title", "")] = notes
    return out


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

    accounts = True  # shared with people's Google accounts

    def __init__(self, config: WorkbookConfig, sharing: str | None = None) -> None:
        self.config = config
        self.sharing = sharing  # None | "read" (check) | "write" (init --share)
        self.spreadsheet_id = config.spreadsheet or ""
        self.location = f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
        self.title = ""
        self._identity: Identity | None = None
        self._client: gspread.Client | None = None
        self._meta: dict[str, Json] = {}  # title -> sheet entry (properties, protectedRanges)
        self._guards: dict[str, guard.TabGuard] = {}
        self._grids: dict[str, Grid] = {}  # what the last read saw, for the people-win check
        self._ready = False
        self.run_id = uuid.uuid4().hex[:8]
        self._locks = guard.LockState()

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            extra = {
                "read": (drive.LIST_SCOPE,),
                "write": (drive.LIST_SCOPE, drive.SHARE_SCOPE),
            }.get(self.sharing or "", ())
            self._identity = load_credentials(self.config, extra)
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
        if self._locks.ours:  # the command stopped before its write: give the tabs back
            unlock = [guard.unlock_request(i) for i in self._locks.ours.values()]
            # best effort: the next run removes a stale lock, and `check` shows it
            with contextlib.suppress(
                APIError, requests.RequestException, GoogleAuthError, SheetsyncError
            ):
                self._post({"requests": unlock})
            self._locks.ours = {}

    def _load_metadata(self) -> None:
        """The tab list, sizes and protection: the request gspread makes on opening a
        spreadsheet, with a field mask so that it stays small."""
        params = {
            "fields": "properties.title,sheets(properties,protectedRanges,charts.chartId,"
            "conditionalFormats(ranges.sheetId,booleanRule.condition))"
        }
        raw = self._call(self.http.fetch_sheet_metadata, self.spreadsheet_id, params)
        self.title = raw.get("properties", {}).get("title", "")
        self._meta = {s["properties"]["title"]: s for s in raw.get("sheets", [])}
        self._guards = guard.read_guards(self._meta)
        self._locks = guard.read_locks(self._meta, self.run_id, datetime.now(timezone.utc))

    def locks(self) -> dict[str, str]:
        """Tabs locked by a sheetsync write, live or left behind: for ``check``."""
        out: dict[str, str] = {}
        for title, entry in self._meta.items():
            for prot in entry.get("protectedRanges", []):
                if guard.is_lock(prot):
                    out[title] = str(prot["description"])
        return out

    def protections(self) -> dict[str, str]:
        """What protects each tab, in words: for ``check``."""
        return {t: guard.protection_note(g, self.account) for t, g in self._guards.items()}

    def _sheet_id(self, title: str) -> int:
        return int(self._meta[title]["properties"].get("sheetId", 0))

    # --- reading ----------------------------------------------------------------------------

    def _read_sheets(self, titles: Sequence[str], fields: str = GRID_FIELDS) -> Json:
        if not titles:
            return {}
        return self._get([quoted(t) for t in titles], fields)

    def _get(self, ranges: Sequence[str], fields: str) -> Json:
        """One ``spreadsheets.get`` of ``ranges`` with grid data."""
        answer: Json = self._call(self._fetch, ranges, fields, False)
        return answer

    def _get_or_refused(self, ranges: Sequence[str], fields: str) -> Json | None:
        """``_get``, or None where Google refuses the request (400): a tail's rows
        that are no longer there (rows deleted since the metadata was read; Google
        refuses a range beyond the grid: "exceeds grid limits", pygsheets#528)."""
        answer: Json | None = self._call(self._fetch, ranges, fields, True)
        return answer

    def _fetch(self, ranges: Sequence[str], fields: str, refused_is_none: bool) -> Json | None:
        params: list[tuple[str, str]] = [("ranges", r) for r in ranges]
        params += [("includeGridData", "true"), ("fields", fields)]
        # a list of pairs, so that ``ranges`` repeats (gspread's type says a mapping)
        fetch: Any = self.http.fetch_sheet_metadata
        try:
            answer: Json = fetch(self.spreadsheet_id, params)
        except APIError as exc:
            if refused_is_none and exc.response.status_code == 400:
                return None
            raise
        return answer

    def _read_grids(self, titles: Sequence[str]) -> dict[str, Grid]:
        return grids_of(self._read_sheets(titles))

    def read(self, tabs: Sequence[str]) -> Snapshot:
        self._load_metadata()
        # each tab once: a range asked for twice comes back as two blocks of rows
        wanted = [t for t in dict.fromkeys([*tabs, LEDGER_TAB]) if t in self._meta]
        grids, notes = self._read_tabs(wanted)
        ledger = grids.get(LEDGER_TAB, [])[1:]
        self._grids = {t: grids[t] for t in tabs if t in grids}
        self._ready = True
        blocked = {
            title: line
            for title, g in self._guards.items()
            if (line := guard.blocked_line(g, self.account))
        }
        shown = self._with_results(self._grids)
        return Snapshot(True, list(self._meta), shown, ledger, blocked, notes)

    def _read_tabs(self, titles: Sequence[str]) -> tuple[dict[str, Grid], dict[str, Notes]]:
        """Every tab of ``titles`` in one request, History and the stage log by their
        tail where a copy of them is kept (``google_tail``), and those whose copy no
        longer matches read whole in a second one. The grids and notes are the same,
        cell for cell, as a read of every tab whole would give."""
        if not titles:
            return {}, {}
        copies: dict[str, tail.TabCopy] = {}
        now = time.time()
        for title in titles:
            if title in tail.APPEND_ONLY:
                copy, why = tail.load(self.spreadsheet_id, title, self._meta[title], now)
                if copy is None:
                    log.info("%s: read whole (%s)", title, why)
                else:
                    copies[title] = copy
        ranges = self._ranges(titles, copies)
        answer = (
            self._get_or_refused(ranges, READ_FIELDS) if copies else self._get(ranges, READ_FIELDS)
        )
        if answer is None:  # a tail Google would not give: every tab whole
            log.info("%s: read whole (Google refused its rows after the copy)", ", ".join(copies))
            copies = {}
            answer = self._get(self._ranges(titles, copies), READ_FIELDS)
        grids, notes = grids_of(answer), notes_of(answer)
        whole = [t for t in titles if t in tail.APPEND_ONLY and t in grids and t not in copies]
        again = []
        blocks = {
            e.get("properties", {}).get("title"): e.get("data", [])
            for e in answer.get("sheets", [])
        }
        for title, copy in copies.items():
            grids.pop(title, None)  # its blocks, which are not the tab from A1
            notes.pop(title, None)
            now_copy = tail.follow(copy, blocks.get(title, []))
            if now_copy is None:
                log.info("%s: read whole (its header or row %d changed)", title, copy.rows)
                again.append(title)
                continue
            added = now_copy.rows - copy.rows
            log.info("%s: %d rows read after the %d kept", title, added, copy.rows)
            grids[title] = now_copy.grid
            if now_copy.notes:
                notes[title] = dict(now_copy.notes)
            if now_copy is not copy:
                tail.save(now_copy)
        if again:
            second = self._read_sheets(again, READ_FIELDS)
            grids.update(grids_of(second))
            notes.update(notes_of(second))
            whole += again
        for title in whole:
            if title in grids:
                entry = self._meta[title]
                tail.full(self.spreadsheet_id, title, entry, grids[title], notes.get(title, {}))
        return grids, notes

    def _ranges(self, titles: Sequence[str], copies: dict[str, tail.TabCopy]) -> list[str]:
        """Each tab whole, or by its tail where its copy is kept."""
        out: list[str] = []
        for title in titles:
            if title in copies:
                parts = tail.tail_ranges(copies[title], self._meta[title])
                out += [f"{quoted(title)}!{part}" for part in parts]
            else:
                out.append(quoted(title))
        return out

    def _with_results(self, grids: dict[str, Grid]) -> dict[str, Grid]:
        """The grids with each formula's value as Google computed it: one more read,
        made only when a tab holds a formula (a person's, typically in a page)."""
        having = [t for t, g in grids.items() if cells.formula_cells(g)]
        if not having:
            return dict(grids)
        params: list[tuple[str, str]] = [("ranges", quoted(t)) for t in having]
        params += [("valueRenderOption", "UNFORMATTED_VALUE")]
        params += [("dateTimeRenderOption", "SERIAL_NUMBER"), ("majorDimension", "ROWS")]
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{self.spreadsheet_id}/values:batchGet"
        answer = self._call(self.http.request, "get", url, params=params).json()
        out = dict(grids)
        for title, found in zip(having, answer.get("valueRanges", []), strict=False):
            out[title] = cells.with_results(grids[title], found.get("values", []))
        return out

    # --- who may edit the file ---------------------------------------------------------------

    def access(self, people: Sequence[str]) -> Access:
        """Which of ``people`` cannot edit the spreadsheet (Drive permissions)."""
        try:
            return drive.access(self.http.request, self.spreadsheet_id, people)
        except (APIError, requests.RequestException, GoogleAuthError) as exc:
            return Access(unknown=str(explain(exc, self.spreadsheet_id, self.identity)))

    def share(self, people: Sequence[str], notify: bool) -> list[Shared]:
        """Share the spreadsheet, as an editor, with each of ``people`` who cannot edit it."""
        return list(self._call(drive.share, self.http.request, self.spreadsheet_id, people, notify))

    # --- writing ----------------------------------------------------------------------------

    def write(self, plan: WritePlan) -> None:
        if plan.empty:
            return
        if not self._ready:
            raise WorkbookError(f"{self.location}: internal: write without a read first")
        self._ready = False
        if self._locks.busy:
            raise WorkbookBusy(
                f"{self.location}: {self._locks.busy}; nothing was written, run again in a "
                "few minutes"
            )
        if not plan.changes_content and not self._protection_requests(plan):
            return  # every tab is protected as it should be
        self._refuse_blocked(plan)
        self._hold(plan)
        token = uuid.uuid4().hex[:12]
        body = self._body(plan, token)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._post(body, timeout=WRITE_TIMEOUT)
                self._locks.ours, self._locks.stale = {}, {}
                return
            except APIError as exc:
                if not 400 <= exc.response.status_code < 500:
                    failure: Exception = exc  # a 5xx: it may or may not have landed
                elif attempt > 1 and self._landed_or_none(token):
                    # sent again after an answer that never came, and refused because
                    # the first one landed meanwhile (its locks are gone)
                    self._locks.ours, self._locks.stale = {}, {}
                    return
                elif self._forget_missing_lock(exc):
                    body = self._body(plan, token)  # a dead run's lock a person removed
                    continue
                else:
                    raise self._refused(exc, body) from None
            except requests.RequestException as exc:
                failure = exc  # the answer was lost: it may or may not have landed
            except GoogleAuthError as exc:
                raise explain(exc, self.spreadsheet_id, self.identity) from None
            landed = self._landed_or_none(token)
            if landed is None:
                raise GoogleUnavailable(
                    f"{self.location}: the answer to the write was lost ({describe(failure)}) "
                    "and Google cannot be asked whether it landed; run the command again, "
                    "it picks up from what the spreadsheet holds"
                ) from None
            if landed:
                self._locks.ours, self._locks.stale = {}, {}
                return
            if attempt == WRITE_ATTEMPTS:
                raise GoogleUnavailable(
                    f"{self.location}: the write failed {attempt} times ({describe(failure)}); "
                    "nothing was written, run the command again"
                )
            RetryingHTTPClient.sleep(RetryingHTTPClient.policy.delay(attempt))

    def _body(self, plan: WritePlan, token: str) -> Json:
        body = {"requests": self._requests(plan, token)}
        size = len(encoded(body))
        if size > MAX_BODY:
            raise WorkbookError(
                f"{self.location}: this write would be {size / 2**20:.1f} MB, over the 10 MB "
                "Google accepts in one request; nothing was written. Split the team into "
                "smaller teams in the config (each with its own spreadsheet)"
            )
        return body

    def link(self, tab: str) -> str:
        gid = self._sheet_id(tab) if tab in self._meta else 0
        return f"{self.location}#gid={gid}"

    def record(self, rows: Grid) -> None:
        """An append to the ledger. Sending it twice only repeats a row, which
        readers of the ledger ignore, so it is retried on any failure."""
        if LEDGER_TAB not in self._meta:
            self._load_metadata()
        blocked = self._guards.get(LEDGER_TAB)
        line = guard.blocked_line(blocked, self.account) if blocked else None
        if line:
            raise WorkbookError(f"{line}; nothing was sent")
        ids = {t: self._sheet_id(t) for t in self._meta}
        body = {"requests": [self._append(LEDGER_TAB, ids, rows)]}
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._post(body)
                return
            except (APIError, requests.RequestException, GoogleAuthError) as exc:
                if isinstance(exc, APIError) and 400 <= exc.response.status_code < 500:
                    raise self._refused(exc, body) from None
                if attempt == WRITE_ATTEMPTS:
                    raise explain(exc, self.spreadsheet_id, self.identity) from None
            RetryingHTTPClient.sleep(RetryingHTTPClient.policy.delay(attempt))

    def _post(
        self, body: Json, fields: str | None = None, timeout: tuple[float, float] | None = None
    ) -> Json:
        """One ``spreadsheets.batchUpdate``, sent as compact JSON."""
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{self.spreadsheet_id}:batchUpdate"
        params = {"fields": fields} if fields else None
        headers = {"Content-Type": "application/json"}
        http = self.http
        before = http.timeout
        http.timeout = timeout or before
        try:
            response = http.request("post", url, params=params, data=encoded(body), headers=headers)
        finally:
            http.timeout = before
        answer: Json = response.json()
        return answer

    def _refused(self, exc: APIError, body: Json) -> SheetsyncError:
        """A 4xx for a write, in one line: the tab it concerns, where Google says."""
        text = str(exc.error.get("message", ""))
        if "already exists" in text:
            return ConcurrentEdit(
                f"{self.location}: a tab was added while sheetsync was running; nothing was "
                "written, run the command again"
            )
        if "protected cell" in text:
            title = self._tab_of_request(text, body)
            where = f"tab '{title}'" if title else "a tab of the spreadsheet"
            who = self.account or "the account in the token file"
            return WorkbookError(
                f"{where} is protected and {who} is not one of the people who may edit it "
                "(only the protection's editors and the spreadsheet's owner may); add "
                f"{who} to it in Data > Protect sheets and ranges, or remove it; nothing "
                "was written"
            )
        return explain(exc, self.spreadsheet_id, self.identity)

    def _tab_of_request(self, message: str, body: Json) -> str | None:
        """The tab the ``i``-th request of ``body`` works on, from Google's
        ``Invalid requests[i].kind: ...``."""
        m = _REQUEST_INDEX.search(message)
        requests_ = body.get("requests", [])
        if not m or int(m.group(1)) >= len(requests_):
            return None
        text = json.dumps(requests_[int(m.group(1))])
        found = re.search(r'"sheetId": (\d+)', text)
        if found is None:
            return None
        by_id = {self._sheet_id(t): t for t in self._meta}
        return by_id.get(int(found.group(1)))

    def _forget_missing_lock(self, exc: APIError) -> bool:
        """The write named a lock that is gone. A dead run's lock a person removed:
        write without it. This run's own lock a person removed: the tab may have
        changed, so plan again (``ConcurrentEdit``)."""
        m = _MISSING_PROTECTION.search(str(exc.error.get("message", "")))
        if not m:
            return False
        gone = int(m.group(1))
        if gone in self._locks.stale:
            del self._locks.stale[gone]
            return True
        for title, lock_id in list(self._locks.ours.items()):
            if lock_id == gone:
                del self._locks.ours[title]
                raise ConcurrentEdit(
                    f"'{title}': the lock sheetsync put on it was removed while it ran; "
                    "nothing was written",
                    (title,),
                )
        return False

    def _refuse_blocked(self, plan: WritePlan) -> None:
        """A tab this write would change, protected against sheetsync: one line,
        before anything is sent."""
        touched = [was for was, _ in plan.rename] + [layout.title for layout in plan.replace]
        touched += [edit.title for edit in plan.edit]
        if plan.history:
            touched.append(HISTORY_TAB)
        if plan.stages:
            touched.append(STAGE_LOG_TAB)
        touched.append(LEDGER_TAB)
        for title in touched:
            line = (
                guard.blocked_line(self._guards[title], self.account)
                if (title in self._guards)
                else None
            )
            if line:
                raise WorkbookError(f"{line}; nothing was written")

    def _hold(self, plan: WritePlan) -> None:
        """People win. Lock the tabs about to be overwritten, and the ledger (a
        protected range only this account may edit) and, in the same request, read
        the overwritten ones back: an edit made before the lock shows in what comes
        back, and one after it is refused by Google, so none is lost. The write
        removes the locks; that it removes them also keeps a write sent twice from
        landing twice."""
        changing = [layout.title for layout in plan.replace] + [e.title for e in plan.edit]
        titles = [t for t in changing if t in self._grids and t not in self._locks.ours]
        locked = titles + (
            [LEDGER_TAB]
            if LEDGER_TAB in self._guards and LEDGER_TAB not in self._locks.ours
            else []
        )
        if not locked:
            return
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        note = f"{LOCK_NOTE} {self.run_id} {at} (a sheetsync write in progress)"
        taken = guard.protection_ids(self._meta)
        ids: dict[str, int] = {}
        for t in locked:
            ids[t] = guard.lock_id(self.run_id, t, taken)
            taken.add(ids[t])
        body: Json = {
            "requests": [
                guard.lock_request(self._guards[t], note, self.account, ids[t]) for t in locked
            ]
        }
        lock_ids = "replies.addProtectedRange.protectedRange.protectedRangeId"
        fields = lock_ids
        if titles:
            body["includeSpreadsheetInResponse"] = True
            body["responseRanges"] = [quoted(t) for t in titles]
            body["responseIncludeGridData"] = True
            fields += f",updatedSpreadsheet.{GRID_FIELDS}"
        try:
            answer = self._post(body, fields)
        except (APIError, requests.RequestException) as exc:
            if isinstance(exc, APIError) and 400 <= exc.response.status_code < 500:
                # Google refuses an id that exists (Sheets reference); its words for
                # that are not documented, so the id itself is looked for too
                text = str(exc.error.get("message", ""))
                if "already exists" not in text and not any(str(i) in text for i in ids.values()):
                    raise self._refused(exc, body) from None
            # unknown whether the locks landed, or an earlier try landed meanwhile (its
            # ids exist): read again, and take up the locks that are there
            raise ConcurrentEdit(
                f"{self.location}: locking the tabs failed ({describe(exc)})"
            ) from None
        for title, reply in zip(locked, answer.get("replies", []), strict=False):
            self._locks.ours[title] = int(
                reply["addProtectedRange"]["protectedRange"]["protectedRangeId"]
            )
        if titles:
            self._refuse_changed(titles, grids_of(answer.get("updatedSpreadsheet", {})))

    def _refuse_changed(self, titles: Sequence[str], now: dict[str, Grid]) -> None:
        """``ConcurrentEdit`` naming each tab whose values differ from our read."""
        changed = tuple(t for t in titles if now.get(t) != self._grids[t])
        if changed:
            raise ConcurrentEdit(
                f"{', '.join(repr(t) for t in changed)} changed while sheetsync was running; "
                "nothing was written",
                changed,
            )

    def _landed_or_none(self, token: str) -> bool | None:
        """Did the write with this id land? Its ``write`` row in the ledger says so
        (the ledger may itself have been created by that write). None: Google
        cannot be asked."""
        try:
            ledger = self._read_grids([LEDGER_TAB]).get(LEDGER_TAB, [])
        except WorkbookError as exc:
            if "Unable to parse range" in str(exc):
                return False  # no ledger tab: the write that creates it did not land
            return None
        except SheetsyncError:
            return None
        return any(row and row[0] == "write" and str(row[-1]).endswith(token) for row in ledger)

    def _requests(self, plan: WritePlan, token: str) -> list[Json]:
        taken = {self._sheet_id(t) for t in self._meta}
        ids = {t: self._sheet_id(t) for t in self._meta}
        out: list[Json] = []
        for was, title in plan.rename:  # Google moves references to the tab along
            if was in ids:
                props = {"sheetId": ids[was], "title": title}
                out.append({"updateSheetProperties": {"properties": props, "fields": "title"}})
                ids = {title if t == was else t: i for t, i in ids.items()}  # in order
        for layout in plan.create:
            if layout.title not in ids:
                out += self._add(layout, ids, taken)
        for layout in plan.replace:
            if layout.title in ids:
                out += self._replace(layout, ids[layout.title])
            else:
                out += self._add(layout, ids, taken)
        for edit in plan.edit:
            if edit.title in ids:
                out += self._edit(edit, ids[edit.title])
        out += self._protection_requests(plan)
        if plan.history_columns and HISTORY_TAB in ids:
            for col, title in plan.history_columns:
                out.append(
                    {
                        "updateCells": {
                            "start": {
                                "sheetId": ids[HISTORY_TAB],
                                "rowIndex": 0,
                                "columnIndex": col - 1,
                            },
                            "rows": [cells.row_data([cells.cell_data(title)])],
                            "fields": "userEnteredValue",
                        }
                    }
                )
        if plan.history:
            out.append(self._append(HISTORY_TAB, ids, plan.history))
        if plan.stages:
            out.append(self._append(STAGE_LOG_TAB, ids, plan.stages))
        ledger = list(plan.ledger)
        at = next((str(row[3]) for row in ledger if len(row) > 3), "")
        ledger.append(["write", "", "", at, f"{len(out)} changes; id {token}"])
        out.append(self._append(LEDGER_TAB, ids, ledger))
        locks = [*self._locks.ours.values(), *self._locks.stale]
        out += [guard.unlock_request(i) for i in locks]
        return out

    def _protection_requests(self, plan: WritePlan) -> list[Json]:
        """sheetsync's protection put back on its existing tabs that lost it (not on
        a tab protected against sheetsync: that one is a person's to open)."""
        out: list[Json] = []
        for layout in plan.protect:
            tab = self._guards.get(layout.title)
            if tab is not None and not tab.refusing:
                out += guard.protect_requests(
                    tab, tab.sheet_id, layout.editors, self.account, add_missing=True
                )
        return out

    def _add(self, layout: SheetLayout, ids: dict[str, int], taken: set[int]) -> list[Json]:
        """A new tab, placed where its kind goes (``place_tab``: Team first, a rep's
        page among the pages, History, then the ledger); ``ids`` lists the tabs in
        their order, the ones this write adds included."""
        sheet_id = stable_sheet_id(layout.title, taken)
        taken.add(sheet_id)
        order = list(ids)
        at = place_tab(layout.kind, [tab_kind(t) for t in order])
        order.insert(at, layout.title)
        moved = {t: ids.get(t, sheet_id) for t in order}
        ids.clear()
        ids.update(moved)
        props = cells.sheet_properties(sheet_id, layout, at)
        out: list[Json] = [{"addSheet": {"properties": props}}]
        out += cells.content_requests(sheet_id, layout, clear=False)
        out += [cells.chart_request(sheet_id, c) for c in layout.charts]
        out += guard.protect_requests(None, sheet_id, layout.editors, self.account, True)
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
        if layout.tab_color:
            fields += ",tabColorStyle"
        props.pop("title")
        props.pop("hidden", None)  # whether a tab shows is the people's choice
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
        out += guard.protect_requests(
            self._guards.get(layout.title), sheet_id, layout.editors, self.account, False
        )
        return out

    def _edit(self, edit: PageEdit, sheet_id: int) -> list[Json]:
        """A page changed in place (``google_cells.edit_requests``), its protection's
        editors kept up to date, and sheetsync's colour rules set again."""
        entry = self._meta[edit.title]
        out = cells.edit_requests(sheet_id, edit)
        if edit.highlights is not None:
            rules = entry.get("conditionalFormats", [])
            out += cells.highlight_requests(sheet_id, rules, edit.highlights)
        out += guard.protect_requests(
            self._guards.get(edit.title), sheet_id, edit.editors, self.account, False
        )
        return out

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

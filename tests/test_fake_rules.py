"""The real API's rules, taught to the fake: each test says where the rule comes
from (a recording in ``../shared/google-recordings``, the facts its README lists,
Google's reference, a public issue), and drives the fake over HTTP as a client
would, as an account with a token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from tests.fakes.sheets_api import FakeSheetsApi

SID = "1RulesSpreadsheet"
OWNER = "owner@example.com"
SA = "bot@project.iam.gserviceaccount.com"
DANA = "dana@example.com"
ALICE = "alice@example.com"
STRANGER = "eve@elsewhere.com"
BASE = f"https://sheets.googleapis.com/v4/spreadsheets/{SID}"
DRIVE = f"https://www.googleapis.com/drive/v3/files/{SID}"
SCOPE = "https://www.googleapis.com/auth/"


@pytest.fixture
def api() -> Iterator[FakeSheetsApi]:
    fake = FakeSheetsApi()
    book = fake.create(SID, tabs=("Sheet1", "Page"), owner=OWNER)
    for who in (SA, DANA, ALICE):
        book.share(who, "writer")
    for who in (OWNER, SA, DANA, ALICE, STRANGER):
        fake.tokens[f"token-{who}"] = who
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield fake


def call(who: str, method: str, url: str, body: Any = None, **params: str) -> tuple[int, Any]:
    answer = requests.request(
        method,
        url,
        params=params or None,
        data=json.dumps(body) if body is not None else None,
        headers={"Authorization": f"Bearer token-{who}", "Content-Type": "application/json"},
        timeout=5,
    )
    return answer.status_code, (answer.json() if answer.content else None)


def batch(who: str, *reqs: dict[str, Any]) -> tuple[int, Any]:
    return call(who, "POST", f"{BASE}:batchUpdate", {"requests": list(reqs)})


def protect(sheet_id: int, **extra: Any) -> dict[str, Any]:
    rng = {"sheetId": sheet_id, **extra.pop("bounds", {})}
    return {"addProtectedRange": {"protectedRange": {"range": rng, **extra}}}


def page_id(api: FakeSheetsApi) -> int:
    return api.books[SID].sheet(title="Page").sheet_id


def cell(sheet_id: int, row: int, value: str) -> dict[str, Any]:
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": 0},
            "rows": [{"values": [{"userEnteredValue": {"stringValue": value}}]}],
            "fields": "userEnteredValue",
        }
    }


def test_a_tab_holds_one_sheet_protection_and_bounded_ranges_overlap(api: FakeSheetsApi) -> None:
    """Recordings README; google-api-python-client#1064 quotes the message."""
    sid = page_id(api)
    assert batch(SA, protect(sid, editors={"users": [SA]}))[0] == 200
    status, body = batch(SA, protect(sid))
    assert status == 400
    assert body["error"]["message"] == (
        'Invalid requests[0].addProtectedRange: Sheet "Page" already has sheet protection.'
    )
    whole_grid = {"startRowIndex": 0, "endRowIndex": 1000, "startColumnIndex": 0}
    status, _ = batch(SA, protect(sid, bounds=whole_grid), protect(sid, bounds=whole_grid))
    assert status == 200 and len(api.books[SID].protected) == 3


def test_the_owner_and_the_requester_are_always_editors(api: FakeSheetsApi) -> None:
    """Recordings README; ``test_add_protected_range_normal`` lists the requester
    in the GET though the request named no one; the reply shows ``editors: {}``."""
    status, body = batch(DANA, protect(page_id(api), editors={"users": [], "groups": []}))
    assert status == 200
    reply = body["replies"][0]["addProtectedRange"]["protectedRange"]
    assert reply["editors"] == {} and reply["requestingUserCanEdit"] is True
    pid = reply["protectedRangeId"]
    assert "sheetId" in reply["range"]  # a sheet id that is not 0 is shown
    stored = api.books[SID].protected[0]
    assert stored["editors"]["users"] == [OWNER, DANA]
    update = {
        "updateProtectedRange": {
            "protectedRange": {"protectedRangeId": pid, "editors": {"users": [ALICE]}},
            "fields": "editors",
        }
    }
    assert batch(DANA, update)[0] == 200
    assert sorted(api.books[SID].protected[0]["editors"]["users"]) == sorted([ALICE, OWNER, DANA])


def test_editors_are_shown_only_to_those_who_may_edit(api: FakeSheetsApi) -> None:
    """Sheets reference, ProtectedRange.editors and requestingUserCanEdit."""
    batch(DANA, protect(page_id(api), description="manager only", editors={"users": [DANA]}))
    fields = "sheets.protectedRanges"
    _, mine = call(DANA, "GET", BASE, fields=fields)
    _, theirs = call(SA, "GET", BASE, fields=fields)
    seen_by_dana = mine["sheets"][1]["protectedRanges"][0]
    seen_by_bot = theirs["sheets"][1]["protectedRanges"][0]
    assert seen_by_dana["requestingUserCanEdit"] is True
    assert set(seen_by_dana["editors"]["users"]) == {DANA, OWNER}
    assert "editors" not in seen_by_bot and "requestingUserCanEdit" not in seen_by_bot
    assert seen_by_bot["description"] == "manager only"


def test_a_change_to_a_protected_cell_is_400_and_the_batch_applies_nothing(
    api: FakeSheetsApi,
) -> None:
    """Recordings README: 400 "You are trying to edit a protected cell or object",
    not 403; a batchUpdate is all or nothing (Sheets reference)."""
    sid = page_id(api)
    rows = {"startRowIndex": 5, "endRowIndex": 6, "startColumnIndex": 0, "endColumnIndex": 2}
    batch(DANA, protect(sid, bounds=rows, editors={"users": [DANA]}))
    status, body = batch(SA, cell(sid, 0, "fine"), cell(sid, 5, "not here"))
    assert status == 400
    assert body["error"]["message"].startswith(
        "Invalid requests[1].updateCells: You are trying to edit a protected cell or object."
    )
    assert api.grid(SID, "Page") == []  # the first request was not applied either
    assert batch(SA, cell(sid, 6, "below the range"))[0] == 200
    status, body = call(
        SA, "PUT", f"{BASE}/values/Page!A6", {"values": [["x"]]}, valueInputOption="RAW"
    )
    assert status == 400 and "protected cell" in body["error"]["message"]
    assert batch(OWNER, cell(sid, 5, "the owner can"))[0] == 200


def test_hiding_the_last_visible_tab_is_refused(api: FakeSheetsApi) -> None:
    """Recordings README: 400 "You can't hide all the sheets in a document."."""

    def hide(sheet_id: int) -> dict[str, Any]:
        return {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "hidden": True},
                "fields": "hidden",
            }
        }

    assert batch(SA, hide(page_id(api)))[0] == 200
    status, body = batch(SA, hide(0))
    assert status == 400 and "You can't hide all the sheets in a document." in str(body)
    assert not api.books[SID].sheet(title="Sheet1").hidden


def test_a_protection_editor_without_access_to_the_file_can_do_nothing(
    api: FakeSheetsApi,
) -> None:
    """Recordings README: a protection's editors need the file shared with them."""
    batch(DANA, protect(page_id(api), editors={"users": [DANA, STRANGER]}))
    status, body = call(STRANGER, "GET", BASE)
    assert status == 403 and body["error"]["message"] == "The caller does not have permission"
    with pytest.raises(PermissionError, match="not shared"):
        api.type(SID, "Page", 1, 1, "hello", who=STRANGER)
    api.books[SID].share(STRANGER, "reader")
    assert call(STRANGER, "GET", BASE)[0] == 200
    assert batch(STRANGER, cell(0, 0, "x"))[0] == 403  # a reader changes nothing
    api.books[SID].share(STRANGER, "writer")
    api.type(SID, "Page", 1, 1, "hello", who=STRANGER)


def test_in_a_domain_a_protection_stays_open_to_the_domain_unless_said_otherwise(
    api: FakeSheetsApi,
) -> None:
    """gspread pull request 1273 (recordings README: reported, not confirmed)."""
    book = api.books[SID]
    book.domain = "example.com"
    book.share("example.com", "writer", kind="domain")
    batch(DANA, protect(page_id(api), editors={"users": [DANA]}))
    api.type(SID, "Page", 1, 1, "alice, through the domain", who=ALICE)
    book = api.books[SID]
    book.protected.clear()
    batch(DANA, protect(page_id(api), editors={"users": [DANA], "domainUsersCanEdit": False}))
    with pytest.raises(PermissionError):
        api.type(SID, "Page", 1, 1, "alice again", who=ALICE)


def test_a_body_over_10_mb_is_refused(api: FakeSheetsApi) -> None:
    """Recordings README: 400 "Request payload size exceeds the limit"."""
    big = cell(0, 0, "x" * 40_000)
    status, body = batch(SA, *([big] * 270))
    assert status == 400 and "Request payload size exceeds the limit" in body["error"]["message"]


def test_unknown_ids_and_warning_only_editors_are_refused(api: FakeSheetsApi) -> None:
    """google-api-python-client#1064 (unknown id); gspread#1437 (warning only)."""
    status, body = batch(SA, {"deleteProtectedRange": {"protectedRangeId": 2092627652}})
    assert status == 400 and "No protected range with id: 2092627652" in body["error"]["message"]
    status, body = batch(SA, protect(page_id(api), warningOnly=True, editors={"users": [DANA]}))
    assert status == 400 and "warningOnly" in body["error"]["message"]


def test_rows_inserted_and_deleted_move_cells_and_protections(api: FakeSheetsApi) -> None:
    """Sheets reference, InsertDimensionRequest and DeleteDimensionRequest: what is
    below moves; a protected range grows with rows inserted inside it."""
    sid = page_id(api)
    for row, text in enumerate(["a", "b", "c"]):
        batch(SA, cell(sid, row, text))
    rows = {"startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 1}
    batch(SA, protect(sid, bounds=rows, editors={"users": [SA]}))
    insert = {
        "insertDimension": {
            "range": {"sheetId": sid, "dimension": "ROWS", "startIndex": 2, "endIndex": 4},
            "inheritFromBefore": True,
        }
    }
    assert batch(SA, insert)[0] == 200
    assert api.grid(SID, "Page") == [["a"], ["b"], [], [], ["c"]]
    rng = api.books[SID].protected[0]["range"]
    assert (rng["startRowIndex"], rng["endRowIndex"]) == (1, 5)
    delete = {
        "deleteDimension": {
            "range": {"sheetId": sid, "dimension": "ROWS", "startIndex": 0, "endIndex": 1}
        }
    }
    assert batch(DANA, delete)[0] == 200  # row 1 is not protected
    rng = api.books[SID].protected[0]["range"]
    assert (rng["startRowIndex"], rng["endRowIndex"]) == (0, 4)
    assert api.grid(SID, "Page") == [["b"], [], [], ["c"]]
    assert batch(DANA, delete)[0] == 400  # now row 1 is


# --- Drive -------------------------------------------------------------------------------


def test_who_has_access_is_listed_by_the_owner_or_an_editor_allowed_to_share(
    api: FakeSheetsApi,
) -> None:
    """Drive reference (permissions.list: kind, id, type, role by default;
    google-api-python-client#2406); only owners and, where allowed, writers list
    and change permissions (Drive's "Share files" guide)."""
    status, body = call(SA, "GET", f"{DRIVE}/permissions")
    assert status == 200
    assert {tuple(sorted(p)) for p in body["permissions"]} == {("id", "kind", "role", "type")}
    status, body = call(SA, "GET", f"{DRIVE}/permissions", fields="permissions(emailAddress,role)")
    assert {p["emailAddress"]: p["role"] for p in body["permissions"]} == {
        OWNER: "owner",
        SA: "writer",
        DANA: "writer",
        ALICE: "writer",
    }
    api.books[SID].writers_can_share = False
    status, body = call(SA, "GET", f"{DRIVE}/permissions")
    assert status == 403 and body["error"]["errors"][0]["reason"] == "insufficientFilePermissions"
    assert call(OWNER, "GET", f"{DRIVE}/permissions")[0] == 200


def test_scopes_decide_what_a_token_reaches(api: FakeSheetsApi) -> None:
    """Drive's discovery document gives each method's scopes; ``drive.file`` reaches
    only files the app created (Google's "Choose scopes"; google_workspace_mcp#1027);
    a missing scope is 403 "insufficient authentication scopes"."""
    api.token_scopes["token-" + SA] = {SCOPE + "spreadsheets"}
    status, body = call(SA, "GET", f"{DRIVE}/permissions")
    assert status == 403
    assert body["error"]["message"] == "Request had insufficient authentication scopes."
    api.token_scopes["token-" + SA] = {SCOPE + "spreadsheets", SCOPE + "drive.file"}
    status, body = call(SA, "GET", f"{DRIVE}/permissions")
    assert status == 404 and body["error"]["message"] == f"File not found: {SID}."
    api.token_scopes["token-" + SA] = {SCOPE + "drive.metadata.readonly"}
    assert call(SA, "GET", f"{DRIVE}/permissions")[0] == 200
    body_ = {"type": "user", "role": "writer", "emailAddress": STRANGER}
    assert call(SA, "POST", f"{DRIVE}/permissions", body_)[0] == 403  # listing is not sharing
    api.token_scopes["token-" + SA] = {SCOPE + "spreadsheets"}
    assert call(SA, "GET", BASE)[0] == 200


def test_sharing_without_notification_needs_a_google_account(api: FakeSheetsApi) -> None:
    """Drive reference (sendNotificationEmail defaults to true) and GAM's wiki: an
    address with no Google account cannot be shared with silently."""
    api.drive.no_google_account.add(STRANGER)
    body = {"type": "user", "role": "writer", "emailAddress": STRANGER}
    status, answer = call(SA, "POST", f"{DRIVE}/permissions", body, sendNotificationEmail="false")
    assert status == 400 and answer["error"]["errors"][0]["reason"] == "invalidSharingRequest"
    assert "Notify people" in answer["error"]["message"]
    status, answer = call(SA, "POST", f"{DRIVE}/permissions", body)
    assert status == 200 and answer["role"] == "writer" and "emailAddress" not in answer
    assert api.drive.notified == [(STRANGER, SID)]
    status, answer = call(SA, "POST", f"{DRIVE}/permissions", body, sendNotification="false")
    assert status == 400 and "unknown query parameter" in answer["error"]["message"]

"""The Drive v3 calls sheetsync makes, on the fake's spreadsheets: who has access
(``permissions.list``), sharing (``permissions.create``, ``permissions.update``)
and the file's own record (``files.get``).

Every query and body is checked against Google's Drive v3 discovery document,
and each method's scopes come from it. The rules, with their evidence:
- ``drive.file`` reaches only files the app created or a person opened with it;
  a file merely shared with a service account is "File not found" under it
  (Google's "Choose scopes" page; taylorwilsdon/google_workspace_mcp#1027).
- Only the owner, or a writer when the owner lets writers share
  (``writersCanShare``), may list or change permissions; others get 403
  ``insufficientFilePermissions`` (Drive's "Share files" guide;
  oomol-lab/open-connector#556).
- ``permissions.list`` answers ``kind, id, type, role`` unless ``fields`` asks for
  more (google-api-python-client#2406).
- ``sendNotificationEmail`` defaults to true; an address with no Google account
  cannot be shared with without it: 400 ``invalidSharingRequest`` (discovery
  document; GAM's wiki).
- A missing scope is 403 "Request had insufficient authentication scopes."
  (GoogleCloudPlatform/genai-for-marketing#45).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.discovery import Discovery
from tests.fakes.fieldmask import apply_mask, parse_mask
from tests.fakes.sheets_model import ROLE_RANK, ApiError, Spreadsheet

if TYPE_CHECKING:
    from tests.fakes.sheets_api import FakeSheetsApi

Json = dict[str, Any]
DRIVE = "https://www.googleapis.com/drive/v3"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
DEFAULT_PERMISSION_FIELDS = ("kind", "id", "type", "role")


def drive_error(code: int, reason: str, message: str, **where: str) -> ApiError:
    error: Json = {"domain": "global", "reason": reason, "message": message}
    if where:
        error.update({"locationType": "parameter", **where})
    return ApiError(code, "", message, {"errors": [error]})


def not_found(file_id: str) -> ApiError:
    return drive_error(404, "notFound", f"File not found: {file_id}.", location="fileId")


class DriveApi:
    def __init__(self, api: FakeSheetsApi) -> None:
        self.api = api
        self.discovery = Discovery(name="drive.v3")
        self.no_google_account: set[str] = set()  # addresses with no Google account
        self.notified: list[tuple[str, str]] = []  # (address, file id): invitation mails sent
        self.created_by_app: set[str] = set()  # file ids drive.file reaches

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Json]:
        parts = path.removeprefix("/drive/v3/").split("/")
        if parts[0] != "files" or len(parts) < 2:
            raise ApiError(404, "NOT_FOUND", f"the fake has no Drive {method} {path}")
        file_id = parts[1]
        if len(parts) == 2 and method == "GET":
            return 200, self.files_get(file_id, query)
        if len(parts) == 3 and parts[2] == "permissions" and method == "GET":
            return 200, self.permissions_list(file_id, query)
        if len(parts) == 3 and parts[2] == "permissions" and method == "POST":
            return 200, self.permissions_create(file_id, query, body)
        if len(parts) == 4 and parts[2] == "permissions" and method == "PATCH":
            return 200, self.permissions_update(file_id, parts[3], query, body)
        raise ApiError(404, "NOT_FOUND", f"the fake has no Drive {method} {path}")

    # --- access ---------------------------------------------------------------------------

    def _check(self, method_id: str, query: dict[str, list[str]], body: Any = None) -> None:
        self.discovery.check_query(method_id, query)
        if body is not None or self.discovery.methods[method_id].get("request"):
            self.discovery.check_body(method_id, body)
        scopes = self.api.scopes
        allowed = set(self.discovery.methods[method_id].get("scopes", []))
        if scopes is not None and not scopes & allowed:
            from tests.fakes.sheets_api import insufficient_scopes

            raise insufficient_scopes("drive.googleapis.com")

    def _file(self, file_id: str) -> Spreadsheet:
        book = self.api.books.get(file_id)
        who = self.api.caller
        if book is None or not book.can_open(who):
            raise not_found(file_id)
        scopes = self.api.scopes
        only_file_scope = scopes is not None and not any(
            s.rsplit("/", 1)[-1] != "drive.file" for s in scopes if "/auth/drive" in s
        )
        if only_file_scope and file_id not in self.created_by_app:
            raise not_found(file_id)
        return book

    def _may_share(self, book: Spreadsheet) -> None:
        role = book.role_of(self.api.caller)
        if role == "owner" or (role == "writer" and book.writers_can_share):
            return
        raise drive_error(
            403,
            "insufficientFilePermissions",
            "The user does not have sufficient permissions for this file.",
        )

    @staticmethod
    def _fields(out: Json, query: dict[str, list[str]], default: tuple[str, ...]) -> Json:
        if "fields" not in query:
            return {k: v for k, v in out.items() if k in default}
        return dict(apply_mask(out, parse_mask(query["fields"][0])))

    # --- files ----------------------------------------------------------------------------

    def files_get(self, file_id: str, query: dict[str, list[str]]) -> Json:
        self._check("drive.files.get", query)
        book = self._file(file_id)
        role = book.role_of(self.api.caller)
        out: Json = {
            "kind": "drive#file",
            "id": file_id,
            "name": book.title,
            "mimeType": SPREADSHEET,
            "owners": [{"kind": "drive#user", "emailAddress": book.owner, "me": False}],
            "writersCanShare": book.writers_can_share,
            "capabilities": {
                "canEdit": book.can_change(self.api.caller),
                "canShare": role == "owner" or (role == "writer" and book.writers_can_share),
            },
        }
        return self._fields(out, query, ("kind", "id", "name", "mimeType"))

    # --- permissions ----------------------------------------------------------------------

    def permissions_list(self, file_id: str, query: dict[str, list[str]]) -> Json:
        self._check("drive.permissions.list", query)
        book = self._file(file_id)
        self._may_share(book)
        size = min(int(query.get("pageSize", ["100"])[0]), 100)
        start = int(query.get("pageToken", ["0"])[0] or 0)
        chunk = book.permissions[start : start + size]
        shown = [self._permission_view(p) for p in chunk]
        out: Json = {"kind": "drive#permissionList", "permissions": shown}
        if start + size < len(book.permissions):
            out["nextPageToken"] = str(start + size)
        if "fields" in query:
            return dict(apply_mask(out, parse_mask(query["fields"][0])))
        out["permissions"] = [
            {k: v for k, v in p.items() if k in DEFAULT_PERMISSION_FIELDS} for p in shown
        ]
        return out

    @staticmethod
    def _permission_view(p: Json) -> Json:
        out = dict(p)
        if p["type"] in ("user", "group"):
            out["displayName"] = p["emailAddress"].split("@")[0]
        return out

    def permissions_create(self, file_id: str, query: dict[str, list[str]], body: Any) -> Json:
        self._check("drive.permissions.create", query, body)
        book = self._file(file_id)
        self._may_share(book)
        kind, role = body.get("type"), body.get("role")
        if kind not in ("user", "group", "domain", "anyone") or role not in ROLE_RANK:
            raise drive_error(400, "invalid", "Invalid permission type or role.")
        if role == "owner":
            raise drive_error(403, "forbidden", "The fake does not transfer ownership.")
        who = body.get("emailAddress") if kind in ("user", "group") else body.get("domain")
        if kind in ("user", "group", "domain") and not who:
            raise drive_error(
                400, "required", "Permission type requires an emailAddress or domain."
            )
        notify = query.get("sendNotificationEmail", ["true"])[0] == "true"
        if kind in ("user", "group") and who in self.no_google_account and not notify:
            message = (
                f'Bad Request. User message: "You are trying to invite {who}. Since there is '
                "no Google account associated with this email address, you must check the "
                '"Notify people" box to invite this recipient."'
            )
            raise drive_error(400, "invalidSharingRequest", message)
        entry = book.share(who or "", role, kind)
        if notify and kind in ("user", "group"):
            self.notified.append((str(who), file_id))
        return self._fields(self._permission_view(entry), query, DEFAULT_PERMISSION_FIELDS)

    def permissions_update(
        self, file_id: str, permission_id: str, query: dict[str, list[str]], body: Any
    ) -> Json:
        self._check("drive.permissions.update", query, body)
        book = self._file(file_id)
        self._may_share(book)
        for p in book.permissions:
            if p["id"] == permission_id:
                if p["role"] == "owner":
                    raise drive_error(403, "forbidden", "The owner's role cannot be changed.")
                if body.get("role") in ROLE_RANK:
                    p["role"] = body["role"]
                return self._fields(self._permission_view(p), query, DEFAULT_PERMISSION_FIELDS)
        raise drive_error(
            404, "notFound", f"Permission not found: {permission_id}.", location="permissionId"
        )

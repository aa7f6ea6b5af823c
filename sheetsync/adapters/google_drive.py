"""Who may edit the spreadsheet, and sharing it: Drive v3 permissions.

Protection is not access: a protection's editors can do nothing until the file
is shared with them (as writers). ``check`` lists the people of the team who
cannot edit the file; ``init --share`` shares it with them. Listing needs the
``drive.metadata.readonly`` scope and sharing the ``drive`` scope (Drive's
narrower ``drive.file`` reaches only files the app created, and the spreadsheet
was made by a person); both are asked for only by the commands that use them.
Only the owner, or an editor when the owner lets editors share, may list and
change who has access.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gspread.exceptions import APIError

from sheetsync.domain.access import Access, Shared

Json = dict[str, Any]
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
LIST_SCOPE = "https://www.googleapis.com/auth/drive.metadata.readonly"
SHARE_SCOPE = "https://www.googleapis.com/auth/drive"
FIELDS = "nextPageToken,permissions(id,type,role,emailAddress,domain)"
EDIT_ROLES = frozenset({"owner", "organizer", "fileOrganizer", "writer"})
ROLE_WORDS = {"reader": "can only view it", "commenter": "can only comment on it"}

Request = Callable[..., Any]  # the HTTP client's request(method, url, params=, json=)


@dataclass(frozen=True)
class Grant:
    role: str
    permission_id: str | None  # the person's own permission, if they have one
    through: str  # "" for their own; else "domain example.com", "anyone", "group g@x"


def permissions(request: Request, file_id: str) -> list[Json]:
    """Every permission of the file, page by page."""
    out: list[Json] = []
    token: str | None = None
    while True:
        params: dict[str, str] = {"fields": FIELDS, "pageSize": "100", "supportsAllDrives": "true"}
        if token:
            params["pageToken"] = token
        answer = request("get", f"{DRIVE_FILES}/{file_id}/permissions", params=params).json()
        out += answer.get("permissions", [])
        token = answer.get("nextPageToken")
        if not token:
            return out


def grant_of(perms: Sequence[Json], email: str) -> Grant | None:
    """The best access ``email`` has: their own permission, their domain's, or
    anyone's with the link. A group's members are not visible: such a grant is
    returned as ``group``, and only when nothing better applies."""
    email = email.casefold()
    domain = email.rpartition("@")[2]
    best: Grant | None = None
    rank = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 3, "organizer": 3}
    rank["owner"] = 4
    for p in perms:
        kind, role = p.get("type"), str(p.get("role", "reader"))
        if kind == "user" and str(p.get("emailAddress", "")).casefold() == email:
            grant = Grant(role, str(p.get("id")), "")
        elif kind == "domain" and str(p.get("domain", "")).casefold() == domain:
            grant = Grant(role, None, f"domain {domain}")
        elif kind == "anyone":
            grant = Grant(role, None, "anyone with the link")
        else:
            continue
        if best is None or rank.get(role, 0) > rank.get(best.role, 0):
            best = grant
    return best


def access(request: Request, file_id: str, people: Sequence[str]) -> Access:
    perms = permissions(request, file_id)
    groups = sorted(str(p.get("emailAddress")) for p in perms if p.get("type") == "group")
    cannot: dict[str, str] = {}
    for email in people:
        grant = grant_of(perms, email)
        if grant is None:
            cannot[email] = "it is not shared with them"
        elif grant.role not in EDIT_ROLES:
            how = f" (through {grant.through})" if grant.through else ""
            cannot[email] = f"they {ROLE_WORDS.get(grant.role, 'cannot edit it')}{how}"
    return Access(cannot_edit=cannot, groups=groups)


def share(request: Request, file_id: str, people: Sequence[str], notify: bool) -> list[Shared]:
    """Give each person who cannot edit the file a writer's permission; those who
    can are left as they are. No invitation mail unless ``notify``."""
    perms = permissions(request, file_id)
    out: list[Shared] = []
    for email in people:
        grant = grant_of(perms, email)
        if grant is not None and grant.role in EDIT_ROLES:
            continue
        try:
            if grant is not None and grant.permission_id:
                request(
                    "patch",
                    f"{DRIVE_FILES}/{file_id}/permissions/{grant.permission_id}",
                    params={"supportsAllDrives": "true", "fields": "id,role"},
                    json={"role": "writer"},
                )
                out.append(Shared(email, "upgraded", f"from {grant.role} to editor"))
            else:
                request(
                    "post",
                    f"{DRIVE_FILES}/{file_id}/permissions",
                    params={
                        "supportsAllDrives": "true",
                        "sendNotificationEmail": "true" if notify else "false",
                        "fields": "id,role",
                    },
                    json={"type": "user", "role": "writer", "emailAddress": email},
                )
                out.append(Shared(email, "shared", "emailed" if notify else "no email sent"))
        except APIError as exc:
            out.append(Shared(email, "failed", share_failure(exc, email)))
    return out


def share_failure(exc: APIError, email: str) -> str:
    message = str(exc.error.get("message", ""))
    if "Notify people" in message or "no Google account" in message:
        return (
            f"{email} has no Google account: share with --notify, and Google emails "
            "them an invitation to make one"
        )
    return f"Google refused ({exc.response.status_code}: {message.splitlines()[0][:160]})"

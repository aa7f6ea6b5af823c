"""The fake's state: spreadsheets, their sheets and cells, and who may do what.

Who may do what follows the real rules, each from evidence: the recordings in
``../shared/google-recordings/gspread-cassettes`` (named where they show it),
the facts listed in that folder's README (each seen in several independent
public codebases), and Google's Sheets and Drive references.

- Drive permissions decide who may open the file and who may change it. Being a
  protection's editor gives nothing without them (recordings README).
- A protection refuses a change to the cells it covers unless the caller is one
  of its editors or the file's owner, who can always edit (recordings README).
  ``warningOnly`` protections refuse nothing through the API.
- The owner and the account that made or changed a protection are always among
  its editors (recordings README; the GET after ``addProtectedRange`` in
  ``WorksheetTest.test_add_protected_range_normal`` lists the requester).
- A protection's ``editors`` are shown only to those who may edit it, and
  ``requestingUserCanEdit`` says whether the caller may (Sheets reference,
  ``ProtectedRange``).
- A protection created in a Workspace domain without
  ``editors.domainUsersCanEdit: false`` stays editable by the domain's users
  (gspread pull request 1273; recordings README: reported, not confirmed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.a1 import quote_title

Json = dict[str, Any]

PROTECTED = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet "
    "owner to remove protection if you need to edit."
)
NO_PERMISSION = "The caller does not have permission"
ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 3, "organizer": 3}
ROLE_RANK["owner"] = 4
GRID_KEYS = ("startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")


class ApiError(Exception):
    def __init__(self, code: int, status: str, message: str, extra: Json | None = None) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message
        self.extra = extra or {}  # Drive's errors[] and the like

    def body(self) -> Json:
        error: Json = {"code": self.code, "message": self.message, **self.extra}
        if self.status:
            error["status"] = self.status  # Drive's older errors have none
        return {"error": error}


def bad(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


def protected() -> ApiError:
    """A change to a protected cell: 400, not 403 (recordings README)."""
    return bad(PROTECTED)


def denied() -> ApiError:
    """No access to the file (``ClientTest.test_access_private_spreadsheet``)."""
    return ApiError(403, "PERMISSION_DENIED", NO_PERMISSION)


@dataclass(frozen=True)
class Span:
    """Rows r0..r1 and columns c0..c1, 0-based, end excluded; None: unbounded."""

    r0: int
    r1: int | None
    c0: int
    c1: int | None

    @classmethod
    def of(cls, grid: Json) -> Span:
        return cls(
            grid.get("startRowIndex") or 0,
            grid.get("endRowIndex"),
            grid.get("startColumnIndex") or 0,
            grid.get("endColumnIndex"),
        )

    def meets(self, other: Span) -> bool:
        def overlap(a0: int, a1: int | None, b0: int, b1: int | None) -> bool:
            return (a1 is None or b0 < a1) and (b1 is None or a0 < b1)

        return overlap(self.r0, self.r1, other.r0, other.r1) and overlap(
            self.c0, self.c1, other.c0, other.c1
        )


def whole_sheet(grid: Json) -> bool:
    """A range with no index at all is the whole sheet: sheet protection, of which a
    tab holds one (recordings README). An index given as 0 is kept by Google (the
    reply in ``test_add_protected_range_normal`` echoes ``startRowIndex: 0``), so
    such a range is a bounded one."""
    return not any(k in grid for k in GRID_KEYS)


def range_view(grid: Json) -> Json:
    """A GridRange as Google answers it: ``sheetId`` 0 left out (proto3 default),
    indexes kept as given (``test_add_protected_range_normal``)."""
    return {k: v for k, v in grid.items() if not (k == "sheetId" and not v)}


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
    hide_gridlines: bool = False
    cells: dict[tuple[int, int], Json] = field(default_factory=dict)
    col_widths: dict[int, int] = field(default_factory=dict)
    row_heights: dict[int, int] = field(default_factory=dict)
    charts: list[Json] = field(default_factory=list)
    conditional: list[Json] = field(default_factory=list)  # in priority order
    merges: list[Json] = field(default_factory=list)  # GridRanges
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    groups: list[Json] = field(default_factory=list)  # DimensionGroups, as answered
    grouped: set[str] = field(default_factory=set)  # "ROWS", "COLUMNS" ever grouped
    basic_filter: Json | None = None

    def properties(self) -> Json:
        """As ``spreadsheets.get`` shows them: ``sheetId`` even when 0, false and
        zero values left out (every recording's GET of a new spreadsheet)."""
        grid: Json = {"rowCount": self.rows, "columnCount": self.cols}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        if self.hide_gridlines:
            grid["hideGridlines"] = True
        # once a sheet had a group, its controls' place shows (test_group_rows)
        if "ROWS" in self.grouped:
            grid["rowGroupControlAfter"] = True
        if "COLUMNS" in self.grouped:
            grid["columnGroupControlAfter"] = True
        props: Json = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:
            props["hidden"] = True
        if self.tab_color:
            props["tabColor"] = dict(self.tab_color)
            props["tabColorStyle"] = {"rgbColor": dict(self.tab_color)}
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
    owner: str = "owner@example.com"
    protected: list[Json] = field(default_factory=list)  # as stored: editors complete
    permissions: list[Json] = field(default_factory=list)  # Drive's, owner first
    domain: str | None = None  # the Workspace domain the file lives in, if any
    writers_can_share: bool = True
    named_ranges: list[Json] = field(default_factory=list)
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    auto_recalc: str = "ON_CHANGE"

    def __post_init__(self) -> None:
        if not self.permissions:
            self.permissions = [self.permission("user", "owner", self.owner)]

    # --- Drive: who may open and change the file -----------------------------------------

    @staticmethod
    def permission(kind: str, role: str, who: str) -> Json:
        entry: Json = {"kind": "drive#permission", "type": kind, "role": role}
        if kind in ("user", "group"):
            entry["emailAddress"] = who
        elif kind == "domain":
            entry["domain"] = who
        entry["id"] = "anyoneWithLink" if kind == "anyone" else f"perm-{kind}-{who}"
        return entry

    def set_owner(self, who: str) -> None:
        self.owner = who
        self.permissions = [p for p in self.permissions if p["role"] != "owner"]
        self.permissions.insert(0, self.permission("user", "owner", who))

    def share(self, who: str, role: str = "writer", kind: str = "user") -> Json:
        """The owner (or a writer) shares the file, as in the Share dialog."""
        for p in self.permissions:
            if p["type"] == kind and who in (p.get("emailAddress"), p.get("domain"), None):
                if p["role"] != "owner":
                    p["role"] = role
                return p
        entry = self.permission(kind, role, who)
        self.permissions.append(entry)
        return entry

    def unshare(self, who: str) -> None:
        self.permissions = [
            p for p in self.permissions if p["role"] == "owner" or p.get("emailAddress") != who
        ]

    def role_of(self, who: str | None) -> str | None:
        """The best role ``who`` has on the file; anonymous test clients act as the
        owner."""
        if who is None or who == self.owner:
            return "owner"
        best: str | None = None
        for p in self.permissions:
            if (
                (p["type"] in ("user", "group") and p.get("emailAddress") == who)
                or (p["type"] == "domain" and who.rpartition("@")[2] == p.get("domain"))
                or p["type"] == "anyone"
            ) and (best is None or ROLE_RANK[p["role"]] > ROLE_RANK[best]):
                best = p["role"]
        return best

    def can_open(self, who: str | None) -> bool:
        return self.role_of(who) is not None

    def can_change(self, who: str | None) -> bool:
        role = self.role_of(who)
        return role is not None and ROLE_RANK[role] >= ROLE_RANK["writer"]

    # --- protections ----------------------------------------------------------------------

    def is_editor(self, who: str | None, prot: Json) -> bool:
        if who is None or who == self.owner:
            return True
        editors = prot.get("editors") or {}
        if who in editors.get("users", []):
            return True
        return bool(editors.get("domainUsersCanEdit")) and who.rpartition("@")[2] == self.domain

    def covers(self, prot: Json, sheet: Sheet, span: Span) -> bool:
        rng = prot.get("range", {})
        if rng.get("sheetId", 0) != sheet.sheet_id or not Span.of(rng).meets(span):
            return False
        if not prot.get("unprotectedRanges"):
            return True
        # only the cells of ``span`` outside every unprotected range count
        return any(
            not any(Span.of(u).meets(Span(r, r + 1, c, c + 1)) for u in prot["unprotectedRanges"])
            for r in range(span.r0, span.r1 if span.r1 is not None else sheet.rows)
            for c in range(span.c0, span.c1 if span.c1 is not None else sheet.cols)
        )

    def refusing(self, who: str | None, sheet: Sheet, span: Span | None = None) -> Json | None:
        """The protection that keeps ``who`` from changing ``span`` of ``sheet`` (with
        no span: the sheet itself, which only sheet protection guards), or None."""
        for prot in self.protected:
            if prot.get("warningOnly") or self.is_editor(who, prot):
                continue
            if span is None:
                rng = prot.get("range", {})
                if rng.get("sheetId", 0) == sheet.sheet_id and whole_sheet(rng):
                    return prot
            elif self.covers(prot, sheet, span):
                return prot
        return None

    def check_cells(self, who: str | None, sheet: Sheet, span: Span | None = None) -> None:
        if self.refusing(who, sheet, span) is not None:
            raise protected()

    def protection_view(self, prot: Json, who: str | None) -> Json:
        """A protected range as ``who`` sees it (``test_add_protected_range_*``):
        defaults left out; editors only for those who may edit it."""
        out: Json = {"protectedRangeId": prot["protectedRangeId"]}
        out["range"] = range_view(prot.get("range", {}))
        if prot.get("namedRangeId"):
            out["namedRangeId"] = prot["namedRangeId"]
        if prot.get("description"):
            out["description"] = prot["description"]
        if prot.get("warningOnly"):
            out["warningOnly"] = True
        editor = self.is_editor(who, prot)
        if editor or prot.get("warningOnly"):
            out["requestingUserCanEdit"] = True
        if prot.get("unprotectedRanges"):
            out["unprotectedRanges"] = [range_view(u) for u in prot["unprotectedRanges"]]
        if editor:
            editors = prot.get("editors") or {}
            shown: Json = {}
            if editors.get("users"):
                shown["users"] = list(editors["users"])
            if editors.get("groups"):
                shown["groups"] = list(editors["groups"])
            if editors.get("domainUsersCanEdit"):
                shown["domainUsersCanEdit"] = True
            out["editors"] = shown
        return out

    # --- sheets ---------------------------------------------------------------------------

    def sheet(self, title: str | None = None, sheet_id: int | None = None) -> Sheet:
        for s in self.sheets:
            if (title is not None and s.title == title) or (
                sheet_id is not None and s.sheet_id == sheet_id
            ):
                return s
        if title is not None:
            raise bad(f"Unable to parse range: {quote_title(title)}")
        raise bad(f"No grid with id: {sheet_id}")

    def reindex(self) -> None:
        for i, s in enumerate(self.sheets):
            s.index = i

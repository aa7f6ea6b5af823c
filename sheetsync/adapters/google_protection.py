"""Protection on a Google spreadsheet, under the rules the real API has.

What protects each tab is read from the spreadsheet's metadata (its protected
ranges) into a ``TabGuard``. Two kinds are sheetsync's own:

- The page protection: a whole-sheet protection (described ``sheetsync: only ...
  may edit``) that lets only the rep, the manager and sheetsync edit a page. A tab
  holds one whole-sheet protection at most (Google refuses a second: ``Sheet "X"
  already has sheet protection``), so where a person protected a tab themselves,
  theirs stays and sheetsync adds none.
- The lock of a write in progress (``sheetsync lock <run> <time>``): a *bounded*
  range over the tab's whole grid, which Google lets overlap any other
  protection, editable by sheetsync's account only (and by the spreadsheet's
  owner, whom Google always lets edit).

Google always keeps the owner and the account that made a protection among its
editors, shows the editors only to those who may edit, and says for each range
whether the caller may (``requestingUserCanEdit``). A protection the caller may
not edit is a tab sheetsync cannot write: it is named, with what to do, before
anything is sent. Every protection sheetsync makes says ``domainUsersCanEdit:
false``: in a Workspace domain, one made without it has been reported to stay
editable by everyone in the domain.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

Json = dict[str, Any]

LOCK_NOTE = "sheetsync lock"
LOCK_STALE = timedelta(minutes=10)  # a lock this old was left by a run that died
PROTECTION_NOTE = "sheetsync: "
_GRANTED = re.compile(r"^sheetsync: only (.*) may edit$")
GRID_KEYS = ("startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")


def is_lock(prot: Json) -> bool:
    return str(prot.get("description", "")).startswith(LOCK_NOTE)


def is_ours(prot: Json) -> bool:
    return str(prot.get("description", "")).startswith(PROTECTION_NOTE)


def whole_sheet(prot: Json) -> bool:
    return not any(k in prot.get("range", {}) for k in GRID_KEYS)


def keeps_out(prot: Json) -> bool:
    """A protection that refuses the caller's writes (warning-only ones refuse none)."""
    return not prot.get("warningOnly") and not prot.get("requestingUserCanEdit")


@dataclass
class TabGuard:
    """What protects one tab."""

    title: str
    sheet_id: int
    rows: int
    cols: int
    ours: Json | None = None  # sheetsync's page protection
    theirs: Json | None = None  # a whole-sheet protection a person made
    refusing: list[Json] = field(default_factory=list)  # protections that keep us out


@dataclass
class LockState:
    ours: dict[str, int] = field(default_factory=dict)  # tab -> id of this run's lock
    stale: dict[int, str] = field(default_factory=dict)  # id -> tab, of dead runs' locks
    busy: str | None = None  # another run's live lock, said in words


def read_guards(meta: dict[str, Json]) -> dict[str, TabGuard]:
    out: dict[str, TabGuard] = {}
    for title, entry in meta.items():
        props = entry.get("properties", {})
        grid = props.get("gridProperties", {})
        guard = TabGuard(
            title,
            int(props.get("sheetId", 0)),
            int(grid.get("rowCount", 1000)),
            int(grid.get("columnCount", 26)),
        )
        for prot in entry.get("protectedRanges", []):
            if is_lock(prot):
                if keeps_out(prot):  # another account's lock: not ours to lift
                    guard.refusing.append(prot)
                continue
            if keeps_out(prot):
                guard.refusing.append(prot)
            if whole_sheet(prot):
                if is_ours(prot):
                    guard.ours = prot
                else:
                    guard.theirs = prot
        out[title] = guard
    return out


def read_locks(meta: dict[str, Json], run_id: str, now: datetime) -> LockState:
    state = LockState()
    for title, entry in meta.items():
        for prot in entry.get("protectedRanges", []):
            if not is_lock(prot) or keeps_out(prot):
                continue
            parts = str(prot.get("description", "")).split()
            try:
                since = datetime.fromisoformat(parts[3])
            except (IndexError, ValueError):
                since = now - LOCK_STALE
            if parts[2:3] == [run_id]:
                state.ours[title] = int(prot["protectedRangeId"])
            elif now - since < LOCK_STALE:
                state.busy = f"another sheetsync run has been writing since {parts[3]}"
            else:
                state.stale[int(prot["protectedRangeId"])] = title
    return state


def blocked_line(guard: TabGuard, account: str | None) -> str | None:
    """One line naming the tab, the protection that keeps sheetsync out and what to
    do; None when sheetsync may write the tab."""
    if not guard.refusing:
        return None
    prot = guard.refusing[0]
    who = account or "the account in the token file"
    kind = "the whole tab" if whole_sheet(prot) else "cells of it"
    what = f'"{prot["description"]}"' if prot.get("description") else "no description"
    if is_lock(prot):
        return (
            f"tab '{guard.title}' is locked by a sheetsync run under another account ({what}); "
            "if no other run is going on, remove it in Data > Protect sheets and ranges"
        )
    return (
        f"tab '{guard.title}' is protected ({kind}, {what}) and {who} is not one of the "
        "people who may edit it: only its editors and the spreadsheet's owner may; add "
        f"{who} to that protection in Data > Protect sheets and ranges, or remove it"
    )


def lock_id(run_id: str, title: str, taken: set[int]) -> int:
    """The id of this run's lock on a tab, chosen by sheetsync (the API lets a
    client choose it, and refuses an id that exists): a lock request sent again
    after its answer was lost cannot make a second lock."""
    lock = zlib.crc32(f"{run_id}:{title}".encode()) & 0x3FFFFFFF or 1
    while lock in taken:
        lock = (lock + 1) & 0x3FFFFFFF or 1
    return lock


def protection_ids(meta: dict[str, Json]) -> set[int]:
    return {
        int(p["protectedRangeId"])
        for entry in meta.values()
        for p in entry.get("protectedRanges", [])
    }


def lock_request(guard: TabGuard, note: str, account: str | None, lock: int) -> Json:
    """A lock over the tab's whole grid, as a bounded range so that it may overlap
    the tab's sheet protection. Google adds the requester (and the owner) to its
    editors, so a person's token locks too."""
    return {
        "addProtectedRange": {
            "protectedRange": {
                "protectedRangeId": lock,
                "range": {
                    "sheetId": guard.sheet_id,
                    "startRowIndex": 0,
                    "endRowIndex": guard.rows,
                    "startColumnIndex": 0,
                    "endColumnIndex": guard.cols,
                },
                "description": note,
                "warningOnly": False,
                "editors": {"users": [account] if account else [], "domainUsersCanEdit": False},
            }
        }
    }


def unlock_request(lock_id: int) -> Json:
    return {"deleteProtectedRange": {"protectedRangeId": lock_id}}


def granted_by_us(prot: Json) -> set[str]:
    """Who sheetsync itself put among the protection's editors (its description
    says), as opposed to those a person added or Google keeps there."""
    m = _GRANTED.match(str(prot.get("description", "")))
    return {e.strip() for e in m.group(1).split(",")} if m else set()


def description(users: Sequence[str]) -> str:
    return PROTECTION_NOTE + f"only {', '.join(users)} may edit"


def protect_requests(
    guard: TabGuard | None,
    sheet_id: int,
    editors: Sequence[str],
    account: str | None,
    add_missing: bool,
) -> list[Json]:
    """Keep sheetsync's page protection: its editors are the layout's (and
    sheetsync's account); an editor a person added stays, one sheetsync added and no
    longer wants goes. Added where the tab has none only with ``add_missing`` (a
    new tab, or ``init``): a person who removed it meant to. A tab a person
    protected as a whole keeps their protection alone."""
    if not editors:
        return []
    wanted = sorted({*editors, *([account] if account else [])})
    ours = guard.ours if guard else None
    if ours is not None:
        current = set((ours.get("editors") or {}).get("users", []))
        dropped = granted_by_us(ours) - set(wanted)
        users = sorted((current - dropped) | set(wanted))
        domain_open = bool((ours.get("editors") or {}).get("domainUsersCanEdit"))
        if set(users) == current and granted_by_us(ours) == set(wanted) and not domain_open:
            return []
        return [
            {
                "updateProtectedRange": {
                    "protectedRange": {
                        "protectedRangeId": ours["protectedRangeId"],
                        "description": description(wanted),
                        "editors": {"users": users, "domainUsersCanEdit": False},
                    },
                    "fields": "description,editors",
                }
            }
        ]
    if (guard is not None and guard.theirs is not None) or not add_missing:
        return []
    return [
        {
            "addProtectedRange": {
                "protectedRange": {
                    "range": {"sheetId": sheet_id},
                    "description": description(wanted),
                    "warningOnly": False,
                    "editors": {"users": wanted, "domainUsersCanEdit": False},
                }
            }
        }
    ]


def protection_note(guard: TabGuard, account: str | None) -> str:
    """What protects a tab, in words, for ``check``."""
    line = blocked_line(guard, account)
    if line:
        return line
    if guard.ours is not None:
        users = (guard.ours.get("editors") or {}).get("users", [])
        named = [u for u in users if u != account] + (["sheetsync"] if account in users else [])
        return f"protected: only {', '.join(named)} may edit"
    if guard.theirs is not None:
        what = guard.theirs.get("description") or "no description"
        return f"protected by a person ({what}); sheetsync may edit it"
    return "not protected: anyone who may edit the spreadsheet may edit it; init protects it"

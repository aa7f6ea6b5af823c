"""Append-only tabs on Google (History, the stage log) read by what was added since
the last read, from a copy of the tab kept on this machine.

Why: every rollover and refresh needs History, which only ever grows: read whole,
it is 3 MB of answer at one year and 15 MB at five (issue 16), most of it rows
this machine has read before. sheetsync only appends to History and ``_stages``;
people may add, move or retitle columns of History and, rarely, edit or delete a
row.

How: the copy (``TabCopy``) holds the tab's rows as a full read gives them (typed:
dates stay dates), its cell notes, and when the tab was last read in full. With a
copy of ``n`` rows, the read every command makes anyway (one
``spreadsheets.get``, ``google.GoogleWorkbook.read``) asks for two ranges of the
tab instead of the whole of it: ``1:1``, the header, and ``n:R``, the copy's last
row and every row after it up to the tab's last (``R``: its ``rowCount`` in the
metadata read just before). When the header and row ``n`` come back as the copy
holds them, values with their types and notes alike, the tab is the copy's rows
plus the rows after ``n``. Anything else (a header changed or a column inserted,
a row deleted or inserted above ``n``, row ``n`` edited or cleared, an answer
shaped otherwise than expected) and the tab is read again in full, in a second
request, and the copy rewritten; where the metadata already shows fewer rows than
the copy holds, the tab is read whole in the first request.

What the two rows cannot show is an edit to a row between them (a typo fixed in
an old deal). The copy is therefore read again in full once it is ``MAX_AGE`` old:
such an edit reaches sheetsync within a week, the deleted or inserted row and the
changed header at once. A missing, unreadable or malformed copy, or one made for
another spreadsheet, tab or sheet id (a tab deleted and made again), is a full
read, never an error; so is a copy that cannot be written (a read-only home).

The API this relies on (Sheets API v4 reference,
developers.google.com/sheets/api/reference/rest/v4/spreadsheets): ``spreadsheets.get``
takes several ``ranges``, on one sheet as well as on several ("retrieve multiple
ranges at once", ``spreadsheets/get``), and answers one ``GridData`` per range
asked for on a sheet, each with its ``startRow``/``startColumn`` ("The number of GridData objects
returned is dependent on the number of ranges requested on this sheet ... the
second one will have startRow 14", ``Sheet.data``); ``startRow`` is zero-based, read
as 0 where it is left out (whether Google leaves out a 0 here is not shown by any
recording), and a field mask must name it to get it.
``Sheet1!1:2`` is A1 notation for whole rows (guides/concepts, "A1 notation"). The
recordings (shared/google-recordings: ``WorksheetTest.test_get_notes`` and
``test_get_notes_2nd_sheet``) show a ranged read answered with one ``GridData``
block for its range, an empty range as ``{}``, and an empty row inside a range as
``{}``; none asks for two ranges of one sheet. A range past the grid's last row is
refused (400, "exceeds grid limits", as reported for values reads in pygsheets
#124 and #528): rows deleted between the metadata and the read make the read
refused, and it is made again with every tab whole.

The copy lives in ``${XDG_CACHE_HOME:-~/.cache}/sheetsync/google/``, one JSON file
a tab (``<spreadsheet id>.<tab>.json``), readable by its owner only (History holds
deal data), written to a temporary file and renamed over the old one, so that a
run that dies, or two runs at once, never leave half a file.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sheetsync.adapters import google_cells as cells
from sheetsync.adapters.cache_folder import cache_folder, write_private
from sheetsync.domain.plan import Grid
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.domain.values import CellValue, Formula

log = logging.getLogger(__name__)

Json = dict[str, Any]
Notes = dict[tuple[int, int], str]

APPEND_ONLY = ("History", STAGE_LOG_TAB)  # tabs sheetsync only ever appends to
# A copy this old is read again in full: an edit to an old row in the middle of the
# tab, which the header and last row cannot show, is seen within a week.
MAX_AGE = 7 * 86_400  # seconds
FORMAT = 1  # the copy's file format; another one is not read
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_TYPES = (str, int, float, date, Formula, type(None))  # bool is an int; datetime a date


@dataclass(frozen=True)
class TabCopy:
    """An append-only tab as last read: rows as a full read gives them (trailing
    blank rows off), notes by 1-based (row, column), and when it was read in full
    (seconds since the epoch)."""

    spreadsheet: str
    title: str
    sheet_id: int
    read_at: float
    grid: Grid
    notes: Notes

    @property
    def rows(self) -> int:
        return len(self.grid)


def cache_dir() -> Path | None:
    return cache_folder("google")


def copy_path(spreadsheet: str, title: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    return folder / f"{_UNSAFE.sub('_', spreadsheet)}.{_UNSAFE.sub('_', title)}.json"


def sheet_id(entry: Json) -> int:
    return int(entry.get("properties", {}).get("sheetId", 0))


def row_count(entry: Json) -> int:
    return int(entry.get("properties", {}).get("gridProperties", {}).get("rowCount", 0))


# --- the copy on disk ------------------------------------------------------------------


def _encoded(value: Any) -> Json:
    """What JSON cannot hold, tagged: a datetime, a date, a person's formula."""
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Formula):
        return {"$f": value.text, "v": value.value}
    raise TypeError(f"not a cell value: {type(value).__name__}")


def _decoded(obj: Json) -> Any:
    if "$dt" in obj:
        return datetime.fromisoformat(obj["$dt"])
    if "$d" in obj:
        return date.fromisoformat(obj["$d"])
    if "$f" in obj:
        return Formula(str(obj["$f"]), obj.get("v"))
    return obj  # the file's own fields


def load(spreadsheet: str, title: str, entry: Json, now: float) -> tuple[TabCopy | None, str]:
    """The copy of ``title`` if it may stand for the tab's first rows, else None with
    why (for ``--verbose``). ``entry``: the tab in the spreadsheet's metadata."""
    path = copy_path(spreadsheet, title)
    if path is None:
        return None, "no cache folder"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"), object_hook=_decoded)
        copy = TabCopy(
            str(raw["spreadsheet"]),
            str(raw["title"]),
            int(raw["sheetId"]),
            float(raw["readAt"]),
            raw["grid"],
            {(int(r), int(c)): str(t) for r, c, t in raw["notes"]},
        )
        well_formed = raw["format"] == FORMAT and raw["rows"] == copy.rows
        well_formed = well_formed and all(
            isinstance(row, list) and all(isinstance(v, _TYPES) for v in row) for row in copy.grid
        )
    except FileNotFoundError:
        return None, "no copy kept yet"
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        return None, f"its copy is unreadable ({type(exc).__name__})"
    if not well_formed:
        return None, "its copy is unreadable"
    if (copy.spreadsheet, copy.title, copy.sheet_id) != (spreadsheet, title, sheet_id(entry)):
        return None, "the copy is of another spreadsheet or tab"
    age = now - copy.read_at
    if not 0 <= age <= MAX_AGE:
        return None, f"the copy was read in full {age / 86_400:.1f} days ago"
    if copy.rows < 2:
        return None, "the copy holds no row below the header"
    if copy.rows > row_count(entry):
        return None, "the tab has fewer rows than the copy"
    return copy, ""


def save(copy: TabCopy) -> None:
    """Write the copy: a temporary file readable by its owner only, renamed over the
    old one. A copy that cannot be written is left unwritten (the next read is a
    full one)."""
    path = copy_path(copy.spreadsheet, copy.title)
    if path is None:
        return
    body = {
        "format": FORMAT,
        "spreadsheet": copy.spreadsheet,
        "title": copy.title,
        "sheetId": copy.sheet_id,
        "readAt": copy.read_at,
        "rows": copy.rows,
        "grid": copy.grid,
        "notes": [[r, c, t] for (r, c), t in sorted(copy.notes.items())],
    }
    try:
        text = json.dumps(body, default=_encoded, ensure_ascii=False, separators=(",", ":"))
        write_private(path, lambda out: out.write(text.encode("utf-8")))
    except (OSError, TypeError, ValueError) as exc:
        log.info("%s: its copy was not kept (%s)", copy.title, exc)


def full(spreadsheet: str, title: str, entry: Json, grid: Grid, notes: Notes) -> None:
    """Keep what a full read of the tab gave, as read now."""
    save(TabCopy(spreadsheet, title, sheet_id(entry), time.time(), grid, dict(notes)))


# --- the tail ---------------------------------------------------------------------------


def tail_ranges(copy: TabCopy, entry: Json) -> list[str]:
    """The cell parts of the two ranges asked for instead of the whole tab (each
    after ``'<tab>'!``): the header row, and the copy's last row to the tab's last."""
    return ["1:1", f"{copy.rows}:{row_count(entry)}"]


def _same(a: Sequence[CellValue], b: Sequence[CellValue]) -> bool:
    """Equal cell for cell and type for type: 1, 1.0 and TRUE are three values."""
    return len(a) == len(b) and all(
        type(x) is type(y) and x == y for x, y in zip(a, b, strict=True)
    )


def _row(block: Json) -> list[CellValue]:
    rows = block.get("rowData", [])
    values = [cells.read_cell(c) for c in (rows[0].get("values", []) if rows else [])]
    while values and values[-1] is None:
        values.pop()
    return values


def follow(copy: TabCopy, data: list[Json]) -> TabCopy | None:
    """The tab now, from its copy and the answer to ``tail_ranges`` (the tab's
    ``data``: one ``GridData`` a range); None when the header or the copy's last
    row differs from the copy, or the answer is not the two blocks asked for."""
    if len(data) != 2:
        return None
    head, tail = sorted(data, key=lambda b: int(b.get("startRow", 0)))
    n = copy.rows
    if int(head.get("startRow", 0)) != 0 or int(tail.get("startRow", 0)) != n - 1:
        return None
    if any(int(b.get("startColumn", 0)) for b in data):
        return None
    head_notes, tail_notes = cells.read_notes([head]), cells.read_notes([tail])
    if not _same(_row(head), copy.grid[0]) or not _same(_row(tail), copy.grid[n - 1]):
        return None
    for r, notes in ((1, head_notes), (n, tail_notes)):
        if {k: t for k, t in notes.items() if k[0] == r} != {
            k: t for k, t in copy.notes.items() if k[0] == r
        }:
            return None
    new = cells.read_grid([{"rowData": tail.get("rowData", [])[1:]}])
    if not new:
        return copy
    kept = {k: t for k, t in tail_notes.items() if k[0] > n}
    return replace(copy, grid=copy.grid + new, notes={**copy.notes, **kept})

"""History of a local workbook as sheetsync last parsed it, kept on this machine
and read instead of the workbook's XML while that XML is byte for byte the same.

Why: parsing History is most of what a command that reads it costs (200 reps,
two years: 144,000 rows, 100 MB of XML, about 3 s), and History changes only when
a rollover (or an import) appends to it: the daily recaps, agendas and refreshes
between two rollovers would parse the same bytes again every time.

When the copy stands for History: sheetsync copies the parts it does not change
as their compressed bytes, with their CRC-32 and sizes (``xlsx_package``), so
History's part keeps its CRC-32 and sizes until rows are appended to it. Any
other program that saves the workbook (Excel, LibreOffice) writes every part
again. The copy is keyed on what the values read from History depend on: the
part's CRC-32, size and compressed size; the shared-strings part's (the text of
a cell another program wrote); the workbook's date epoch; and which cell formats
are dates, of which the copy's must be the start of the workbook's now (sheetsync
only ever adds cell formats). Any difference, a copy that cannot be read, or one
that holds anything but cell values is a full parse, never an error.

The copy is a pickle read by an unpickler that makes nothing but plain values and
dates (the "restricting globals" recipe of the ``pickle`` documentation), in
``${XDG_CACHE_HOME:-~/.cache}/sheetsync/xlsx/``, readable by its owner only (History
holds deal data), written to a temporary file and renamed over the old one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
import pickle
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from sheetsync.adapters.cache_folder import cache_folder, write_private
from sheetsync.adapters.xlsx_history import Tail
from sheetsync.adapters.xlsx_package import Package
from sheetsync.adapters.xlsx_read import SheetReader
from sheetsync.domain.plan import Grid

log = logging.getLogger(__name__)
FORMAT = 1  # the copy's layout; a copy of another one is not read
_ALLOWED = {("datetime", "date"): dt.date, ("datetime", "datetime"): dt.datetime}


@dataclass(frozen=True)
class Key:
    """What History's values depend on, as the workbook has it now."""

    workbook: str  # the file's resolved path
    part: str
    history: tuple[int, int, int]  # CRC-32, size, compressed size
    strings: str  # a hash of the shared strings' texts; "" for none
    date1904: bool
    dates: tuple[bool, ...]  # which cell formats show dates, by index


def key_of(pkg: Package, path: Path, part: str, reader: SheetReader) -> Key | None:
    """The key of History's part as the file has it; None where the part is not
    the file's own bytes (changed by this command). The shared strings count by
    their texts, as read: a cell of History that another program saved names its
    text by its place in them, which a rename elsewhere can change alone."""
    history = pkg.fingerprint(part)
    if history is None:
        return None
    texts = "\x00".join(reader.strings).encode("utf-8", "surrogatepass")
    strings = hashlib.sha256(texts).hexdigest() if reader.strings else ""
    dates = tuple(map(bool, reader.dates().styles))
    return Key(str(path.resolve()), part, history, strings, pkg.date1904, dates)


def copy_path(key: Key) -> Path | None:
    folder = cache_folder("xlsx")
    if folder is None:
        return None
    name = hashlib.sha256(key.workbook.encode("utf-8")).hexdigest()[:32]
    return folder / f"{name}.History.pickle"


class _Values(pickle.Unpickler):
    """Makes lists, tuples, dicts, text, numbers and dates; refuses any other class."""

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a cell value")
        return found


def load(key: Key) -> tuple[Grid, int, Tail] | None:
    """History's rows, its last row with data and its ``Tail`` from the copy, if
    the copy was made from History as it is now; else None."""
    path = copy_path(key)
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            raw = _Values(f).load()
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            return None
        stored = raw["key"]
        grid, last, tail = raw["grid"], raw["last"], Tail(*raw["tail"])
        ok = _fits(tail, key.history[1]) and (
            isinstance(stored, tuple)
            and stored[:5] == astuple(key)[:5]
            and key.dates[: len(stored[5])] == tuple(stored[5])
            and isinstance(grid, list)
            and all(isinstance(row, list) for row in grid)
            and isinstance(last, int)
        )
    except FileNotFoundError:
        return None
    except Exception as exc:  # any damage or tampering: History is parsed instead
        log.info("History's copy not used (%s)", type(exc).__name__)
        return None
    return (grid, last, tail) if ok else None


def _fits(tail: Tail, size: int) -> bool:
    """Whether a copy's ``Tail`` can be offsets into a part of ``size`` bytes: ends
    within it, its rows in order after the dimension (a copy that says otherwise
    was not made by sheetsync, and its offsets would put rows anywhere)."""
    spans = [] if tail.dimension is None else [tuple(tail.dimension)]
    spans += [(start, end) for _, start, end in tail.after]
    edges = [edge for span in spans for edge in span] + [tail.rows_end]
    return (
        isinstance(tail.last_data_row, int)
        and all(isinstance(e, int) for e in edges)
        and all(0 <= a <= b for a, b in itertools.pairwise(edges))
        and 0 <= tail.rows_end <= size
        and all(start < end for start, end in spans)
    )


def save(key: Key, grid: Grid, last: int, tail: Tail) -> None:
    """Keep History as parsed now: a temporary file readable by its owner only,
    renamed over the old copy. A copy that cannot be written is left unwritten."""
    path = copy_path(key)
    if path is None:
        return
    body = {"format": FORMAT, "key": astuple(key), "grid": grid, "last": last}
    body["tail"] = astuple(tail)
    try:
        write_private(path, lambda out: pickle.dump(body, out, protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, pickle.PicklingError) as exc:
        log.info("History's copy was not kept (%s)", exc)

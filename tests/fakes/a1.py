"""A1 notation as the Sheets API reads and echoes it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sheetsync.domain.page import column_letter, column_number

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")
_LOOKS_LIKE_CELL = re.compile(r"^([A-Za-z]{1,3}\d+|R\d*C\d*)$", re.IGNORECASE)
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_title(title: str) -> str:
    """``Team`` stays bare; ``O'Brien``, ``My tab`` and ``CO2`` are quoted."""
    if _PLAIN.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def split_range(text: str) -> tuple[str | None, str | None]:
    """(sheet title or None, cell part or None)."""
    if text.startswith("'"):
        end = 1
        while True:
            end = text.index("'", end)
            if text[end + 1 : end + 2] == "'":
                end += 2
                continue
            break
        title = text[1:end].replace("''", "'")
        rest = text[end + 1 :]
        return title, (rest[1:] if rest.startswith("!") else None)
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells
    return None, text


@dataclass(frozen=True)
class Box:
    """0-based, end-exclusive rows and columns."""

    r0: int
    c0: int
    r1: int
    c1: int

    def a1(self) -> str:
        start = f"{column_letter(self.c0 + 1)}{self.r0 + 1}"
        end = f"{column_letter(self.c1)}{self.r1}"
        return start if (self.r1 - self.r0, self.c1 - self.c0) == (1, 1) else f"{start}:{end}"


def parse_cells(cells: str, rows: int, cols: int) -> Box:
    parts = cells.split(":")
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"Unable to parse range: {cells}")
    a = _CELL.match(parts[0])
    b = _CELL.match(parts[-1])
    if not a or not b:
        raise ValueError(f"Unable to parse range: {cells}")
    c0 = column_number(a.group(1)) - 1 if a.group(1) else 0
    r0 = int(a.group(2)) - 1 if a.group(2) else 0
    c1 = column_number(b.group(1)) if b.group(1) else cols
    r1 = int(b.group(2)) if b.group(2) else rows
    if len(parts) == 1 and (not a.group(1) or not a.group(2)):
        raise ValueError(f"Unable to parse range: {cells}")
    return Box(min(r0, r1 - 1), min(c0, c1 - 1), max(r1, r0 + 1), max(c1, c0 + 1))

"""History's rows read by their header, never by position: people insert, reorder
and add columns in History, and every reader finds each value under its name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sheetsync.domain.values import CellValue

Index = Mapping[str, int]


def header_index(history: Sequence[Sequence[CellValue]]) -> dict[str, int]:
    """Column name -> position in History's first row (the first of two alike)."""
    out: dict[str, int] = {}
    if history:
        for i, name in enumerate(history[0]):
            key = str(name).strip() if name is not None else ""
            if key:
                out.setdefault(key, i)
    return out


def under(row: Sequence[CellValue], index: Index, name: str) -> CellValue:
    """The row's value under ``name``; None where History has no such column."""
    i = index.get(name)
    return row[i] if i is not None and i < len(row) else None


def text_under(row: Sequence[CellValue], index: Index, name: str) -> str:
    value = under(row, index, name)
    return "" if value is None else str(value)


def texts_under(row: Sequence[CellValue], index: Index, names: Sequence[str]) -> list[str]:
    """``text_under`` of each of ``names``, in one call (History's scans run it for
    every row of years of History)."""
    width = len(row)
    out = []
    for name in names:
        i = index.get(name)
        value = row[i] if i is not None and i < width else None
        out.append("" if value is None else str(value))
    return out

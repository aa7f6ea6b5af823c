"""sheetsync's own tabs (``History``, ``Team``, ``_sheetsync``) told from a person's
tabs of the same name: a workbook people already had may hold a "Team" or
"History" of their own, which sheetsync must never write over (issue 13).

A tab is sheetsync's when its first row is sheetsync's header for it (History's
fixed columns may sit anywhere in its header, among a person's own); an empty tab
is taken over, since there is nothing on it to lose."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sheetsync.domain.render import HISTORY_FIXED, LEDGER_HEADER, TEAM_HEADER
from sheetsync.domain.stage_log import STAGE_LOG_HEADER, STAGE_LOG_TAB
from sheetsync.domain.values import CellValue
from sheetsync.errors import SheetsyncError

Grid = Sequence[Sequence[CellValue]]
OWN_TABS = ("History", "Team", "_sheetsync", STAGE_LOG_TAB)


def _first_row(grid: Grid) -> list[str]:
    row = grid[0] if grid else []
    return [str(v).strip() for v in row if v is not None and str(v).strip()]


def is_ours(tab: str, grid: Grid) -> bool:
    first = _first_row(grid)
    if not first:
        return True
    if tab == "History":
        return set(HISTORY_FIXED) <= set(first)
    if tab == "Team":
        return first[:3] == list(TEAM_HEADER[:3])  # older versions had fewer columns
    if tab == "_sheetsync":
        return tuple(first[: len(LEDGER_HEADER)]) == LEDGER_HEADER
    if tab == STAGE_LOG_TAB:
        return tuple(first[: len(STAGE_LOG_HEADER)]) == STAGE_LOG_HEADER
    return True


def foreign(grids: Mapping[str, Grid], tabs: Sequence[str]) -> dict[str, str]:
    """The tabs of ``tabs`` that exist and are a person's: tab -> one line."""
    out = {}
    for tab in tabs:
        grid = grids.get(tab)
        if grid is not None and not is_ours(tab, grid):
            shown = ", ".join(_first_row(grid)[:4])
            out[tab] = (
                f"tab '{tab}' A1: this workbook already has a '{tab}' tab of its own "
                f"(its first row reads '{shown}'), which sheetsync would write over; "
                f"rename it, and sheetsync makes its own '{tab}'"
            )
    return out


def refuse_foreign(location: str, grids: Mapping[str, Grid], tabs: Sequence[str]) -> None:
    """Stop before anything is written when one of ``tabs`` is a person's."""
    for line in foreign(grids, tabs).values():
        raise SheetsyncError(f"{location}: {line}; nothing was written")

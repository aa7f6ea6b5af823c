"""The team's deal-health signals from what a command read: History as the frame
the signals and the report's trends read (built once per command), and the
signals of the pages against it and the stage log. This is where the commands
load pandas, and only when they compute with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from sheetsync.config import Team
from sheetsync.domain.page import Page, assign_ids
from sheetsync.domain.plan import Grid, Snapshot
from sheetsync.domain.signals import SIGNAL_COLUMNS, TeamSignals, compute, history_frame
from sheetsync.domain.values import CellValue

if TYPE_CHECKING:
    from sheetsync.commands.team_tab import StageLog


def history_table(team: Team, snap: Snapshot, extra: Grid | None = None) -> pd.DataFrame:
    """History as read (plus rows about to be appended), as the frame the signals
    and the report's trends read: built once per command."""
    grid = list(snap.grids.get("History", []))
    if grid and extra:
        grid += list(extra)
    return history_frame(grid, history_columns(team))


def with_rows(history: pd.DataFrame, header: Sequence[CellValue], rows: Grid) -> pd.DataFrame:
    """``history_table``'s frame with ``rows`` (under ``header``) about to be
    appended: History is not made into a frame a second time."""
    if not rows:
        return history
    added = history_frame([list(header), *rows], tuple(history.columns))
    return pd.concat([history, added], ignore_index=True)


def team_signals(
    team: Team,
    history: pd.DataFrame,
    pages: Mapping[str, Page],
    today: date,
    log: StageLog | None = None,
) -> TeamSignals:
    """The signals of the team's pages against its History (``history_table``) and
    its stage log (``stage_log``).

    Every deal a person typed gets its id first (deterministic, as at rollover), so
    that a page no command rewrites this time still counts all of its deals."""
    for page in pages.values():
        assign_ids(page, team.template)
    return compute(
        history,
        pages,
        team.template,
        team.cadence,
        today,
        {r.name: r.quota for r in team.reps},
        team.signals,
        log.changes if log is not None else (),
    )


def history_columns(team: Team) -> tuple[str, ...]:
    """History's columns the signals read: the usual ones, and each scored section's
    result column, whatever a team's template calls it."""
    scores = [s.carry.score.column for s in team.template.sections if s.carry.score]
    return tuple(dict.fromkeys([*SIGNAL_COLUMNS, *scores]))

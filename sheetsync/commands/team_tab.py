"""The ``Team`` tab: one row per rep with the period's numbers and the deal-health
signals, rewritten by ``rollover`` and ``refresh``; and the changes of stage the
pages show against the stage log, which every rollover records. Nothing here
loads pandas: a rollover with nothing to roll uses this module and no more (the
signals are ``deal_health``'s)."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sheetsync.config import Team
from sheetsync.domain.layout import Chart, SheetLayout
from sheetsync.domain.page import Page, assign_ids
from sheetsync.domain.plan import Snapshot, WritePlan
from sheetsync.domain.render import TEAM_HEADER, render_table
from sheetsync.domain.stage_log import (
    STAGE_LOG_TAB,
    StageChange,
    last_stages,
    merged,
    observed,
    read_log,
)
from sheetsync.domain.values import CellValue

if TYPE_CHECKING:  # pandas is loaded by the commands that compute the signals
    import pandas as pd

    from sheetsync.commands.workbook import RepSummary
    from sheetsync.domain.signals import TeamSignals

HEADER = TEAM_HEADER  # the Team tab's columns


@dataclass
class StageLog:
    """The stage log as read, and the changes of stage the pages show against it
    (to be recorded by a command that writes; counted by every command)."""

    read: list[StageChange] = field(default_factory=list)
    new: list[StageChange] = field(default_factory=list)

    @property
    def changes(self) -> list[StageChange]:
        return merged([*self.read, *self.new])


def stage_log(
    team: Team,
    snap: Snapshot,
    history: pd.DataFrame | Callable[[], pd.DataFrame] | None,
    pages: Mapping[str, Page],
    today: date,
    written: Container[str] | None = None,
) -> StageLog:
    """``_stages`` as ``snap`` read it, and the changes ``pages`` show: against the
    log, or for a deal from before the log, against its last History snapshot.

    ``written``: the reps whose pages this command writes (None: all, or none that
    records anything). A deal typed on another page has no id of its own yet (one
    made up now changes with its content), so it waits for the write that gives
    it one: the next refresh, or the rollover of its page.

    ``history`` may be a function that makes History's frame: it is called only
    when a deal on the pages is not in the log yet. None: History was not read (a
    rollover that rolls nothing), and such a deal waits for a command that reads it."""
    unsaved: dict[str, set[str]] = {}
    for rep, page in pages.items():
        before = {i.id for s in page.sections.values() for i in s.items if i.id}
        assign_ids(page, team.template)
        if written is not None and rep not in written:
            made = {i.id for s in page.sections.values() for i in s.items if i.id}
            unsaved[rep] = made - before
    read = read_log(snap.grids.get(STAGE_LOG_TAB, []))
    deal_keys = [s.key for s in team.template.sections if s.role == "deals"]
    logged = {c.deal_id for c in read}
    unlogged = any(
        item.id not in logged
        for page in pages.values()
        for key in deal_keys
        if key in page.sections
        for item in page.items(key)
        if item.values.get("stage")
    )
    snapshots: dict[str, str] = {}
    known = unlogged and history is not None
    frame = (history() if callable(history) else history) if known else None
    if frame is not None and "stage" in frame.columns and not frame.empty:
        rows = frame[frame["section"].isin(deal_keys) & frame["id"].astype(bool)]
        last = rows.drop_duplicates("id", keep="last")
        snapshots = dict(
            zip(last["id"].astype(str), last["stage"].fillna("").astype(str), strict=True)
        )
    seen = observed(pages, team.template, last_stages(read, snapshots), today)
    # History not read: a deal not in the log waits for a command that reads it
    waits = history is None
    kept = [
        c
        for c in seen
        if c.deal_id not in unsaved.get(c.rep, ()) and not (waits and c.deal_id not in logged)
    ]
    return StageLog(read, kept)


def recaps_sent(snap: Snapshot) -> dict[str, str]:
    """rep -> the last recap the ledger records: its period and the day it went."""
    last: dict[str, tuple[str, str]] = {}
    for r in snap.ledger:
        if len(r) > 3 and r[0] == "recap":
            key = (str(r[2]), str(r[3])[:10])
            last[str(r[1])] = max(last.get(str(r[1]), key), key)
    return {rep: f"{period} on {day}" for rep, (period, day) in last.items()}


def local_time(at: str, zone: str) -> str:
    """A moment recorded in UTC (``at``, ISO 8601) as the team reads it: its
    date and time in the team's time zone, with the zone named."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    if moment.tzinfo is None:
        return at
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def team_tab(
    team: Team,
    summaries: Sequence[RepSummary],
    at: str,
    signals: TeamSignals | None = None,
    recaps: Mapping[str, str] | None = None,
) -> WritePlan:
    rows: list[list[CellValue]] = []
    for s in summaries:
        if s.error is not None:
            continue
        rs = signals.reps.get(s.rep) if signals else None
        rows.append(
            [
                s.rep,
                s.period,
                s.meeting_date,
                s.open_deals,
                s.pipeline,
                rs.quota if rs else None,
                round(rs.coverage, 2) if rs and rs.coverage is not None else None,
                round(rs.win_rate, 3) if rs and rs.win_rate is not None else None,
                rs.stalled if rs else None,
                rs.pushed if rs else None,
                rs.slow if rs else None,
                s.open_actions,
                s.carried_over,
                round(rs.hit_rate, 3) if rs and rs.hit_rate is not None else None,
                rs.streak if rs else None,
                (recaps or {}).get(s.rep),
                local_time(at, team.timezone),
            ]
        )
    money = f'"{team.currency}"#,##0'
    formats = [
        None,
        None,
        "d mmm yyyy",
        "0",
        money,
        money,
        '0.0"x"',
        "0%",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0%",
        "0",
        None,
        None,
    ]
    layout: SheetLayout = render_table("Team", list(HEADER), rows, formats, "#0B2545")
    layout.editors = (team.manager.email,)
    layout.kind = "team"
    col = {name: i + 1 for i, name in enumerate(HEADER)}
    # widths are set when the tab is made and kept after (a person may change
    # them): wide enough for what these columns will hold
    widths = {"Last recap": len("2026-W48 on 2026-11-27") + 2, "Updated": 20 + len(team.timezone)}
    for name, width in widths.items():
        layout.widths[col[name] - 1] = max(layout.widths[col[name] - 1], float(width))
    if rows:
        layout.charts.append(
            Chart(
                "Pipeline and coverage per rep",
                col["Rep"],
                (col["Pipeline"], col["Quota"]),
                col["Coverage"],
                1,
                len(rows) + 1,
                len(rows) + 3,
                left_title=f"Pipeline, quota ({team.currency})",
                right_title="Coverage (x)",
            )
        )
    return WritePlan(replace=[layout])

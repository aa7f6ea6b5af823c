"""The workbook cycle: ``init`` makes the workbook and its tabs, ``rollover`` starts
each new period (carrying, moving and archiving rows, recording changes of stage),
``refresh`` recomputes the signals and rewrites the Team tab and the pages' Signal
cells."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sheetsync.adapters.registry import open_workbook
from sheetsync.commands.team_tab import recaps_sent, stage_log, team_tab
from sheetsync.commands.workbook import (
    REPLANS,
    RepSummary,
    ledger_records,
    load_pages,
    managers_only,
    now_text,
    page_header,
    people_of,
    read_located,
    record_stages,
    rep_edit,
    rep_layout,
    summarize,
    target_period,
    write_replanned,
)
from sheetsync.config import Rep, Team
from sheetsync.domain.access import Shared
from sheetsync.domain.carry import (
    carries_in_history,
    restore_carry_counts,
    roll_page,
)
from sheetsync.domain.layout import SheetLayout
from sheetsync.domain.page import Page, assign_ids, blank_page
from sheetsync.domain.periods import Period, in_range, parse_period, period_of
from sheetsync.domain.plan import Snapshot, WritePlan
from sheetsync.domain.render import (
    SCHEMA_VERSION,
    history_header,
    render_history,
    render_ledger,
    render_stage_log,
)
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.domain.values import CellValue
from sheetsync.errors import ConcurrentEdit, SheetsyncError
from sheetsync.meeting_clock import meeting_over, when_words
from sheetsync.own_tabs import OWN_TABS, refuse_foreign

if TYPE_CHECKING:  # pandas is loaded when signals are computed (deal_health)
    import pandas as pd

    from sheetsync.domain.signals import TeamSignals

# --- init --------------------------------------------------------------------------


@dataclass
class InitResult:
    team: str
    location: str
    created: list[str]
    existing: list[str]
    shared: list[Shared] = field(default_factory=list)
    sharing: str | None = None  # why nothing could be shared, where that is so
    renamed: dict[str, str] = field(default_factory=dict)  # new title -> old


def init(team: Team, today: date, share: bool = False, notify: bool = False) -> InitResult:
    """Create the workbook or its missing tabs, and put back sheetsync's protection
    where a tab of its own lost it; never touches existing content. ``share``: give
    every person of the team who cannot edit the spreadsheet an editor's access."""
    period = in_range(period_of(today, team.cadence))
    with open_workbook(team.workbook, sharing="write" if share else None) as wb:
        snap, _ = read_located(team, wb, list(OWN_TABS), rename=True)
        refuse_foreign(wb.location, snap.grids, OWN_TABS)
        plan = WritePlan()
        at = now_text()
        plan.ledger += ledger_records(team, snap, at)
        for rep in team.reps:
            if rep.tab not in snap.titles:
                page = blank_page(rep.tab, team.template, page_header(team, rep, period, None))
                plan.create.append(rep_layout(team, rep, page))
                plan.ledger.append(["page", rep.name, period.label, at, "created"])
            else:
                plan.protect.append(rep_layout(team, rep, None))
        if "History" not in snap.titles:
            plan.create.append(managers_only(team, render_history(team.template)))
        if "_sheetsync" not in snap.titles:
            ledger = render_ledger([["schema", "", "", at, SCHEMA_VERSION]])
            plan.create.append(managers_only(team, ledger))
        if STAGE_LOG_TAB not in snap.titles:
            plan.create.append(managers_only(team, render_stage_log()))
        for tab in ("History", "_sheetsync", STAGE_LOG_TAB):
            if tab in snap.titles:
                plan.protect.append(managers_only(team, SheetLayout(tab)))
        created = [layout.title for layout in plan.create]
        if "Team" not in snap.titles:
            summaries = [RepSummary(r.name, r.tab, period.label) for r in team.reps]
            plan.create += team_tab(team, summaries, at).replace
            created.append("Team")
        else:
            plan.protect.append(managers_only(team, SheetLayout("Team")))
        wb.write(plan)
        existing = [t for t in snap.titles if t not in created]
        res = InitResult(team.name, wb.location, created, existing, renamed=snap.renamed)
        if share:
            if not wb.accounts:
                res.sharing = (
                    f"{wb.location} is a local file: share it where you keep it (a shared "
                    "drive or folder); set workbook.type google to share through Google"
                )
            else:
                res.shared = wb.share(list(people_of(team)), notify)
        return res


# --- rollover ----------------------------------------------------------------------


@dataclass
class RepRoll:
    rep: str
    tab: str
    action: str  # rolled | up-to-date | waiting | created | mended | error
    from_period: str = ""
    to_period: str = ""
    stayed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    ids_assigned: int = 0
    renamed_from: str = ""  # the tab's title before this run renamed it
    waits_for: str = ""  # waiting: the meeting it waits for, in words
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class RolloverResult:
    team: str
    location: str
    period: str
    dry_run: bool
    reps: list[RepRoll]
    stage_changes: int = 0  # deals' changes of stage recorded in _stages

    @property
    def errors(self) -> list[RepRoll]:
        return [r for r in self.reps if r.error]

    @property
    def changed(self) -> bool:
        return any(r.action in ("rolled", "created", "mended") for r in self.reps)


def rollover(
    team: Team,
    today: date,
    period: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RolloverResult:
    """Start the target period on every rep page that is behind it, in one write.
    A page whose meeting is not over yet (a November meeting moved to 2 December)
    waits for it: its wins and notes are not archived before they are talked about.
    ``now``: the time, to tell whether a meeting is over; None for ``--today``.

    History is read only when a page rolls (or is made): the daily rollover that
    rolls nothing reads the pages, the ledger and the stage log.

    People win: when a person edits a tab between the read and the write, the
    workbook refuses the write and the rollover is planned again from a fresh read;
    a tab that keeps changing is left alone this time, with a message."""
    target = target_period(team, today, period)
    with open_workbook(team.workbook) as wb:
        busy: set[str] = set()

        def planned(
            tabs: tuple[str, ...], decide_only: bool = False
        ) -> tuple[RolloverResult, WritePlan]:
            snap, pages, errors = load_pages(team, wb, tabs, writing=True, rename=not dry_run)
            for rep in team.reps:
                if rep.tab in busy:
                    errors[rep.name] = (
                        f"tab '{rep.tab}': someone kept editing it while sheetsync ran; "
                        "left as it is, run rollover again"
                    )
            waits = _Waits(team, today, now) if period is None else None
            return _plan_rollover(
                team, target, today, wb.location, snap, pages, errors, waits, decide_only
            )

        for attempt in range(REPLANS + 1):
            result, plan = planned(("Team", STAGE_LOG_TAB), decide_only=True)
            if result.changed:  # a page rolls: planned again, with History
                first = {r.tab: r.renamed_from for r in result.reps if r.renamed_from}
                result, plan = planned(("History", "Team", STAGE_LOG_TAB))
                for r in result.reps:  # a tab the first read renamed is still told
                    r.renamed_from = r.renamed_from or first.get(r.tab, "")
            result.dry_run = dry_run
            if dry_run or not (result.changed or plan.stages):
                return result
            try:
                wb.write(plan)
                return result
            except ConcurrentEdit as exc:
                if attempt == REPLANS:
                    raise
                if attempt >= 1:  # changed twice: leave those tabs alone this time
                    busy |= set(exc.tabs)
        raise AssertionError("unreachable")


def _up_to_date(current: Period, target: Period) -> bool:
    """Whether a page of ``current`` needs no rollover to ``target``. After a
    cadence change (issue 13) the first rollover starts the new cadence's period,
    unless the page's period lies wholly after it."""
    if current.cadence == target.cadence:
        return current >= target
    return target.end < current.start


@dataclass
class _Waits:
    """Whether a page waits for its meeting before it rolls: its meeting (the
    team's, or the rep's own date on the page) lies in its period or after it,
    up to the end of the period rolled to, and is not over yet."""

    team: Team
    today: date
    now: datetime | None

    def meeting(self, page: Page, current: Period, target: Period) -> str:
        meeting = page.header.get("meeting_date")
        if not isinstance(meeting, date) or not current.start <= meeting <= target.end:
            return ""
        if meeting_over(self.team, meeting, self.today, self.now):
            return ""
        return when_words(self.team, meeting)


def _plan_rollover(
    team: Team,
    target: Period,
    today: date,
    location: str,
    snap: Snapshot,
    pages: dict[str, Page],
    errors: dict[str, str],
    waits: _Waits | None = None,
    decide_only: bool = False,
) -> tuple[RolloverResult, WritePlan]:
    """What the rollover does to each page, and the write that does it. With
    ``decide_only``, a plan in which a page rolls stops once that is known (the
    result says which; the plan is not the write): the caller reads History and
    plans again."""
    tpl = team.template
    if not snap.exists:
        raise SheetsyncError(f"{location}: no workbook yet; run sheetsync init first")
    for tab in ("History", "_sheetsync"):
        if tab not in snap.titles:
            raise SheetsyncError(f"{location}: tab '{tab}' is missing; run sheetsync init")
    plan = WritePlan()
    at = now_text()
    results: list[RepRoll] = []
    summaries: list[RepSummary] = []
    now_pages: dict[str, Page] = {}  # each rep's page as it will be after this rollover
    rewrite: list[Rep] = []  # the pages this rollover writes
    read_as: dict[str, Page] = {}  # a rolled page as it was read
    history_grid = snap.grids.get("History") or [[]]
    header: list[CellValue] = list(history_grid[0])  # History's own order
    missing = [
        (len(header) + i, c)
        for i, c in enumerate((c for c in history_header(tpl) if c not in header), start=1)
    ]
    header += [c for _, c in missing]
    carries = carries_in_history(snap.grids.get("History", []))
    for rep in team.reps:
        res = RepRoll(rep.name, rep.tab, "up-to-date", to_period=target.label)
        results.append(res)
        if rep.name in errors:
            res.action, res.error = "error", errors[rep.name]
            summaries.append(RepSummary(rep.name, rep.tab, error=res.error))
            continue
        page = pages.get(rep.name)
        if page is None:  # a rep new to the config: a fresh page at the target period
            new = blank_page(rep.tab, tpl, page_header(team, rep, target, None))
            res.action = "created"
            rewrite.append(rep)
            plan.ledger.append(["page", rep.name, target.label, at, "created"])
            summaries.append(summarize(team, rep, new))
            now_pages[rep.name] = new
            continue
        res.from_period = page.period_label
        res.warnings = list(page.warnings)
        current = parse_period(page.period_label, team.cadence)
        if _up_to_date(current, target):
            summaries.append(summarize(team, rep, page))
            now_pages[rep.name] = page
            if page.period_put_back is not None:  # written back, nothing else changes
                res.action = "mended"
                read_as[rep.name] = page.snapshot()
                rewrite.append(rep)
            continue
        if waits is not None and (meeting := waits.meeting(page, current, target)):
            res.action, res.waits_for = "waiting", meeting
            summaries.append(summarize(team, rep, page))
            now_pages[rep.name] = page
            continue
        read_as[rep.name] = page
        res.ids_assigned = assign_ids(page, tpl)
        restore_carry_counts(page, tpl, rep.name, carries)
        rolled = roll_page(page, tpl, target.label, page_header(team, rep, target, page))
        res.action = "rolled"
        for h in rolled.history:
            bucket = {"carried": res.stayed, "moved": res.moved}.get(h.outcome, res.archived)
            bucket.append(f"{tpl.section(h.section).title}: {h.label}")
            plan.history.append(h.cells(header))
        rewrite.append(rep)
        plan.ledger.append(["rolled", rep.name, target.label, at, f"from {current.label}"])
        summaries.append(summarize(team, rep, rolled.page))
        now_pages[rep.name] = rolled.page
    result = RolloverResult(team.name, location, target.label, False, results)
    for res in results:
        res.renamed_from = snap.renamed.get(res.tab, "")
    if decide_only and result.changed:
        return result, plan
    # every deal's stage as read (a rolled page before it rolled) against the log:
    # a daily rollover dates a change of stage to the day, even when nothing rolls

    @functools.cache
    def history_read() -> pd.DataFrame:  # made once, if needed
        from sheetsync.commands.deal_health import history_table

        return history_table(team, snap)

    as_read = {rep: read_as.get(rep, page) for rep, page in now_pages.items()}
    # without History (nothing rolls), a deal from before the log waits for the next
    # command that reads it (the morning's refresh, or the roll)
    known = history_read if "History" in snap.grids else None
    log = stage_log(team, snap, known, as_read, today, written=read_as)
    result.stage_changes = len(log.new)
    record_stages(team, snap, log, at, plan)
    if result.changed:
        plan.ledger += ledger_records(team, snap, at)
    if plan.history:
        plan.history_columns = missing
    if result.changed:
        # pandas is loaded here, when a page rolls: the daily rollover that rolls
        # nothing (most days) never does
        from sheetsync.commands.deal_health import team_signals, with_rows

        # the signals see History with this rollover's rows, and the new pages
        history = with_rows(history_read(), header, plan.history)
        signals = team_signals(team, history, now_pages, today, log)
        if stamp_stage_dates(team, now_pages, signals, today):
            signals = team_signals(team, history, now_pages, today, log)
        for rep in rewrite:
            if rep.name in read_as:  # rolled: changed in place
                plan.edit.append(
                    rep_edit(
                        team,
                        rep,
                        read_as[rep.name],
                        snap.grids[rep.tab],
                        now_pages[rep.name],
                        signals,
                        reshape=True,
                    )
                )
            else:  # a new rep: a new tab
                plan.create.append(rep_layout(team, rep, now_pages[rep.name], signals))
        plan.replace += team_tab(team, summaries, at, signals, recaps_sent(snap)).replace
    return result, plan


def stamp_stage_dates(team: Team, pages: dict[str, Page], signals: TeamSignals, today: date) -> int:
    """Keep each open deal's "stage since" date: the day it entered its stage, as
    the stage log (or History, before the log) knows it, where the cell is blank or
    older (a date of the stage before). Returns how many dates changed."""
    by_id = {(d.rep, d.deal_id): d for d in signals.deals}
    changed = 0
    for rep, page in pages.items():
        for sec in team.template.sections:
            if sec.role != "deals" or sec.key not in page.sections:
                continue
            if not any(c.type == "stage_since" for c in sec.columns):
                continue
            for item in page.items(sec.key):
                d = by_id.get((rep, item.id or ""))
                if d is None or d.stage_began is None:
                    continue
                began = min(d.stage_began, today)
                since = item.values.get("stage_since")
                if isinstance(since, datetime):
                    since = since.date()
                if not isinstance(since, date) or since < began:
                    item.values["stage_since"] = began
                    changed += 1
    return changed


@dataclass
class RefreshResult:
    team: str
    location: str
    reps: list[RepSummary]
    signals: TeamSignals
    stage_changes: int = 0  # deals' changes of stage recorded in _stages


def refresh(team: Team, today: date) -> RefreshResult:
    """Recompute the signals; rewrite the Team tab and each page's signal column and
    "to talk about" list (the people's content is written back as it was read). A
    page someone edits meanwhile is read again, as in rollover."""
    with open_workbook(team.workbook) as wb:

        def plan_once() -> tuple[RefreshResult, WritePlan]:
            snap, pages, errors = load_pages(
                team, wb, ("History", "Team", STAGE_LOG_TAB), writing=True
            )
            if not snap.exists:
                raise SheetsyncError(f"{wb.location}: no workbook yet; run sheetsync init first")
            summaries = [
                RepSummary(r.name, r.tab, error=errors[r.name])
                if r.name in errors
                else summarize(team, r, pages[r.name])
                if r.name in pages
                else RepSummary(
                    r.name, r.tab, error=f"tab '{r.tab}': no page yet; run sheetsync init"
                )
                for r in team.reps
            ]
            from sheetsync.commands.deal_health import history_table, team_signals

            history = history_table(team, snap)
            log = stage_log(team, snap, history, pages, today)
            signals = team_signals(team, history, pages, today, log)
            if stamp_stage_dates(team, pages, signals, today):
                signals = team_signals(team, history, pages, today, log)  # new dates
            at = now_text()
            plan = team_tab(team, summaries, at, signals, recaps_sent(snap))
            record_stages(team, snap, log, at, plan)
            result = RefreshResult(team.name, wb.location, summaries, signals, len(log.new))
            for rep in team.reps:
                if rep.name in pages:
                    page = pages[rep.name]
                    grid = snap.grids[rep.tab]
                    edit = rep_edit(team, rep, page, grid, page, signals, reshape=False)
                    if not edit.empty:
                        plan.edit.append(edit)
            return result, plan

        return write_replanned(wb, plan_once)

"""The commands as library functions: config + ports + domain -> result data.
Rendering results as text or JSON is the CLI's job."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TypeVar

from sheetsync.adapters.registry import open_workbook
from sheetsync.config import Rep, Team
from sheetsync.domain.access import Access, Shared
from sheetsync.domain.carry import (
    carries_in_history,
    is_open,
    restore_carry_counts,
    roll_page,
)
from sheetsync.domain.layout import SheetLayout
from sheetsync.domain.page import Page, assign_ids, blank_page, parse_page
from sheetsync.domain.page_checks import check_page, records_of
from sheetsync.domain.page_edit import page_edit
from sheetsync.domain.periods import Period, in_range, parse_period, period_of
from sheetsync.domain.plan import Grid, PageEdit, Snapshot, WritePlan
from sheetsync.domain.render import (
    SCHEMA_VERSION,
    history_header,
    render_history,
    render_ledger,
    render_page,
    render_stage_log,
)
from sheetsync.domain.signals import TeamSignals
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.domain.values import CellValue
from sheetsync.errors import ConcurrentEdit, PageError, SheetsyncError
from sheetsync.meeting_clock import meeting_over, when_words
from sheetsync.own_tabs import OWN_TABS, foreign, refuse_foreign
from sheetsync.ports import Workbook
from sheetsync.tab_records import (
    RECORD,
    Located,
    aliased,
    history_rep_column,
    locate,
    record_row,
)
from sheetsync.team_view import (
    StageLog,
    history_table,
    recaps_sent,
    stage_log,
    team_signals,
    team_tab,
    with_rows,
)
from sheetsync.template_records import known_columns
from sheetsync.template_records import record_rows as template_rows
from sheetsync.wording import plural


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def target_period(team: Team, today: date, period: str | None) -> Period:
    if period:
        return parse_period(period, team.cadence, strict=True)
    return in_range(period_of(today, team.cadence))


def page_header(team: Team, rep: Rep, period: Period, old: Page | None) -> dict[str, CellValue]:
    goal = old.header.get("personal_goal") if old else None
    return {
        "rep": rep.name,
        "manager": team.manager.name,
        "period": period.label,
        "meeting_date": team.meeting_date(period),
        "next_meeting": team.meeting_date(period.next()),
        "personal_goal": goal,
        "send_recap": False,
    }


def _rolled_reps(snapshot: Snapshot) -> set[str]:
    return {str(row[1]) for row in snapshot.ledger if len(row) > 1 and row[0] in ("page", "rolled")}


def _ledger_periods(snapshot: Snapshot) -> dict[str, str]:
    """Rep -> the period sheetsync last gave their page (made or rolled it to)."""
    out: dict[str, str] = {}
    for row in snapshot.ledger:
        if len(row) > 2 and row[0] in ("page", "rolled") and row[2]:
            out[str(row[1])] = str(row[2])
    return out


def rolled_from(snapshot: Snapshot) -> dict[str, str]:
    """Rep -> the period of the page rollover last closed (its ``rolled`` row's
    ``from <period>``, as ``_plan_rollover`` writes it)."""
    out: dict[str, str] = {}
    for row in snapshot.ledger:
        if len(row) > 4 and row[0] == "rolled" and str(row[4]).startswith("from "):
            out[str(row[1])] = str(row[4]).removeprefix("from ")
    return out


def _header_cell(page: Page, key: str) -> str:
    """Where a header field's value sits, as a warning names it."""
    row = page.shape.header_rows.get(key) if page.shape else None
    return f"tab '{page.tab}' C{row}" if row else f"tab '{page.tab}'"


def _put_rep_back(page: Page, rep: str, located: Located) -> None:
    """Whose page a tab is comes from the config and ``_sheetsync``'s record of the
    tab, not from the Rep cell: a page copied from another rep's tab says so, and
    its rows are filed as this rep's. A rep's earlier name is simply put back."""
    said = str(page.header.get("rep") or "").strip()
    page.header["rep"] = rep
    if not said or said == rep or located.aliases.get(said) == rep:
        return
    why = (
        "sheetsync made this tab for them"
        if located.made(rep, page.tab)
        else f"a page copied from {said}'s?"
    )
    page.warnings.append(
        f"{_header_cell(page, 'rep')}: the Rep cell says '{said}', "
        f"but the config gives this tab to '{rep}' ({why}); its rows are filed as "
        f"{rep}'s and the cell is put back at the next rollover"
    )


def _put_period_back(page: Page, rep: str, expected: str | None) -> None:
    """The page's Period cell is sheetsync's: one a person changed (to last month,
    to a typo of a year) is put back to what the ledger says, with a warning naming
    the cell; the next write shows it again."""
    if expected is None or page.period_label == expected:
        return
    page.warnings.append(
        f"{_header_cell(page, 'period')}: the Period cell says '{page.period_label}', "
        f"but sheetsync last made this page {expected}; it is put back to {expected} "
        f"(rep {rep})"
    )
    page.period_put_back = page.period_label
    page.header["period"] = expected


@dataclass
class RepSummary:
    rep: str
    tab: str
    period: str = ""
    meeting_date: date | None = None
    open_deals: int = 0
    pipeline: float = 0.0
    open_actions: int = 0
    carried_over: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def summarize(team: Team, rep: Rep, page: Page) -> RepSummary:
    s = RepSummary(rep.name, rep.tab, page.period_label)
    meeting = page.header.get("meeting_date")
    s.meeting_date = meeting if isinstance(meeting, date) else None
    for sec in team.template.sections:
        for item in page.items(sec.key):
            if item.carried or (item.origin and item.origin != page.period_label):
                s.carried_over += 1
            if not is_open(sec, item):
                continue
            if sec.role == "deals":
                s.open_deals += 1
                for col in sec.columns:
                    amount = item.values.get(col.key)
                    if col.type == "money" and isinstance(amount, int | float):
                        s.pipeline += float(amount)
            elif sec.role == "actions":
                s.open_actions += 1
    s.warnings = list(page.warnings)
    return s


def rep_layout(
    team: Team, rep: Rep, page: Page | None, signals: TeamSignals | None = None
) -> SheetLayout:
    """A rep's tab: editable by the rep and the manager only (where the backend can
    protect a tab); with ``signals``, each deal's flags and the "to talk about" list.
    With no page, only who may edit it (to put its protection back)."""
    editors = rep_editors(team, rep)
    if page is None:
        return SheetLayout(rep.tab, editors=editors)
    flags, talk = page_signals(rep, signals)
    layout = render_page(page, team.template, team.currency, flags, talk)
    layout.editors = editors
    return layout


def rep_editors(team: Team, rep: Rep) -> tuple[str, ...]:
    return (rep.email, team.manager.email) if rep.mailable else (team.manager.email,)


def page_signals(rep: Rep, signals: TeamSignals | None) -> tuple[dict[str, list[str]], list[str]]:
    """Each flagged deal's flags, by id, and the "to talk about" lines (the most
    urgent first)."""
    if signals is None:
        return {}, []
    mine = signals.for_rep(rep.name)
    flags = {d.deal_id: d.flags for d in mine if d.flags}
    urgent = sorted(
        (d for d in mine if d.flags),
        key=lambda d: (not (d.stalled or d.slow), -d.amount),
    )
    return flags, [f"{d.label}: {'; '.join(d.flags)}" for d in urgent]


def rep_edit(
    team: Team,
    rep: Rep,
    before: Page,
    grid: Grid,
    after: Page,
    signals: TeamSignals | None,
    reshape: bool,
) -> PageEdit:
    """A rep's page changed in place from ``before`` (as read) to ``after``."""
    flags, talk = page_signals(rep, signals)
    edit = page_edit(
        before, grid, after, team.template, team.currency, flags, talk, reshape=reshape
    )
    edit.editors = rep_editors(team, rep)
    return edit


def managers_only(team: Team, layout: SheetLayout) -> SheetLayout:
    layout.editors = (team.manager.email,)
    return layout


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


def people_of(team: Team) -> dict[str, str]:
    """The people who work on the team's workbook: email -> who they are."""
    out = {team.manager.email: f"{team.manager.name} (manager)"}
    for rep in team.reps:
        if rep.mailable:
            out.setdefault(rep.email, f"{rep.name} (rep)")
    return out


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


def read_located(
    team: Team, wb: Workbook, tabs: list[str], rename: bool
) -> tuple[Snapshot, Located]:
    """One read of ``tabs``, each rep's page found where ``_sheetsync``'s records say
    it is. A rep whose name or tab title changed in the config has their tab renamed
    first (``rename``: one small write with its records, then the read again), or,
    for a command that writes nothing, read under the title it has. Either way the
    rows History and the ledger hold under a rep's earlier names are theirs."""
    snap = wb.read(tabs)
    located = locate(team, snap.titles, snap.ledger)
    if located.moves and snap.exists:
        by_name = {r.name: r for r in team.reps}
        renamed = {by_name[n].tab: old for n, old in located.moves.items()}
        if rename:
            at = now_text()
            moved = [by_name[name] for name in located.moves]
            wb.write(
                WritePlan(
                    rename=[(located.moves[r.name], r.tab) for r in moved],
                    ledger=[record_row(r, at) for r in moved],
                )
            )
            snap = wb.read(tabs)
            snap.renamed = renamed
            located = locate(team, snap.titles, snap.ledger)
        else:
            snap = wb.read(tabs + list(located.moves.values()))
            snap.renamed = renamed
            for new, old in renamed.items():  # read under the title it will have
                if old in snap.grids:
                    snap.grids[new] = snap.grids[old]
                if old in snap.notes:
                    snap.notes[new] = snap.notes[old]
                if old in snap.blocked:
                    snap.blocked[new] = snap.blocked[old]
    if located.aliases:
        snap.ledger = [list(r) for r in aliased(snap.ledger, located.aliases, 1, RECORD)]
        if "History" in snap.grids:
            history = snap.grids["History"]
            column = history_rep_column(history)
            snap.grids["History"] = [list(r) for r in aliased(history, located.aliases, column)]
    return snap, located


def read_also(team: Team, wb: Workbook, first: Snapshot, tabs: list[str]) -> Snapshot:
    """A second read, of tabs a command needs only sometimes (History, the stage
    log: a recap run with nothing due reads neither), with History's rows under a
    rep's earlier names read as theirs, as ``read_located`` does."""
    snap = wb.read(tabs)
    aliases = locate(team, first.titles, first.ledger).aliases
    if aliases and "History" in snap.grids:
        history = snap.grids["History"]
        column = history_rep_column(history)
        snap.grids["History"] = [list(r) for r in aliased(history, aliases, column)]
    return snap


def ledger_records(team: Team, snap: Snapshot, at: str) -> Grid:
    """The ledger rows of whose each tab is and of the template's columns, where
    they are missing or out of date (``tab_records``, ``template_records``)."""
    tabs = locate(team, snap.titles, snap.ledger).record_rows(at)
    return tabs + template_rows(team.template, snap.ledger, at)


def load_pages(
    team: Team,
    wb: Workbook,
    also: tuple[str, ...] = (),
    writing: bool = False,
    rename: bool | None = None,
) -> tuple[Snapshot, dict[str, Page], dict[str, str]]:
    """One read of every rep tab (and of the tabs in ``also``): the parsed pages, and
    an error line per tab that failed. ``writing``: a tab protected against
    sheetsync is one of those, left as it is while the others are written; and a
    rep's tab that has an earlier title is renamed (unless ``rename`` is False)."""
    snap, located = read_located(
        team, wb, [r.tab for r in team.reps] + list(also), writing if rename is None else rename
    )
    if writing:  # never write over a person's "History" or "Team"
        refuse_foreign(wb.location, snap.grids, also)
    pages: dict[str, Page] = {}
    errors: dict[str, str] = {}
    known = _rolled_reps(snap)
    periods = _ledger_periods(snap)
    records = records_of(snap.grids.get("History", []), team.template)
    columns = known_columns(team.template, snap.ledger, snap.grids.get("History", []))
    for rep in team.reps:
        title = located.moves.get(rep.name, rep.tab)
        if writing and title in snap.blocked:
            errors[rep.name] = snap.blocked[title]
            continue
        grid = snap.grids.get(title)
        if grid is None:
            if rep.name in known:
                errors[rep.name] = (
                    f"tab '{rep.tab}' A1: the tab of rep '{rep.name}' is missing (renamed or "
                    "deleted?); rename it back or fix 'tab' in the config"
                )
            continue
        try:
            notes = snap.notes.get(title)
            page = parse_page(title, grid, team.template, team.cadence, notes, columns)
            _put_period_back(page, rep.name, periods.get(rep.name))
            _put_rep_back(page, rep.name, located)
            check_page(page, team.template, rep.name, records)
            pages[rep.name] = page
        except PageError as exc:
            errors[rep.name] = str(exc)
    _tell_copies_apart(team, pages, located)
    return snap, pages, errors


def _tell_copies_apart(team: Team, pages: dict[str, Page], located: Located) -> None:
    """Rows a page shares (by id) with another rep's page were copied with the tab
    (issue 13). The copy is the page sheetsync did not make for its rep: its shared
    rows get ids of their own, so that the two reps' deals never merge into one in
    History or the signals, with a warning naming the rows."""
    owner: dict[str, str] = {}

    def made(name: str) -> bool:
        return located.made(name, pages[name].tab)

    for name in sorted(pages, key=lambda n: not made(n)):  # the originals first
        page = pages[name]
        for content in page.sections.values():
            for item in content.items:
                if item.id:
                    owner.setdefault(item.id, name)
    for name, page in pages.items():
        if made(name):
            continue  # sheetsync made this tab for this rep: it is the original
        shared = [
            item
            for content in page.sections.values()
            for item in content.items
            if item.id and owner.get(item.id, name) != name
        ]
        if not shared:
            continue
        other = owner[shared[0].id or ""]
        rows = ", ".join(str(i.row) for i in shared[:8]) + (", ..." if len(shared) > 8 else "")
        page.warnings.append(
            f"tab '{page.tab}' rows {rows}: the same items as on {other}'s page (copied "
            f"with the tab?); they get ids of their own and count as {name}'s; delete "
            "them if they are not"
        )
        for item in shared:
            item.id = None


REPLANS = 2  # how many times a command plans again after a person's edit
R = TypeVar("R")


def write_replanned(wb: Workbook, plan: Callable[[], tuple[R, WritePlan | None]]) -> R:
    """Plan from a fresh read, then write. When a person edited a tab meanwhile,
    the workbook refuses the write (``ConcurrentEdit``) and the command plans again
    from what is there now, so the edit is kept; at most ``REPLANS`` times."""
    for attempt in range(REPLANS + 1):
        result, todo = plan()
        if todo is None or todo.empty:
            return result
        try:
            wb.write(todo)
            return result
        except ConcurrentEdit:
            if attempt == REPLANS:
                raise
    raise AssertionError("unreachable")


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

    People win: when a person edits a tab between the read and the write, the
    workbook refuses the write and the rollover is planned again from a fresh read;
    a tab that keeps changing is left alone this time, with a message."""
    target = target_period(team, today, period)
    with open_workbook(team.workbook) as wb:
        busy: set[str] = set()
        for attempt in range(REPLANS + 1):
            snap, pages, errors = load_pages(
                team, wb, ("History", "Team", STAGE_LOG_TAB), writing=True, rename=not dry_run
            )
            for rep in team.reps:
                if rep.tab in busy:
                    errors[rep.name] = (
                        f"tab '{rep.tab}': someone kept editing it while sheetsync ran; "
                        "left as it is, run rollover again"
                    )
            waits = _Waits(team, today, now) if period is None else None
            result, plan = _plan_rollover(
                team, target, today, wb.location, snap, pages, errors, waits
            )
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
) -> tuple[RolloverResult, WritePlan]:
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
    # every deal's stage as read (a rolled page before it rolled) against the log:
    # a daily rollover dates a change of stage to the day, even when nothing rolls
    history_read = functools.cache(lambda: history_table(team, snap))  # made once, if needed
    as_read = {rep: read_as.get(rep, page) for rep, page in now_pages.items()}
    log = stage_log(team, snap, history_read, as_read, today, written=read_as)
    result.stage_changes = len(log.new)
    record_stages(team, snap, log, at, plan)
    if result.changed:
        plan.ledger += ledger_records(team, snap, at)
    if plan.history:
        plan.history_columns = missing
    if result.changed:
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


# --- status ------------------------------------------------------------------------


@dataclass
class StatusResult:
    team: str
    location: str
    period: str
    reps: list[RepSummary]


def status(team: Team, today: date) -> StatusResult:
    with open_workbook(team.workbook) as wb:
        snap, pages, errors = load_pages(team, wb)
        if not snap.exists:
            raise SheetsyncError(f"{wb.location}: no workbook yet; run sheetsync init first")
        reps: list[RepSummary] = []
        for rep in team.reps:
            if rep.name in errors:
                reps.append(RepSummary(rep.name, rep.tab, error=errors[rep.name]))
            elif rep.name in pages:
                reps.append(summarize(team, rep, pages[rep.name]))
            else:
                msg = f"tab '{rep.tab}': no page yet; run sheetsync init or rollover"
                reps.append(RepSummary(rep.name, rep.tab, error=msg))
        return StatusResult(team.name, wb.location, period_of(today, team.cadence).label, reps)


# --- check -------------------------------------------------------------------------


@dataclass
class TabCheck:
    tab: str
    state: str  # ok | error | missing | locked | blocked | other
    detail: str


@dataclass
class PersonCheck:
    email: str
    who: str
    state: str  # ok | no access | unknown
    detail: str


@dataclass
class CheckResult:
    team: str
    location: str
    title: str
    account: str | None
    tabs: list[TabCheck]
    people: list[PersonCheck] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(t.state in ("ok", "other", "locked") for t in self.tabs) and all(
            p.state != "no access" for p in self.people
        )


def check(team: Team) -> CheckResult:
    """Config, credentials and access, then every tab: is it a healthy rep page, and
    may sheetsync write it? And who of the team cannot edit the spreadsheet."""
    with open_workbook(team.workbook, sharing="read") as wb:
        snap, pages, errors = load_pages(team, wb, OWN_TABS)
        theirs = foreign(snap.grids, OWN_TABS)
        protection = wb.protections()
        tabs: list[TabCheck] = []

        def add(tab: str, state: str, detail: str) -> None:
            if tab in snap.blocked:
                state, detail = "blocked", snap.blocked[tab]
            elif state == "ok" and tab in protection:
                detail += f"; {protection[tab]}"
            tabs.append(TabCheck(tab, state, detail))

        for rep in team.reps:
            if rep.name in errors:
                add(rep.tab, "error", errors[rep.name])
            elif rep.name in pages:
                page = pages[rep.name]
                note = f"; {plural(len(page.warnings), 'warning')}" if page.warnings else ""
                changes = template_changes(team, page, snap.grids.get("History", []))
                if rep.tab in snap.renamed:
                    changes.append(
                        f"still titled '{snap.renamed[rep.tab]}': the next init or rollover "
                        f"renames it '{rep.tab}'"
                    )
                note += "".join(f"; {line}" for line in changes)
                add(rep.tab, "ok", f"{rep.name}'s page for {page.period_label}{note}")
            else:
                add(rep.tab, "missing", "no page yet; run sheetsync init")
        for tab, role in (
            ("History", "history"),
            ("_sheetsync", "ledger"),
            (STAGE_LOG_TAB, "stage log"),
            ("Team", "team view"),
        ):
            if tab in theirs:
                add(tab, "error", theirs[tab])
            elif tab in snap.titles:
                add(tab, "ok", f"sheetsync's {role}")
            elif tab == STAGE_LOG_TAB:  # an older workbook's: made when first needed
                add(tab, "ok", "none yet; the next rollover, refresh or import makes it")
            else:
                add(tab, "missing", "run sheetsync init")
        for tab, note in wb.locks().items():
            tabs.append(TabCheck(tab, "locked", f"{note}; the next sheetsync write removes it"))
        known = {t.tab for t in tabs}
        for title in snap.titles:
            if title not in known and title not in snap.renamed.values():
                tabs.append(TabCheck(title, "other", "not a sheetsync tab; left alone"))
        result = CheckResult(team.name, wb.location, wb.title, wb.account, tabs)
        people = people_of(team)
        access = wb.access(list(people))
        if access is not None:
            result.people = _people_checks(people, access)
        return result


def template_changes(team: Team, page: Page, history: Grid) -> list[str]:
    """What the next write does to a page after a change of the team's template:
    the columns it gains, and the columns the template no longer has (History's
    header still names them), which stay on the page as the person's own and go to
    History's extra when their rows are archived."""
    out = [w for w in page.warnings if "(new in the template)" in w]
    known = {str(h).strip().casefold() for h in (history[0] if history else []) if h}
    for sec in team.template.sections:
        shape = page.sections[sec.key].shape
        if shape is None:
            continue
        keys = {c.key.casefold() for c in sec.columns}
        for title in shape.extra.values():
            key = title.strip().casefold().replace(" ", "_")
            if key in known and key not in keys:
                out.append(
                    f"section '{sec.title}' column '{title}' is no longer in the template: "
                    "it stays on the page as your own column, and its values go to "
                    "History's extra when rows are archived"
                )
    return out


def _people_checks(people: dict[str, str], access: Access) -> list[PersonCheck]:
    if access.unknown:
        return [PersonCheck("", "", "unknown", f"cannot tell who may edit it: {access.unknown}")]
    out = []
    through = f" (unless through a group: {', '.join(access.groups)})" if access.groups else ""
    for email, who in people.items():
        why = access.cannot_edit.get(email)
        if why:
            detail = f"{who} cannot edit the spreadsheet: {why}{through}"
            detail += "; run sheetsync init --share"
            out.append(PersonCheck(email, who, "no access", detail))
    if not out:
        n = len(people)
        who = "the one person" if n == 1 else f"all {n} people"
        out.append(PersonCheck("", "", "ok", f"{who} of the team may edit it"))
    return out


# --- refresh -------------------------------------------------------------------------


def record_stages(team: Team, snap: Snapshot, log: StageLog, at: str, plan: WritePlan) -> None:
    """The changes of stage ``log`` found, appended to ``_stages`` (made where an
    older workbook has none yet)."""
    if not log.new:
        return
    if STAGE_LOG_TAB not in snap.titles and not any(
        layout.title == STAGE_LOG_TAB for layout in plan.create
    ):
        plan.create.append(managers_only(team, render_stage_log()))
    plan.stages += [change.row(at) for change in log.new]


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

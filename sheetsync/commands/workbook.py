"""What the commands share: one read of the team's pages (each found where the
ledger says it is, a renamed rep's tab renamed first), the write planned again when
a person edits meanwhile, and the pieces of a page every command lays out the same
way. Nothing here computes with pandas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, TypeVar

from sheetsync.config import Rep, Team
from sheetsync.domain.carry import (
    is_open,
)
from sheetsync.domain.layout import SheetLayout
from sheetsync.domain.page import Page, parse_page
from sheetsync.domain.page_checks import check_page, records_of
from sheetsync.domain.page_edit import page_edit
from sheetsync.domain.periods import Period, in_range, parse_period, period_of
from sheetsync.domain.plan import Grid, PageEdit, Snapshot, WritePlan
from sheetsync.domain.render import (
    render_page,
    render_stage_log,
)
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.domain.values import CellValue
from sheetsync.errors import ConcurrentEdit, PageError
from sheetsync.own_tabs import refuse_foreign
from sheetsync.ports import Workbook
from sheetsync.tab_records import (
    RECORD,
    Located,
    aliased,
    history_rep_column,
    locate,
    record_row,
)
from sheetsync.template_records import known_columns
from sheetsync.template_records import record_rows as template_rows

if TYPE_CHECKING:  # types only: reading the pages needs no pandas
    from sheetsync.commands.team_tab import StageLog
    from sheetsync.domain.signals import TeamSignals


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


def people_of(team: Team) -> dict[str, str]:
    """The people who work on the team's workbook: email -> who they are."""
    out = {team.manager.email: f"{team.manager.name} (manager)"}
    for rep in team.reps:
        if rep.mailable:
            out.setdefault(rep.email, f"{rep.name} (rep)")
    return out


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
        _history_as_theirs(snap, located.aliases)
    return snap, located


def _history_as_theirs(snap: Snapshot, aliases: dict[str, str]) -> None:
    """History's rows under a rep's earlier names read as the rep's (in memory)."""
    if aliases and "History" in snap.grids:
        history = snap.grids["History"]
        column = history_rep_column(history)
        snap.grids["History"] = [list(r) for r in aliased(history, aliases, column)]


def read_also(team: Team, wb: Workbook, first: Snapshot, tabs: list[str]) -> Snapshot:
    """A second read, of tabs a command needs only sometimes (History, the stage
    log: a recap run with nothing due reads neither), with History's rows under a
    rep's earlier names read as theirs, as ``read_located`` does."""
    snap = wb.read(tabs)
    _history_as_theirs(snap, locate(team, first.titles, first.ledger).aliases)
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

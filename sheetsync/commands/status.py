"""``status`` (each rep's period, meeting and open work) and ``check`` (the config,
access and every tab of the workbook): commands that read and write nothing, with
no pandas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sheetsync.adapters.registry import open_workbook
from sheetsync.commands.workbook import (
    RepSummary,
    load_pages,
    people_of,
    summarize,
)
from sheetsync.config import Team
from sheetsync.domain.access import Access
from sheetsync.domain.page import Page
from sheetsync.domain.periods import period_of
from sheetsync.domain.plan import Grid
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.errors import SheetsyncError
from sheetsync.own_tabs import OWN_TABS, foreign
from sheetsync.wording import plural

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

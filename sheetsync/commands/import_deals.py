"""``sheetsync import``: update the deal rows from a CRM report export (CSV).

Rows are matched by the CRM's id, which becomes the deal's id on the page, so a
deal is typed once, in the CRM. Every row of the file is checked before anything
is written: an unknown stage, a bad date or amount is one line naming the CSV row,
and then nothing is applied. Imported text is always written as text, never as a
formula (``=HYPERLINK(...)`` arrives as those characters).

What a team's workbook already holds is taken into account:

- a deal typed on a page before the first import (same opportunity and account,
  ignoring case and spacing) is that CRM deal: its row is updated, not doubled, and
  keeps its id (and so its History); ``_sheetsync`` records which CRM id it is
  (a ``crm link`` row);
- a deal that closed and left the page at a rollover (History says so) is not
  added back while the CRM still has it closed;
- a deal whose owner changed in the CRM moves to the new owner's page;
- a row owned by someone outside the team is skipped and counted;
- the file may be comma-, semicolon- (European Excel), tab- or pipe-separated;
- amounts and dates are read the team's way (``Reading``: its locale and
  currency); an amount in another currency is kept as typed, with a warning.

The stage log (``_stages``, issue 15) takes the dates the CRM gives of each deal's
changes of stage (``import_stages``): a HubSpot deals export's "Date entered
<stage>" columns, or a Salesforce stage-history export, told by its header. Like
rollover and refresh, every import also records the changes of stage it sees on
the pages (as the import leaves them), once.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from sheetsync.adapters.registry import open_workbook
from sheetsync.commands.deal_health import history_table
from sheetsync.commands.import_stages import (
    HUBSPOT,
    SALESFORCE,
    CrmHistory,
    DealPlaces,
    Entry,
    HubSpotDates,
    changes,
    history_header,
    not_recorded,
    placed,
    read_stage_history,
)
from sheetsync.commands.team_tab import StageLog, stage_log
from sheetsync.commands.workbook import (
    load_pages,
    now_text,
    record_stages,
    rep_edit,
    write_replanned,
)
from sheetsync.config import LOST, WON, Rep, Team
from sheetsync.domain.history import header_index, text_under
from sheetsync.domain.page import Item, Page
from sheetsync.domain.plan import Snapshot, WritePlan
from sheetsync.domain.stage_log import STAGE_LOG_HEADER, STAGE_LOG_TAB, read_log
from sheetsync.domain.template import Section
from sheetsync.domain.values import (
    CellValue,
    OtherCurrency,
    check_text,
    is_blank,
    read_date,
    read_number,
)
from sheetsync.errors import SheetsyncError

# template column each CRM field lands in (the deal sections' keys); a field whose
# column a deal section lacks falls back to the next key listed, else is left out
TARGET: dict[str, tuple[str, ...]] = {
    "name": ("opportunity",),
    "account": ("account",),
    "amount": ("amount",),
    "stage": ("stage",),
    "close_date": ("close_date",),
    "last_activity": ("last_activity",),
    "next_step": ("next_step", "notes"),
}
DELIMITERS = (",", ";", "\t", "|")
LINK = "crm link"  # a ledger row: a deal typed on a page is this CRM id


class CsvProblems(SheetsyncError):
    """The CSV cannot be applied; every problem is listed, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class CrmDeal:
    rep: Rep
    crm_id: str
    values: dict[str, CellValue]  # by CRM field name (TARGET's keys)
    row: int = 0  # the CSV row it came from
    entries: list[Entry] = field(default_factory=list)  # HubSpot's "Date entered" cells


@dataclass
class CrmFile:
    """What a CSV holds for the team: its deals, the rows left out (owner -> rows)
    and the warnings (a cell kept as typed)."""

    deals: list[CrmDeal]
    outsiders: dict[str, list[int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    delimiter: str = ","
    stage_dates: bool = False  # it has "Date entered <stage>" columns (HubSpot)


@dataclass
class ImportResult:
    team: str
    location: str
    dry_run: bool
    updated: dict[str, list[str]] = field(default_factory=dict)  # rep -> deal labels
    added: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)  # typed deals found to be CRM ones
    moved: list[str] = field(default_factory=list)  # deals whose owner changed
    skipped: list[str] = field(default_factory=list)  # rows left out, and why
    warnings: list[str] = field(default_factory=list)  # cells kept as typed
    stage_source: str = ""  # the CRM whose dates of changes of stage the file gives
    stages_taken: int = 0  # changes of stage the CRM dates, added to the stage log
    stages_known: int = 0  # ... that the stage log already held
    stages_seen: int = 0  # changes of stage seen on the pages, added to the stage log

    @property
    def notes(self) -> list[str]:
        """Every line worth telling besides the per-rep counts, in order."""
        return [*self.matched, *self.moved, *self.skipped]


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SheetsyncError(f"{path}: file not found") from None
    except OSError as exc:
        raise SheetsyncError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetsyncError(
            f"{path}: byte {exc.start} is not UTF-8; export the report as CSV (UTF-8)"
        ) from None


def _key(text: CellValue) -> str:
    """A name as compared: case and spacing ignored."""
    return " ".join(str(text or "").split()).casefold()


def person_key(name: str) -> str:
    """A person's name or address as compared: Unicode-normalised (NFC, so that a
    precomposed "Chloé" is a decomposed one), case and spacing ignored."""
    folded = " ".join(unicodedata.normalize("NFC", name).split()).casefold()
    return unicodedata.normalize("NFC", folded)


def sniff_delimiter(text: str, wanted: Sequence[str]) -> str:
    """The file's delimiter: the one whose header row has the ``wanted`` columns;
    else the one ``csv.Sniffer`` finds among , ; tab |; else the most frequent on
    the header line."""
    first = text.splitlines()[0] if text.splitlines() else ""
    need = {_key(w) for w in wanted}
    for d in DELIMITERS:
        header = next(csv.reader([first], delimiter=d), [])
        if need <= {_key(h) for h in header}:
            return d
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return max(DELIMITERS, key=first.count)


def _stage_reader(team: Team) -> Callable[[str], str]:
    """A CRM stage -> the template's: the config's ``crm.stages`` first, then the
    template's own choice of that name, then the CRM's default stages (the
    preset's map) onto the first of their candidates the template offers."""
    choices: dict[str, str] = {}
    closing: list[str] = []
    for sec in team.template.sections:
        if sec.role == "deals":
            for col in sec.columns:
                if col.key == "stage":
                    choices.update({_key(c): c for c in col.choices})
            if sec.carry.closed_when is not None:
                closing += [str(v) for v in sec.carry.closed_when.values]
    won = list(team.template.won_stages) or [c for c in closing if "won" in c.casefold()]
    lost = list(team.template.lost_stages) or [c for c in closing if c not in won]
    given = {_key(k): v for k, v in team.crm.stages}
    defaults = {_key(k): v for k, v in team.crm.default_stages.items()}
    listed = ", ".join(dict.fromkeys(choices.values()))

    def read(raw: str) -> str:
        key = _key(raw)
        if key in given:
            target = given[key]
            if _key(target) in choices:
                return choices[_key(target)]
            raise ValueError(
                f"stage '{raw}' maps to '{target}' under crm.stages, which is not one of {listed}"
            )
        if key in choices:
            return choices[key]
        for candidate in defaults.get(key, ()):
            names = won[:1] if candidate == WON else lost[:1] if candidate == LOST else [candidate]
            for name in names:
                if _key(name) in choices:
                    return choices[_key(name)]
        raise ValueError(f"stage '{raw}' is not one of {listed} (map it under crm.stages)")

    return read


def stage_reader(team: Team, preset: str | None = None) -> Callable[[str], str]:
    """``_stage_reader`` with the default stages of ``preset``'s CRM (the one whose
    export is read), whatever the team's preset."""
    if preset is None or preset == team.crm.preset:
        return _stage_reader(team)
    return _stage_reader(replace(team, crm=replace(team.crm, preset=preset)))


def stage_ranks(team: Team) -> dict[str, int]:
    """Each of the template's stages (as compared) -> its place in the stage list."""
    out: dict[str, int] = {}
    for sec in team.template.sections:
        if sec.role == "deals":
            for col in sec.columns:
                if col.key == "stage":
                    for choice in col.choices:
                        out.setdefault(_key(choice), len(out))
    return out


def owner_reader(team: Team) -> Callable[[str], Rep | None]:
    """A CRM owner (a name or an address, as ``crm.owners`` maps it) -> the rep."""
    owners = {person_key(k): v for k, v in team.crm.owners}
    reps: dict[str, Rep] = {}
    for rep in team.reps:
        reps[person_key(rep.name)] = rep
        if rep.email:
            reps[person_key(rep.email)] = rep

    def read(owner: str) -> Rep | None:
        return reps.get(person_key(owners.get(person_key(owner), owner)))

    return read


def _text_of(path: Path) -> str:
    text = _read_text(path)
    if not text.strip():
        raise SheetsyncError(f"{path}: the file is empty; export the report again")
    return text


def read_crm_file(team: Team, path: Path) -> CrmFile | CrmHistory:
    """A deals export's deals (``read_crm_csv``), or a Salesforce stage-history
    export's dated changes of stage, told by its header; or every problem in it
    (``CsvProblems``)."""
    text = _text_of(path)
    found = history_header(text, DELIMITERS)
    if found is None:
        return read_crm_csv(team, path, text)
    history, problems = read_stage_history(
        text,
        found[0],
        path.name,
        stage_reader(team, SALESFORCE),
        team.template.reading.day_first,
        team.crm.column("id"),
    )
    if problems:
        raise CsvProblems(problems)
    return history


def read_crm_csv(team: Team, path: Path, text: str | None = None) -> CrmFile:
    """The file's deals for the team, or every problem in it (``CsvProblems``)."""
    if text is None:
        text = _text_of(path)
    crm = team.crm
    delimiter = sniff_delimiter(text, [crm.column("id"), crm.column("owner")])
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h for h in reader.fieldnames or [] if h is not None]
    by_key = {_key(h): h for h in reversed(header)}  # the first of two alike
    missing = [crm.column(f) for f in ("id", "owner") if _key(crm.column(f)) not in by_key]
    if missing:
        raise SheetsyncError(
            f"{path} row 1: no column {', '.join(repr(m) for m in missing)} "
            f"(columns: {', '.join(header)}); map them under crm.columns in the config"
        )
    rep_of = owner_reader(team)
    stage_of = _stage_reader(team)
    reading = team.template.reading
    dates = HubSpotDates(header, stage_reader(team, HUBSPOT), stage_ranks(team), reading.day_first)
    out = CrmFile([], delimiter=delimiter, stage_dates=bool(dates))
    problems: list[str] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(reader, start=2):
        where = f"{path.name} row {n}"

        def cell(field_name: str, row: dict[str, str | None] = row) -> str:
            name = by_key.get(_key(dict(crm.columns).get(field_name, "")))
            return " ".join((row.get(name) or "").split()) if name else ""

        crm_id = cell("id")
        try:
            check_text(crm_id)
        except ValueError as exc:
            problems.append(f"{where}: {crm.column('id')}: {exc}")
            continue
        if not crm_id:
            problems.append(f"{where}: no {crm.column('id')}")
            continue
        if crm_id in seen:
            problems.append(f"{where}: {crm_id} is also on row {seen[crm_id]}")
            continue
        seen[crm_id] = n
        owner = cell("owner")
        owner_rep = rep_of(owner)
        if owner_rep is None:
            out.outsiders.setdefault(owner or "(no owner)", []).append(n)
            continue
        values: dict[str, CellValue] = {}
        for field_name in TARGET:
            raw = cell(field_name)
            if not raw:
                continue
            column = crm.column(field_name)
            try:
                if field_name == "amount":
                    try:
                        values[field_name] = read_number(raw, reading)
                    except OtherCurrency as exc:
                        values[field_name] = check_text(raw)
                        out.warnings.append(f"{where}, {column}: {exc}; kept as typed")
                elif field_name in ("close_date", "last_activity"):
                    values[field_name] = read_date(raw, reading.day_first)
                elif field_name == "stage":
                    values[field_name] = stage_of(raw)
                else:
                    values[field_name] = check_text(raw)  # plain text, whatever it starts with
            except ValueError as exc:
                problems.append(f"{where}: {column}: {exc}")
        label = str(values.get("name") or "")
        entries = dates.read(row, crm_id, n, where, problems, label) if dates else []
        out.deals.append(CrmDeal(owner_rep, crm_id, values, n, entries))
    if problems:
        raise CsvProblems(problems)
    if out.outsiders and not out.deals:
        raise CsvProblems(
            [
                f"{path.name}: no row is owned by a rep of team {team.name} "
                f"({_owner_rows(out.outsiders)}); add them to the team, or map the "
                "names under crm.owners"
            ]
        )
    return out


def _owner_rows(outsiders: dict[str, list[int]], limit: int = 6) -> str:
    parts = []
    for owner, rows in list(outsiders.items())[:limit]:
        shown = ", ".join(str(r) for r in rows[:4]) + (", ..." if len(rows) > 4 else "")
        parts.append(f"{owner} on row{'s' if len(rows) > 1 else ''} {shown}")
    more = len(outsiders) - limit
    return "; ".join(parts) + (f"; {more} more" if more > 0 else "")


def _row_values(deal: CrmDeal, section: Section) -> dict[str, CellValue]:
    """The deal's values under the section's column keys (TARGET)."""
    keys = {c.key for c in section.columns}
    out: dict[str, CellValue] = {}
    for field_name, value in deal.values.items():
        key = next((k for k in TARGET[field_name] if k in keys), None)
        if key is not None:
            out[key] = value
    return out


def crm_links(ledger: Sequence[Sequence[CellValue]]) -> dict[str, str]:
    """CRM id -> the id of the row typed on a page before the first import, as
    ``_sheetsync`` records it."""
    out: dict[str, str] = {}
    for row in ledger:
        if len(row) > 4 and row[0] == LINK:
            parts = str(row[4] or "").split()
            if len(parts) == 2:
                out[parts[0]] = parts[1]
    return out


def closed_in_history(
    history: Sequence[Sequence[CellValue]], deal_keys: set[str]
) -> dict[str, str]:
    """Deal id -> the period in which it closed and left its page, from History."""
    index = header_index(history)
    out: dict[str, str] = {}
    for row in history[1:]:
        if (
            text_under(row, index, "section") in deal_keys
            and text_under(row, index, "outcome") == "closed"
        ):
            out[text_under(row, index, "id")] = text_under(row, index, "period")
    return out


@dataclass
class _Found:
    rep: str
    section: Section
    item: Item


class _Merge:
    """The CRM's deals onto the team's pages (see the module's docstring)."""

    def __init__(
        self,
        team: Team,
        pages: dict[str, Page],
        history: Sequence[Sequence[CellValue]],
        links: dict[str, str],
        result: ImportResult,
    ) -> None:
        self.team = team
        self.pages = pages
        self.sections = [s for s in team.template.sections if s.role == "deals"]
        self.result = result
        self.links = dict(links)
        self.new_links: list[tuple[str, str, str]] = []  # (rep, CRM id, page id)
        self.closed = closed_in_history(history, {s.key for s in self.sections})
        self.touched: set[str] = set()
        closing: set[str] = set()
        for sec in self.sections:
            if sec.carry.closed_when is not None:
                closing |= {_key(v) for v in sec.carry.closed_when.values}
        self.closing = closing
        self.by_id: dict[str, list[_Found]] = {}
        for rep, page in pages.items():
            for sec in self.sections:
                for item in page.items(sec.key) if sec.key in page.sections else []:
                    if item.id:
                        self.by_id.setdefault(item.id, []).append(_Found(rep, sec, item))

    def run(self, deals: list[CrmDeal]) -> set[str]:
        file_ids = {d.crm_id for d in deals}
        taken = file_ids | set(self.links.values())
        for d in deals:
            page_id = self.links.get(d.crm_id, d.crm_id)
            found = self.by_id.get(d.crm_id) or self.by_id.get(page_id) or []
            if not found:
                typed = self._typed(d, taken)
                if typed is not None:
                    found = [typed]
                    self._link(d, typed)
            if not found:
                self._add(d, page_id)
                continue
            mine = [f for f in found if f.rep == d.rep.name]
            keep = mine[0] if mine else found[0]
            for copy in found:
                if copy is not keep:
                    self._remove(copy, f"the copy on {copy.rep}'s page removed", d)
            if keep.rep != d.rep.name:
                self._move(keep, d)
            else:
                self._update(keep, d)
        return self.touched

    def _label(self, d: CrmDeal) -> str:
        return str(d.values.get("name") or d.crm_id)

    def _typed(self, d: CrmDeal, taken: set[str]) -> _Found | None:
        """A row typed on a page (the owner's first) with the deal's opportunity and
        account, not already another CRM deal's."""
        name = _key(d.values.get("name"))
        account = _key(d.values.get("account"))
        if not name:
            return None
        order = [d.rep.name, *(r for r in self.pages if r != d.rep.name)]
        for rep, page in ((r, self.pages[r]) for r in order if r in self.pages):
            for sec in self.sections:
                if sec.key not in page.sections:
                    continue
                has_account = any(c.key == "account" for c in sec.columns)
                for item in page.items(sec.key):
                    if item.id and item.id in taken:
                        continue
                    if _key(item.values.get("opportunity")) != name:
                        continue
                    if has_account and account and _key(item.values.get("account")) != account:
                        continue
                    taken.add(item.id or "")
                    return _Found(rep, sec, item)
        return None

    def _link(self, d: CrmDeal, typed: _Found) -> None:
        item = typed.item
        account = item.values.get("account")
        shown = " ".join(item.label(typed.section).split())
        shown += f" ({' '.join(str(account).split())})" if not is_blank(account) else ""
        if item.id and item.id != d.crm_id:
            self.links[d.crm_id] = item.id  # its id stays: History follows it
            self.new_links.append((d.rep.name, d.crm_id, item.id))
        else:
            item.id = d.crm_id
        self.result.matched.append(
            f"{shown} on {typed.rep}'s page is {d.crm_id} in the CRM (same opportunity "
            f"and account, row {d.row}): updated, not added again"
        )

    def _update(self, found: _Found, d: CrmDeal) -> None:
        item, sec = found.item, found.section
        wanted = _row_values(d, sec)
        changed = {k: v for k, v in wanted.items() if item.values.get(k) != v}
        if changed:
            item.values.update(changed)
            self.result.updated.setdefault(d.rep.name, []).append(item.label(sec))
            self.touched.add(d.rep.name)

    def _remove(self, found: _Found, why: str, d: CrmDeal) -> None:
        page = self.pages[found.rep]
        page.items(found.section.key).remove(found.item)
        label = found.item.label(found.section)
        self.result.updated.setdefault(found.rep, []).append(f"{label} ({why})")
        self.touched.add(found.rep)
        lost = {**found.item.extra, **{f"note on {k}": v for k, v in found.item.notes.items()}}
        if lost:
            kept = "; ".join(f"{k}: {v}" for k, v in lost.items())
            self.result.moved.append(
                f"{label} ({d.crm_id}) left {found.rep}'s page with cells of their own "
                f"that do not follow it: {kept}"
            )

    def _move(self, found: _Found, d: CrmDeal) -> None:
        """The CRM gives the deal to another rep: its row leaves the old owner's page
        and comes onto the new owner's, with its id, origin and carry count."""
        self._remove(found, f"moved to {d.rep.name}'s page: its owner in the CRM", d)
        page = self.pages[d.rep.name]
        sec = found.section if found.section.key in page.sections else self.sections[0]
        item = found.item
        values = {**item.values, **_row_values(d, sec)}
        moved = Item(item.id, values, item.origin, item.carried)
        page.items(sec.key).append(moved)
        self.result.added.setdefault(d.rep.name, []).append(
            f"{moved.label(sec)} (from {found.rep}'s page: its owner in the CRM)"
        )
        self.result.moved.append(
            f"{moved.label(sec)} ({d.crm_id}) moved from {found.rep}'s page to "
            f"{d.rep.name}'s: the CRM gives it to {d.rep.name} (row {d.row})"
        )
        self.touched.add(d.rep.name)

    def _add(self, d: CrmDeal, page_id: str) -> None:
        closed_in = self.closed.get(d.crm_id) or self.closed.get(page_id)
        stage = d.values.get("stage")
        if closed_in and (is_blank(stage) or _key(stage) in self.closing):
            self.result.skipped.append(
                f"{self._label(d)} ({d.crm_id}, row {d.row}): closed, and filed in History "
                f"in {closed_in}; not added back"
            )
            return
        page = self.pages[d.rep.name]
        sec = self.sections[0]
        item = Item(page_id if closed_in else d.crm_id, _row_values(d, sec), page.period_label)
        page.items(sec.key).append(item)
        label = item.label(sec) + (" (reopened in the CRM)" if closed_in else "")
        self.result.added.setdefault(d.rep.name, []).append(label)
        self.touched.add(d.rep.name)


def merge_deals(
    deals: list[CrmDeal],
    pages: dict[str, Page],
    team: Team,
    result: ImportResult,
    history: Sequence[Sequence[CellValue]] = (),
    ledger: Sequence[Sequence[CellValue]] = (),
) -> tuple[set[str], list[tuple[str, str, str]]]:
    """Each CRM deal onto its rep's page. Returns the reps whose page changed and
    the new links (rep, CRM id, page id) of typed deals to record."""
    merge = _Merge(team, pages, history, crm_links(ledger), result)
    touched = merge.run(deals)
    return touched, merge.new_links


def import_stage_log(
    team: Team,
    snap: Snapshot,
    pages: dict[str, Page],
    crm: CrmHistory,
    links: dict[str, str],
    today: date,
    at: str,
    result: ImportResult,
    file_name: str,
) -> StageLog:
    """The changes of stage to add to ``_stages``: those the CRM dates that it does
    not hold yet (with the same deal, stage, day and source), under the deals' ids
    on the pages; then those the pages show against the log with the CRM's in it
    (a stage the CRM dates is not dated a second time by the day it was seen).

    A deal sheetsync does not know (on no page, not in History or the log, not
    linked to a row by a ``crm link``) is left out and counted: a Salesforce
    history covers every opportunity of the org, long-closed and other teams'
    ones too, and sheetsync cannot tell which would be this team's. A deal that
    closed and left its page is known to History, and its changes are kept."""
    read = read_log(snap.grids.get(STAGE_LOG_TAB, []))
    places = DealPlaces(pages, team.template, snap.grids.get("History", []), links, read)
    rep_of = owner_reader(team)

    def rep_name(owner: str) -> str:
        rep = rep_of(owner) if owner else None
        return rep.name if rep else ""

    found, unknown = placed(changes(crm), places, rep_name)
    taken, known = not_recorded(found, read)
    with_crm: list[list[CellValue]] = [
        list(STAGE_LOG_HEADER),
        *(c.row(at) for c in [*read, *taken]),
    ]
    as_if = replace(snap, grids={**snap.grids, STAGE_LOG_TAB: with_crm})
    seen = stage_log(team, as_if, history_table(team, snap), pages, today)
    result.stages_taken, result.stages_known, result.stages_seen = len(taken), known, len(seen.new)
    if unknown:
        shown = ", ".join(unknown[:4]) + (", ..." if len(unknown) > 4 else "")
        n = len(unknown)
        result.skipped.append(
            f"{n} deal{'s' if n > 1 else ''} in {file_name} left out of the stage log: on "
            f"no page, not in History and not linked to a row ({shown}); import the deals "
            "export first, then this file again"
        )
    return StageLog(read, [*taken, *seen.new])


def import_deals(team: Team, today: date, path: Path, dry_run: bool = False) -> ImportResult:
    """The CSV's deals onto the pages, and the changes of stage it dates (or, for a
    stage-history export, only those) into the stage log, in one write; planned
    again from a fresh read when a person edits a page meanwhile, so their edit
    stays."""
    crm_file = read_crm_file(team, path)
    deals = crm_file.deals if isinstance(crm_file, CrmFile) else []
    if not any(s.role == "deals" for s in team.template.sections):
        raise SheetsyncError(f"template '{team.template.name}' has no deals section to import into")
    with open_workbook(team.workbook) as wb:

        def plan_once() -> tuple[ImportResult, WritePlan | None]:
            snap, pages, errors = load_pages(
                team, wb, also=("History", STAGE_LOG_TAB), writing=True
            )
            if not snap.exists:
                raise SheetsyncError(f"{wb.location}: no workbook yet; run sheetsync init first")
            result = ImportResult(team.name, wb.location, dry_run)
            if isinstance(crm_file, CrmHistory):
                history = crm_file
                result.stage_source = history.source
            else:
                history = CrmHistory(HUBSPOT, [e for d in deals for e in d.entries])
                result.stage_source = HUBSPOT if crm_file.stage_dates else ""
                result.warnings = list(crm_file.warnings)
            if isinstance(crm_file, CrmFile) and crm_file.outsiders:
                n = sum(len(rows) for rows in crm_file.outsiders.values())
                result.skipped.append(
                    f"{n} row{'s' if n > 1 else ''} skipped: owned by someone outside team "
                    f"{team.name} ({_owner_rows(crm_file.outsiders)}); map a name under "
                    "crm.owners if it is one of the team's"
                )
            blocked = [
                errors.get(d.rep.name) or f"tab '{d.rep.tab}': no page yet; run sheetsync init"
                for d in deals
                if d.rep.name not in pages
            ]
            if blocked:
                raise CsvProblems(sorted(set(blocked)))
            before = {name: page.snapshot() for name, page in pages.items()}
            touched, links = merge_deals(
                deals, pages, team, result, snap.grids.get("History", []), snap.ledger
            )
            at = now_text()
            linked = {**crm_links(snap.ledger), **{crm_id: page_id for _, crm_id, page_id in links}}
            log = import_stage_log(team, snap, pages, history, linked, today, at, result, path.name)
            if dry_run or not (touched or log.new):
                return result, None
            plan = WritePlan()
            for rep in team.reps:
                if rep.name in touched:
                    page = pages[rep.name]
                    grid = snap.grids[rep.tab]
                    plan.edit.append(
                        rep_edit(team, rep, before[rep.name], grid, page, None, reshape=True)
                    )
                    n_up = len(result.updated.get(rep.name, []))
                    n_add = len(result.added.get(rep.name, []))
                    detail = f"{n_up} updated, {n_add} added from {path.name}"
                    plan.ledger.append(["import", rep.name, page.period_label, at, detail])
            for rep_name, crm_id, page_id in links:
                period = pages[rep_name].period_label if rep_name in pages else ""
                plan.ledger.append([LINK, rep_name, period, at, f"{crm_id} {page_id}"])
            record_stages(team, snap, log, at, plan)
            return result, plan

        return write_replanned(wb, plan_once)

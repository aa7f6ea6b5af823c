"""``sheetsync import``: update the deal rows from a CRM report export (CSV).

Rows are matched by the CRM's id, which becomes the deal's id on the page, so a
deal is typed once, in the CRM. Every row of the file is checked before anything
is written: an unknown owner or stage, a bad date or amount is one line naming the
CSV row, and then nothing is applied. Imported text is always written as text,
never as a formula (``=HYPERLINK(...)`` arrives as those characters).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sheetsync.adapters.registry import open_workbook
from sheetsync.config import Rep, Team
from sheetsync.domain.page import Item, Page
from sheetsync.domain.plan import WritePlan
from sheetsync.domain.template import Section
from sheetsync.domain.values import CellValue, check_text, read_date, read_number
from sheetsync.errors import SheetsyncError
from sheetsync.usecases import load_pages, now_text, rep_edit, write_replanned

# template column each CRM field lands in (the deal sections' keys)
TARGET = {
    "name": "opportunity",
    "account": "account",
    "amount": "amount",
    "stage": "stage",
    "close_date": "close_date",
    "last_activity": "last_activity",
}


class CsvProblems(SheetsyncError):
    """The CSV cannot be applied; every problem is listed, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class CrmDeal:
    rep: Rep
    crm_id: str
    values: dict[str, CellValue]


@dataclass
class ImportResult:
    team: str
    location: str
    dry_run: bool
    updated: dict[str, list[str]] = field(default_factory=dict)  # rep -> deal labels
    added: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


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


def read_crm_csv(team: Team, path: Path) -> list[CrmDeal]:
    """The file's deals, or every problem in it (``CsvProblems``)."""
    text = _read_text(path)
    if not text.strip():
        raise SheetsyncError(f"{path}: the file is empty; export the report again")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    crm = team.crm
    missing = [crm.column(f) for f in ("id", "owner") if crm.column(f) not in header]
    if missing:
        raise SheetsyncError(
            f"{path} row 1: no column {', '.join(repr(m) for m in missing)} "
            f"(columns: {', '.join(header)}); map them under crm.columns in the config"
        )
    owners = {k.casefold(): v for k, v in crm.owners}
    reps: dict[str, Rep] = {}
    for rep in team.reps:
        reps[rep.name.casefold()] = rep
        if rep.email:
            reps[rep.email.casefold()] = rep
    stage_map = {k.casefold(): v for k, v in crm.stages}
    choices: dict[str, str] = {}
    for sec in team.template.sections:
        if sec.role == "deals":
            for col in sec.columns:
                if col.key == "stage":
                    choices.update({c.casefold(): c for c in col.choices})
    problems: list[str] = []
    deals: list[CrmDeal] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(reader, start=2):
        where = f"{path.name} row {n}"

        def cell(field_name: str, row: dict[str, str | None] = row) -> str:
            name = dict(crm.columns).get(field_name, "")
            return " ".join((row.get(name) or "").split())

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
        owner_rep = reps.get(owners.get(owner.casefold(), owner).casefold())
        if owner_rep is None:
            problems.append(
                f"{where}: owner '{owner}' is not a rep of team {team.name}; "
                "add them, or map the name under crm.owners"
            )
            continue
        values: dict[str, CellValue] = {}
        for field_name, key in TARGET.items():
            raw = cell(field_name)
            if not raw:
                continue
            try:
                if field_name == "amount":
                    values[key] = read_number(raw)
                elif field_name in ("close_date", "last_activity"):
                    values[key] = read_date(raw)
                elif field_name == "stage":
                    stage = stage_map.get(raw.casefold(), raw)
                    if stage.casefold() not in choices:
                        raise ValueError(
                            f"stage '{raw}' is not one of {', '.join(choices.values())} "
                            "(map it under crm.stages)"
                        )
                    values[key] = choices[stage.casefold()]
                else:
                    values[key] = check_text(raw)  # plain text, whatever it starts with
            except ValueError as exc:
                problems.append(f"{where}: {crm.column(field_name)}: {exc}")
        deals.append(CrmDeal(owner_rep, crm_id, values))
    if problems:
        raise CsvProblems(problems)
    return deals


def merge_deals(
    deals: list[CrmDeal], pages: dict[str, Page], sections: list[Section], result: ImportResult
) -> set[str]:
    """Each CRM deal onto its rep's page: the row with its CRM id is updated, or a
    new row goes into the first deals section. Returns the reps whose page changed."""
    touched: set[str] = set()
    for d in deals:
        page = pages[d.rep.name]
        found = None
        for sec in sections:
            for item in page.items(sec.key):
                if item.id == d.crm_id:
                    found = (sec, item)
        if found is not None:
            sec, item = found
            changed = {k: v for k, v in d.values.items() if item.values.get(k) != v}
            if changed:
                item.values.update(changed)
                result.updated.setdefault(d.rep.name, []).append(item.label(sec))
                touched.add(d.rep.name)
            continue
        item = Item(d.crm_id, dict(d.values), page.period_label)
        page.items(sections[0].key).append(item)
        result.added.setdefault(d.rep.name, []).append(item.label(sections[0]))
        touched.add(d.rep.name)
    return touched


def import_deals(team: Team, today: date, path: Path, dry_run: bool = False) -> ImportResult:
    """The CSV's deals onto the pages, in one write; planned again from a fresh
    read when a person edits a page meanwhile, so their edit stays."""
    deals = read_crm_csv(team, path)
    deal_sections = [s for s in team.template.sections if s.role == "deals"]
    if not deal_sections:
        raise SheetsyncError(f"template '{team.template.name}' has no deals section to import into")
    with open_workbook(team.workbook) as wb:

        def plan_once() -> tuple[ImportResult, WritePlan | None]:
            snap, pages, errors = load_pages(team, wb, writing=True)
            if not snap.exists:
                raise SheetsyncError(f"{wb.location}: no workbook yet; run sheetsync init first")
            result = ImportResult(team.name, wb.location, dry_run)
            blocked = [
                errors.get(d.rep.name) or f"tab '{d.rep.tab}': no page yet; run sheetsync init"
                for d in deals
                if d.rep.name not in pages
            ]
            if blocked:
                raise CsvProblems(sorted(set(blocked)))
            before = {name: page.snapshot() for name, page in pages.items()}
            touched = merge_deals(deals, pages, deal_sections, result)
            if dry_run or not touched:
                return result, None
            plan = WritePlan()
            at = now_text()
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
            return result, plan

        return write_replanned(wb, plan_once)

"""The dates a CRM export gives of each deal's changes of stage (issue 15), for
``sheetsync import`` to add to the stage log (``_stages``), where they win over
sheetsync's own dating of the same entry (``stage_log.merged``).

Two exports carry them:

- **HubSpot, a deals export** with the stage calculated properties among its
  columns. HubSpot keeps, for each stage of each pipeline, "Date entered <stage>"
  and "Date exited <stage>": "the date and time the record entered [exited] the
  stage" (https://knowledge.hubspot.com/properties/stage-calculated-properties).
  An export's column headers are the property labels, which read
  ``Date entered "Appointment Scheduled (Sales Pipeline)"``: the stage's label
  and, in parentheses, its pipeline's (labels as listed, e.g., in a portal's deal
  properties dumped at github.com/hairsolutionsco/automations_hub,
  hubspot/objects/deals/properties.md; contacts' lifecycle stages use single
  quotes: ``Date entered 'Lead (Lifecycle Stage Pipeline)'``). Any quotes, or
  none, are accepted; the stage is the label with the pipeline taken off, unless
  the whole label is a stage the team maps (``crm.stages``). A deal row gives each
  stage it went through once, with the last time it entered it.
- **Salesforce, a stage-history report export**: a report of the "Opportunity
  History" report type (the OpportunityHistory object, "the stage history of an
  opportunity": one record per change of Stage, Amount, Probability or Close
  Date; fields OpportunityId "Opportunity ID", StageName "Stage Name",
  CreatedDate "Created Date": https://developer.salesforce.com/docs/atlas.en-us.
  api.meta/api/sforce_api_objects_opportunityhistory.htm and the field reference,
  https://developer.salesforce.com/docs/platform/field-reference/references/
  field-reference/salesforce-field-reference-opportunityhistory.html). In the
  report, the change is dated by "Last Modified" (with "Last Modified By"; a
  secondary source: https://www.simplysfdc.com/2013/07/salesforce-opportunity-
  history-stage.html) and its stages read "From Stage" and "To Stage" (the names
  the report builder shows; no Salesforce page in reach lists the report type's
  columns, so "Edit Date" and "Created Date" are read as the date as well, and
  "Stage Name" or "Stage" as the stage entered when there is no "To Stage").
  The file is told from a deals export by its "From Stage" / "To Stage" columns
  (or the object's own names, OpportunityId, StageName and CreatedDate, as a
  Data Loader export has them). Rows where the stage did not change (an amount
  or a close date changed) are not changes of stage.

Both may hold date-times ("2026-03-04 10:15", "3/4/2026 10:15 AM", ISO 8601):
the day is read as the import reads dates (the team's locale), the time orders two
entries of one day. CRM stages are mapped onto the template's as the import maps
its Stage column; two CRM stages that map to one of the template's are one stay.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from sheetsync.domain.history import header_index, text_under
from sheetsync.domain.page import Page
from sheetsync.domain.stage_log import StageChange
from sheetsync.domain.template import Template
from sheetsync.domain.values import CellValue, check_text, read_date

HUBSPOT, SALESFORCE = "hubspot", "salesforce"  # the ``source`` of their changes

# a Salesforce stage-history export's columns, each the first of its names found
SF_ID = ("Opportunity ID", "OpportunityId")
SF_TO = ("To Stage", "Stage Name", "StageName", "Stage")
SF_FROM = ("From Stage",)
SF_WHEN = ("Last Modified", "Edit Date", "Created Date", "CreatedDate")
SF_NAME = ("Opportunity Name",)
SF_OWNER = ("Opportunity Owner",)

_DATED = re.compile(r"^\s*date\s+(entered|exited)\s+(.+?)\s*$", re.IGNORECASE)
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_PIPELINE = re.compile(r"^(.*\S)\s*\([^()]*\)$")
_MOMENT = re.compile(
    r"^(?P<day>.*?\d)(?:\s*,\s*|\s+|t)(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<half>[ap]\.?\s?m\.?)?\s*(?:z|utc|gmt|[+-]\d{2}:?\d{2}|[a-z]{3,4})?$",
    re.IGNORECASE,
)


def key(text: object) -> str:
    """A name as compared: case and spacing ignored."""
    return " ".join(str(text or "").split()).casefold()


def read_moment(raw: str, day_first: bool = False) -> datetime:
    """A CRM's date or date-time: the day as sheetsync reads dates (``read_date``),
    and the time of day where one follows (24-hour or AM/PM; a zone is ignored)."""
    text = " ".join(raw.split())
    m = _MOMENT.match(text)
    if m is None:
        day = read_date(text, day_first)
        if day is None:
            raise ValueError("no date")
        return datetime.combine(day, time())
    hour, minute, second = int(m["h"]), int(m["m"]), int(m["s"] or 0)
    if m["half"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"'{raw}' is not a time of day sheetsync can read")
        hour = hour % 12 + (12 if m["half"][0].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"'{raw}' is not a time of day sheetsync can read")
    try:
        day = read_date(m["day"], day_first)
    except ValueError as exc:
        raise ValueError(str(exc).replace(f"'{m['day']}'", f"'{raw}'")) from None
    if day is None:
        raise ValueError("no date")
    return datetime.combine(day, time(hour, minute, second))


@dataclass(frozen=True)
class Entry:
    """A deal (``crm_id``) entered ``stage`` (the template's) at ``at``, as the CRM
    dates it (``row``: the CSV row)."""

    crm_id: str
    stage: str
    at: datetime
    row: int
    rank: int = 0  # the stage's place in the template: orders two entries at one time
    exited: datetime | None = None  # HubSpot's "Date exited" of the stage, if given
    from_stage: str | None = None  # Salesforce's "From Stage", mapped; None: not given
    name: str = ""
    owner: str = ""


@dataclass
class CrmHistory:
    """The dated entries a CRM file gives, and what it is (its ``source``)."""

    source: str
    entries: list[Entry] = field(default_factory=list)


# --- HubSpot: "Date entered" columns of a deals export --------------------------------


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


@dataclass
class _Column:
    header: str
    entered: bool
    label: str  # as the header gives it: "Appointment Scheduled (Sales Pipeline)"
    stage: str | None = None  # the template's, once read
    problem: str | None = None


class HubSpotDates:
    """The "Date entered" / "Date exited" columns of a deals export, read per row."""

    def __init__(
        self,
        header: Sequence[str],
        stage_of: Callable[[str], str],
        rank: Mapping[str, int],
        day_first: bool,
    ) -> None:
        self.columns: list[_Column] = []
        for h in header:
            m = _DATED.match(h or "")
            if m:
                entered = m[1].casefold() == "entered"
                self.columns.append(_Column(h, entered, _unquoted(m[2])))
        self.stage_of = stage_of
        self.rank = rank
        self.day_first = day_first

    def __bool__(self) -> bool:
        return any(c.entered for c in self.columns)

    def _stage(self, col: _Column) -> str:
        """The template's stage a column dates (read once, at its first date)."""
        if col.stage is None and col.problem is None:
            whole = col.label
            bare = m[1] if (m := _PIPELINE.match(whole)) else whole
            try:
                col.stage = self.stage_of(whole)
            except ValueError:
                try:
                    col.stage = self.stage_of(bare)
                except ValueError as exc:
                    col.problem = str(exc)
        if col.problem is not None:
            raise ValueError(col.problem)
        return col.stage or ""

    def read(
        self,
        row: Mapping[str | None, str | None],
        crm_id: str,
        n: int,
        where: str,
        problems: list[str],
        name: str = "",
    ) -> list[Entry]:
        """The row's dated entries; each bad cell is a line in ``problems``."""
        entered: dict[str, tuple[datetime, str]] = {}  # label key -> (at, stage)
        exited: dict[str, datetime] = {}
        for col in self.columns:
            raw = " ".join((row.get(col.header) or "").split())
            if not raw:
                continue
            try:
                at = read_moment(raw, self.day_first)
                if col.entered:
                    entered[key(col.label)] = (at, self._stage(col))
                else:
                    exited[key(col.label)] = at
            except ValueError as exc:
                problems.append(f"{where}: {col.header}: {exc}")
        return [
            Entry(crm_id, stage, at, n, self.rank.get(key(stage), 0), exited.get(k), name=name)
            for k, (at, stage) in entered.items()
        ]


# --- Salesforce: a stage-history report export ----------------------------------------


def _first(by_key: Mapping[str, str], names: Iterable[str]) -> str | None:
    return next((by_key[key(n)] for n in names if key(n) in by_key), None)


def is_stage_history(header: Sequence[str]) -> bool:
    """A Salesforce stage-history export: "From Stage" or "To Stage" among its
    columns, or the OpportunityHistory object's OpportunityId, StageName and
    CreatedDate."""
    keys = {key(h) for h in header}
    return (
        bool(keys & {key(n) for n in ("From Stage", "To Stage")})
        or {key(n) for n in ("OpportunityId", "StageName", "CreatedDate")} <= keys
    )


def history_header(text: str, delimiters: Sequence[str]) -> tuple[str, list[str]] | None:
    """(delimiter, header) when ``text`` is a stage-history export, else None."""
    first = text.splitlines()[0] if text.splitlines() else ""
    for d in delimiters:
        header = next(csv.reader([first], delimiter=d), [])
        if is_stage_history(header):
            return d, header
    return None


def read_stage_history(
    text: str,
    delimiter: str,
    file_name: str,
    stage_of: Callable[[str], str],
    day_first: bool,
    id_column: str = SF_ID[0],
) -> tuple[CrmHistory, list[str]]:
    """A Salesforce stage-history export's entries (one per row that changed the
    stage), and a line per problem, naming its row and column. ``id_column``: the
    team's name for the opportunity id (``crm.columns``), tried first."""
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h for h in reader.fieldnames or [] if h is not None]
    by_key = {key(h): h for h in reversed(header)}  # the first of two alike
    id_col = _first(by_key, (id_column, *SF_ID))
    to_col = _first(by_key, SF_TO)
    when_col = _first(by_key, SF_WHEN)
    from_col = _first(by_key, SF_FROM)
    name_col, owner_col = _first(by_key, SF_NAME), _first(by_key, SF_OWNER)
    missing = [
        f"'{names[0]}'"
        for col, names in ((id_col, (id_column,)), (to_col, SF_TO), (when_col, SF_WHEN))
        if col is None
    ]
    if missing:
        return CrmHistory(SALESFORCE), [
            f"{file_name} row 1: a stage-history export without {' or '.join(missing)} "
            f"(columns: {', '.join(header)}); add {'it' if len(missing) == 1 else 'them'} "
            "to the report and export it again"
        ]
    assert id_col is not None and to_col is not None and when_col is not None
    out = CrmHistory(SALESFORCE)
    problems: list[str] = []
    for n, row in enumerate(reader, start=2):
        where = f"{file_name} row {n}"

        def cell(col: str | None, row: Mapping[str | None, str | None] = row) -> str:
            return " ".join((row.get(col) or "").split()) if col else ""

        crm_id = cell(id_col)
        if not crm_id:
            if cell(to_col) or cell(when_col):
                problems.append(f"{where}: no {id_col}")
            continue  # no change on it: a report's total, or the lines under a report
        try:
            check_text(crm_id)
        except ValueError as exc:
            problems.append(f"{where}: {id_col}: {exc}")
            continue
        raw_to, raw_when = cell(to_col), cell(when_col)
        try:
            if not raw_to:
                raise ValueError("no stage")
            stage = stage_of(raw_to)
        except ValueError as exc:
            problems.append(f"{where}: {to_col}: {exc}")
            continue
        try:
            before = stage_of(cell(from_col)) if cell(from_col) else None
        except ValueError as exc:
            problems.append(f"{where}: {from_col}: {exc}")
            continue
        try:
            if not raw_when:
                raise ValueError("no date")
            at = read_moment(raw_when, day_first)
        except ValueError as exc:
            problems.append(f"{where}: {when_col}: {exc}")
            continue
        try:
            name = check_text(cell(name_col))
        except ValueError as exc:
            problems.append(f"{where}: {name_col}: {exc}")
            continue
        # rank 0 for all: within one moment, the rows keep the file's order
        out.entries.append(Entry(crm_id, stage, at, n, 0, None, before, name, cell(owner_col)))
    return out, problems


# --- from entries to the stage log -----------------------------------------------------


def changes(history: CrmHistory) -> list[StageChange]:
    """Each deal's entries in order, as changes of stage (keyed by CRM id, with no
    rep yet): from the stage the CRM's "From Stage" gives, else the previous
    entry's. An entry into the stage the deal is in (after its previous entry, or
    its "From Stage" for the first) is not a change: an amount or a date changed,
    or two of the CRM's stages are one of the template's."""
    by_deal: dict[str, list[Entry]] = {}
    for e in history.entries:
        by_deal.setdefault(e.crm_id, []).append(e)
    out: list[StageChange] = []
    for crm_id, entries in by_deal.items():
        entries.sort(key=lambda e: (e.at, e.exited or datetime.max, e.rank, e.row))
        before: str | None = None  # the stage of the deal's previous entry in the file
        for e in entries:
            given = e.from_stage if e.from_stage and key(e.from_stage) != key(e.stage) else None
            if key(before or e.from_stage or "") == key(e.stage):
                continue
            came_from = given or before or ""
            out.append(
                StageChange(
                    crm_id, e.at.date(), came_from, e.stage, e.owner, history.source, e.name
                )
            )
            before = e.stage
    return out


@dataclass
class Place:
    page_id: str
    rep: str
    label: str


class DealPlaces:
    """Where each deal sheetsync knows is: the row on a page that has its id (a CRM
    id, or the id of the row a ``crm link`` names), else History's last row of it,
    else the stage log's. A deal none of them knows is unknown."""

    def __init__(
        self,
        pages: Mapping[str, Page],
        template: Template,
        history: Sequence[Sequence[CellValue]],
        links: Mapping[str, str],
        logged: Iterable[StageChange],
    ) -> None:
        self.links = dict(links)
        self.known: dict[str, Place] = {}
        for change in logged:
            self.known[change.deal_id] = Place(change.deal_id, change.rep, change.deal)
        deal_keys = {s.key for s in template.sections if s.role == "deals"}
        index = header_index(history)
        for row in history[1:]:
            deal_id = text_under(row, index, "id")
            if deal_id and text_under(row, index, "section") in deal_keys:
                rep, label = text_under(row, index, "rep"), text_under(row, index, "opportunity")
                self.known[deal_id] = Place(deal_id, rep, label)
        for rep, page in pages.items():
            for sec in template.sections:
                if sec.role != "deals" or sec.key not in page.sections:
                    continue
                for item in page.items(sec.key):
                    if item.id:
                        self.known[item.id] = Place(item.id, rep, item.label(sec))

    def find(self, crm_id: str) -> Place | None:
        return self.known.get(self.links.get(crm_id, crm_id)) or self.known.get(crm_id)


def placed(
    found: Iterable[StageChange], places: DealPlaces, rep_of: Callable[[str], str]
) -> tuple[list[StageChange], list[str]]:
    """The changes under the deals' ids on the pages, with their reps; and the CRM
    ids of the deals sheetsync does not know (left out). ``rep_of``: a CRM owner's
    rep, or ""."""
    out: list[StageChange] = []
    unknown: dict[str, None] = {}
    for c in found:
        place = places.find(c.deal_id)
        if place is None:
            unknown[c.deal_id] = None
            continue
        rep = place.rep or rep_of(c.rep)
        out.append(replace(c, deal_id=place.page_id, rep=rep, deal=c.deal or place.label))
    return out, list(unknown)


def not_recorded(
    found: Sequence[StageChange], logged: Iterable[StageChange]
) -> tuple[list[StageChange], int]:
    """The changes ``_stages`` does not already hold, with the same deal, stage
    entered, day and source (an import run every day adds nothing twice); and how
    many it does."""

    def same(c: StageChange) -> tuple[str, str, date, str]:
        return (c.deal_id, key(c.to_stage), c.on, c.source)

    seen = {same(c) for c in logged}
    new: list[StageChange] = []
    for c in found:
        if same(c) not in seen:
            seen.add(same(c))
            new.append(c)
    return new, len(found) - len(new)

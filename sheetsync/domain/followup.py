"""What a recap and an agenda say, as data: pure functions over a page, its
template and the History rows of earlier periods. Turning this into an email is
``sheetsync.messages``'s job.

No section is special-cased by name: sections are shown in the template's order,
and a section's role (deals, kpis, actions, commitments, agenda) decides what is
added: what changed on a deal since last period, a KPI's direction, the action
plan grouped by owner.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sheetsync.domain.carry import is_open, scored
from sheetsync.domain.history import header_index, texts_under
from sheetsync.domain.page import Item, Page
from sheetsync.domain.periods import Period
from sheetsync.domain.render import HISTORY_FIXED
from sheetsync.domain.template import Column, Section, Template
from sheetsync.domain.values import CellValue, Formula, is_blank, read_date, read_number


def show(column: Column, value: CellValue, currency: str = "$") -> str:
    """A cell as a person would read it in an email."""
    if is_blank(value):
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, date):
        return value.strftime("%d %b %Y").lstrip("0")
    if column.type == "checkbox":
        return "yes" if value is True else ("no" if value is False else str(value))
    if column.type == "money" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{currency}{value:,.0f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


# --- History ---------------------------------------------------------------------------


@dataclass
class Snapshot:
    """One History row: its period, item id, and its values by column name, made
    when first asked for (a recap looks at a few deals' rows of years of History)."""

    period: str
    row: Sequence[CellValue]
    columns: Mapping[str, int]  # column name -> position in History
    item_id: str = ""

    @functools.cached_property
    def values(self) -> dict[str, CellValue]:
        width = len(self.row)
        return {name: self.row[i] if 0 <= i < width else None for name, i in self.columns.items()}


class HistoryIndex:
    """History's rows by item id (each period's snapshot of a deal) and by
    (rep, period) (the rows a closed period archived)."""

    def __init__(self, grid: list[list[CellValue]]) -> None:
        self.by_id: dict[str, list[Snapshot]] = defaultdict(list)
        self.by_rep_period: dict[tuple[str, str], list[tuple[str, Snapshot, str]]] = defaultdict(
            list
        )
        if not grid:
            return
        index = header_index(grid)  # by name: people insert and reorder columns
        columns = {name: i for name, i in index.items() if name not in HISTORY_FIXED}
        columns["since"] = index.get("since", -1)  # always there, None where History has none
        fields = ("period", "rep", "section", "id", "outcome")
        for row in grid[1:]:
            period, rep, section, item_id, outcome = texts_under(row, index, fields)
            snap = Snapshot(period, row, columns, item_id)
            if item_id:
                self.by_id[item_id].append(snap)
            self.by_rep_period[(rep, period)].append((section, snap, outcome))
        for snaps in self.by_id.values():
            snaps.sort(key=lambda s: s.period)

    def before(self, item_id: str | None, period: str) -> list[Snapshot]:
        return [s for s in self.by_id.get(item_id or "", []) if s.period < period]


def pushes(track: list[CellValue]) -> tuple[int, int]:
    """(times a close date moved later, total days) along a deal's close dates."""
    count = days = 0
    previous: date | None = None
    for raw in track:
        try:
            current = read_date(raw)
        except ValueError:
            current = None
        if current is not None and previous is not None and current > previous:
            count += 1
            days += (current - previous).days
        previous = current or previous
    return count, days


def deal_changes(item: Item, earlier: list[Snapshot], currency: str, period: str) -> list[str]:
    """What moved on a deal since its last snapshot in History."""
    if not earlier:
        return ["new this period"] if item.origin in (None, "", period) else []
    last = earlier[-1].values
    notes: list[str] = []
    stage_then, stage_now = last.get("stage"), item.values.get("stage")
    if not is_blank(stage_then) and not is_blank(stage_now) and stage_then != stage_now:
        notes.append(f"stage {stage_then} → {stage_now}")
    try:
        then, now = read_number(last.get("amount")), read_number(item.values.get("amount"))
    except ValueError:
        then = now = None
    if then is not None and now is not None and then != now:
        notes.append(f"amount {currency}{then:,.0f} → {currency}{now:,.0f}")
    track = [s.values.get("close_date") for s in earlier] + [item.values.get("close_date")]
    last_push, _ = pushes(track[-2:])
    count, days = pushes(track)
    if last_push and count == 1:
        notes.append(f"close date pushed (+{days} days)")
    elif last_push:
        notes.append(f"close date pushed again ({count}× in all, +{days} days)")
    elif count:
        times = "once" if count == 1 else f"{count}×"
        notes.append(f"close date pushed {times} before (+{days} days)")
    return notes


def _day(value: date) -> str:
    return f"{value.day} {value:%b}"


def overdue(section: Section, item: Item, by: date | None) -> str:
    """'overdue: due 6 Nov' for an open action due before ``by`` (the meeting);
    'close date passed: 4 Nov' for an open deal whose close date is before it."""
    if by is None or not is_open(section, item):
        return ""
    key, words = {
        "actions": ("due", "overdue: due"),
        "deals": ("close_date", "close date passed:"),
    }.get(section.role, ("", ""))
    if not key:
        return ""
    try:
        when = read_date(item.values.get(key))
    except ValueError:
        return ""
    return f"{words} {_day(when)}" if when is not None and when < by else ""


def labelled(cells: Sequence[str], headers: Sequence[str]) -> str:
    """A row as one line of plain text: its first cell, then each other filled
    cell under its column's title ('Northwind — Amount: $8,000 · Stage: Demo')."""
    first = cells[0] if cells else ""
    pairs = [f"{h}: {c}" for h, c in zip(headers[1:], cells[1:], strict=False) if c]
    if not first:
        return " · ".join(pairs)
    return f"{first} — {' · '.join(pairs)}" if pairs else first


# --- content ----------------------------------------------------------------------------


@dataclass
class Line:
    cells: list[str]
    note: str = ""
    carried_from: str = ""  # the period it first came up in, when before this one
    alert: str = ""  # overdue, close date passed: shown marked
    stage_time: str = ""  # a deal slow in its stage: "40 days in Trial; your won deals took 7"


@dataclass(frozen=True)
class PageLink:
    """Where the rep's page is: a link to open (empty when there is none that works
    for everyone, as for a local file with no ``link`` set) and the same in words."""

    url: str
    where: str  # "tab 'Alice Chen' in team.xlsx"


@dataclass(frozen=True)
class MeetingTime:
    """A meeting's date and time as the emails say them."""

    when: str  # "Friday 27 November 2026, 10:00 to 10:45 (45 minutes, Europe/Paris time)"
    length: str  # "hour", "45 minutes"
    moved: str = ""  # "moved from Friday 25 December (Christmas Day)"


@dataclass
class Block:
    key: str
    title: str
    role: str
    minutes: int | None
    headers: list[str]
    lines: list[Line] = field(default_factory=list)
    still_open: list[Line] = field(default_factory=list)  # carried in, not yet closed


@dataclass
class ActionGroup:
    owner: str
    lines: list[Line]


@dataclass
class Recap:
    rep: str
    manager: str
    period: str
    period_name: str
    meeting_date: date | None
    next_meeting: date | None
    blocks: list[Block]
    action_headers: list[str]
    actions: list[ActionGroup]
    page: PageLink
    next_time: MeetingTime | None = None

    @property
    def empty(self) -> bool:
        """Nothing on the page: no recap is sent for it."""
        return not self.blocks and not self.actions


def _columns(section: Section) -> list[Column]:
    return [c for c in section.columns if c.type not in ("origin", "carried")]


def _line(
    section: Section,
    item: Item,
    period: str,
    currency: str,
    note: str = "",
    by: date | None = None,
    values: Mapping[str, CellValue] | None = None,
    columns: list[Column] | None = None,
) -> Line:
    """One row as an email shows it. ``by``: the meeting, to mark what is overdue;
    "open since" only for a row still open."""
    values = item.values if values is None else values
    cells = [show(c, values.get(c.key), currency) for c in columns or _columns(section)]
    # "open since" is said of what can be closed and is not: a deal, an action, a
    # problem; never of a closed deal, a KPI or a career goal
    still_open = section.carry.closed_when is not None and is_open(section, item)
    carried_from = item.origin if item.origin and item.origin != period and still_open else ""
    return Line(cells, note, carried_from, overdue(section, item, by))


def _kpi_note(item: Item) -> str:
    def number(key: str) -> float | None:
        try:
            value = read_number(item.values.get(key))
        except ValueError:
            return None
        return float(value) if value is not None else None

    actual, target, last = number("actual"), number("target"), number("last")
    notes = []
    if actual is not None and last is not None:
        arrow = "↑" if actual > last else "↓" if actual < last else "→"
        notes.append(f"{arrow} vs last period ({last:g})")
    if actual is not None and target is not None:
        notes.append("on target" if actual >= target else f"{target - actual:g} below target")
    return "; ".join(notes)


def _has_content(section: Section, item: Item) -> bool:
    return any(
        not is_blank(item.values.get(c.key)) and item.values.get(c.key) is not False
        for c in _columns(section)
        if c.type != "checkbox"
    )


def build_recap(
    page: Page,
    template: Template,
    history: HistoryIndex,
    rep: str,
    manager: str,
    period: Period,
    link: PageLink,
    currency: str = "$",
    flags: Mapping[str, Sequence[str]] | None = None,
    next_time: MeetingTime | None = None,
    stage_times: Mapping[str, str] | None = None,
) -> Recap:
    """``flags``: each deal's health signals by id (``domain.signals``), said after
    what changed on it; ``stage_times``: the time in stage of each deal slow in it,
    said on a line of its own."""
    label = period.label
    meeting, next_meeting = page.header.get("meeting_date"), page.header.get("next_meeting")
    by = meeting if isinstance(meeting, date) else None
    blocks: list[Block] = []
    action_headers: list[str] = []
    groups: dict[str, list[Line]] = defaultdict(list)
    for sec in template.sections:
        if sec.role == "agenda" or sec.key not in page.sections:
            continue
        items = [i for i in page.items(sec.key) if _has_content(sec, i)]
        if sec.role == "actions":
            owner_col = next((c for c in sec.columns if c.key == "owner"), None)
            cols = [c for c in _columns(sec) if c is not owner_col]
            action_headers = [c.title for c in cols]
            for item in items:
                if not is_open(sec, item):
                    continue
                owner = str(item.values.get("owner") or (owner_col.choices[0] if owner_col else ""))
                note = f"carried {item.carried}×" if item.carried else ""
                groups[owner].append(_line(sec, item, label, currency, note, by, columns=cols))
            continue
        block = Block(sec.key, sec.title, sec.role, sec.minutes, [c.title for c in _columns(sec)])
        for item in items:
            note = ""
            if sec.role == "deals":
                earlier = history.before(item.id, label)
                notes = deal_changes(item, earlier, currency, label)
                notes += [f for f in (flags or {}).get(item.id or "", ()) if "pushed" not in f]
                note = "; ".join(notes)
            elif sec.role == "kpis":
                note = _kpi_note(item)
            carried_in = sec.carry.keep == "open" and sec.role != "deals"
            if carried_in and item.origin and item.origin != label and not is_open(sec, item):
                note = "resolved"
            # a commitment is scored as the recap is written, not only at rollover
            values = scored(sec.carry, item.values)
            line = _line(sec, item, label, currency, note, by, values)
            if sec.role == "deals":
                line.stage_time = (stage_times or {}).get(item.id or "", "")
            if line.carried_from and carried_in and is_open(sec, item):
                block.still_open.append(line)
            else:
                block.lines.append(line)
        if block.lines or block.still_open:
            blocks.append(block)
    order = {name: i for i, name in enumerate(("Rep", "Manager"))}
    actions = [
        ActionGroup(owner, lines)
        for owner, lines in sorted(groups.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))
    ]
    return Recap(
        rep,
        manager,
        label,
        period.long_label,
        by,
        next_meeting if isinstance(next_meeting, date) else None,
        blocks,
        action_headers,
        actions,
        link,
        next_time,
    )


@dataclass
class TalkingPoint:
    deal: str
    reasons: list[str]
    stage_time: str = ""  # slow in its stage: "40 days in Trial; your won deals took 7"


@dataclass
class Agenda:
    rep: str
    manager: str
    period: str
    period_name: str
    meeting_date: date
    time: MeetingTime
    topics: list[Line]  # what the rep put on the page to talk about: first
    topic_headers: list[str]
    sections: list[tuple[str, int | None]]  # title, minutes
    commitments: list[Line]  # to review: each with its target
    commitment_headers: list[str]
    commitments_title: str
    open_actions: list[Line]
    action_headers: list[str]
    not_working: list[Line]
    not_working_headers: list[str]
    deals: list[TalkingPoint]
    agenda_title: str
    page: PageLink


def build_agenda(
    page: Page,
    template: Template,
    history: HistoryIndex,
    rep: str,
    manager: str,
    period: Period,
    meeting: date,
    link: PageLink,
    time: MeetingTime,
    currency: str = "$",
    flags: Mapping[str, Sequence[str]] | None = None,
    stage_times: Mapping[str, str] | None = None,
) -> Agenda:
    """``flags``: each deal's health signals by id (``domain.signals``), and
    ``stage_times`` the time in stage of each deal slow in it; the deals that have
    any, or whose close date is before the meeting, are the ones to be ready to
    talk about."""
    flags = flags or {}
    stage_times = stage_times or {}
    label = period.label
    topics: list[Line] = []
    topic_headers: list[str] = []
    commitments: list[Line] = []
    commitment_headers: list[str] = []
    commitments_title = "Commitments to review"
    actions: list[Line] = []
    action_headers: list[str] = []
    not_working: list[Line] = []
    not_working_headers: list[str] = []
    deals: list[TalkingPoint] = []
    agenda_title = "Rep's agenda"
    for sec in template.sections:
        if sec.key not in page.sections:
            continue
        items = [i for i in page.items(sec.key) if _has_content(sec, i) and is_open(sec, i)]
        if sec.role == "agenda":
            agenda_title = page.sections[sec.key].title
            cols = [c for c in _columns(sec) if c.type != "checkbox"]
            topic_headers = [c.title for c in cols]
            topics += [_line(sec, i, label, currency, columns=cols) for i in items]
        elif sec.role == "commitments":
            commitments_title = f"{page.sections[sec.key].title} to review"
            score = sec.carry.score
            hidden = {score.column, score.actual} if score else set()
            cols = [c for c in _columns(sec) if c.key not in hidden]
            commitment_headers = [c.title for c in cols]
            commitments += [_line(sec, i, label, currency, columns=cols) for i in items]
        elif sec.role == "actions":
            action_headers = [c.title for c in _columns(sec)]
            actions += [_line(sec, i, label, currency, by=meeting) for i in items]
        elif sec.role == "deals":
            for item in items:
                reasons = list(flags.get(item.id or "", ()))
                passed = overdue(sec, item, meeting)
                if passed:
                    reasons.insert(0, passed)
                slow = stage_times.get(item.id or "", "")
                if reasons or slow:
                    deals.append(TalkingPoint(item.label(sec), reasons, slow))
        elif sec.carry.keep == "open" and sec.role == "notes":
            not_working_headers = [c.title for c in _columns(sec)]
            not_working += [_line(sec, i, label, currency) for i in items]
    return Agenda(
        rep,
        manager,
        label,
        period.long_label,
        meeting,
        time,
        topics,
        topic_headers,
        [(s.title, s.minutes) for s in template.sections if s.role != "agenda"],
        commitments,
        commitment_headers,
        commitments_title,
        actions,
        action_headers,
        not_working,
        not_working_headers,
        deals,
        agenda_title,
        link,
    )

"""The one carry engine: applies any section's carry rule to its rows at rollover.

Every row of the closing period goes to History with its outcome, so History is a
full record of each closed period: ``carried`` and ``moved`` rows are also on the
new page; ``closed``, ``archived`` and ``reviewed`` rows left it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sheetsync.domain.history import header_index, texts_under
from sheetsync.domain.page import Item, Page, SectionContent
from sheetsync.domain.template import CarryRule, Section, Template
from sheetsync.domain.values import CellValue

STAYS = ("carried", "moved")
LEAVES = ("closed", "archived", "reviewed")


@dataclass(frozen=True)
class HistoryRow:
    period: str
    rep: str
    section: str
    item_id: str
    outcome: str
    since: str
    carried: int
    values: dict[str, CellValue]
    label: str = ""
    extra: str = ""  # a person's own columns and the row's notes, as ``Header: value``

    def cells(self, header: Sequence[CellValue]) -> list[CellValue]:
        """The row under ``header`` (History's first row, as it is): each value
        under its column's name, whatever order people left the columns in; None
        under a column of a person's own."""
        fixed: dict[str, CellValue] = {
            "period": self.period,
            "rep": self.rep,
            "section": self.section,
            "id": self.item_id,
            "outcome": self.outcome,
            "since": self.since,
            "carried": self.carried,
            "extra": self.extra or None,
        }
        out: list[CellValue] = []
        for name in header:
            key = str(name or "")
            # dates stay dates: each backend writes a date cell with a date format
            out.append(fixed[key] if key in fixed else self.values.get(key))
        while out and out[-1] is None:
            out.pop()
        return out


@dataclass
class Rolled:
    page: Page
    history: list[HistoryRow] = field(default_factory=list)

    def count(self, *outcomes: str) -> int:
        return sum(1 for h in self.history if h.outcome in outcomes)


def _decide(rule: CarryRule, item: Item) -> str:
    if rule.keep == "never":
        return "archived"
    if rule.closed_when is not None and rule.closed_when.holds(item.values):
        return "closed"
    if rule.max_carries is not None and item.carried >= rule.max_carries:
        return "reviewed"
    return "moved" if rule.move_to else "carried"


def scored(rule: CarryRule, values: dict[str, CellValue]) -> dict[str, CellValue]:
    """The values with the Hit/Miss a commitment has earned (actual against
    target), unless a person chose one or a figure is missing."""
    score = rule.score
    if score is None or values.get(score.column):
        return values  # a result a person chose wins
    actual, target = values.get(score.actual), values.get(score.target)
    if not isinstance(actual, int | float) or not isinstance(target, int | float):
        return values
    if isinstance(actual, bool) or isinstance(target, bool):
        return values
    return {**values, score.column: score.hit if actual >= target else score.miss}


def _carried_values(rule: CarryRule, values: dict[str, CellValue]) -> dict[str, CellValue]:
    out = dict(values)
    for target, source in rule.on_carry:
        out[target] = values.get(source) if source else None
    return out


def roll_page(
    page: Page,
    template: Template,
    new_period: str,
    header: dict[str, CellValue],
) -> Rolled:
    """Start ``new_period`` from ``page``; ``header`` gives the new page's header fields.

    Every item must already have an id (see ``page.assign_ids``)."""
    old = page.period_label
    # the rep the config gives the tab (the new header's), never the Rep cell alone:
    # a page copied from another rep's keeps that rep's name until it is rewritten
    rep = str(header.get("rep") or page.header.get("rep") or page.tab)
    sections = {s.key: SectionContent(s.key, page.sections[s.key].title) for s in template.sections}
    result = Rolled(page=Page(page.tab, header, sections, list(page.warnings)))
    arrivals: list[tuple[str, Item]] = []
    for sec in template.sections:
        for item in page.sections[sec.key].items:
            assert item.id is not None, "assign ids before rolling"
            outcome = _decide(sec.carry, item)
            since = item.origin or old
            values = scored(sec.carry, item.values) if outcome in LEAVES else item.values
            result.history.append(
                HistoryRow(
                    old,
                    rep,
                    sec.key,
                    item.id,
                    outcome,
                    since,
                    item.carried,
                    values,
                    item.label(sec),
                    extra_text(item),
                )
            )
            if outcome in STAYS:
                target = template.section(sec.carry.move_to) if sec.carry.move_to else sec
                moved = _carried_values(sec.carry, values)
                kept = {c.key: moved.get(c.key) for c in target.columns if c.is_value}
                carried = Item(item.id, kept, since, item.carried + 1)
                if sec.carry.move_to:
                    arrivals.append((target.key, carried))
                else:
                    sections[target.key].items.append(carried)
    for key, arrived in arrivals:  # moved rows follow the rows the section kept
        sections[key].items.append(arrived)
    return result


def extra_text(item: Item) -> str:
    """What History keeps of a row beyond the template's columns: a person's own
    columns and the notes on its cells."""
    parts = [f"{title}: {value}" for title, value in item.extra.items()]
    parts += [f"note on {title}: {text}" for title, text in item.notes.items()]
    return "; ".join(parts)


def carries_in_history(history: Sequence[Sequence[CellValue]]) -> Counter[tuple[str, str]]:
    """(rep, item id) -> how many rollovers History saw the item stay through."""
    index = header_index(history)
    seen: Counter[tuple[str, str]] = Counter()
    for row in history[1:]:
        rep, item_id, outcome = texts_under(row, index, ("rep", "id", "outcome"))
        if item_id and outcome in STAYS:
            seen[(rep, item_id)] += 1
    return seen


def restore_carry_counts(
    page: Page, template: Template, rep: str, carries: Counter[tuple[str, str]]
) -> None:
    """A section without a Carried column keeps an item's count in History only
    (the page shows just its Since): take it from there, so that History's
    ``carried`` and a ``max_carries`` rule see the true count."""
    for sec in template.sections:
        if any(c.type == "carried" for c in sec.columns):
            continue  # the page's own counter is what a person may have corrected
        for item in page.sections[sec.key].items:
            if item.id is not None:
                item.carried = max(item.carried, carries[(rep, item.id)])


def is_open(section: Section, item: Item) -> bool:
    """Still needs attention: not closed by the section's rule."""
    rule = section.carry.closed_when
    return rule is None or not rule.holds(item.values)

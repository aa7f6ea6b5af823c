"""Each deal's dated stage history (issue 15): the changes of stage sheetsync saw
on the pages, and those a CRM export dates, kept in ``_stages``, a hidden,
append-only tab of sheetsync's read by its header.

A change is recorded once, when a command that writes (``rollover``, ``refresh``,
``import``) finds a deal's stage different from the last one recorded for it (or,
for a deal from before the log, from its last History snapshot). It is dated by
the deal's "Stage since" where a person typed a date after the last change and no
later than today, else by the day it was seen. A stage changed and changed back
between two such commands is two changes, each recorded as it is seen.

Changes dated by a CRM (``source`` other than ``sheetsync``) win: where the CRM
dates a deal's entry into a stage, sheetsync's own dating of that entry is set
aside (``merged``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sheetsync.domain.page import Page
from sheetsync.domain.template import Template
from sheetsync.domain.values import CellValue, read_date

STAGE_LOG_TAB = "_stages"
STAGE_LOG_HEADER = ("on", "rep", "id", "from", "to", "source", "deal", "at")
SHEETSYNC = "sheetsync"


@dataclass(frozen=True)
class StageChange:
    """Deal ``deal_id`` entered ``to_stage`` (from ``from_stage``; "" when the deal
    was first seen) on ``on``."""

    deal_id: str
    on: date
    from_stage: str
    to_stage: str
    rep: str = ""
    source: str = SHEETSYNC  # or the CRM that dated it: "hubspot", "salesforce"
    deal: str = ""  # the deal's name, for a person reading the tab

    @property
    def from_crm(self) -> bool:
        return self.source != SHEETSYNC

    def row(self, at: str) -> list[CellValue]:
        """The change as a row of ``_stages`` (``STAGE_LOG_HEADER``), written ``at``."""
        fields: dict[str, CellValue] = {
            "on": self.on,
            "rep": self.rep,
            "id": self.deal_id,
            "from": self.from_stage,
            "to": self.to_stage,
            "source": self.source,
            "deal": self.deal,
            "at": at,
        }
        return [fields[k] if fields[k] != "" else None for k in STAGE_LOG_HEADER]  # blank


def read_log(grid: Sequence[Sequence[CellValue]]) -> list[StageChange]:
    """The changes in ``_stages`` as read (its first row is the header; columns are
    found by name). A row without an id, a stage or a date is left out."""
    if not grid:
        return []
    index = {str(h).strip(): i for i, h in enumerate(grid[0]) if h is not None}
    if not {"on", "id", "to"} <= set(index):
        return []

    def cell(row: Sequence[CellValue], name: str) -> CellValue:
        i = index.get(name)
        return row[i] if i is not None and i < len(row) else None

    out: list[StageChange] = []
    for row in grid[1:]:
        deal_id, to = str(cell(row, "id") or "").strip(), str(cell(row, "to") or "").strip()
        try:
            on = read_date(cell(row, "on"))
        except ValueError:
            on = None
        if not deal_id or not to or on is None:
            continue
        out.append(
            StageChange(
                deal_id,
                on,
                str(cell(row, "from") or "").strip(),
                to,
                str(cell(row, "rep") or "").strip(),
                str(cell(row, "source") or SHEETSYNC).strip() or SHEETSYNC,
                str(cell(row, "deal") or "").strip(),
            )
        )
    return out


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def last_stages(
    log: Iterable[StageChange], snapshots: Mapping[str, str] | None = None
) -> dict[str, tuple[str, date | None]]:
    """deal id -> (the stage last recorded, the day it was entered): from the log,
    else the stage of the deal's last History snapshot (with no day)."""
    out: dict[str, tuple[str, date | None]] = {
        deal: (stage, None) for deal, stage in (snapshots or {}).items() if stage
    }
    for change in sorted(log, key=lambda c: c.on):  # stable: same day, in log order
        out[change.deal_id] = (change.to_stage, change.on)
    return out


def observed(
    pages: Mapping[str, Page],
    template: Template,
    last: Mapping[str, tuple[str, date | None]],
    today: date,
) -> list[StageChange]:
    """The changes of stage the pages show against ``last`` (``last_stages``): a
    deal's stage that differs from the one last recorded, or a deal seen for the
    first time. Every deal must have its id (``page.assign_ids``)."""
    out: list[StageChange] = []
    for rep, page in pages.items():
        for sec in template.sections:
            if sec.role != "deals" or sec.key not in page.sections:
                continue
            for item in page.items(sec.key):
                stage = " ".join(str(item.values.get("stage") or "").split())
                if not item.id or not stage:
                    continue
                before, entered = last.get(item.id, ("", None))
                if before and _same(before, stage):
                    continue
                try:
                    typed = read_date(item.values.get("stage_since"))
                except ValueError:
                    typed = None
                after = entered or date.min
                on = typed if typed is not None and after < typed <= today else today
                out.append(StageChange(item.id, on, before, stage, rep, deal=item.label(sec)))
    return out


def merged(changes: Iterable[StageChange]) -> list[StageChange]:
    """Every change in date order, the CRM's winning: where a CRM dates a deal's
    entry into a stage, sheetsync's own changes into that stage are left out."""
    changes = list(changes)
    crm = {(c.deal_id, c.to_stage.casefold()) for c in changes if c.from_crm}
    kept = [c for c in changes if c.from_crm or (c.deal_id, c.to_stage.casefold()) not in crm]
    return sorted(kept, key=lambda c: (c.deal_id, c.on))

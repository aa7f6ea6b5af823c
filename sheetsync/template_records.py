"""The template's columns as ``_sheetsync`` records them, so that a change of the
team's template is a migration, not a misreading (issue 13).

Each time sheetsync writes pages with a template whose columns differ from the
last record, it appends ``columns | <section key> | | at | key, key, ...``. A column
the template had and no longer has is then known as such: its title on a page is
that column, kept as the person's own, never taken for a retitled new column. For
a workbook from before the records, History's header (which holds every column
key the template ever archived) says the same."""

from __future__ import annotations

from collections.abc import Sequence

from sheetsync.domain.template import Template
from sheetsync.domain.values import CellValue

RECORD = "columns"
Rows = Sequence[Sequence[CellValue]]


def _recorded(ledger: Rows) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for row in ledger:
        if len(row) > 4 and row[0] == RECORD and row[1]:
            keys = [k.strip() for k in str(row[4] or "").split(",") if k.strip()]
            out.setdefault(str(row[1]), []).append(keys)
    return out


def record_rows(template: Template, ledger: Rows, at: str) -> list[list[CellValue]]:
    """Rows for the sections whose columns differ from their last record."""
    last = {key: lists[-1] for key, lists in _recorded(ledger).items()}
    out: list[list[CellValue]] = []
    for sec in template.sections:
        keys = [c.key for c in sec.columns]
        if last.get(sec.key) != keys:
            out.append([RECORD, sec.key, "", at, ", ".join(keys)])
    return out


def known_columns(
    template: Template, ledger: Rows, history: Rows = ()
) -> dict[str, frozenset[str]]:
    """Per section: the column keys (casefolded) the team's template has had, by
    the records; for a section never recorded, by History's header (every key the
    template ever archived, other sections' too: a cautious hint). A section with
    neither is left out: nothing is known of its past."""
    recorded = _recorded(ledger)
    archived = {str(h).strip().casefold() for h in (history[0] if history else []) if h}
    out = {}
    for sec in template.sections:
        lists = recorded.get(sec.key)
        before = {k.casefold() for keys in lists for k in keys} if lists else archived
        if before:
            out[sec.key] = frozenset(before)
    return out

"""Which tab is whose, as ``_sheetsync`` records it (issue 13).

A page's rep is not read from a cell people can edit: each time sheetsync makes a
rep's page, or finds it under a new name, it appends a ``tab`` row to the ledger:
``tab | Alice Chen <alice@example.com> | | at | Alice Chen`` (who, by name and
address, and the tab's title). From those rows:

- a rep whose name or ``tab:`` changed in the config (capitals fixed, a new
  surname) is found at the tab they had, and that tab is renamed, not orphaned;
- the names History and the ledger know a rep by (``Alice chen``, ``Alice Wong``)
  are read as the rep's name in the config, so their History stays theirs;
- a tab no record gives its rep (a page copied from another rep's tab) is named as
  such when its Rep cell says otherwise.

Workbooks made before the records are read by the ledger's older rows and the
tabs' titles (a title that differs from the config only in capitals), and get their
records at the next write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sheetsync.config import Rep, Team
from sheetsync.domain.history import header_index
from sheetsync.domain.values import CellValue

RECORD = "tab"
_PAGE_KINDS = ("page", "rolled")  # the ledger's older rows, which name the rep only


@dataclass(frozen=True)
class TabRecord:
    name: str
    email: str
    title: str


def who(rep: Rep) -> str:
    return f"{rep.name} <{rep.email}>" if rep.email else rep.name


def record_row(rep: Rep, at: str) -> list[CellValue]:
    return [RECORD, who(rep), "", at, rep.tab]


def read_records(ledger: Sequence[Sequence[CellValue]]) -> list[TabRecord]:
    out = []
    for row in ledger:
        if len(row) > 4 and row[0] == RECORD and row[1] and row[4]:
            text = str(row[1]).strip()
            name, email = text, ""
            if text.endswith(">") and " <" in text:
                name, email = text[:-1].rsplit(" <", 1)
            out.append(TabRecord(name.strip(), email.strip(), str(row[4])))
    return out


def _same(record: TabRecord, rep: Rep) -> bool:
    """One person: the same address, or the same name but for capitals."""
    if record.email and rep.email and record.email.casefold() == rep.email.casefold():
        return True
    return record.name.casefold() == rep.name.casefold()


@dataclass
class Located:
    """Where each rep's page is, and who is who, for one read of the workbook."""

    moves: dict[str, str] = field(default_factory=dict)  # rep -> title their page has now
    aliases: dict[str, str] = field(default_factory=dict)  # a name known before -> rep
    records: dict[str, TabRecord] = field(default_factory=dict)  # rep -> last record
    unrecorded: list[Rep] = field(default_factory=list)  # reps whose record is out of date

    def record_rows(self, at: str) -> list[list[CellValue]]:
        return [record_row(rep, at) for rep in self.unrecorded]

    def made(self, rep: str, title: str) -> bool:
        """Whether sheetsync made (or last renamed) the tab ``title`` for ``rep``."""
        record = self.records.get(rep)
        return record is not None and record.title == title


def locate(team: Team, titles: Sequence[str], ledger: Sequence[Sequence[CellValue]]) -> Located:
    out = Located()
    records = read_records(ledger)
    names = {r.name for r in team.reps}
    claimed = {r.tab for r in team.reps}
    older = {str(row[1]) for row in ledger if len(row) > 1 and row[0] in _PAGE_KINDS}
    for rep in team.reps:
        mine = [r for r in records if _same(r, rep)]
        for r in mine:
            if r.name != rep.name and r.name not in names:
                out.aliases[r.name] = rep.name
        for name in older:  # a name fixed in capitals only, before the records
            if name != rep.name and name.casefold() == rep.name.casefold() and name not in names:
                out.aliases[name] = rep.name
        last = mine[-1] if mine else None
        if last is not None:
            out.records[rep.name] = last
        if last is None or (last.name, last.email, last.title) != (rep.name, rep.email, rep.tab):
            out.unrecorded.append(rep)
        if rep.tab in titles:
            continue
        free = [t for t in titles if t not in claimed and t not in out.moves.values()]
        if last is not None and last.title in free:
            out.moves[rep.name] = last.title
            continue
        alike = [t for t in free if t.casefold() in (rep.tab.casefold(), rep.name.casefold())]
        if len(alike) == 1 and not any(r.title == alike[0] for r in records):
            out.moves[rep.name] = alike[0]
    return out


def aliased(
    rows: Sequence[Sequence[CellValue]], aliases: dict[str, str], column: int, unless: str = ""
) -> list[Sequence[CellValue]]:
    """``rows`` with each name in ``column`` that is a rep's earlier name read as the
    rep's name (in memory: History and the ledger in the workbook keep what was
    written); a row whose first cell is ``unless`` is left as it is."""
    if not aliases or column < 0:
        return list(rows)
    out: list[Sequence[CellValue]] = []
    for row in rows:
        name = row[column] if column < len(row) else None
        if isinstance(name, str) and name in aliases and not (unless and row[0] == unless):
            row = [*row[:column], aliases[name], *row[column + 1 :]]
        out.append(row)
    return out


def history_rep_column(history: Sequence[Sequence[CellValue]]) -> int:
    return header_index(history).get("rep", -1)

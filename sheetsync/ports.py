"""The ports the use cases talk to. Adapters implement them; the domain never
sees them."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

from sheetsync.domain.plan import Grid, Snapshot, WritePlan


class Workbook(Protocol):
    """A team's spreadsheet. Used as a context manager for one command: ``read`` once,
    then ``write`` once; the write is all-or-nothing and refuses to overwrite a
    workbook that changed since the read (``ConcurrentEdit``)."""

    location: str  # what to show a person: a path or a URL
    title: str  # the spreadsheet's title, or the file's name

    @property
    def account(self) -> str | None:
        """Who sheetsync acts as, where that is an account (a service account)."""
        ...

    def __enter__(self) -> Workbook: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def read(self, tabs: Sequence[str]) -> Snapshot: ...

    def link(self, tab: str) -> str:
        """Where a person opens ``tab``: its Google Sheets URL, or the file's path."""
        ...

    def locks(self) -> dict[str, str]:
        """Tabs a sheetsync write holds locked (live, or left by a run that died)."""
        ...

    def write(self, plan: WritePlan) -> None: ...

    def record(self, rows: Grid) -> None:
        """Append rows to the ledger in a write of their own, right away: what a
        mailer has just sent must be on record before the next message goes."""
        ...

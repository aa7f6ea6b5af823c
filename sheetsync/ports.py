"""The ports the use cases talk to. Adapters implement them; the domain never
sees them."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

from sheetsync.domain.access import Access, Shared
from sheetsync.domain.plan import Grid, Snapshot, WritePlan


class Workbook(Protocol):
    """A team's spreadsheet. Used as a context manager for one command: ``read`` once,
    then ``write`` once; the write is all-or-nothing and refuses to overwrite a
    workbook that changed since the read (``ConcurrentEdit``)."""

    location: str  # what to show a person: a path or a URL
    title: str  # the spreadsheet's title, or the file's name
    accounts: bool  # whether who may edit it is a matter of accounts (sharing)

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

    def protections(self) -> dict[str, str]:
        """What protects each tab, in words, where the backend protects tabs."""
        ...

    def access(self, people: Sequence[str]) -> Access | None:
        """Which of ``people`` cannot edit the workbook; None where access is not
        a matter of accounts (a local file)."""
        ...

    def share(self, people: Sequence[str], notify: bool) -> list[Shared]:
        """Let each of ``people`` who cannot edit the workbook edit it."""
        ...

    def write(self, plan: WritePlan) -> None: ...

    def record(self, rows: Grid) -> None:
        """Append rows to the ledger in a write of their own, right away: what a
        mailer has just sent must be on record before the next message goes."""
        ...

"""Who may edit a shared workbook, and how sharing it went, as data."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Access:
    """The people of a team who cannot edit the workbook file, each with why; and the
    groups it is shared with, whose members cannot be seen."""

    cannot_edit: dict[str, str] = field(default_factory=dict)  # email -> why
    groups: list[str] = field(default_factory=list)
    unknown: str | None = None  # why it could not be told, when it could not


@dataclass(frozen=True)
class Shared:
    email: str
    outcome: str  # shared | upgraded | failed
    detail: str

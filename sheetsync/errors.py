"""One exception tree. Every error names where the problem is: a tab and cell, a
config key and line, a file. The CLI turns these into one ``Error: ...`` line."""

from __future__ import annotations


class SheetsyncError(Exception):
    """Base of every error a user can cause and fix."""


class ConfigError(SheetsyncError):
    """The config file is missing, malformed or inconsistent."""


class TemplateError(SheetsyncError):
    """A page template is malformed."""


class PageError(SheetsyncError):
    """A rep page cannot be read safely; names the tab and the cell."""

    def __init__(self, tab: str, cell: str, message: str) -> None:
        self.tab = tab
        self.cell = cell
        super().__init__(f"tab '{tab}' {cell}: {message}")


class WorkbookError(SheetsyncError):
    """The workbook cannot be opened, locked or written."""


class WorkbookBusy(WorkbookError):
    """Another process (sheetsync, Excel, LibreOffice) holds the workbook."""


class ConcurrentEdit(WorkbookError):
    """The workbook changed between our read and our write; nothing was written.
    ``tabs`` names the tabs that changed when the backend can tell (Google), and is
    empty when it cannot (a local file changes as a whole)."""

    def __init__(self, message: str, tabs: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.tabs = tabs


class PeriodError(SheetsyncError):
    """A period label or meeting-day rule is malformed."""

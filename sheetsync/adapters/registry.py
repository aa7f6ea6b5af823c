"""Workbook backends by name, as config names them."""

from __future__ import annotations

from sheetsync.adapters.xlsx import XlsxWorkbook
from sheetsync.config import WORKBOOK_TYPES, WorkbookConfig
from sheetsync.errors import ConfigError
from sheetsync.ports import Workbook


def open_workbook(config: WorkbookConfig, sharing: str | None = None) -> Workbook:
    """The team's workbook. ``sharing``: "read" to see who may edit it, "write" to
    share it too (a Google spreadsheet then asks for the Drive access that needs)."""
    if config.type == "xlsx" and config.path is not None:
        return XlsxWorkbook(config.path)
    if config.type == "google":
        from sheetsync.adapters.google import GoogleWorkbook  # gspread loads only when used

        return GoogleWorkbook(config, sharing)
    raise ConfigError(f"unknown workbook type '{config.type}' (one of {', '.join(WORKBOOK_TYPES)})")

"""Workbook backends by name, as config names them."""

from __future__ import annotations

from sheetsync.adapters.xlsx import XlsxWorkbook
from sheetsync.config import WORKBOOK_TYPES, WorkbookConfig
from sheetsync.errors import ConfigError
from sheetsync.ports import Workbook


def open_workbook(config: WorkbookConfig) -> Workbook:
    if config.type == "xlsx" and config.path is not None:
        return XlsxWorkbook(config.path)
    if config.type == "google":
        from sheetsync.adapters.google import GoogleWorkbook  # gspread loads only when used

        return GoogleWorkbook(config)
    raise ConfigError(f"unknown workbook type '{config.type}' (one of {', '.join(WORKBOOK_TYPES)})")

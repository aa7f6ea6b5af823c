"""The local workbook: an ``.xlsx`` file read and written with openpyxl.

One command holds a lock beside the file, reads it once, and writes it once: the
new workbook is saved to a temporary file in the same folder and renamed over the
old one, so the file on disk is always the old workbook or the new one.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync.adapters.filelock import FileLock, office_lock
from sheetsync.adapters.xlsx_history import HeldHistory, hold_history, put_back, read_rows, rows_xml
from sheetsync.domain.access import Access, Shared
from sheetsync.domain.layout import Chart, SheetLayout, Style
from sheetsync.domain.page import cell_name
from sheetsync.domain.plan import Grid, Snapshot, WritePlan
from sheetsync.domain.values import CellValue, Formula
from sheetsync.errors import ConcurrentEdit, WorkbookBusy, WorkbookError

LEDGER_TAB = "_sheetsync"
HISTORY_TAB = "History"
_BOOLEAN_FORMULAS = {"=TRUE()": True, "=FALSE()": False, "=TRUE": True, "=FALSE": False}

log = logging.getLogger(__name__)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _cell_value(cell: Any) -> CellValue:
    value = cell.value
    if cell.data_type == "f":
        text = str(value).replace(" ", "").upper()
        if text in _BOOLEAN_FORMULAS:  # how LibreOffice saves a boolean cell
            return _BOOLEAN_FORMULAS[text]
        return Formula(str(value))
    if isinstance(value, datetime) and value.hour == value.minute == value.second == 0:
        return value.date()
    if isinstance(value, str | int | float | bool | date) or value is None:
        return value
    return str(value)  # array formulas and other rarities: keep their text


def set_value(cell: Any, value: CellValue) -> None:
    """Write typed: a ``Formula`` stays a formula; any other text stays text, even
    when it starts with ``=`` (openpyxl would otherwise store it as a formula)."""
    if isinstance(value, Formula):
        cell.value = value.text
        return
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


class _Styles:
    """openpyxl styles, worked out once per distinct ``Style`` and workbook: the
    first cell gets them through openpyxl (which looks each part up in the
    workbook's tables, the slow part), the others a copy of its style indexes."""

    def __init__(self) -> None:
        self._cache: dict[Style, tuple[Font, PatternFill | None, Alignment, str]] = {}
        self._arrays: dict[Style, Any] = {}

    def apply(self, cell: Any, style: Style) -> None:
        if style == Style():
            return
        done = self._arrays.get(style)
        if done is not None:
            cell._style = copy.copy(done)
            return
        parts = self._cache.get(style)
        if parts is None:
            font = Font(
                bold=style.bold, italic=style.italic, size=style.size, color=style.color[1:]
            )
            fill = (
                PatternFill("solid", start_color=style.fill[1:], end_color=style.fill[1:])
                if style.fill
                else None
            )
            align = Alignment(horizontal=style.align, vertical="top", wrap_text=style.wrap)
            parts = (font, fill, align, style.number_format or "General")
            self._cache[style] = parts
        font, fill, align, fmt = parts
        cell.font = font
        if fill is not None:
            cell.fill = fill
        cell.alignment = align
        cell.number_format = fmt
        self._arrays[style] = copy.copy(cell._style)


def _render(ws: Worksheet, layout: SheetLayout, styles: _Styles) -> None:
    for r, row in enumerate(layout.rows, start=1):
        for c, spec in enumerate(row, start=1):
            if spec.value is None and spec.style == Style():
                continue
            cell = ws.cell(row=r, column=c)
            set_value(cell, spec.value)
            styles.apply(cell, spec.style)
    for i, width in enumerate(layout.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if layout.freeze_rows or layout.freeze_cols:
        ws.freeze_panes = cell_name(layout.freeze_rows + 1, layout.freeze_cols + 1)
    if layout.hidden:
        ws.sheet_state = "hidden"
    if layout.tab_color:
        ws.sheet_properties.tabColor = layout.tab_color[1:]
    groups: dict[tuple[str, ...], list[str]] = {}
    for v in layout.validations:
        key = v.choices or ("TRUE", "FALSE")
        col = get_column_letter(v.column)
        groups.setdefault(key, []).append(f"{col}{v.first_row}:{col}{v.last_row}")
    for choices, ranges in groups.items():
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
        dv.error = f"Pick one of: {', '.join(choices)}"
        dv.errorStyle = "warning"
        dv.sqref = " ".join(ranges)
        ws.add_data_validation(dv)
    for h in layout.highlights:
        col = get_column_letter(h.column)
        first = f"{col}{h.first_row}"
        text = h.text.replace('"', '""')
        rule = Rule(
            type="containsText",
            operator="containsText",
            text=h.text,
            stopIfTrue=True,
            dxf=DifferentialStyle(fill=PatternFill(bgColor=h.fill[1:], fill_type="solid")),
            formula=[f'NOT(ISERROR(SEARCH("{text}",{first})))'],
        )
        ws.conditional_formatting.add(f"{first}:{col}{h.last_row}", rule)
    for chart in layout.charts:
        _add_chart(ws, chart)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _add_chart(ws: Worksheet, spec: Chart) -> None:
    """Bars on the left axis, an optional line on a right axis (openpyxl's combo)."""
    first, last = spec.header_row, spec.last_row
    bars = BarChart()
    bars.type = "col"
    bars.title = spec.title
    bars.y_axis.title = spec.left_title
    for col in spec.bars:
        bars.add_data(
            Reference(ws, min_col=col, min_row=first, max_row=last), titles_from_data=True
        )
    cats = Reference(ws, min_col=spec.categories, min_row=first + 1, max_row=last)
    bars.set_categories(cats)
    if spec.line is not None:
        line = LineChart()
        line.add_data(
            Reference(ws, min_col=spec.line, min_row=first, max_row=last), titles_from_data=True
        )
        line.y_axis.axId = 200
        line.y_axis.title = spec.right_title
        line.y_axis.crosses = "max"
        bars += line
    bars.width, bars.height = 18, 9
    ws.add_chart(bars, cell_name(spec.anchor_row, spec.anchor_col))


def _grid(ws: Worksheet) -> Grid:
    grid: Grid = []
    for row in ws.iter_rows():
        grid.append([_cell_value(c) for c in row])
    while grid and all(v is None for v in grid[-1]):
        grid.pop()
    return grid


class XlsxWorkbook:
    """The ``Workbook`` port on a local ``.xlsx`` file."""

    accounts = False  # who may edit a local file is the file system's business

    def __init__(self, path: Path, lock_wait: float = 10.0) -> None:
        self.path = path
        self.location = str(path)
        self.title = path.name
        self.account: str | None = None  # a local file is not an account
        self._lock = FileLock(path, wait=lock_wait)
        self._wb: OpenpyxlWorkbook | None = None
        self._stat: tuple[int, int] | None = None
        self._held: HeldHistory | None = None  # History's rows, kept out of openpyxl
        self._ready = False  # a write needs a read of its own first

    def __enter__(self) -> XlsxWorkbook:
        self._lock.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._wb = None
        self._lock.__exit__(exc_type, exc, tb)

    def _refuse_if_open_elsewhere(self) -> None:
        lock = office_lock(self.path)
        if lock is not None:
            raise WorkbookBusy(
                f"{self.path} is open in Excel or LibreOffice (lock file {lock.name}); "
                "close it there and run again"
            )

    def _check_unchanged(self) -> None:
        """People win: a file saved by anyone since our read is never overwritten."""
        if _stat(self.path) != self._stat:
            raise ConcurrentEdit(
                f"{self.path} changed while sheetsync was running; nothing was written, "
                "run the command again"
            )

    def read(self, tabs: Sequence[str]) -> Snapshot:
        self._refuse_if_open_elsewhere()
        self._ready = True
        self._stat = _stat(self.path)
        if self._stat is None:
            self._wb = None
            return Snapshot(exists=False)
        try:
            data, self._held = hold_history(self.path.read_bytes(), HISTORY_TAB)
            wb = load_workbook(io.BytesIO(data), rich_text=False)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise WorkbookError(f"{self.path}: not a readable .xlsx workbook ({exc})") from None
        self._wb = wb
        wanted = set(tabs)
        grids = {ws.title: _grid(ws) for ws in wb.worksheets if ws.title in wanted}
        if HISTORY_TAB in grids and self._held is not None:
            grids[HISTORY_TAB] += read_rows(self._held.body)
        ledger: Grid = []
        if LEDGER_TAB in wb.sheetnames:
            ledger = _grid(wb[LEDGER_TAB])[1:]
        log.info("read %s: %d tabs, %d read", self.path, len(wb.sheetnames), len(grids))
        return Snapshot(True, list(wb.sheetnames), grids, ledger)

    def link(self, tab: str) -> str:
        return f"{self.path.resolve().as_uri()} (tab '{tab}')"

    def record(self, rows: Grid) -> None:
        self.read([])
        self.write(WritePlan(ledger=rows))

    def locks(self) -> dict[str, str]:
        return {}  # a local file is locked as a whole, by the lock file beside it

    def protections(self) -> dict[str, str]:
        return {}  # who may edit a local file is the file system's business

    def access(self, people: Sequence[str]) -> Access | None:
        return None

    def share(self, people: Sequence[str], notify: bool) -> list[Shared]:
        return []

    def write(self, plan: WritePlan) -> None:
        if not plan.changes_content:  # a local file has no tab protection to put back
            return
        if not self._ready:
            raise WorkbookError(f"{self.path}: internal: write without a read first")
        self._refuse_if_open_elsewhere()
        self._check_unchanged()
        wb = self._wb
        if wb is None:
            wb = OpenpyxlWorkbook()
            wb.remove(wb.active)
        styles = _Styles()
        for layout in plan.create:
            if layout.title not in wb.sheetnames:
                _render(wb.create_sheet(layout.title), layout, styles)
        for layout in plan.replace:
            index = len(wb.sheetnames)
            widths: dict[str, float] = {}
            if layout.title in wb.sheetnames:
                index = wb.sheetnames.index(layout.title)
                old = wb[layout.title]
                widths = {k: d.width for k, d in old.column_dimensions.items() if d.width}
                wb.remove(old)
            ws = wb.create_sheet(layout.title, index)
            _render(ws, layout, styles)
            for letter, width in widths.items():  # widths a person chose survive
                ws.column_dimensions[letter].width = width
        new_history = b""
        if self._held is not None and plan.history:
            new_history = rows_xml(plan.history, self._held.last_row + 1)
        elif plan.history:
            self._append(wb, HISTORY_TAB, plan.history)
        if plan.ledger:
            self._append(wb, LEDGER_TAB, plan.ledger)
        self._keep_a_visible_tab_first(wb)
        buffer = io.BytesIO()
        wb.save(buffer)
        self._save(put_back(buffer.getvalue(), HISTORY_TAB, self._held, new_history))

    @staticmethod
    def _append(wb: OpenpyxlWorkbook, tab: str, rows: Grid) -> None:
        if tab not in wb.sheetnames:
            raise WorkbookError(f"tab '{tab}' is missing; run sheetsync init")
        ws = wb[tab]
        start = ws.max_row + 1
        for r, row in enumerate(rows, start=start):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    cell = ws.cell(row=r, column=c)
                    set_value(cell, value)
                    if isinstance(value, date):
                        cell.number_format = "yyyy-mm-dd"

    @staticmethod
    def _keep_a_visible_tab_first(wb: OpenpyxlWorkbook) -> None:
        for i, ws in enumerate(wb.worksheets):
            if ws.sheet_state == "visible":
                wb.active = i
                for other in wb.worksheets:
                    other.sheet_view.tabSelected = other is ws
                return

    def _save(self, data: bytes) -> None:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f".{self.path.stem}.*.tmp"):  # a killed run's, under our lock
            stale.unlink(missing_ok=True)
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise WorkbookError(f"{folder}: cannot write here ({exc.strerror or exc})") from None
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if self._stat is not None:
                os.chmod(tmp, self.path.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o600)  # people's notes: owner only until shared on purpose
            self._check_unchanged()  # again, as late as possible
            os.replace(tmp, self.path)
        except OSError as exc:  # disk full, read-only folder, quota: the old file stays
            tmp.unlink(missing_ok=True)
            raise WorkbookError(
                f"{self.path}: cannot write ({exc.strerror or exc}); the workbook is as it was"
            ) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._stat = _stat(self.path)
        self._wb, self._held, self._ready = None, None, False  # one write per read
        log.info("wrote %s (%d bytes, replaced in one rename)", self.path, len(data))

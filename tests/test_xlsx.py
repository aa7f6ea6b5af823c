"""The .xlsx adapter's guarantees: typed writes, the lock, and people winning."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sheetsync.adapters.filelock import FileLock
from sheetsync.adapters.xlsx import XlsxWorkbook
from sheetsync.adapters.xlsx_history import parse_rows, read_rows, rows_xml
from sheetsync.adapters.xlsx_read import Dates
from sheetsync.domain.layout import Cell, SheetLayout
from sheetsync.domain.plan import WritePlan
from sheetsync.domain.values import Formula
from sheetsync.errors import ConcurrentEdit, WorkbookBusy


def _sheet(*values: object) -> SheetLayout:
    layout = SheetLayout("T")
    layout.add(*[Cell(v) for v in values])  # type: ignore[arg-type]
    return layout


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    book = tmp_path / "w.xlsx"
    with XlsxWorkbook(book) as wb:
        wb.read([])
        wb.write(
            WritePlan(
                create=[_sheet('=HYPERLINK("http://x")', "+cmd", "@SUM(A1)", Formula("=1+1"))]
            )
        )
    row = next(load_workbook(book)["T"].iter_rows())
    assert [c.data_type for c in row] == ["s", "s", "s", "f"]
    with XlsxWorkbook(book) as wb:
        grid = wb.read(["T"]).grids["T"]
    assert grid[0] == ['=HYPERLINK("http://x")', "+cmd", "@SUM(A1)", Formula("=1+1")]


def test_a_change_between_read_and_write_is_never_overwritten(tmp_path: Path) -> None:
    book = tmp_path / "w.xlsx"
    with XlsxWorkbook(book) as wb:
        wb.read([])
        wb.write(WritePlan(create=[_sheet("original")]))
    with XlsxWorkbook(book) as wb:
        wb.read(["T"])
        other = load_workbook(book)  # a person saves the file meanwhile
        other["T"]["A1"] = "person's edit"
        other.save(book)
        with pytest.raises(ConcurrentEdit, match="nothing was written"):
            wb.write(WritePlan(replace=[_sheet("sheetsync's version")]))
    assert load_workbook(book)["T"]["A1"].value == "person's edit"
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_two_runs_never_interleave(tmp_path: Path) -> None:
    book = tmp_path / "w.xlsx"
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with FileLock(book):
            holding.set()
            release.wait(5)

    t = threading.Thread(target=first)
    t.start()
    holding.wait(5)
    try:
        with (
            pytest.raises(WorkbookBusy, match="another sheetsync run"),
            XlsxWorkbook(book, lock_wait=0.3),
        ):
            pass
    finally:
        release.set()
        t.join()
    with XlsxWorkbook(book, lock_wait=0.3) as wb:  # free again once the first ends
        assert wb.read([]).exists is False


def _history_body(book: Path) -> bytes:
    from sheetsync.adapters.xlsx_history import sheet_data
    from sheetsync.adapters.xlsx_package import Package

    pkg = Package(book.read_bytes())
    entry = pkg.sheet("History")
    assert entry is not None
    xml = pkg.read(entry.part)
    start, end = sheet_data(xml)
    return xml[start:end]


def test_history_rows_are_carried_through_a_write_untouched(tmp_path: Path) -> None:
    from sheetsync.config import load_template
    from sheetsync.domain.render import render_history
    from tests.conftest import ROOT

    book = tmp_path / "w.xlsx"
    tpl = load_template("monthly", ROOT)
    with XlsxWorkbook(book) as wb:
        wb.read([])
        wb.write(WritePlan(create=[render_history(tpl), _sheet("x")]))
    rows = [["2026-10", "A", "wins", "abc123", "archived", "2026-10", 0, "=cmd|' /C calc'!A0"]]
    with XlsxWorkbook(book) as wb:
        wb.read([])
        wb.write(WritePlan(history=rows))  # type: ignore[arg-type]
    first = _history_body(book)
    with XlsxWorkbook(book) as wb:
        wb.read([])
        wb.write(WritePlan(history=[["2026-11", "A", "wins", "def456", "archived"]]))
    second = _history_body(book)
    assert second.startswith(first)  # old rows byte for byte, new ones after them
    with XlsxWorkbook(book) as wb:
        history = wb.read(["History"]).grids["History"]
    assert history[1][:8] == rows[0] and history[2][3] == "def456"
    loaded = load_workbook(book)["History"]
    assert loaded["H2"].data_type == "s"  # a formula-looking value stays text
    assert loaded.max_row == 3


def test_a_second_write_needs_its_own_read(tmp_path: Path) -> None:
    from sheetsync.errors import WorkbookError

    book = tmp_path / "w.xlsx"
    with XlsxWorkbook(book) as wb:
        wb.read([])
        wb.write(WritePlan(create=[_sheet("a")]))
        with pytest.raises(WorkbookError, match="without a read"):
            wb.write(WritePlan(replace=[_sheet("b")]))
    assert load_workbook(book)["T"]["A1"].value == "a"


def test_a_full_disk_during_the_write_is_one_line_and_the_workbook_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from tests.backends import XlsxBackend
    from tests.test_cli import run

    backend = XlsxBackend(tmp_path)
    assert run(backend.config, "init").exit_code == 0
    before = backend.path.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    res = run(backend.config, "rollover", today="2026-11-02")
    assert res.exit_code == 1 and res.output.count("\n") == 1, res.output
    assert res.output == (
        f"Error: {backend.path}: cannot write (No space left on device); "
        "the workbook is as it was\n"
    )
    assert backend.path.read_bytes() == before
    assert not list(tmp_path.glob(".team.*.tmp"))


def test_history_dates_are_date_cells_read_back_as_dates_in_either_epoch() -> None:
    """A date appended to History is a serial in a date format, as Excel keeps one;
    read back (our fast path, or the streaming parser for a program's rows) it is the
    date again, in a 1904-based workbook too; a number in another format stays one."""
    day, moment = date(2026, 11, 20), datetime(2026, 11, 20, 9, 30)
    numbers = {"date": 3, "moment": 4, "whole": 1}
    date_formats = [False, False, False, True, True]
    for date1904, serial in ((False, "46346"), (True, "44884")):
        dates = Dates(date_formats, date1904)
        xml = rows_xml([[day, moment, 46346]], 2, numbers, dates).decode()
        assert f'<c r="A2" s="3"><v>{serial}</v></c>' in xml
        sheet = f"<worksheet><sheetData>{xml}</sheetData></worksheet>".encode()
        assert read_rows(sheet, [], dates) == [(2, [day, moment, 46346])]
        assert parse_rows(xml.encode(), [], dates) == [(2, [day, moment, 46346])]
    # without a date format (an older writer's styles), a date goes as ISO text
    assert "2026-11-20" in rows_xml([[day]], 2, {}, Dates()).decode()

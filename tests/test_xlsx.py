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
from sheetsync.errors import ConcurrentEdit, WorkbookBusy, WorkbookError


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


def test_a_second_read_parses_again_only_what_changed_since_the_first(tmp_path: Path) -> None:
    """A rollover reads the pages, then again with History: the second read gives
    the pages as the first parsed them while the file is the same (each read its
    own copy to change), and the file as it is now once a person saved it."""
    book = tmp_path / "w.xlsx"
    with XlsxWorkbook(book) as wb:
        wb.read([])
        wb.write(WritePlan(create=[_sheet("original")]))
    with XlsxWorkbook(book) as wb:
        first = wb.read(["T"]).grids["T"]
        first[0][0] = "changed by the caller"
        assert wb.read(["T"]).grids["T"] == [["original"]]
        other = load_workbook(book)  # a person saves the file between the reads
        other["T"]["A1"] = "person's edit"
        other.save(book)
        assert wb.read(["T"]).grids["T"] == [["person's edit"]]


def test_rows_appended_to_a_history_a_program_emptied_go_inside_its_rows(
    tmp_path: Path,
) -> None:
    """An empty tab is saved as ``<sheetData/>``: the rows appended go inside it."""
    from openpyxl import Workbook

    book = tmp_path / "w.xlsx"
    wb = Workbook()
    wb.active.title = "History"
    wb.save(book)
    with XlsxWorkbook(book) as ours:
        assert ours.read(["History"]).grids["History"] == []
        ours.write(WritePlan(history=[["2026-11", "Alice Chen", "wins", "x1", "archived"]]))
    assert wb_history(book) == [["2026-11", "Alice Chen", "wins", "x1", "archived"]]
    assert list(load_workbook(book)["History"].values) == [
        ("2026-11", "Alice Chen", "wins", "x1", "archived")
    ]


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


# --- issue 16: a write copies what it does not change; recording reads only the ledger


def _members(book: Path) -> dict[str, tuple[int, int, int, bytes]]:
    """Each part's method, CRC, size and compressed bytes as the file holds them."""
    from sheetsync.adapters.xlsx_package import zip_members

    return {
        name: (m.method, m.crc, m.size, bytes(m.raw))
        for name, m in zip_members(book.read_bytes()).items()
    }


def _part_of(book: Path, title: str) -> str:
    from sheetsync.adapters.xlsx_package import Package

    entry = Package(book.read_bytes()).sheet(title)
    assert entry is not None
    return entry.part


def _team_with_history(tmp_path: Path) -> Path:
    from tests.backends import XlsxBackend
    from tests.test_cli import run

    backend = XlsxBackend(tmp_path)
    assert run(backend.config, "init", today="2026-10-05").exit_code == 0
    backend.type_row("Alice Chen", "#wins", ["First logo"])
    assert run(backend.config, "rollover", today="2026-11-02").exit_code == 0
    return backend.path


def test_an_unchanged_part_keeps_its_compressed_bytes_through_a_write(tmp_path: Path) -> None:
    """History grows by a row: its part is deflated again, and every page, the
    ledger and the rest are copied byte for byte, compressed, CRC and sizes too."""
    book = _team_with_history(tmp_path)
    before = _members(book)
    history = _part_of(book, "History")
    with XlsxWorkbook(book) as wb:
        wb.read(["History"])
        wb.write(WritePlan(history=[["2026-11", "Alice Chen", "wins", "x1", "archived"]]))
    after = _members(book)
    assert list(after) == list(before)
    changed = {name for name in before if after[name] != before[name]}
    assert changed == {history}
    assert load_workbook(book)["History"].max_row == len(wb_history(book))


def wb_history(book: Path) -> list[list[object]]:
    with XlsxWorkbook(book) as wb:
        return wb.read(["History"]).grids["History"]


def test_recording_a_message_reads_and_rewrites_only_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What mailing does before and after each message: neither History nor any
    page is inflated, and every part but the ledger's is copied as it was."""
    import subprocess

    from sheetsync.adapters.xlsx_package import Member

    book = _team_with_history(tmp_path)
    before = _members(book)
    ledger = _part_of(book, "_sheetsync")
    inflated: list[str] = []
    real = Member.inflate

    def spy(self: Member) -> bytes:
        inflated.append(self.name)
        return real(self)

    row = ["recap:sending", "Alice Chen", "2026-10", "2026-11-27 10:00", "<id@x>"]
    with XlsxWorkbook(book) as wb:
        snap = wb.read(["History"])  # the command's own read
        monkeypatch.setattr(Member, "inflate", spy)
        wb.record([row])
        wb.record([["recap", *row[1:4], "to alice@example.com"]])
        monkeypatch.undo()
    assert set(inflated) == {"_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", ledger}
    after = _members(book)
    assert {name for name in before if after[name] != before[name]} == {ledger}
    with XlsxWorkbook(book) as wb:
        recorded = wb.read([]).ledger
    assert recorded[: len(snap.ledger)] == snap.ledger
    assert recorded[len(snap.ledger) :] == [row, ["recap", *row[1:4], "to alice@example.com"]]
    assert load_workbook(book)["_sheetsync"].max_row == len(recorded) + 1
    test = subprocess.run(["unzip", "-t", str(book)], capture_output=True, text=True)
    assert test.returncode == 0 and "No errors detected" in test.stdout, test.stdout


def test_a_record_goes_to_the_file_as_a_person_saved_it_meanwhile(tmp_path: Path) -> None:
    """A person saves the workbook (shared strings, another program's zip) between
    two messages: the row is appended after their ledger's last row and their
    edit stays, as when a record read the whole file again."""
    book = _team_with_history(tmp_path)
    with XlsxWorkbook(book) as wb:
        wb.read(["History"])
        other = load_workbook(book)
        other["Team"]["L1"] = "person's note"
        other.save(book)  # openpyxl: shared strings, its own zip
        wb.record([["recap", "Bob Stone", "2026-10", "2026-11-27 10:00", "to bob"]])
        with pytest.raises(WorkbookError, match="without a read"):
            wb.write(WritePlan(history=[["x"]]))  # the command's read is spent
    loaded = load_workbook(book)
    assert loaded["Team"]["L1"].value == "person's note"
    ledger = list(loaded["_sheetsync"].iter_rows(values_only=True))
    assert ledger[-1][:5] == ("recap", "Bob Stone", "2026-10", "2026-11-27 10:00", "to bob")
    assert all(any(v is not None for v in r) for r in ledger)  # no gap before it


def test_a_record_in_a_workbook_libreoffice_saved_opens_in_libreoffice(tmp_path: Path) -> None:
    """LibreOffice's zip and XML (shared strings) copied around a ledger row, and
    LibreOffice opening the result and saving it again."""
    from tests.libreoffice import edit

    book = _team_with_history(tmp_path)
    edit(book, [{"op": "set", "tab": "Team", "row": 1, "col": 12, "value": "seen"}], tmp_path / "a")
    before = _members(book)
    ledger = _part_of(book, "_sheetsync")
    row = ["recap", "Alice Chen", "2026-10", "2026-11-27 10:00", "to alice"]
    with XlsxWorkbook(book) as wb:
        wb.read([])
        wb.record([row])
    after = _members(book)
    assert {name for name in before if after[name] != before[name]} == {ledger}
    edit(
        book, [{"op": "set", "tab": "Team", "row": 1, "col": 13, "value": "again"}], tmp_path / "b"
    )
    with XlsxWorkbook(book) as wb:
        snap = wb.read(["Team"])
    assert snap.ledger[-1][:5] == row
    assert snap.grids["Team"][0][11:13] == ["seen", "again"]


def test_a_zip64_or_encrypted_workbook_is_one_line_and_left_as_it_was(tmp_path: Path) -> None:
    import struct

    book = _team_with_history(tmp_path)
    data = bytearray(book.read_bytes())
    central = data.find(b"PK\x01\x02")
    (flags,) = struct.unpack_from("<H", data, central + 8)
    struct.pack_into("<H", data, central + 8, flags | 1)
    book.write_bytes(bytes(data))
    for act in ("read", "record"):
        with XlsxWorkbook(book) as wb, pytest.raises(WorkbookError, match="encrypted"):
            if act == "read":
                wb.read([])
            else:
                wb.record([["recap", "x"]])
    assert book.read_bytes() == bytes(data)

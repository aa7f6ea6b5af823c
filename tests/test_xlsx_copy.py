"""History of a local workbook read from the copy this machine keeps, while
History's bytes in the file are the ones the copy was parsed from (issue 16)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sheetsync.adapters import xlsx_copy, xlsx_history
from sheetsync.adapters.xlsx import XlsxWorkbook
from sheetsync.domain.plan import WritePlan
from tests.backends import XlsxBackend
from tests.test_cli import run


def _team(tmp_path: Path) -> XlsxBackend:
    backend = XlsxBackend(tmp_path)
    assert run(backend.config, "init", today="2026-10-05").exit_code == 0
    backend.type_row("Alice Chen", "#wins", ["First logo"])
    assert run(backend.config, "rollover", today="2026-11-02").exit_code == 0
    return backend


def _history(book: Path) -> list[list[object]]:
    with XlsxWorkbook(book) as wb:
        return wb.read(["History"]).grids["History"]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times History's XML is parsed (each call: the rows it read)."""
    seen: list[int] = []
    real = xlsx_history.read_rows

    def counted(*args: object, **kwargs: object) -> xlsx_history.Rows:
        rows = real(*args, **kwargs)  # type: ignore[arg-type]
        if len(rows) > 1 and rows[0][1][:2] == ["period", "rep"]:
            seen.append(len(rows))
        return rows

    monkeypatch.setattr("sheetsync.adapters.xlsx.read_rows", counted)
    return seen


def _types(grid: list[list[object]]) -> list[list[str]]:
    return [[type(v).__name__ for v in row] for row in grid]


def test_unchanged_history_is_read_from_the_copy_and_reads_the_same(
    tmp_path: Path, parses: list[int]
) -> None:
    backend = _team(tmp_path)
    first = _history(backend.path)
    assert len(parses) == 1  # parsed once, kept
    again = _history(backend.path)
    assert len(parses) == 1  # the copy, not the XML
    assert again == first and _types(again) == _types(first)
    assert any(isinstance(v, type(first[1][0])) for v in again[1])  # dates stay dates
    # a write that leaves History as it is (a refresh) keeps the copy good
    assert run(backend.config, "refresh", today="2026-11-03").exit_code == 0
    assert _history(backend.path) == first
    assert len(parses) == 1


def test_history_changed_by_anyone_is_parsed_again(tmp_path: Path, parses: list[int]) -> None:
    backend = _team(tmp_path)
    _history(backend.path)
    # sheetsync appends (through the copy's tail: the rows go where they belong)
    with XlsxWorkbook(backend.path) as wb:
        wb.read(["History"])
        wb.write(WritePlan(history=[["2026-11", "Alice Chen", "wins", "x1", "archived"]]))
    grid = _history(backend.path)
    assert grid[-1][:5] == ["2026-11", "Alice Chen", "wins", "x1", "archived"]
    assert len(parses) == 2
    assert load_workbook(backend.path)["History"].max_row == len(grid)
    # another program saves the workbook with a History cell changed
    other = load_workbook(backend.path)
    other["History"]["B2"] = "Someone Else"
    other.save(backend.path)
    assert _history(backend.path)[1][1] == "Someone Else"
    assert len(parses) == 3


def test_a_damaged_or_tampered_copy_is_parsed_over_never_run(
    tmp_path: Path, parses: list[int]
) -> None:
    backend = _team(tmp_path)
    first = _history(backend.path)
    copies = list((Path(os.environ["XDG_CACHE_HOME"]) / "sheetsync" / "xlsx").iterdir())
    assert [oct(p.stat().st_mode & 0o777) for p in copies] == ["0o600"]
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    for body in (b"not a pickle", pickle.dumps({"format": 1, "key": Evil()})):
        copies[0].write_bytes(body)
        assert _history(backend.path) == first
        assert not marker.exists()
    assert len(parses) == 3


def test_a_copy_of_another_workbook_or_epoch_is_not_used(tmp_path: Path, parses: list[int]) -> None:
    backend = _team(tmp_path)
    _history(backend.path)
    twin = tmp_path / "twin.xlsx"
    twin.write_bytes(backend.path.read_bytes())
    _history(twin)  # same bytes, another file: its own copy
    assert len(parses) == 2
    key = xlsx_copy.Key(str(backend.path.resolve()), "p", (1, 2, 3), None, False, (False,))
    assert xlsx_copy.load(key) is None
    assert len(parses) == 2


def test_a_cache_folder_that_cannot_be_written_costs_a_parse(
    tmp_path: Path, parses: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = _team(tmp_path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    first = _history(backend.path)
    assert _history(backend.path) == first
    assert len(parses) == 2


def test_a_copy_follows_the_shared_strings_historys_cells_name(
    tmp_path: Path, parses: list[int]
) -> None:
    """A History another program saved names its texts by their place in the
    shared strings: a rep renamed there alone leaves History's own bytes as they
    were, and the copy is not used for the old name."""
    from openpyxl import Workbook

    book = tmp_path / "team.xlsx"

    def save(rep: str) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = "History"
        ws.append(["period", "rep", "section", "id", "outcome"])
        ws.append(["2026-10", rep, "wins", "w1", "archived"])
        wb.save(book)

    save("Alice Chen")
    assert _history(book)[1][1] == "Alice Chen"
    save("Bob Jones")
    assert _history(book)[1][1] == "Bob Jones"
    assert len(parses) == 2

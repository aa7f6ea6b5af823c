"""History and the stage log read on Google by what was added since the last read
(``sheetsync.adapters.google_tail``), against the fake Sheets API through the real
``GoogleWorkbook``.

Each case compares the grid a read gives with the grid of a full read (a read
with no copy kept), cell for cell and type for type, and measures what Google
sent back: a read from the copy gets a few rows, a copy that no longer matches
the tab is one more request that reads the tab whole.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sheetsync.adapters import google_tail
from sheetsync.adapters.registry import open_workbook
from sheetsync.commands import cycle
from sheetsync.config import Team, load_config
from sheetsync.domain.carry import HistoryRow
from sheetsync.domain.plan import Grid, Snapshot, WritePlan
from sheetsync.domain.render import history_header
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.domain.values import CellValue
from tests.backends import MANAGER, SHEET_ID, GoogleBackend
from tests.fakes.sheets_api import FakeSheetsApi
from tests.test_cli import run

OCTOBER, NOVEMBER = date(2026, 10, 5), date(2026, 11, 2)
ROWS = 400  # History rows below the header before each case
OTHER_ID = "1AnotherSpreadsheetMadeByFilesCopy_987654"


class Meter:
    """What the fake is asked and sends back: the requests, and the size in bytes of
    each answer."""

    def __init__(self, fake: FakeSheetsApi) -> None:
        self.fake = fake
        self.answers: list[tuple[str, int]] = []
        answer = fake._answer

        def counted(request: Any, url: Any) -> Any:
            out = answer(request, url)
            self.answers.append((str(request.method), len(out[2])))
            return out

        fake._answer = counted  # type: ignore[method-assign]

    @contextmanager
    def counting(self) -> Iterator[dict[str, int]]:
        """The requests and bytes of what runs inside."""
        seen: dict[str, int] = {}
        before, calls = len(self.answers), len(self.fake.calls)
        yield seen
        seen["requests"] = len(self.fake.calls) - calls
        seen["bytes"] = sum(n for _, n in self.answers[before:])


@dataclasses.dataclass
class Setup:
    g: GoogleBackend
    team: Team
    meter: Meter
    tmp: Path

    @property
    def fake(self) -> FakeSheetsApi:
        return self.g.fake

    def history_rows(self) -> int:
        return len(self.g.cells("History"))


def history_rows(team: Team, first: int, count: int) -> Grid:
    """Rows as a rollover archives them: text, whole and decimal amounts, dates."""
    keys = history_header(team.template)
    out = []
    for k in range(first, first + count):
        values: dict[str, CellValue] = {
            "opportunity": f"Deal {k}",
            "account": f"Account {k % 17}",
            "amount": 1000 * k + (0.5 if k % 2 else 0),
            "stage": "Demo",
            "close_date": date(2026, 1, 1) + timedelta(days=k % 300),
        }
        row = HistoryRow(
            "2026-09",
            "Alice Chen",
            "existing_opportunities",
            f"h{k}",
            "carried",
            "2026-08",
            k % 3,
            values,
        )
        out.append(row.cells(keys))
    return out


def append(team: Team, rows: Grid, stages: Grid | None = None) -> None:
    """Rows appended to History (and the stage log) as a rollover appends them."""
    with open_workbook(team.workbook) as wb:
        wb.read([])
        wb.write(WritePlan(history=rows, stages=stages or []))


@pytest.fixture
def s(tmp_path: Path, fake_google: FakeSheetsApi, sleeps: list[float]) -> Setup:
    g = GoogleBackend(tmp_path, fake_google)
    team = load_config(g.config).teams[0]
    cycle.init(team, OCTOBER)
    stages: Grid = [
        [date(2026, 9, 1) + timedelta(days=i), "Alice Chen", f"h{i}", "", "Demo"] for i in range(5)
    ]
    append(team, history_rows(team, 0, ROWS), stages)
    return Setup(g, team, Meter(fake_google), tmp_path)


def read(team: Team) -> Snapshot:
    with open_workbook(team.workbook) as wb:
        return wb.read(["History", STAGE_LOG_TAB])


def full_read(team: Team, folder: Path) -> Snapshot:
    """A read with no copy kept: what every read gave before copies were kept."""
    before = os.environ["XDG_CACHE_HOME"]
    os.environ["XDG_CACHE_HOME"] = str(folder / f"empty-{time.monotonic_ns()}")
    try:
        return read(team)
    finally:
        os.environ["XDG_CACHE_HOME"] = before


def typed(grid: Grid) -> list[list[tuple[str, Any]]]:
    """Each value with its type: 1, 1.0 and TRUE, a date and a datetime, differ."""
    return [[(type(v).__name__, v) for v in row] for row in grid]


def assert_as_full(s: Setup, snap: Snapshot) -> None:
    full = full_read(s.team, s.tmp)
    for tab in ("History", STAGE_LOG_TAB):
        assert typed(snap.grids[tab]) == typed(full.grids[tab]), tab
        assert snap.notes.get(tab) == full.notes.get(tab), tab


def copy_file(title: str = "History", spreadsheet: str = SHEET_ID) -> Path:
    path = google_tail.copy_path(spreadsheet, title)
    assert path is not None
    return path


def warm(s: Setup) -> dict[str, int]:
    """The first read (no copy yet): History whole, and its copy kept."""
    assert not copy_file().exists()
    with s.meter.counting() as first:
        read(s.team)
    assert copy_file().exists()
    return first


def assert_tail_read(s: Setup, first: dict[str, int], part: float = 0.1) -> Snapshot:
    """A read that got History from its copy: no more requests than a full read,
    ``part`` of its bytes at most, the same grid."""
    with s.meter.counting() as seen:
        snap = read(s.team)
    assert seen["requests"] == first["requests"] == 2  # metadata, then one read
    assert seen["bytes"] < first["bytes"] * part, (seen, first)
    assert_as_full(s, snap)
    return snap


def assert_read_whole_again(s: Setup, first: dict[str, int]) -> Snapshot:
    """A read whose copy no longer matched: one more request, History whole."""
    with s.meter.counting() as seen:
        snap = read(s.team)
    assert seen["requests"] == 3  # metadata, the read with the tail, History whole
    assert seen["bytes"] > first["bytes"] * 0.9
    assert_as_full(s, snap)
    # the copy was made again: the next read is a tail read
    assert_tail_read(s, first)
    return snap


# --- the copy holds -----------------------------------------------------------------------


def test_first_read_keeps_a_copy_the_next_reads_only_the_header_and_last_row(s: Setup) -> None:
    first = warm(s)
    snap = assert_tail_read(s, first)
    assert len(snap.grids["History"]) == ROWS + 1
    assert isinstance(
        snap.grids["History"][1][history_header(s.team.template).index("close_date")], date
    )
    mode = stat.S_IMODE(copy_file().stat().st_mode)
    assert mode == 0o600, oct(mode)  # History holds deal data
    assert sorted(p.name for p in copy_file().parent.iterdir()) == sorted(
        [copy_file().name, copy_file(STAGE_LOG_TAB).name]
    )  # no temporary file left behind


def test_rows_appended_by_sheetsyncs_own_rollover(s: Setup) -> None:
    first = warm(s)
    s.g.type_row("Alice Chen", "#new_opportunities", ["Globex", "Globex", 12500, "Demo"])
    s.g.type_row("Alice Chen", "#actions", ["Call the CFO", "Rep", date(2026, 10, 9), "", "Open"])
    with s.meter.counting() as rolling:  # its reads come from the copy too
        cycle.rollover(s.team, NOVEMBER)
    assert rolling["bytes"] < first["bytes"] / 2
    assert s.history_rows() > ROWS + 1
    snap = assert_tail_read(s, first)
    assert len(snap.grids["History"]) == s.history_rows()
    assert any(
        r[1:2] == ["Alice Chen"] and "Globex" in r for r in snap.grids["History"][ROWS + 1 :]
    )


def test_rows_appended_by_sheetsync_to_history_and_the_stage_log(s: Setup) -> None:
    first = warm(s)
    stages: Grid = [[date(2026, 10, 1), "Bob Stone", "b1", "Demo", "Proposal"]]
    append(s.team, history_rows(s.team, ROWS, 30), stages)  # 7.5 % more rows
    snap = assert_tail_read(s, first, part=0.15)
    assert len(snap.grids["History"]) == ROWS + 31
    assert snap.grids[STAGE_LOG_TAB][-1][1] == "Bob Stone"


def test_rows_a_person_typed_below_the_last_with_a_gap_a_date_and_a_note(s: Setup) -> None:
    first = warm(s)
    end = s.history_rows()
    s.g.write("History", end + 1, 1, "2026-09")
    s.g.write("History", end + 1, 2, "Alice Chen")
    s.g.write("History", end + 1, 12, "Typed by hand")
    # row end + 2 left blank, then a row with a date, a checkbox and a note
    s.g.write("History", end + 3, 1, "2026-09")
    s.g.write("History", end + 3, 16, date(2026, 12, 24))
    s.g.write("History", end + 3, 17, True)
    s.g.note("History", end + 3, 1, "added after the meeting")
    snap = assert_tail_read(s, first)
    assert snap.grids["History"][end + 1] == []
    assert snap.notes["History"] == {(end + 3, 1): "added after the meeting"}


def test_a_copy_with_nothing_new_is_not_written_again(s: Setup) -> None:
    warm(s)
    before = copy_file().stat().st_mtime_ns
    time.sleep(0.01)
    read(s.team)
    assert copy_file().stat().st_mtime_ns == before


# --- the copy no longer matches: History read whole, in one more request ------------------


def test_the_last_row_of_the_copy_edited_by_a_person(s: Setup) -> None:
    first = warm(s)
    s.g.write("History", s.history_rows(), 14, 99_999)  # the amount of the last row
    assert_read_whole_again(s, first)


def test_a_note_put_on_the_last_row_of_the_copy(s: Setup) -> None:
    first = warm(s)
    s.g.note("History", s.history_rows(), 2, "checked with finance")
    snap = assert_read_whole_again(s, first)
    assert snap.notes["History"] == {(ROWS + 1, 2): "checked with finance"}


def add_rows(s: Setup, count: int) -> None:
    """Blank rows added at the end of History ("Add 1000 more rows")."""
    sheet = s.g.book.sheet(title="History")
    props = {"sheetId": sheet.sheet_id, "gridProperties": {"rowCount": sheet.rows + count}}
    request = {"properties": props, "fields": "gridProperties.rowCount"}
    s.fake.person(SHEET_ID, MANAGER, [{"updateSheetProperties": request}])


@pytest.mark.parametrize("row", [2, ROWS // 2, ROWS, ROWS + 1])
def test_a_row_deleted(s: Setup, row: int) -> None:
    first = warm(s)
    s.g.delete_row("History", row)
    # the metadata shows History has fewer rows than the copy: read whole at once
    assert_read_whole_at_once(s, first)
    assert len(s.g.cells("History")) == ROWS


@pytest.mark.parametrize("row", [2, ROWS // 2, ROWS, ROWS + 1])
def test_a_row_deleted_where_blank_rows_follow(s: Setup, row: int) -> None:
    add_rows(s, 100)
    first = warm(s)
    s.g.delete_row("History", row)
    snap = assert_read_whole_again(s, first)
    assert len(snap.grids["History"]) == ROWS


def test_a_row_inserted_above_the_last(s: Setup) -> None:
    first = warm(s)
    sheet_id = s.g.book.sheet(title="History").sheet_id
    rng = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 10, "endIndex": 11}
    s.fake.person(SHEET_ID, MANAGER, [{"insertDimension": {"range": rng}}])
    s.g.write("History", 11, 1, "inserted")
    snap = assert_read_whole_again(s, first)
    assert snap.grids["History"][10] == ["inserted"]


def test_a_column_inserted(s: Setup) -> None:
    first = warm(s)
    s.g.insert_column("History", 1)
    s.g.write("History", 1, 1, "Comment")
    s.g.write("History", 5, 1, "ask Dana")  # a person's comment on an old row
    snap = assert_read_whole_again(s, first)
    assert snap.grids["History"][4][0] == "ask Dana"


@pytest.mark.parametrize("col, title", [(12, "Deal"), (40, "My own column")])
def test_a_column_retitled_or_added_at_the_end(s: Setup, col: int, title: str) -> None:
    first = warm(s)
    s.g.write("History", 1, col, title)
    snap = assert_read_whole_again(s, first)
    assert snap.grids["History"][0][col - 1] == title


# --- no copy to trust: History read whole, in the one read ----------------------------------


def assert_read_whole_at_once(s: Setup, first: dict[str, int], requests: int = 2) -> None:
    """The next read gets History whole, in ``requests`` requests, as a full read has it."""
    with s.meter.counting() as seen:
        snap = read(s.team)
    assert seen["requests"] == requests
    assert seen["bytes"] > first["bytes"] * 0.9
    assert_as_full(s, snap)


def edit_copy(change: Any) -> None:
    path = copy_file()
    body = json.loads(path.read_text(encoding="utf-8"))
    change(body)
    path.write_text(json.dumps(body), encoding="utf-8")


def test_a_copy_older_than_a_week_is_read_again_in_full(s: Setup) -> None:
    first = warm(s)
    # an old row edited in the middle: neither the header nor the last row shows it
    s.g.write("History", ROWS // 2, 12, "Renamed deal")
    stale = read(s.team).grids["History"]
    assert "Renamed deal" not in stale[ROWS // 2 - 1]  # the known limit, for a week at most

    def age(days: float) -> Any:
        return lambda body: body.update(readAt=time.time() - days * 86_400)

    edit_copy(age(6.9))
    assert "Renamed deal" not in read(s.team).grids["History"][ROWS // 2 - 1]
    edit_copy(age(7.1))
    assert_read_whole_at_once(s, first)
    assert read(s.team).grids["History"][ROWS // 2 - 1][11] == "Renamed deal"
    assert time.time() - json.loads(copy_file().read_text())["readAt"] < 60  # read anew


def test_a_copy_dated_in_the_future_is_not_trusted(s: Setup) -> None:
    first = warm(s)
    edit_copy(lambda body: body.update(readAt=time.time() + 86_400))
    assert_read_whole_at_once(s, first)


def in_json(change: Callable[[dict[str, Any]], Any]) -> Callable[[bytes], bytes]:
    def changed(text: bytes) -> bytes:
        body = json.loads(text)
        change(body)
        return json.dumps(body).encode()

    return changed


CORRUPT: dict[str, Callable[[bytes], bytes]] = {
    "not json": lambda text: b"\x00\xff garbage",
    "cut short": lambda text: text[: len(text) // 2],
    "empty": lambda text: b"",
    "a list": lambda text: b"[1, 2, 3]",
    "a bad date": lambda text: text.replace(b'{"$d":"2026-', b'{"$d":"9999-99-', 1),
    "a row not a list": in_json(lambda body: body["grid"].__setitem__(1, {"a": 1})),
    "a value no cell holds": in_json(lambda body: body["grid"][1].__setitem__(0, [1, 2])),
    "notes not in threes": in_json(lambda body: body.update(notes=[[1, 2]])),
    "rows miscounted": in_json(lambda body: body.update(rows=body["rows"] + 1)),
    "another format": in_json(lambda body: body.update(format=0)),
}


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_a_corrupt_copy_is_a_full_read_and_no_error(s: Setup, kind: str) -> None:
    first = warm(s)
    path = copy_file()
    text = path.read_bytes()
    path.write_bytes(CORRUPT[kind](text))
    assert path.read_bytes() != text
    assert_read_whole_at_once(s, first)
    assert_tail_read(s, first)  # and kept right again


def test_a_copy_of_another_tab_id_is_not_used(s: Setup) -> None:
    """History deleted and made again (another sheet id) holding other rows."""
    first = warm(s)
    edit_copy(lambda body: body.update(sheetId=body["sheetId"] + 1))
    assert_read_whole_at_once(s, first)


def test_a_copy_of_another_spreadsheet_is_not_used(s: Setup) -> None:
    """A copy of the spreadsheet (Drive's files.copy: the same tabs and sheet ids,
    a new id), its History then edited in the middle; a copy kept for the first
    one, even under the second one's file name, does not stand for it."""
    warm(s)
    s.fake.copy(SHEET_ID, OTHER_ID, "West 1:1s (copy)")
    s.fake.type(OTHER_ID, "History", ROWS // 2, 12, "Only in the copy", who=MANAGER)
    other = dataclasses.replace(
        s.team, workbook=dataclasses.replace(s.team.workbook, spreadsheet=OTHER_ID)
    )
    for title in ("History", STAGE_LOG_TAB):
        copy_file(title).rename(copy_file(title, OTHER_ID))
    with s.meter.counting() as seen:
        snap = read(other)
    assert seen["requests"] == 2
    assert snap.grids["History"][ROWS // 2 - 1][11] == "Only in the copy"
    assert json.loads(copy_file(spreadsheet=OTHER_ID).read_text())["spreadsheet"] == OTHER_ID


def test_rows_google_refuses_to_give_are_a_full_read(s: Setup) -> None:
    """Rows deleted at the end between the metadata read and the read: the tail's
    range lies past the grid, which Google refuses (400, exceeds grid limits)."""
    first = warm(s)
    k = len(s.fake.calls) + 2  # after the metadata, the read
    body = {
        "error": {
            "code": 400,
            "message": "Range ('History'!401:1000) exceeds grid limits. Max rows: 400, "
            "max columns: 33",
            "status": "INVALID_ARGUMENT",
        }
    }
    s.fake.fail(k, 400, json.dumps(body))
    assert_read_whole_at_once(s, first, requests=3)


def test_a_failed_read_keeps_no_copy(s: Setup) -> None:
    from sheetsync.errors import SheetsyncError

    s.fake.fail(len(s.fake.calls) + 2, 403, json.dumps({"error": {"code": 403, "message": "no"}}))
    with pytest.raises(SheetsyncError):
        read(s.team)
    assert not copy_file().exists()


def test_a_cache_folder_that_cannot_be_written_is_no_error(s: Setup) -> None:
    blocker = s.tmp / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    os.environ["XDG_CACHE_HOME"] = str(blocker)  # the fixture puts it back
    with s.meter.counting() as seen:
        snap = read(s.team)
    assert seen["requests"] == 2
    assert len(snap.grids["History"]) == ROWS + 1


def test_datetimes_formulas_and_booleans_come_back_from_the_copy_as_read(s: Setup) -> None:
    end = s.history_rows()
    for col, value in enumerate(("2026-09", "=1+1", True, 1, 1.25), start=1):
        s.fake.type(SHEET_ID, "History", end + 1, col, value, who=MANAGER)
    cell = s.g.book.sheet(title="History").cells.setdefault((end, 5), {})
    cell["userEnteredValue"] = {"numberValue": 46000.75}
    cell["userEnteredFormat"] = {
        "numberFormat": {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"}
    }
    s.fake.type(SHEET_ID, "History", end + 2, 1, "2026-09", who=MANAGER)  # the copy's last row
    with s.meter.counting() as first:
        read(s.team)
    with s.meter.counting() as seen:  # a formula's value is read apart (values.batchGet)
        snap = read(s.team)
    assert seen["bytes"] < first["bytes"] / 3
    assert_as_full(s, snap)
    row = snap.grids["History"][end]
    assert str(row[1]) == "=1+1" and row[2] is True and type(row[3]) is int
    assert row[4] == 1.25 and row[5] == datetime(2025, 12, 9, 18, 0)


# --- end to end ---------------------------------------------------------------------------


def test_the_second_refresh_of_the_day_receives_a_fraction_of_the_first(s: Setup) -> None:
    with s.meter.counting() as first:
        res = run(s.g.config, "refresh", today="2026-10-06")
    assert res.exit_code == 0, res.output
    with s.meter.counting() as second:
        res = run(s.g.config, "refresh", today="2026-10-07")
    assert res.exit_code == 0, res.output
    assert second["requests"] <= first["requests"]
    assert second["bytes"] < first["bytes"] / 3, (first, second)
    assert copy_file().exists() and copy_file(STAGE_LOG_TAB).exists()


def test_the_fake_answers_one_block_a_range_on_one_sheet_with_its_start(s: Setup) -> None:
    """As the reference says of ``Sheet.data``: one ``GridData`` per range asked for
    on the sheet, in the order asked, each with its zero-based ``startRow`` and
    ``startColumn`` (left out when 0)."""
    fields = "sheets(properties.title,data(startRow,startColumn,rowData.values.userEnteredValue))"
    with open_workbook(s.team.workbook) as wb:
        wb.read([])
        answer = wb._get(["'History'!1:1", "'History'!5:6", "'History'!L3:M3"], fields)  # type: ignore[attr-defined]
    (sheet,) = answer["sheets"]
    head, rows, box = sheet["data"]
    assert "startRow" not in head and "startColumn" not in head
    assert head["rowData"][0]["values"][0] == {"userEnteredValue": {"stringValue": "period"}}
    assert (rows["startRow"], "startColumn" in rows, len(rows["rowData"])) == (4, False, 2)
    assert (box["startRow"], box["startColumn"]) == (2, 11)
    assert box["rowData"] == [
        {
            "values": [
                {"userEnteredValue": {"stringValue": "Deal 1"}},
                {"userEnteredValue": {"stringValue": "Account 1"}},
            ]
        }
    ]

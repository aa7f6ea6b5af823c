"""The two workbooks behind one test interface, so that the behaviour suite runs
against both and they cannot drift apart.

``XlsxBackend`` edits a real .xlsx file with openpyxl; ``GoogleBackend`` edits the
fake Sheets API's state as a person in the browser would, while sheetsync talks to
it through gspread, google-auth and HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.conftest import CONFIG
from tests.fakes.keys import SERVICE_ACCOUNT, service_account_file
from tests.fakes.sheets_api import FakeSheetsApi, Spreadsheet

SHEET_ID = "1SheetsyncTestSpreadsheet_0123456789"
MANAGER = "dana@example.com"  # the team's manager: an editor of the file, not its owner
# The spreadsheet belongs to someone else (sales operations), who can edit through
# every protection (recordings README); the manager is one editor among others.
OWNER = "sales-ops@example.com"
REPS = ("alice@example.com", "bob@example.com")
Row = tuple[Any, ...]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value


class Backend:
    name: str
    config: Path

    def tabs(self) -> list[str]:
        raise NotImplementedError

    def hidden(self, tab: str) -> bool:
        raise NotImplementedError

    def cells(self, tab: str) -> list[Row]:
        """The tab's rows as values (dates as dates), trailing blanks dropped."""
        raise NotImplementedError

    def write(self, tab: str, row: int, col: int, value: Any) -> None:
        """A person types into one cell (1-based)."""
        raise NotImplementedError

    def delete_row(self, tab: str, row: int) -> None:
        raise NotImplementedError

    def rename(self, tab: str, new: str) -> None:
        raise NotImplementedError

    def state(self) -> Any:
        """Everything the workbook holds, to compare before and after a command."""
        raise NotImplementedError

    def charts(self, tab: str) -> list[str]:
        """The titles of the tab's charts."""
        raise NotImplementedError

    def highlights(self, tab: str) -> list[str]:
        """The texts the tab's conditional formats look for, in priority order."""
        raise NotImplementedError

    @contextmanager
    def editing(self) -> Iterator[None]:
        """A person's editing session: many edits, saved once at the end."""
        yield

    # --- what else a person puts on a page ------------------------------------------------

    def note(self, tab: str, row: int, col: int, text: str) -> None:
        """A note (a comment, in Excel's words) on a cell."""
        raise NotImplementedError

    def notes(self, tab: str) -> dict[tuple[int, int], str]:
        raise NotImplementedError

    def emphasise(self, tab: str, row: int, col: int) -> None:
        """Bold red text on a yellow fill."""
        raise NotImplementedError

    def emphasised(self, tab: str) -> set[tuple[int, int]]:
        raise NotImplementedError

    def set_height(self, tab: str, row: int, points: int) -> None:
        raise NotImplementedError

    def fill(self, tab: str, row: int, col: int) -> str | None:
        """A cell's fill colour as ``#RRGGBB``, or None for no fill."""
        raise NotImplementedError

    def insert_column(self, tab: str, col: int) -> None:
        """A person inserts a column before ``col`` across the whole tab (in
        LibreOffice for a local workbook: skipped where it is not installed)."""
        raise NotImplementedError

    def add_tab(self, tab: str, rows: list[list[Any]]) -> None:
        """A person adds a tab of their own holding ``rows`` (making the workbook
        first where there is none yet)."""
        raise NotImplementedError

    def tall_rows(self, tab: str) -> set[int]:
        """Rows a person made taller than the default."""
        raise NotImplementedError

    def delete_tab(self, tab: str) -> None:
        """A person deletes a whole tab."""
        raise NotImplementedError

    def formula(self, tab: str, row: int, col: int) -> str | None:
        """A cell's formula as text, or None."""
        raise NotImplementedError

    # --- built on the above -------------------------------------------------------------

    def find(self, tab: str, text: str) -> int:
        for r, row in enumerate(self.cells(tab), start=1):
            if text in row:
                return r
        raise AssertionError(f"{text!r} not on {tab}")

    def deals(self, tab: str) -> dict[Any, dict[Any, Any]]:
        """The tab's rows that have an id, by name, each as {deal column title: value}."""
        page = self.cells(tab)
        header = page[self.find(tab, "#existing_opportunities")]
        return {r[1]: dict(zip(header, r, strict=False)) for r in page if r[1:2] and r[0]}

    def set_cell(self, tab: str, find: str, col: int, value: Any) -> None:
        self.write(tab, self.find(tab, find), col, value)

    def type_row(self, tab: str, marker: str, values: list[Any]) -> None:
        """Type into the first blank row of a section, as a person would."""
        rows = self.cells(tab)
        r = self.find(tab, marker) + 2
        while r <= len(rows) and any(v not in (None, False, "") for v in rows[r - 1][1:7]):
            r += 1
        for i, v in enumerate(values, start=2):
            self.write(tab, r, i, v)


class XlsxBackend(Backend):
    name = "xlsx"

    def __init__(self, folder: Path) -> None:
        self.config = folder / "config.yaml"
        if not self.config.exists():
            self.config.write_text(CONFIG, encoding="utf-8")
        self.path = folder / "team.xlsx"
        self._open: Any = None  # the workbook, loaded once during ``editing``
        self._loaded: tuple[Any, Any] | None = None  # (the file's stat, its workbook)

    @contextmanager
    def editing(self) -> Iterator[None]:
        self._open = load_workbook(self.path)
        try:
            yield
            self._open.save(self.path)
        finally:
            self._open = None

    def _book(self) -> Any:
        """The workbook as the file now is: loaded again only when the file changed
        (a test looks at it many times between two commands)."""
        if self._open is not None:
            return self._open
        st = self.path.stat()
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._loaded is None or self._loaded[0] != key:
            self._loaded = (key, load_workbook(self.path))
        return self._loaded[1]

    def tabs(self) -> list[str]:
        return list(self._book().sheetnames)

    def hidden(self, tab: str) -> bool:
        return bool(self._book()[tab].sheet_state == "hidden")

    def cells(self, tab: str) -> list[Row]:
        rows = [tuple(_plain(v) for v in r) for r in self._book()[tab].iter_rows(values_only=True)]
        out = []
        for row in rows:
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            out.append(tuple(values))
        while out and not out[-1]:
            out.pop()
        return out

    def write(self, tab: str, row: int, col: int, value: Any) -> None:
        wb = self._book()
        wb[tab].cell(row, col).value = value
        if self._open is None:
            wb.save(self.path)

    def delete_row(self, tab: str, row: int) -> None:
        wb = self._book()
        wb[tab].delete_rows(row)
        wb.save(self.path)

    def rename(self, tab: str, new: str) -> None:
        wb = self._book()
        wb[tab].title = new
        wb.save(self.path)

    def state(self) -> Any:
        return self.path.read_bytes()

    def note(self, tab: str, row: int, col: int, text: str) -> None:
        from openpyxl.comments import Comment

        wb = self._book()
        wb[tab].cell(row, col).comment = Comment(text, "Dana")
        if self._open is None:
            wb.save(self.path)

    def notes(self, tab: str) -> dict[tuple[int, int], str]:
        ws = self._book()[tab]
        return {
            (c.row, c.column): c.comment.text
            for row in ws.iter_rows()
            for c in row
            if c.comment is not None
        }

    def emphasise(self, tab: str, row: int, col: int) -> None:
        from openpyxl.styles import Font, PatternFill

        wb = self._book()
        cell = wb[tab].cell(row, col)
        cell.font = Font(bold=True, color="FFC00000")
        cell.fill = PatternFill("solid", start_color="FFFFFF00")
        if self._open is None:
            wb.save(self.path)

    def emphasised(self, tab: str) -> set[tuple[int, int]]:
        ws = self._book()[tab]
        return {
            (c.row, c.column)
            for row in ws.iter_rows()
            for c in row
            if c.font is not None
            and c.font.b
            and c.font.color is not None
            and str(c.font.color.rgb).endswith("C00000")
        }

    def add_tab(self, tab: str, rows: list[list[Any]]) -> None:
        from openpyxl import Workbook

        wb = self._book() if self.path.exists() else Workbook()
        ws = wb.create_sheet(tab)
        for row in rows:
            ws.append(row)
        wb.save(self.path)

    def delete_tab(self, tab: str) -> None:
        wb = self._book()
        wb.remove(wb[tab])
        wb.save(self.path)

    def insert_column(self, tab: str, col: int) -> None:
        from tests.libreoffice import edit

        edit(self.path, [{"op": "insert_column", "tab": tab, "col": col}], self.path.parent / "lo")

    def fill(self, tab: str, row: int, col: int) -> str | None:
        fill = self._book()[tab].cell(row, col).fill
        if fill is None or fill.fill_type != "solid":
            return None
        return "#" + str(fill.fgColor.rgb)[-6:].upper()

    def set_height(self, tab: str, row: int, points: int) -> None:
        wb = self._book()
        wb[tab].row_dimensions[row].height = points
        if self._open is None:
            wb.save(self.path)

    def tall_rows(self, tab: str) -> set[int]:
        ws = self._book()[tab]
        return {r for r, d in ws.row_dimensions.items() if d.height and d.height > 30}

    def formula(self, tab: str, row: int, col: int) -> str | None:
        value = self._book()[tab].cell(row, col).value
        return value if isinstance(value, str) and value.startswith("=") else None

    def highlights(self, tab: str) -> list[str]:
        formats = self._book()[tab].conditional_formatting
        return [str(rule.text) for cf in formats for rule in cf.rules]

    def charts(self, tab: str) -> list[str]:
        out = []
        for chart in self._book()[tab]._charts:
            rich = chart.title.tx.rich if chart.title and chart.title.tx else None
            out.append("".join(r.t for p in (rich.p if rich else []) for r in (p.r or [])))
        return out


class GoogleBackend(Backend):
    name = "google"

    def __init__(self, folder: Path, fake: FakeSheetsApi, config: str = CONFIG) -> None:
        self.fake = fake
        book = fake.create(SHEET_ID, title="West 1:1s", tabs=("Sheet1",), owner=OWNER)
        for who in (SERVICE_ACCOUNT, MANAGER, *REPS):  # shared as the README says
            book.share(who, "writer")
        key = service_account_file(folder)
        self.config = folder / "config.yaml"
        workbook = f"{{type: google, spreadsheet: {SHEET_ID}, credentials_file: {key.name}}}"
        text = config.replace("{type: xlsx, path: team.xlsx}", workbook)
        self.config.write_text(text, encoding="utf-8")

    @property
    def book(self) -> Spreadsheet:
        """The spreadsheet as it is now (each write replaces the fake's copy)."""
        return self.fake.books[SHEET_ID]

    def tabs(self) -> list[str]:
        return [s.title for s in self.fake.books[SHEET_ID].sheets]

    def hidden(self, tab: str) -> bool:
        return self.fake.books[SHEET_ID].sheet(title=tab).hidden

    def cells(self, tab: str) -> list[Row]:
        return [tuple(r) for r in self.fake.grid(SHEET_ID, tab)]

    def write(self, tab: str, row: int, col: int, value: Any) -> None:
        self.fake.type(SHEET_ID, tab, row, col, value, who=MANAGER)

    def delete_row(self, tab: str, row: int) -> None:
        self.fake.delete_row(SHEET_ID, tab, row, who=MANAGER)

    def rename(self, tab: str, new: str) -> None:
        self.fake.rename(SHEET_ID, tab, new)

    def state(self) -> Any:
        return copy.deepcopy(self.fake.books[SHEET_ID])

    def note(self, tab: str, row: int, col: int, text: str) -> None:
        sheet = self.book.sheet(title=tab)
        start = {"sheetId": sheet.sheet_id, "rowIndex": row - 1, "columnIndex": col - 1}
        request = {"start": start, "rows": [{"values": [{"note": text}]}], "fields": "note"}
        self.fake.person(SHEET_ID, MANAGER, [{"updateCells": request}])

    def notes(self, tab: str) -> dict[tuple[int, int], str]:
        sheet = self.book.sheet(title=tab)
        return {(r + 1, c + 1): v["note"] for (r, c), v in sheet.cells.items() if v.get("note")}

    def emphasise(self, tab: str, row: int, col: int) -> None:
        sheet = self.book.sheet(title=tab)
        fmt = {
            "textFormat": {"bold": True, "foregroundColor": {"red": 0.75}},
            "backgroundColor": {"red": 1, "green": 1},
        }
        start = {"sheetId": sheet.sheet_id, "rowIndex": row - 1, "columnIndex": col - 1}
        request = {
            "start": start,
            "rows": [{"values": [{"userEnteredFormat": fmt}]}],
            "fields": "userEnteredFormat(textFormat,backgroundColor)",
        }
        self.fake.person(SHEET_ID, MANAGER, [{"updateCells": request}])

    def emphasised(self, tab: str) -> set[tuple[int, int]]:
        sheet = self.book.sheet(title=tab)
        out = set()
        for (r, c), cell in sheet.cells.items():
            text = cell.get("userEnteredFormat", {}).get("textFormat", {})
            if text.get("bold") and text.get("foregroundColor", {}).get("red", 0) > 0.7:
                out.add((r + 1, c + 1))
        return out

    def add_tab(self, tab: str, rows: list[list[Any]]) -> None:
        self.fake.person(SHEET_ID, MANAGER, [{"addSheet": {"properties": {"title": tab}}}])
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                self.write(tab, r, c, value)

    def delete_tab(self, tab: str) -> None:
        sheet_id = self.book.sheet(title=tab).sheet_id
        self.fake.person(SHEET_ID, MANAGER, [{"deleteSheet": {"sheetId": sheet_id}}])

    def insert_column(self, tab: str, col: int) -> None:
        sheet = self.book.sheet(title=tab)
        rng = {"sheetId": sheet.sheet_id, "dimension": "COLUMNS", "startIndex": col - 1}
        rng["endIndex"] = col
        self.fake.person(SHEET_ID, MANAGER, [{"insertDimension": {"range": rng}}])

    def fill(self, tab: str, row: int, col: int) -> str | None:
        cell = self.book.sheet(title=tab).cells.get((row - 1, col - 1), {})
        colour = cell.get("userEnteredFormat", {}).get("backgroundColor")
        if not colour or colour == {"red": 1, "green": 1, "blue": 1}:
            return None  # Google's default: white
        return "#" + "".join(
            f"{round(colour.get(k, 0) * 255):02X}" for k in ("red", "green", "blue")
        )

    def set_height(self, tab: str, row: int, points: int) -> None:
        sheet = self.book.sheet(title=tab)
        rng = {"sheetId": sheet.sheet_id, "dimension": "ROWS", "startIndex": row - 1}
        rng["endIndex"] = row
        request = {"range": rng, "properties": {"pixelSize": points * 4 // 3}}
        request["fields"] = "pixelSize"
        self.fake.person(SHEET_ID, MANAGER, [{"updateDimensionProperties": request}])

    def tall_rows(self, tab: str) -> set[int]:
        sheet = self.book.sheet(title=tab)
        return {r + 1 for r, px in sheet.row_heights.items() if px > 40}

    def formula(self, tab: str, row: int, col: int) -> str | None:
        cell = self.book.sheet(title=tab).cells.get((row - 1, col - 1), {})
        value = cell.get("userEnteredValue", {})
        return value.get("formulaValue")

    def highlights(self, tab: str) -> list[str]:
        sheet = self.fake.books[SHEET_ID].sheet(title=tab)
        return [  # one entry per rule and range, as openpyxl lists them
            r["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
            for r in sheet.conditional
            for _ in r["ranges"]
        ]

    def charts(self, tab: str) -> list[str]:
        sheet = self.fake.books[SHEET_ID].sheet(title=tab)
        return [c["spec"]["title"] for c in sheet.charts]

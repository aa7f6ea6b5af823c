"""The local workbook: an ``.xlsx`` file, edited the way a person's program edits
it (``xlsx_package``): the parts sheetsync does not change are written back as
they were, pages are changed in place (``xlsx_sheet``, ``xlsx_rows``), and
History and the ledger grow by appended rows (``xlsx_history``).

One command holds a lock beside the file, reads it once, and writes it once: the
new workbook is saved to a temporary file in the same folder and renamed over the
old one, so the file on disk is always the old workbook or the new one.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import weakref
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType

from lxml import etree

from sheetsync.adapters import xlsx_copy as history_copy
from sheetsync.adapters.filelock import FileLock
from sheetsync.adapters.xlsx_chart import add_charts
from sheetsync.adapters.xlsx_history import (
    NUMBER_STYLES,
    Tail,
    Unsupported,
    append_pieces,
    as_grid,
    header_cells,
    last_data_row,
    read_rows,
    splices,
    tail_of,
)
from sheetsync.adapters.xlsx_package import NS, Package, q
from sheetsync.adapters.xlsx_print import print_titles
from sheetsync.adapters.xlsx_read import Dates, SheetReader
from sheetsync.adapters.xlsx_rename import rename_sheet
from sheetsync.adapters.xlsx_rows import RowMover
from sheetsync.adapters.xlsx_sheet import Sheet, new_sheet
from sheetsync.adapters.xlsx_skeleton import new_package, styles_part
from sheetsync.adapters.xlsx_styles import StyleBook
from sheetsync.domain.access import Access, Shared
from sheetsync.domain.layout import SheetLayout, place_tab, tab_kind
from sheetsync.domain.plan import Grid, PageEdit, Snapshot, WritePlan
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.errors import ConcurrentEdit, WorkbookError

LEDGER_TAB = "_sheetsync"
HISTORY_TAB = "History"
APPEND_ONLY = (HISTORY_TAB, LEDGER_TAB, STAGE_LOG_TAB)

log = logging.getLogger(__name__)
# where an append goes in each append-only part as read, by package
_tails: weakref.WeakKeyDictionary[Package, dict[str, Tail]] = weakref.WeakKeyDictionary()


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


@dataclass
class _Kept:
    """The last read's package and what was parsed from it, by tab (grid, notes,
    last row with data): a command that reads again with more tabs (a rollover
    plans, then reads History for the roll) parses only what it had not, while the
    file is unchanged and no write has touched the package."""

    stat: tuple[int, int]
    pkg: Package
    reader: SheetReader
    tabs: dict[str, tuple[Grid, dict[tuple[int, int], str], int | None]]


class XlsxWorkbook:
    """The ``Workbook`` port on a local ``.xlsx`` file."""

    accounts = False  # who may edit a local file is the file system's business

    def __init__(self, path: Path, lock_wait: float = 10.0) -> None:
        # a link (a synced or shared copy) is followed: the real file is replaced,
        # and its lock and Excel's or LibreOffice's lock file are looked for beside it
        self.path = path.resolve() if path.is_symlink() else path
        self.location = str(path)
        self.title = path.name
        self.account: str | None = None  # a local file is not an account
        self._lock = FileLock(self.path, wait=lock_wait)
        self._pkg: Package | None = None
        self._stat: tuple[int, int] | None = None
        self._last_rows: dict[str, int] = {}  # append-only tab -> its last row with data
        self._ready = False  # a write needs a read of its own first
        self._kept: _Kept | None = None

    def __enter__(self) -> XlsxWorkbook:
        self._lock.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pkg = None
        self._lock.__exit__(exc_type, exc, tb)

    def _refuse_if_open_elsewhere(self, writing: bool = True) -> None:
        """Open in Excel or LibreOffice: a read goes on with a warning, a write is
        refused naming who has it open and since when; a stale lock is ignored."""
        self._lock.office(writing)

    def _check_unchanged(self) -> None:
        """People win: a file saved by anyone since our read is never overwritten."""
        if _stat(self.path) != self._stat:
            raise ConcurrentEdit(
                f"{self.path} changed while sheetsync was running; nothing was written, "
                "run the command again"
            )

    # --- reading ----------------------------------------------------------------------------

    def read(self, tabs: Sequence[str]) -> Snapshot:
        self._refuse_if_open_elsewhere(writing=False)
        self._ready = True
        self._stat = _stat(self.path)
        self._last_rows = {}
        if self._stat is None:
            self._pkg = None
            return Snapshot(exists=False)
        kept = self._kept if self._kept is not None and self._kept.stat == self._stat else None
        try:
            pkg = kept.pkg if kept else Package(self.path.read_bytes())
            reader = kept.reader if kept else SheetReader(pkg)
            parsed = kept.tabs if kept else {}
            titles = [s.title for s in pkg.sheets()]
            grids: dict[str, Grid] = {}
            notes: dict[str, dict[tuple[int, int], str]] = {}
            wanted = set(tabs) | {LEDGER_TAB}
            for entry in pkg.sheets():
                if entry.title not in wanted:
                    continue
                if entry.title in parsed:
                    grid, found, last = parsed[entry.title]
                    grid = [list(row) for row in grid]  # the caller's to change
                else:
                    grid, found, last = self._parse(pkg, reader, entry.title, entry.part, self.path)
                    if entry.title != HISTORY_TAB:  # kept in one copy: the largest, read once
                        parsed[entry.title] = ([list(row) for row in grid], found, last)
                grids[entry.title] = grid
                if found:
                    notes[entry.title] = dict(found)
                if last is not None:
                    self._last_rows[entry.title] = last
        except (
            zipfile.BadZipFile,
            KeyError,
            ValueError,
            OSError,
            etree.XMLSyntaxError,
            Unsupported,
        ) as exc:
            raise WorkbookError(f"{self.path}: not a readable .xlsx workbook ({exc})") from None
        self._pkg = pkg
        self._kept = _Kept(self._stat, pkg, reader, parsed)
        ledger = grids.get(LEDGER_TAB, [])[1:]
        shown = {t: g for t, g in grids.items() if t in tabs}
        log.info("read %s: %d tabs, %d read", self.path, len(titles), len(shown))
        return Snapshot(True, titles, shown, ledger, notes=notes)

    @staticmethod
    def _parse(
        pkg: Package, reader: SheetReader, title: str, part: str, path: Path
    ) -> tuple[Grid, dict[tuple[int, int], str], int | None]:
        if title not in APPEND_ONLY:
            return reader.grid(part), reader.notes(part), None
        key = history_copy.key_of(pkg, path, part, reader) if title == HISTORY_TAB else None
        kept = history_copy.load(key) if key is not None else None
        if kept is not None:  # History as this machine last parsed these very bytes
            grid, last, kept_tail = kept
            _tails.setdefault(pkg, {})[part] = kept_tail
            return grid, {}, last
        xml = pkg.read(part)
        rows = read_rows(xml, reader.strings, reader.dates())
        last = last_data_row(rows)
        grid = as_grid(rows)
        tail = tail_of(xml, last)
        if tail is not None:  # History's XML is not held: an append splices the file's
            _tails.setdefault(pkg, {})[part] = tail
            pkg.forget(part)
            if key is not None:
                history_copy.save(key, grid, last, tail)
        return grid, {}, last

    def link(self, tab: str) -> str:
        return f"{self.path.resolve().as_uri()} (tab '{tab}')"

    def record(self, rows: Grid) -> None:
        """The rows appended to the ledger of the file as it is now (a person may
        have saved it since the command's read), in a write of their own: only the
        ledger's part is read and rewritten, every other part is copied as it is,
        compressed, so recording a message costs the same at every size of
        History. The same lock, checks and rename as ``write``."""
        if not rows:
            return
        self._pkg, self._ready = None, False  # the command's read is spent: a write reads again
        self._kept = None
        self._refuse_if_open_elsewhere()
        self._stat = _stat(self.path)
        self._last_rows = {}
        if self._stat is None:
            raise WorkbookError(f"tab '{LEDGER_TAB}' is missing; run sheetsync init")
        try:
            pkg = Package(self.path.read_bytes())
            entry = pkg.sheet(LEDGER_TAB)
            # whether a row holds a value is all an append needs: shared strings unread
            last = None if entry is None else last_data_row(read_rows(pkg.read(entry.part), None))
        except (KeyError, ValueError, OSError, etree.XMLSyntaxError, Unsupported) as exc:
            raise WorkbookError(f"{self.path}: not a readable .xlsx workbook ({exc})") from None
        if last is not None:
            self._last_rows[LEDGER_TAB] = last
        self._append(pkg, LEDGER_TAB, rows, StyleBook(pkg, styles_part(pkg)))
        self._save(pkg.save())

    def locks(self) -> dict[str, str]:
        return {}  # a local file is locked as a whole, by the lock file beside it

    def protections(self) -> dict[str, str]:
        return {}  # who may edit a local file is the file system's business

    def access(self, people: Sequence[str]) -> Access | None:
        return None

    def share(self, people: Sequence[str], notify: bool) -> list[Shared]:
        return []

    # --- writing ----------------------------------------------------------------------------

    def write(self, plan: WritePlan) -> None:
        if not plan.changes_content:  # a local file has no tab protection to put back
            return
        if not self._ready:
            raise WorkbookError(f"{self.path}: internal: write without a read first")
        self._refuse_if_open_elsewhere()
        self._check_unchanged()
        self._kept = None  # the package is about to change: a read after this parses anew
        pkg = self._pkg
        if pkg is None:
            pkg = new_package()
            pkg.own_every_part()  # deflated, as every part sheetsync writes
        styles = StyleBook(pkg, styles_part(pkg))
        date1904 = pkg.date1904
        for old, new in plan.rename:
            rename_sheet(pkg, old, new)
        for layout in plan.create:
            if pkg.sheet(layout.title) is None:
                self._add(pkg, layout, styles)
        for layout in plan.replace:
            self._replace(pkg, layout, styles)
        for edit in plan.edit:
            self._edit(pkg, edit, styles, date1904)
        if plan.history_columns:
            self._history_columns(pkg, plan.history_columns)
        appended = (HISTORY_TAB, plan.history), (LEDGER_TAB, plan.ledger)
        for title, rows in (*appended, (STAGE_LOG_TAB, plan.stages)):
            if rows:
                self._append(pkg, title, rows, styles)
        self._keep_a_visible_tab_active(pkg)
        if plan.edit:
            calc = pkg.workbook.find("m:calcPr", NS)
            if calc is None:
                calc = etree.SubElement(pkg.workbook, q("calcPr"))
            calc.set("fullCalcOnLoad", "1")  # formulas may have new inputs
        self._save(pkg.save())

    @staticmethod
    def _add(pkg: Package, layout: SheetLayout, styles: StyleBook, at: int | None = None) -> None:
        """A new tab: where it was (``at``), else where its kind goes (Team first,
        a rep's page after the last page, History, then the ledger)."""
        sheet = new_sheet(layout, styles, pkg.date1904)
        if at is None:
            at = place_tab(layout.kind, [tab_kind(s.title) for s in pkg.sheets()])
        part = pkg.add_sheet(layout.title, sheet.root, layout.hidden, at)
        add_charts(pkg, part, sheet.root, layout.title, layout.charts)
        print_titles(pkg, layout)

    def _replace(self, pkg: Package, layout: SheetLayout, styles: StyleBook) -> None:
        """One of sheetsync's own tabs made again; column widths a person chose stay."""
        entry = pkg.sheet(layout.title)
        at = None
        widths: dict[int, str] = {}
        if entry is not None:
            for col in pkg.tree(entry.part).iterfind("m:cols/m:col", NS):
                if col.get("customWidth") in ("1", "true") and col.get("min") == col.get("max"):
                    widths[int(col.get("min", "0"))] = col.get("width", "")
            at = pkg.remove_sheet(layout.title)
        self._add(pkg, layout, styles, at)
        if widths:
            new = pkg.sheet(layout.title)
            assert new is not None
            for col in pkg.tree(new.part).iterfind("m:cols/m:col", NS):
                width = widths.get(int(col.get("min", "0")))
                if width and col.get("min") == col.get("max"):
                    col.set("width", width)

    @staticmethod
    def _edit(pkg: Package, edit: PageEdit, styles: StyleBook, date1904: bool) -> None:
        entry = pkg.sheet(edit.title)
        if entry is None:
            raise WorkbookError(f"tab '{edit.title}' is missing")
        if edit.ops:
            RowMover(pkg, edit.title).apply_all(edit.ops)
        sheet = Sheet(pkg.tree(entry.part), edit.title, date1904)
        for (r, c), cell in sorted(edit.cells.items()):
            style = styles.xf(cell.style) if (r, c) in edit.styled else None
            sheet.set(r, c, cell.value, style)
        sheet.validations(edit.validations)
        if edit.highlights is not None:
            sheet.highlights(edit.highlights, styles)
        sheet.fit_dimension()

    def _append(self, pkg: Package, title: str, rows: Grid, styles: StyleBook) -> None:
        entry = pkg.sheet(title)
        if entry is None:
            raise WorkbookError(f"tab '{title}' is missing; run sheetsync init")
        last = self._last_rows.get(title)
        if last is None:  # made by this write
            last = Sheet(pkg.tree(entry.part), title).last_row()
        numbers = {}
        if any(isinstance(v, int | float | date) for r in rows for v in r):  # bool is an int
            numbers = {kind: styles.xf(style) for kind, style in NUMBER_STYLES.items()}
        dates = Dates(date1904=pkg.date1904)
        tail = _tails.get(pkg, {}).get(entry.part)
        if tail is not None and tail.last_data_row == last and pkg.unchanged(entry.part):
            pkg.write_spliced(entry.part, splices(tail, rows, numbers, dates))
        else:
            new = append_pieces(pkg.read(entry.part), rows, last, numbers, dates)
            pkg.write_pieces(entry.part, new)
        self._last_rows[title] = last + len(rows)

    @staticmethod
    def _history_columns(pkg: Package, columns: list[tuple[int, str]]) -> None:
        entry = pkg.sheet(HISTORY_TAB)
        if entry is None:
            raise WorkbookError(f"tab '{HISTORY_TAB}' is missing; run sheetsync init")
        pkg.write(entry.part, header_cells(pkg.read(entry.part), columns))

    @staticmethod
    def _keep_a_visible_tab_active(pkg: Package) -> None:
        """The tab shown on opening must be a visible one (Excel refuses a hidden one)."""
        sheets = pkg.sheets()
        views = pkg.workbook.find("m:bookViews/m:workbookView", NS)
        if views is None:
            books = pkg.workbook.find("m:bookViews", NS)
            if books is None:
                books = etree.Element(q("bookViews"))
                pkg.workbook.find("m:sheets", NS).addprevious(books)
            views = etree.SubElement(books, q("workbookView"))
        active = int(views.get("activeTab", "0"))
        if 0 <= active < len(sheets) and not sheets[active].hidden:
            return
        first = next((i for i, s in enumerate(sheets) if not s.hidden), 0)
        views.set("activeTab", str(first))
        for i, entry in enumerate(sheets):
            for view in pkg.tree(entry.part).iterfind("m:sheetViews/m:sheetView", NS):
                if i == first:
                    view.set("tabSelected", "1")
                else:
                    view.attrib.pop("tabSelected", None)

    def _refuse_if_unwritable(self) -> None:
        """Nothing is written to a folder sheetsync could not lock, nor over a file
        its owner made read-only (replacing it would be allowed by the folder)."""
        if self._lock.unwritable is not None:
            raise WorkbookError(
                f"{self.path.parent}: cannot write here ({self._lock.unwritable}); "
                "nothing was written"
            )
        if self._stat is not None and not self.path.stat().st_mode & stat.S_IWUSR:
            raise WorkbookError(
                f"{self.path} is read-only (its permissions); nothing was written. "
                f"Make it writable (chmod u+w) to let sheetsync change it"
            )

    def _save(self, data: bytes) -> None:
        self._refuse_if_unwritable()
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
        self._pkg, self._ready = None, False  # one write per read
        log.info("wrote %s (%d bytes, replaced in one rename)", self.path, len(data))

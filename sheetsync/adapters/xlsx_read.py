"""A worksheet's cells as typed values, read from its XML as Excel and LibreOffice
write it: shared and inline strings, numbers, booleans, errors, dates (numbers in
a date format), and formulas with the value the program last computed for them.
A note on a cell (a comment, in Excel's words) is read too."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sheetsync.adapters.xlsx_package import NS, Element, Package
from sheetsync.adapters.xlsx_styles import StyleBook
from sheetsync.domain.plan import Grid
from sheetsync.domain.values import CellValue, Formula

EPOCH_1900 = datetime(1899, 12, 30)
EPOCH_1904 = datetime(1904, 1, 1)
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_BOOLEAN_FORMULAS = {"TRUE()": True, "FALSE()": False, "TRUE": True, "FALSE": False}
Notes = dict[tuple[int, int], str]


def split_ref(ref: str) -> tuple[int, int]:
    """``B12`` -> (12, 2)."""
    m = _REF.match(ref.upper())
    if not m:
        raise ValueError(f"not a cell reference: {ref}")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def text_of(el: Element) -> str:
    """A string item's text: its ``t``, or its rich-text runs' (phonetic runs left out)."""
    plain = el.find("m:t", NS)
    if plain is not None:
        return plain.text or ""
    return "".join(t.text or "" for t in el.iterfind("m:r/m:t", NS))


def strings_part(pkg: Package) -> str | None:
    """The workbook's shared-strings part, where it has one."""
    for _, part in pkg.related(pkg.workbook_part, "sharedStrings"):
        if pkg.has(part):
            return part
    return None


def shared_strings(pkg: Package) -> list[str]:
    part = strings_part(pkg)
    return [text_of(si) for si in pkg.tree(part).iterfind("m:si", NS)] if part else []


def styles_of(pkg: Package) -> StyleBook | None:
    for _, part in pkg.related(pkg.workbook_part, "styles"):
        if pkg.has(part):
            return StyleBook(pkg, part)
    return None


class Dates:
    """Which cell formats of a workbook show dates, and its date epoch: what turns
    a number read from History back into the date it shows."""

    def __init__(self, styles: Sequence[bool] = (), date1904: bool = False) -> None:
        self.styles = styles
        self.epoch = EPOCH_1904 if date1904 else EPOCH_1900

    def value(self, number: float, style: int) -> CellValue:
        if 0 <= style < len(self.styles) and self.styles[style] and 0 <= number < 2_958_466:
            # to the nearest second: a serial's fraction of a day is rarely exact
            moment = self.epoch + timedelta(seconds=round(number * 86_400))
            return moment.date() if moment.time() == datetime.min.time() else moment
        return int(number) if number.is_integer() and abs(number) < 2**53 else number

    def serial(self, value: date) -> int | float:
        if isinstance(value, datetime):
            delta = value.replace(tzinfo=None) - self.epoch
            return delta.days + delta.seconds / 86_400
        return (datetime(value.year, value.month, value.day) - self.epoch).days


class SheetReader:
    """Reads worksheets of one package, with its strings and formats looked up once."""

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.strings = shared_strings(pkg)
        self.styles = styles_of(pkg)
        self._dates: Dates | None = None

    def dates(self) -> Dates:
        if self._dates is None:  # worked out once: every append-only tab reads with them
            styles = self.styles.date_styles() if self.styles is not None else ()
            self._dates = Dates(styles, self.pkg.date1904)
        return self._dates

    def grid(self, part: str) -> Grid:
        root = self.pkg.tree(part)
        rows: dict[int, dict[int, CellValue]] = {}
        masters: dict[str, tuple[str, str]] = {}  # shared formula index -> (text, cell)
        for row in root.iterfind("m:sheetData/m:row", NS):
            for c in row.iterfind("m:c", NS):
                ref = c.get("r")
                if ref is None:
                    continue
                r, col = split_ref(ref)
                value = self.value(c, ref, masters)
                if value is not None:
                    rows.setdefault(r, {})[col] = value
        if not rows:
            return []
        out: Grid = []
        for r in range(1, max(rows) + 1):
            cells = rows.get(r, {})
            out.append([cells.get(c) for c in range(1, max(cells, default=0) + 1)])
        return out

    def value(self, c: Element, ref: str, masters: dict[str, tuple[str, str]]) -> CellValue:
        kind = c.get("t", "n")
        f = c.find("m:f", NS)
        cached = self._cached(c, kind)
        if f is not None:
            text = f.text or ""
            si = f.get("si")
            if f.get("t") == "shared" and si is not None:
                if text:
                    masters[si] = (text, ref)
                elif si in masters:
                    origin_text, origin = masters[si]
                    from openpyxl.formula.translate import Translator  # a shared formula

                    text = Translator("=" + origin_text, origin).translate_formula(ref)[1:]
            bare = text.replace(" ", "").upper()
            if bare in _BOOLEAN_FORMULAS:  # how LibreOffice saves a boolean cell
                return _BOOLEAN_FORMULAS[bare]
            if text:
                computed = cached if not isinstance(cached, Formula) else None
                return Formula("=" + text, computed)
        return cached

    def _cached(self, c: Element, kind: str) -> CellValue:
        if kind == "inlineStr":
            el = c.find("m:is", NS)
            return text_of(el) if el is not None else None
        v = c.find("m:v", NS)
        if v is None or v.text is None:
            return None
        raw = str(v.text)
        if kind == "s":
            i = int(raw)
            return self.strings[i] if 0 <= i < len(self.strings) else None
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(raw)
            except ValueError:
                return raw
        dates = self._dates or self.dates()  # a cell's hot path: the attribute first
        return dates.value(float(raw), int(c.get("s", "0")))

    def notes(self, part: str) -> Notes:
        """The notes (comments) on the sheet's cells, by (row, column)."""
        out: Notes = {}
        for _, comments in self.pkg.related(part, "comments"):
            if not self.pkg.has(comments):
                continue
            for el in self.pkg.tree(comments).iterfind("m:commentList/m:comment", NS):
                try:
                    where = split_ref(el.get("ref", ""))
                except ValueError:
                    continue
                text = el.find("m:text", NS)
                if text is not None:
                    out[where] = text_of(text).strip()
        return out

"""Formulas in the fake, as Google keeps them (written apart from sheetsync's own
code on purpose, so that the tests do not check sheetsync against itself):

- When rows are inserted, deleted or moved, every formula's references to that
  sheet follow their cells, as in the Sheets UI: a reference to a deleted cell
  becomes ``#REF!``, a range shrinks or grows.
- A formula's value, for reads that render values: arithmetic (``+ - * / ^``,
  parentheses) over numbers and cell references of the workbook, and ``SUM``,
  ``MIN``, ``MAX``, ``AVERAGE`` over ranges. Anything else has no value here (a
  gap, said rather than faked)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Json = dict[str, Any]
RowMap = Callable[[int], int | None]

_REF = re.compile(
    r"(?P<sheet>(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?"
    r"(?P<a>\$?[A-Z]{1,3}\$?\d+)(?::(?P<b>\$?[A-Z]{1,3}\$?\d+))?"
)
_STRING = re.compile(r'"(?:[^"]|"")*"')
_CELL = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


def _title(prefix: str | None) -> str | None:
    if not prefix:
        return None
    name = prefix[:-1]
    return name[1:-1].replace("''", "'") if name.startswith("'") else name


def _outside_strings(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the parts of a formula that are not string literals."""
    out, pos = [], 0
    for m in _STRING.finditer(text):
        out.append(change(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(change(text[pos:]))
    return "".join(out)


def follow_rows(text: str, host: str, target: str, move: RowMap, deleted: tuple[int, int]) -> str:
    """A formula on sheet ``host`` after rows of sheet ``target`` moved (``move``
    maps old rows to new, None for rows deleted; ``deleted`` is the deleted
    block's first and last row, or (0, -1))."""

    def ref(m: re.Match[str]) -> str:
        sheet = _title(m.group("sheet"))
        if (sheet if sheet is not None else host) != target:
            return m.group(0)
        a, b = _CELL.fullmatch(m.group("a")), _CELL.fullmatch(m.group("b") or m.group("a"))
        assert a is not None and b is not None
        r0, r1 = int(a.group(4)), int(b.group(4))
        first, last = deleted
        if m.group("b") is None:
            new = move(r0)
            if new is None:
                return "#REF!"
            return (m.group("sheet") or "") + f"{a.group(1)}{a.group(2)}{a.group(3)}{new}"
        if first <= r0 and r1 <= last:
            return "#REF!"
        n0 = first if first <= r0 <= last else move(r0)
        n1 = first - 1 if first <= r1 <= last else move(r1)
        assert n0 is not None and n1 is not None
        n0, n1 = min(n0, n1), max(n0, n1)
        return (m.group("sheet") or "") + (
            f"{a.group(1)}{a.group(2)}{a.group(3)}{n0}:{b.group(1)}{b.group(2)}{b.group(3)}{n1}"
        )

    return _outside_strings(text, lambda part: _REF.sub(ref, part))


def follow_rename(text: str, old: str, new: str) -> str:
    """A formula after sheet ``old`` was renamed ``new``. The rename request
    itself is recorded (gspread cassette ``WorksheetTest.test_update_title``);
    that formulas naming the sheet follow it is what the Sheets UI shows (a formula
    holds the sheet, not its title), not a recording: an assumption, said here."""

    def ref(m: re.Match[str]) -> str:
        sheet = _title(m.group("sheet"))
        if sheet is None or sheet.casefold() != old.casefold():
            return m.group(0)
        rest = m.group(0)[len(m.group("sheet")) :]
        return "'" + new.replace("'", "''") + "'!" + rest

    return _outside_strings(text, lambda part: _REF.sub(ref, part))


def rename_sheet(sheets: Any, sheet: Any, title: str) -> None:
    """``sheet`` of ``sheets`` titled ``title``, every formula following it."""
    old = sheet.title
    sheet.title = title
    for other in sheets:
        for cell in other.cells.values():
            value = cell.get("userEnteredValue") or {}
            if "formulaValue" in value:
                value["formulaValue"] = follow_rename(value["formulaValue"], old, title)


# --- values ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<fn>SUM|MIN|MAX|AVERAGE)\(|(?P<ref>"
    + _REF.pattern
    + r")|(?P<op>[-+*/^(),]))",
    re.IGNORECASE,
)


class _Unsupported(Exception):
    pass


def evaluate(text: str, host: str, value_at: Callable[[str, int, int], Any]) -> Any:
    """The value of a formula on sheet ``host``; None where the fake cannot say.
    ``value_at(sheet, row, col)`` gives a cell's value (1-based)."""
    body = text[1:] if text.startswith("=") else text
    tokens: list[tuple[str, str]] = []
    pos = 0
    body = body.strip()
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if m is None or m.end() == pos:
            return None
        kind = m.lastgroup or ""
        if kind in ("sheet", "a", "b"):
            kind = "ref"
        tokens.append((kind, m.group(kind) if kind != "ref" else m.group("ref")))
        pos = m.end()
    try:
        value, rest = _sum(tokens, host, value_at)
    except (_Unsupported, ZeroDivisionError, IndexError, TypeError):
        return None
    return value if not rest else None


def _cells(ref: str, host: str, value_at: Callable[[str, int, int], Any]) -> list[Any]:
    m = _REF.fullmatch(ref)
    if m is None:
        raise _Unsupported(ref)
    sheet = _title(m.group("sheet")) or host
    a = _CELL.fullmatch(m.group("a"))
    b = _CELL.fullmatch(m.group("b") or m.group("a"))
    assert a is not None and b is not None

    def col(letters: str) -> int:
        n = 0
        for ch in letters.upper():
            n = n * 26 + ord(ch) - 64
        return n

    return [
        value_at(sheet, r, c)
        for r in range(int(a.group(4)), int(b.group(4)) + 1)
        for c in range(col(a.group(2)), col(b.group(2)) + 1)
    ]


Tokens = list[tuple[str, str]]


def _sum(t: Tokens, host: str, at: Callable[[str, int, int], Any]) -> tuple[float, Tokens]:
    value, t = _product(t, host, at)
    while (t and t[0] == ("op", "+")) or (t and t[0] == ("op", "-")):
        op = t[0][1]
        right, t = _product(t[1:], host, at)
        value = value + right if op == "+" else value - right
    return value, t


def _product(t: Tokens, host: str, at: Callable[[str, int, int], Any]) -> tuple[float, Tokens]:
    value, t = _power(t, host, at)
    while t and t[0][0] == "op" and t[0][1] in "*/":
        op = t[0][1]
        right, t = _power(t[1:], host, at)
        value = value * right if op == "*" else value / right
    return value, t


def _power(t: Tokens, host: str, at: Callable[[str, int, int], Any]) -> tuple[float, Tokens]:
    value, t = _unary(t, host, at)
    if t and t[0] == ("op", "^"):
        right, t = _power(t[1:], host, at)
        value = value**right
    return value, t


def _unary(t: Tokens, host: str, at: Callable[[str, int, int], Any]) -> tuple[float, Tokens]:
    if t and t[0] == ("op", "-"):
        value, rest = _unary(t[1:], host, at)
        return -value, rest
    if t and t[0] == ("op", "+"):
        return _unary(t[1:], host, at)
    return _atom(t, host, at)


def _number(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unsupported(str(value))
    return float(value)


def _atom(t: Tokens, host: str, at: Callable[[str, int, int], Any]) -> tuple[float, Tokens]:
    kind, text = t[0]
    if kind == "num":
        return float(text), t[1:]
    if kind == "ref":
        cells = _cells(text, host, at)
        if len(cells) != 1:
            raise _Unsupported(text)
        return _number(cells[0]), t[1:]
    if kind == "fn":
        args: list[float] = []
        t = t[1:]
        while t and t[0] != ("op", ")"):
            if t[0][0] == "ref" and ":" in t[0][1]:
                args += [_number(v) for v in _cells(t[0][1], host, at) if v not in (None, "")]
                t = t[1:]
            else:
                value, t = _sum(t, host, at)
                args.append(value)
            if t and t[0] == ("op", ","):
                t = t[1:]
        name = text.upper()
        result = {
            "SUM": lambda: sum(args),
            "MIN": lambda: min(args, default=0.0),
            "MAX": lambda: max(args, default=0.0),
            "AVERAGE": lambda: sum(args) / len(args),
        }[name]()
        return result, t[1:]
    if (kind, text) == ("op", "("):
        value, rest = _sum(t[1:], host, at)
        if not rest or rest[0] != ("op", ")"):
            raise _Unsupported("(")
        return value, rest[1:]
    raise _Unsupported(text)

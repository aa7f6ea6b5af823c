"""Cell references that follow their rows, as Excel and LibreOffice keep them when
a person inserts, deletes or moves rows: in formulas (of every sheet), in the
ranges of merged cells, conditional formats and validations, in defined names.

A row operation is a ``RowOp``: rows inserted at ``start``, the rows
``start..start+count-1`` deleted, or that block moved before row ``to`` (rows
1-based, as the sheet is just before the operation). References to a deleted
row become ``#REF!``; a range loses the rows deleted from it, and grows with rows
inserted inside it; references to moved rows follow them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from sheetsync.domain.plan import RowOp

RowMap = Callable[[int], int | None]

_SHEET = r"(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!:\[\]\s]+))!"
_PREFIX = re.compile(rf"^(?P<external>\[[^\]]*\])?(?:{_SHEET})?(?P<ref>.+)$")
_CELL = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)(\d+)$")
_ROWS = re.compile(r"^(\$?)(\d+)$")
_COLUMN = re.compile(r"^\$?[A-Za-z]{1,3}$")
REF_ERROR = "#REF!"


def row_map(op: RowOp) -> RowMap:
    """Where each row of the sheet goes; None for a deleted row."""
    start, n, to = op.start, op.count, op.to
    if op.kind == "insert":
        return lambda r: r + n if r >= start else r
    if op.kind == "delete":
        return lambda r: None if start <= r < start + n else (r - n if r >= start + n else r)
    if to > start + n:  # the block moves down: the rows between move up

        def down(r: int) -> int:
            if start <= r < start + n:
                return r - start + to - n
            return r - n if start + n <= r < to else r

        return down

    def up(r: int) -> int:  # the block moves up: the rows between move down
        if start <= r < start + n:
            return r - start + to
        return r + n if to <= r < start else r

    return up


def shift_span(r0: int, r1: int, op: RowOp) -> tuple[int, int] | None:
    """A range's first and last rows after ``op``; None when all of it was deleted."""
    move = row_map(op)
    if op.kind == "delete":
        first, last = op.start, op.start + op.count - 1
        if first <= r0 and r1 <= last:
            return None
        a = first if first <= r0 <= last else move(r0)
        b = first - 1 if first <= r1 <= last else move(r1)
        assert a is not None and b is not None
        return a, b
    a, b = move(r0), move(r1)
    assert a is not None and b is not None
    return (a, b) if a <= b else (b, a)


def _cell(text: str) -> tuple[str, str, str, int] | None:
    m = _CELL.match(text)
    return (m.group(1), m.group(2), m.group(3), int(m.group(4))) if m else None


def shift_area(ref: str, op: RowOp) -> str | None:
    """``A5``, ``$B$2:C9``, ``4:7`` or ``A:C`` after ``op``; None when deleted.
    Anything else (a name, a structured reference) is returned as it is."""
    parts = ref.split(":")
    if len(parts) == 1:
        cell = _cell(ref)
        if cell is None:
            return ref
        new = row_map(op)(cell[3])
        return None if new is None else f"{cell[0]}{cell[1]}{cell[2]}{new}"
    if len(parts) != 2:
        return ref
    a, b = parts
    ca, cb = _cell(a), _cell(b)
    if ca and cb:
        span = shift_span(ca[3], cb[3], op)
        if span is None:
            return None
        return f"{ca[0]}{ca[1]}{ca[2]}{span[0]}:{cb[0]}{cb[1]}{cb[2]}{span[1]}"
    ra, rb = _ROWS.match(a), _ROWS.match(b)
    if ra and rb:
        span = shift_span(int(ra.group(2)), int(rb.group(2)), op)
        if span is None:
            return None
        return f"{ra.group(1)}{span[0]}:{rb.group(1)}{span[1]}"
    if _COLUMN.match(a) and _COLUMN.match(b):
        return ref  # whole columns: rows do not matter
    return ref


def sheet_of(operand: str) -> tuple[str | None, str, str]:
    """(sheet title or None, the prefix as written, the reference part)."""
    m = _PREFIX.match(operand)
    if not m or m.group("external"):
        return None, "", operand
    title = m.group("quoted")
    title = title.replace("''", "'") if title is not None else m.group("plain")
    prefix = operand[: len(operand) - len(m.group("ref"))]
    return title, prefix, m.group("ref")


def shift_operand(operand: str, host: str, target: str, op: RowOp) -> str:
    """A range operand of a formula on sheet ``host``, after ``op`` on ``target``."""
    if operand.startswith("[") or "[" in operand.split("!")[-1]:
        return operand  # another workbook, or a table's structured reference
    title, prefix, ref = sheet_of(operand)
    if (title if title is not None else host) != target:
        return operand
    new = shift_area(ref, op)
    return REF_ERROR if new is None else prefix + new


@functools.lru_cache(maxsize=1 << 14)  # a team's pages hold the same rules and formulas
def _tokens(text: str) -> tuple[tuple[str, bool], ...] | None:
    """A formula's tokens as (text, whether it is a range operand); None when the
    tokenizer cannot read it."""
    from openpyxl.formula.tokenizer import Token, Tokenizer  # openpyxl only for a formula

    try:
        items = Tokenizer(text).items
    except Exception:  # a formula the tokenizer cannot read is left as it is
        return None
    return tuple((t.value, t.type == Token.OPERAND and t.subtype == Token.RANGE) for t in items)


def map_ranges(formula: str, change: Callable[[str], str]) -> str:
    """A formula (with or without its leading ``=``) with ``change`` applied to each
    range operand; returned unchanged, character for character, when no operand
    changes (and when the tokenizer cannot read it)."""
    tokens = _tokens(formula if formula.startswith("=") else "=" + formula)
    if tokens is None:
        return formula
    changed = False
    out = []
    for value, is_range in tokens:
        if is_range:
            new = change(value)
            changed = changed or new != value
            value = new
        out.append(value)
    if not changed:
        return formula
    text = "".join(out)
    return "=" + text if formula.startswith("=") else text


@functools.lru_cache(maxsize=1 << 16)  # a team's pages hold the same rules, moved alike
def shift_formula(formula: str, host: str, target: str, op: RowOp) -> str:
    """A formula on sheet ``host`` after ``op`` on sheet ``target``."""
    return map_ranges(formula, lambda operand: shift_operand(operand, host, target, op))


def shift_sqref(sqref: str, op: RowOp) -> str:
    """A space-separated list of ranges after ``op``; empty when all were deleted."""
    kept = [new for part in sqref.split() if (new := shift_area(part, op)) is not None]
    return " ".join(kept)


def mentions(raw: bytes, title: str) -> bool:
    """Whether an XML part may name the sheet ``title`` in a reference (as Excel and
    LibreOffice write it: quoted with ``''``, XML-escaped, any case). Over-eager on
    purpose: a character reference anywhere counts as a mention."""
    text = raw.lower()
    if b"&#" in text:
        return True
    forms = {title, title.replace("'", "''")}
    for form in list(forms):
        escaped = form.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        forms |= {escaped, escaped.replace("'", "&apos;")}
    return any(form.lower().encode("utf-8") in text for form in forms)


def quote_title(title: str) -> str:
    """A sheet title as a formula prefix names it (always quoted: valid everywhere)."""
    return "'" + title.replace("'", "''") + "'!"


def rename_operand(operand: str, old: str, new: str) -> str:
    """A reference (``'Alice chen'!A1``) naming sheet ``new`` where it named ``old``
    (sheet names compare without regard to case, as in Excel); any other as it is."""
    if operand.startswith("["):
        return operand  # another workbook's sheet
    title, _, ref = sheet_of(operand)
    if title is None or title.casefold() != old.casefold():
        return operand
    return quote_title(new) + ref


def rename_in_formula(formula: str, old: str, new: str) -> str:
    """A formula whose references to sheet ``old`` name ``new`` instead."""
    return map_ranges(formula, lambda operand: rename_operand(operand, old, new))

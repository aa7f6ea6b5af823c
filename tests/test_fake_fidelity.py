"""How close the fake Sheets API is to the real one: Google's recorded answers
(gspread's cassettes, in ``../shared/google-recordings``) replayed against it.

Every recorded interaction whose request has a shape sheetsync sends is compared
with the fake's answer: the status, and the body (the service account's address
made neutral). A difference is either explained here, with a check that the
explanation applies, or the test fails. The figures are printed at the end of
the test run (``summary``); RELIABILITY.md quotes them.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.fakes.replay import RECORDINGS, Outcome, Replayer, cassettes, normalised
from tests.fakes.sheets_api import FakeSheetsApi

pytestmark = pytest.mark.skipif(
    not RECORDINGS.is_dir(),
    reason="Google's recorded traffic is not here (../shared/google-recordings): "
    "the fidelity replay runs only in the team's own checkouts and CI",
)

OUTCOMES: list[Outcome] = []
EXPLAINED: dict[str, str] = {}  # where -> reason


def formula_results(outcome: Outcome, fake: FakeSheetsApi) -> str | None:
    """Values that differ only where the fake holds a formula: Google computes
    formulas, the fake stores them (a gap its docstring states)."""
    if outcome.shape not in ("values.get", "values.batchGet") or outcome.status != 200:
        return None
    real, ours = normalised(outcome.exchange.json_answer()), normalised(outcome.answer)
    ranges = [(real, ours)]
    if outcome.shape == "values.batchGet":
        ranges = list(zip(real.get("valueRanges", []), ours.get("valueRanges", []), strict=False))
    for r, f in ranges:
        if {k: v for k, v in r.items() if k != "values"} != {
            k: v for k, v in f.items() if k != "values"
        }:
            return None
        real_rows, fake_rows = r.get("values", []), f.get("values", [])
        for i in range(max(len(real_rows), len(fake_rows))):
            a = real_rows[i] if i < len(real_rows) else []
            b = fake_rows[i] if i < len(fake_rows) else []
            for j in range(max(len(a), len(b))):
                x = a[j] if j < len(a) else ""
                y = b[j] if j < len(b) else ""
                if x != y and not holds_formula(fake, outcome, r["range"], i, j):
                    return None
    return "formula results: Google computes formulas, the fake keeps their text"


def holds_formula(fake: FakeSheetsApi, outcome: Outcome, a1: str, row: int, col: int) -> bool:
    from tests.fakes.sheets_values import resolve

    book = fake.books[outcome.book_id]
    sheet, box = resolve(book, a1)
    cell = sheet.cells.get((box.r0 + row, box.c0 + col), {})
    return "formulaValue" in cell.get("userEnteredValue", {})


EXPLANATIONS = (formula_results,)


def explain(outcome: Outcome, fake: FakeSheetsApi) -> str | None:
    """Why the fake answered differently, checked against the fake's state at the
    moment of the answer; None if no explanation applies."""
    for check in EXPLANATIONS:
        reason = check(outcome, fake)
        if reason:
            return reason
    return None


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    if not OUTCOMES:
        for path in cassettes():
            replayer = Replayer()
            for o in replayer.run(path):  # the fake is in that moment's state here
                OUTCOMES.append(o)
                reason = explain(o, replayer.fake) if o.comparable and not o.identical else None
                if reason:
                    EXPLAINED[o.where] = reason
    return OUTCOMES


def test_every_comparable_answer_is_identical_or_explained(outcomes: list[Outcome]) -> None:
    unexplained = [
        o for o in outcomes if o.comparable and not o.identical and o.where not in EXPLAINED
    ]
    lines = [
        f"{o.where} {o.exchange.method} {o.exchange.uri[:100]}: Google {o.exchange.status}, "
        f"the fake {o.status}: {str(o.answer)[:200]}"
        for o in unexplained[:10]
    ]
    assert not unexplained, f"{len(unexplained)} unexplained differences:\n" + "\n".join(lines)


def test_the_replay_reaches_most_of_what_sheetsync_sends(outcomes: list[Outcome]) -> None:
    """Most in-scope interactions are compared, not lost to a state the fake could
    not follow; and every kind of request sheetsync reads with is among them."""
    in_scope = [o for o in outcomes if o.shape]
    comparable = [o for o in in_scope if o.comparable]
    assert len(comparable) >= 0.97 * len(in_scope)
    assert {o.shape for o in comparable} >= {"spreadsheets.get", "values.get", "batchUpdate"}


def summary() -> list[str]:
    if not OUTCOMES:
        return []
    in_scope = [o for o in OUTCOMES if o.shape]
    comparable = [o for o in in_scope if o.comparable]
    identical = [o for o in comparable if o.identical]
    lines = [
        f"fidelity (Google's recorded answers replayed against the fake): "
        f"{len(OUTCOMES)} Sheets requests replayed, {len(in_scope)} of sheetsync's shapes, "
        f"{len(comparable)} comparable, {len(identical)} identical, "
        f"{len(EXPLAINED)} explained, "
        f"{len(comparable) - len(identical) - len(EXPLAINED)} unexplained"
    ]
    by_shape: Counter[str] = Counter(o.shape for o in identical if o.shape)
    lines.append("  identical by shape: " + ", ".join(f"{k} {v}" for k, v in by_shape.items()))
    for reason, n in Counter(EXPLAINED.values()).most_common():
        lines.append(f"  explained ({n}): {reason}")
    lost: Counter[str] = Counter(
        o.why_not_comparable.split(" (", 1)[1].split(")")[0] for o in in_scope if not o.comparable
    )
    lines.append(
        f"  not comparable ({len(in_scope) - len(comparable)}), after a request the fake "
        "does not emulate: " + ", ".join(f"{k} {v}" for k, v in lost.most_common())
    )
    return lines

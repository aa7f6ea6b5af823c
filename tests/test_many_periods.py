"""Two years of a team, generated: random edits by the reps, rollovers that cron
sometimes misses and sometimes runs twice, and recaps run zero, one or two times
a month, on both backends. After every step the invariants of DESIGN.md are
checked against a model of what the people typed:

- every item on a page when a period closes is in History exactly once for that
  period, with the outcome its section's rule gives and the right carried count;
- the new page holds exactly the items that stay, each once, and a missed period
  is skipped (no empty page in between);
- a second rollover changes nothing;
- no recap is sent twice for a rep and period, each held meeting whose page has
  something on it gets one, and the ledger matches the outbox;
- what people put on a page beyond sheetsync's cells stays with its row while
  the row is on the page, and is in History's ``extra`` when it leaves: a value
  in their own column, a note on a cell, a remark typed to the right of a row,
  a formula that refers to the row's amount (and keeps referring to it as the
  row moves).

The default run tries a few teams per backend; ``-m long`` (run by CI too) tries
more. Hypothesis shrinks a failure to the shortest history that shows it.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import SHEET_ID, Backend, GoogleBackend, XlsxBackend
from tests.conftest import CONFIG
from tests.fakes.sheets_api import FakeSheetsApi
from tests.test_cli import run

REPS = {"Alice Chen": "Alice Chen", "Bob Stone": "Bob"}  # rep -> tab
PERIODS = 24
FIRST = date(2026, 10, 1)
RUNS: Counter[str] = Counter()  # what the generated histories did, for the summary


def summary() -> list[str]:
    if not RUNS:
        return []
    return [
        f"many periods: {RUNS['teams']} teams × {PERIODS} periods, {RUNS['steps']} steps checked "
        f"({RUNS['rollovers']} rollovers, {RUNS['missed']} missed, {RUNS['repeated']} repeated, "
        f"{RUNS['recaps']} recap runs, {RUNS['edits']} edits, {RUNS['history']} History rows)"
    ]


@dataclass
class Item:
    label: str
    section: str
    closed: bool = False
    carried: int = 0
    own: float | None = None  # in the person's own column, "Probability"
    note: str | None = None  # a note on the item's name
    aside: str | None = None  # a remark typed to the right of the row
    formula: bool = False  # a formula beside the row, referring to its amount


@dataclass
class Model:
    """What should be on each rep's page."""

    items: dict[str, list[Item]] = field(default_factory=lambda: {r: [] for r in REPS})
    period: str = "2026-10"  # the pages' period
    n: int = 0

    def label(self, rep: str, kind: str) -> str:
        self.n += 1
        return f"{rep.split()[0]} {kind} {self.n}"


SECTION_OF = {
    "deal": "new_opportunities",
    "win": "wins",
    "action": "actions",
    "commitment": "commitments",
}
OWN = 12  # the person's own column in Existing opportunities ("Probability")
PERSONAL = ("own", "note", "aside", "formula")
ASIDE, FORMULA = 14, 15  # a remark and a formula to the right of a row
CLOSES = {  # what -> (section, column, the values that close a row)
    "close": ("existing_opportunities", 5, ("Closed lost", "Closed won")),
    "done": ("actions", 6, ("Dropped", "Done")),
}
BLANK_ROWS = {"new_opportunities": 3, "wins": 2, "actions": 4, "commitments": 3}


def outcome(item: Item) -> str:
    """The section's carry rule (templates/pages/monthly.yaml), written out again."""
    if item.section == "wins":
        return "archived"
    if item.section == "new_opportunities":
        return "moved"
    if item.closed:
        return "closed"
    if item.section == "commitments" and item.carried >= 1:
        return "reviewed"
    return "carried"


def month(i: int) -> date:
    y, m = divmod(FIRST.month - 1 + i, 12)
    return date(FIRST.year + y, m + 1, 1)


def last_day(d: date) -> date:
    return month((d.year - FIRST.year) * 12 + d.month - FIRST.month + 1) - timedelta(days=1)


Edit = tuple[str, int, int]  # what, which rep, a number to pick an item with
edits = st.lists(
    st.tuples(
        st.sampled_from(
            # sheetsync's kinds of rows, then a person's own things on a row
            ("deal", "win", "action", "commitment", "close", "done", *PERSONAL)
        ),
        st.integers(0, len(REPS) - 1),
        st.integers(0, 99),
    ),
    max_size=6,
)
periods = st.lists(
    st.tuples(
        st.sampled_from([1, 1, 1, 1, 0, 2]),  # rollovers this month: missed, once, twice
        edits,
        st.sampled_from([1, 1, 0, 2]),  # recap runs at the month's end
    ),
    min_size=PERIODS,
    max_size=PERIODS,
)


def edit(b: Backend, m: Model, what: str, rep: str, pick: int) -> None:
    tab = REPS[rep]
    items = m.items[rep]
    if what in SECTION_OF:
        section = SECTION_OF[what]
        typed = [i for i in items if i.section == section and i.carried == 0]
        if len(typed) >= BLANK_ROWS[section]:
            return  # the section's blank rows are full
        label = m.label(rep, what)
        values: dict[str, list[Any]] = {
            "deal": [label, "Acme", 1000 + pick, "Demo"],
            "win": [label],
            "action": [label, "Rep", "", "", "Open"],
            "commitment": [label, "calls", 10, pick % 20],
        }
        b.type_row(tab, f"#{section}", values[what])
        items.append(Item(label, section))
        RUNS["edits"] += 1
        return
    if what in PERSONAL:
        person_edit(b, m, what, rep, pick)
        return
    section, col, values = CLOSES[what]  # a deal won or lost, an action done or dropped
    still_open = [i for i in items if i.section == section and not i.closed]
    if still_open:
        item = still_open[pick % len(still_open)]
        b.set_cell(tab, item.label, col, values[pick % 2])
        item.closed = True
        RUNS["edits"] += 1


def person_edit(b: Backend, m: Model, what: str, rep: str, pick: int) -> None:
    """Something of a person's own on an item's row (not on a win: wins leave at
    the next rollover)."""
    tab = REPS[rep]
    deals = [i for i in m.items[rep] if i.section == "existing_opportunities"]
    others = [i for i in m.items[rep] if i.section != "wins"]
    pool = deals if what == "own" else others
    if not pool:
        return
    item = pool[pick % len(pool)]
    row = b.find(tab, item.label)
    if what == "own":
        item.own = round(0.1 * (pick % 10), 1)
        b.write(tab, row, OWN, item.own)
    elif what == "note":
        item.note = f"note {pick} on {item.label}"
        b.note(tab, row, 2, item.note)
    elif what == "aside":
        item.aside = f"aside {pick}"
        b.write(tab, row, ASIDE, item.aside)
    else:
        item.formula = True
        b.write(tab, row, FORMULA, f"=D{row}*2")
    RUNS["edits"] += 1


def check_person(b: Backend, m: Model, rep: str) -> None:
    """Each item's own things are on its row, wherever the row is now."""
    tab = REPS[rep]
    page = b.cells(tab)
    notes = b.notes(tab)
    for item in m.items[rep]:
        row = b.find(tab, item.label)
        cells = page[row - 1]

        def at(col: int, cells: tuple[Any, ...] = cells) -> Any:
            return cells[col - 1] if col - 1 < len(cells) else None

        if item.own is not None:
            assert at(OWN) == item.own, (item.label, at(OWN), item.own)
        if item.aside is not None:
            assert at(ASIDE) == item.aside, (item.label, at(ASIDE))
        if item.note is not None:
            assert notes.get((row, 2)) == item.note, (item.label, notes)
        if item.formula:
            assert b.formula(tab, row, FORMULA) == f"=D{row}*2", (item.label, row)


def check_extra(item: Item, extra: Any) -> None:
    """What History keeps of an item's own things when it leaves the page."""
    text = str(extra or "")
    if item.own is not None:  # a number, however the backend writes it (0 or 0.0)
        own = re.search(r"Probability: ([^;]+)", text)
        assert own is not None and float(own.group(1)) == item.own, (item.label, text)
    if item.note is not None:
        assert f"note on Opportunity: {item.note}" in text or f": {item.note}" in text, text
    if item.aside is not None:
        assert f"N: {item.aside}" in text, (item.label, text)


LABEL = re.compile(r"^(Alice|Bob) (deal|win|action|commitment) \d+$")


def labels(row: tuple[Any, ...]) -> list[str]:
    return [v for v in row if isinstance(v, str) and LABEL.match(v)]


def labels_on(b: Backend, rep: str) -> Counter[str]:
    return Counter(v for row in b.cells(REPS[rep]) for v in labels(row))


def check_rollover(b: Backend, m: Model, new_period: str, history_before: int) -> None:
    history = b.cells("History")
    rows = history[history_before:]
    for rep in REPS:
        mine = [r for r in rows if r[1] == rep]
        assert {r[0] for r in mine} <= {m.period}, "History holds a period nobody had a page for"
        by_label: dict[str, list[Any]] = {}
        for r in mine:
            for v in labels(r):
                by_label.setdefault(v, []).append(r)
        expected = {i.label: i for i in m.items[rep]}
        assert set(by_label) == set(expected), (rep, set(by_label) ^ set(expected))
        assert len(mine) == len(expected), f"{rep}: a History row twice or one without an item"
        extra = list(history[0]).index("extra")
        for label, found in by_label.items():
            item = expected[label]
            assert len(found) == 1, f"{label} archived twice"
            assert found[0][4] == outcome(item), (label, found[0][4], outcome(item))
            assert int(found[0][6] or 0) == item.carried, (label, found[0][6], item.carried)
            check_extra(item, found[0][extra] if extra < len(found[0]) else None)
        staying = []
        for item in m.items[rep]:
            if outcome(item) in ("carried", "moved"):
                if item.section == "new_opportunities":
                    item.section = "existing_opportunities"
                item.carried += 1
                staying.append(item)
        m.items[rep] = staying
        page = b.cells(REPS[rep])
        assert page[3][2] == new_period
        on_page = labels_on(b, rep)
        assert on_page == Counter({i.label: 1 for i in staying}), rep
        for item in staying:
            if item.own is not None and item.section != "existing_opportunities":
                item.own = None  # not in its section's columns any more
        check_person(b, m, rep)
    keys = [(r[0], r[1], r[3]) for r in history[1:]]
    assert len(keys) == len(set(keys)), "History has an item twice in one period"
    m.period = new_period


def outbox_counts(b: Backend) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for path in (b.config.parent / "outbox").glob("*.eml"):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        out[(str(msg["To"]), str(msg["Subject"]))] += 1
    return out


def check_recaps(b: Backend, held: set[tuple[str, str]]) -> None:
    sent = Counter((r[1], r[2]) for r in b.cells("_sheetsync")[1:] if r[0] == "recap")
    assert all(n == 1 for n in sent.values()), f"a recap twice: {sent}"
    assert set(sent) == held, set(sent) ^ held
    mails = outbox_counts(b)
    assert all(n == 1 for n in mails.values()) and len(mails) == len(sent)


def live(b: Backend, plan: list[Any]) -> None:
    """Drive one team through the generated history, checking after every step."""
    m = Model()
    held: set[tuple[str, str]] = set()
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    for tab in REPS.values():  # each rep keeps a column of their own among the deals
        b.write(tab, b.find(tab, "#existing_opportunities") + 1, OWN, "Probability")
    for i, (rollovers, typed, recaps) in enumerate(plan):
        first = month(i)
        for n in range(rollovers if i else 0):
            before, state = len(b.cells("History")), b.state()
            res = run(b.config, "rollover", today=(first + timedelta(days=n)).isoformat())
            assert res.exit_code == 0, res.output
            label = first.strftime("%Y-%m")
            if m.period == label:  # the same month again: nothing to do
                assert n > 0 and "nothing to do" in res.output, res.output
                RUNS["repeated"] += 1
                assert b.state() == state, "a second rollover changed the workbook"
            else:
                check_rollover(b, m, label, before)
                RUNS["rollovers"] += 1
            RUNS["steps"] += 1
        if i and not rollovers:
            RUNS["missed"] += 1
        with b.editing():
            for what, rep_index, pick in typed:
                edit(b, m, what, list(REPS)[rep_index], pick)
        RUNS["steps"] += 1
        end = last_day(first)
        for _ in range(recaps):
            res = run(b.config, "recap", today=end.isoformat())
            assert res.exit_code == 0, res.output
            # the page's meeting was this month or before; a page with nothing on it
            # (no row but actions done or dropped, which a recap leaves out) gets none
            held |= {
                (rep, m.period)
                for rep in REPS
                if any(not (i.section == "actions" and i.closed) for i in m.items[rep])
            }
            check_recaps(b, held)
            RUNS["recaps"] += 1
            RUNS["steps"] += 1
    RUNS["teams"] += 1
    RUNS["history"] += len(b.cells("History")) - 1


@contextmanager
def team(kind: str) -> Iterator[Backend]:
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
        if kind == "xlsx":
            yield XlsxBackend(folder)
            return
        fake = FakeSheetsApi()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            fake.install(mock)
            g = GoogleBackend(folder, fake)
            yield g
            assert not [p for p in fake.books[SHEET_ID].protected if "lock" in p["description"]]


EXPLORE = int(os.environ.get("SHEETSYNC_EXPLORE", "0"))  # > 0: that many new teams each


def examples(n: int) -> Any:
    """CI replays the same histories every run (reproducible figures);
    SHEETSYNC_EXPLORE=N draws N new ones per backend instead."""
    return settings(
        max_examples=EXPLORE or n,
        deadline=None,
        derandomize=not EXPLORE,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.mark.parametrize("kind", ["xlsx", "google"])
@examples(2)
@given(plan=periods)
def test_two_years_of_a_team_keep_the_invariants(kind: str, plan: list[Any]) -> None:
    with team(kind) as b:
        live(b, plan)


@pytest.mark.long
@pytest.mark.parametrize("kind", ["xlsx", "google"])
@examples(6)
@given(plan=periods)
def test_two_years_of_many_teams_keep_the_invariants(kind: str, plan: list[Any]) -> None:
    with team(kind) as b:
        live(b, plan)

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.domain.carry import LEAVES, STAYS, roll_page
from sheetsync.domain.page import Item, Page, assign_ids, blank_page, parse_page
from sheetsync.domain.periods import Cadence
from sheetsync.domain.render import render_page
from sheetsync.domain.template import Template


def _page(template: Template, period: str = "2026-10") -> Page:
    return blank_page("A", template, {"rep": "A", "period": period})


def _roll(template: Template, page: Page, to: str = "2026-11"):  # type: ignore[no-untyped-def]
    assign_ids(page, template)
    return roll_page(page, template, to, {"rep": "A", "period": to})


def test_rules_of_the_monthly_page(monthly: Template) -> None:
    page = _page(monthly)
    add = page.items
    add("new_opportunities").append(Item(None, {"opportunity": "New deal", "stage": "Demo"}))
    add("existing_opportunities").append(Item(None, {"opportunity": "Won", "stage": "Closed won"}))
    add("existing_opportunities").append(Item(None, {"opportunity": "Open", "stage": "Trial"}))
    add("working").append(Item(None, {"item": "Cold calls at 8am"}))
    add("not_working").append(Item(None, {"item": "Fixed", "resolved": True}))
    add("not_working").append(Item(None, {"item": "Still broken", "resolved": False}))
    add("kpis").append(Item(None, {"kpi": "Calls", "target": 20, "actual": 17, "notes": "ok"}))
    add("career").append(Item(None, {"goal": "Lead"}))
    add("commitments").append(Item(None, {"what": "New", "target": 5}))
    add("commitments").append(Item(None, {"what": "Old", "target": 5, "actual": 6}, "2026-09", 1))
    add("actions").append(Item(None, {"what": "Done one", "status": "Done"}))
    add("actions").append(Item(None, {"what": "Open one", "status": "Open"}, "2026-08", 2))
    rolled = _roll(monthly, page)
    new = rolled.page
    names = lambda key, col: [i.values.get(col) for i in new.items(key)]  # noqa: E731
    assert names("new_opportunities", "opportunity") == []
    assert names("existing_opportunities", "opportunity") == ["Open", "New deal"]
    assert names("working", "item") == []
    assert names("not_working", "item") == ["Still broken"]
    kpi = new.items("kpis")[0].values
    assert (kpi["target"], kpi["actual"], kpi["last"], kpi["notes"]) == (20, None, 17, None)
    assert names("career", "goal") == ["Lead"]
    assert names("commitments", "what") == ["New"]
    action = new.items("actions")[0]
    assert (action.values["what"], action.origin, action.carried) == ("Open one", "2026-08", 3)
    outcomes = {h.label: h.outcome for h in rolled.history}
    assert outcomes["Won"] == "closed" and outcomes["New deal"] == "moved"
    assert outcomes["Old"] == "reviewed" and outcomes["Cold calls at 8am"] == "archived"
    old = next(h for h in rolled.history if h.label == "Old")
    assert old.values["result"] == "Hit"
    assert all(h.period == "2026-10" for h in rolled.history)


def test_weekly_template_rolls_with_the_same_engine(weekly: Template) -> None:
    page = _page(weekly, "2026-W47")
    page.items("pipeline").append(Item(None, {"opportunity": "X", "stage": "Closed lost"}))
    page.items("pipeline").append(Item(None, {"opportunity": "Y", "stage": "Demo"}))
    page.items("blockers").append(Item(None, {"blocker": "Legal", "resolved": False}))
    page.items("actions").append(Item(None, {"what": "Call", "status": "Open"}))
    rolled = _roll(weekly, page, "2026-W48")
    assert [i.values["opportunity"] for i in rolled.page.items("pipeline")] == ["Y"]
    assert rolled.page.items("actions")[0].carried == 1
    assert rolled.count("closed") == 1 and rolled.count("carried") == 3


texts = st.text(alphabet="abcdefgh xyz=+-@$", min_size=1, max_size=12).filter(str.strip)
deal = st.fixed_dictionaries(
    {
        "opportunity": texts,
        "amount": st.integers(0, 10**6),
        "stage": st.sampled_from(["Demo", "Trial", "Closed won", "Closed lost"]),
        "close_date": st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    }
)
action = st.fixed_dictionaries(
    {
        "what": texts,
        "status": st.sampled_from(["Open", "In progress", "Done", "Dropped"]),
    }
)
note = st.fixed_dictionaries({"item": texts, "resolved": st.booleans()})


@settings(max_examples=60, deadline=None)
@given(
    new=st.lists(deal, max_size=4),
    existing=st.lists(deal, max_size=6),
    actions=st.lists(action, max_size=5),
    notes=st.lists(note, max_size=4),
    wins=st.lists(st.fixed_dictionaries({"win": texts}), max_size=3),
)
def test_every_item_lands_once_and_a_second_rollover_changes_nothing(
    monthly: Template,
    new,
    existing,
    actions,
    notes,
    wins,  # type: ignore[no-untyped-def]
) -> None:
    page = _page(monthly)
    for key, rows in (
        ("new_opportunities", new),
        ("existing_opportunities", existing),
        ("actions", actions),
        ("not_working", notes),
        ("wins", wins),
    ):
        page.items(key).extend(Item(None, dict(r)) for r in rows)
    # through the sheet and back, as a real run does
    page = parse_page("A", render_page(page, monthly).values(), monthly, Cadence.MONTHLY)
    rolled = _roll(monthly, page)
    on_page = {i.id for s in rolled.page.sections.values() for i in s.items}
    left = {h.item_id for h in rolled.history if h.outcome in LEAVES}
    stayed = {h.item_id for h in rolled.history if h.outcome in STAYS}
    every = {i.id for s in page.sections.values() for i in s.items}
    assert on_page == stayed and not (on_page & left)
    assert on_page | left == every
    assert len(rolled.history) == len(every)
    # the new page, written and read back, is stable: rendering it again is identical
    grid = render_page(rolled.page, monthly).values()
    again = parse_page("A", grid, monthly, Cadence.MONTHLY)
    assert render_page(again, monthly).values() == grid

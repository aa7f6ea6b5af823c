"""Deal-health signals on small hand-made histories with known answers."""

from __future__ import annotations

from datetime import date, timedelta

import yaml

from sheetsync.domain.page import Item, Page, SectionContent
from sheetsync.domain.periods import Cadence, period_of
from sheetsync.domain.render import HISTORY_FIXED
from sheetsync.domain.signals import SignalSettings, compute, history_frame
from sheetsync.domain.template import Template, template_from_data
from tests.conftest import ROOT

TODAY = date(2026, 11, 20)


def history(template: Template, rows: list[dict[str, object]]) -> list[list[object]]:
    header = [*HISTORY_FIXED, *template.history_keys]
    grid: list[list[object]] = [header]
    for r in rows:
        grid.append([r.get(k) for k in header])
    return grid


def snap(
    period: str,
    rep: str,
    deal: str,
    stage: str,
    section: str = "existing_opportunities",
    **values: object,
) -> dict[str, object]:
    return {
        "period": period,
        "rep": rep,
        "section": section,
        "id": deal,
        "outcome": "carried",
        "stage": stage,
        **values,
    }


def page(template: Template, rep: str, period: str, deals: list[Item]) -> Page:
    sections = {s.key: SectionContent(s.key, s.title) for s in template.sections}
    key = "existing_opportunities" if "existing_opportunities" in sections else "pipeline"
    sections[key].items = deals
    return Page(rep, {"rep": rep, "period": period}, sections)


def deal(ident: str, stage: str, **values: object) -> Item:
    return Item(ident, {"opportunity": f"Deal {ident}", "stage": stage, **values}, "2026-01")


def test_a_deal_pushed_three_times(monthly: Template) -> None:
    rows = [
        snap("2026-07", "Ann", "D1", "Demo", close_date="2026-08-31"),
        snap("2026-08", "Ann", "D1", "Demo", close_date="2026-09-30"),  # +30
        snap("2026-09", "Ann", "D1", "Proposal", close_date="2026-09-30"),
        snap("2026-10", "Ann", "D1", "Proposal", close_date="2026-10-31"),  # +31
    ]
    now = deal(
        "D1",
        "Negotiation",
        close_date=date(2026, 12, 15),
        amount=50000,
        last_activity=date(2026, 11, 18),
    )  # +45
    signals = compute(
        history_frame(history(monthly, rows)),
        {"Ann": page(monthly, "Ann", "2026-11", [now])},
        monthly,
        Cadence.MONTHLY,
        TODAY,
        {"Ann": 100000},
    )
    (d1,) = signals.deals
    assert (d1.pushes, d1.push_days) == (3, 106)
    assert not d1.stalled and d1.idle_days == 2
    assert "pushed 3× (+106 days)" in d1.flags
    ann = signals.reps["Ann"]
    assert ann.pushed == 1 and ann.pipeline == 50000 and ann.coverage == 0.5


def test_forty_days_in_trial_where_won_deals_took_seven(weekly: Template) -> None:
    def week(d: date) -> str:
        return period_of(d, Cadence.WEEKLY).label

    start = date(2026, 9, 7)  # a Monday
    rows = []
    for n, ident in enumerate(["W1", "W2", "W3"]):
        w = start + timedelta(weeks=n)
        rows += [
            snap(week(w), "Bo", ident, "Proposal"),
            snap(week(w + timedelta(weeks=1)), "Bo", ident, "Trial"),
            snap(week(w + timedelta(weeks=2)), "Bo", ident, "Closed won"),
        ]
    today = date(2026, 11, 21)
    trial_since = today - timedelta(days=40)  # Monday 12 Oct: a week's first day
    rows.append(snap(week(trial_since), "Bo", "X", "Trial"))
    for r in rows:
        r["section"] = "pipeline"  # the weekly template's deal section
    signals = compute(
        history_frame(history(weekly, rows)),
        {"Bo": page(weekly, "Bo", week(today), [deal("X", "Trial", last_activity=today)])},
        weekly,
        Cadence.WEEKLY,
        today,
        {"Bo": None},
    )
    assert signals.stage_days_won["Trial"] == 7 and signals.stage_days_won["Proposal"] == 7
    (x,) = signals.deals
    assert (x.days_in_stage, x.typical_days, x.typical_from_won) == (40, 7, True)
    assert x.slow and "slow in Trial (about 40 days; your won deals took 7)" in x.flags
    assert signals.median_cycle_won == 14
    assert signals.reps["Bo"].won == 3 and signals.reps["Bo"].win_rate == 1.0
    assert signals.reps["Bo"].stage_days_won == {"Proposal": 7, "Trial": 7}


def test_a_rep_with_no_won_deals_falls_back_to_the_default_and_says_so(
    monthly: Template,
) -> None:
    rows = [
        snap("2026-09", "Cy", "L1", "Demo"),
        snap("2026-10", "Cy", "L1", "Closed lost"),
        snap("2026-10", "Cy", "D2", "Trial"),
    ]
    signals = compute(
        history_frame(history(monthly, rows)),
        {"Cy": page(monthly, "Cy", "2026-11", [deal("D2", "Trial")])},
        monthly,
        Cadence.MONTHLY,
        TODAY,
        {"Cy": 60000},
        SignalSettings(default_stage_days=30),
    )
    (d2,) = signals.deals
    assert not d2.typical_from_won and d2.typical_days == 30
    assert d2.days_in_stage == (TODAY - date(2026, 10, 1)).days  # 50: slow against 30
    assert d2.slow and d2.flags[-1] == "slow in Trial (about 50 days vs the 30-day default)"
    assert d2.stalled and d2.idle_days is None  # no activity date at all
    assert signals.notes and "Trial" in signals.notes[0]
    cy = signals.reps["Cy"]
    assert (cy.won, cy.lost, cy.win_rate) == (0, 1, 0.0)
    assert cy.coverage == 0.0  # no amount on the open deal


def test_commitments_hit_rate_and_streak(monthly: Template) -> None:
    def c(period: str, result: str) -> dict[str, object]:
        return {
            "period": period,
            "rep": "Di",
            "section": "commitments",
            "id": f"c{period}{result}",
            "outcome": "scored",
            "result": result,
        }

    rows = [
        c("2026-05", "Hit"),
        c("2026-06", "Miss"),
        c("2026-07", "Miss"),
        c("2026-08", "Hit"),
        c("2026-09", "Hit"),
        c("2026-10", "Hit"),
    ]
    signals = compute(
        history_frame(history(monthly, rows)),
        {"Di": page(monthly, "Di", "2026-11", [])},
        monthly,
        Cadence.MONTHLY,
        TODAY,
        {"Di": None},
        SignalSettings(lookback=4),
    )
    di = signals.reps["Di"]
    assert di.hit_rate == 0.75 and di.streak == 3


def test_the_template_says_which_stages_are_won() -> None:
    """'Signed' and 'Ganado' hold no "won": declared won, they count as won deals."""
    data = yaml.safe_load((ROOT / "templates/pages/weekly.yaml").read_text())
    deals = data["sections"][0]
    for col in deals["columns"]:
        if col["key"] == "stage":
            col["choices"] = ["Qualify", "Demo", "Signed", "Ganado", "Perdido"]
    deals["carry"]["closed_when"] = {
        "column": "stage",
        "won": ["Signed", "Ganado"],
        "lost": ["Perdido"],
    }
    declared = template_from_data(data, lambda *p: "t.yaml")
    del deals["carry"]["closed_when"]["won"], deals["carry"]["closed_when"]["lost"]
    deals["carry"]["closed_when"]["in"] = ["Signed", "Ganado", "Perdido"]
    by_name = template_from_data(data, lambda *p: "t.yaml")  # today's rule: none has "won"
    rows = [
        snap("2026-09", "Eve", "W1", "Demo", section="pipeline"),
        snap("2026-10", "Eve", "W1", "Signed", section="pipeline"),
        snap("2026-09", "Eve", "W2", "Demo", section="pipeline"),
        snap("2026-10", "Eve", "W2", "Ganado", section="pipeline"),
        snap("2026-10", "Eve", "L1", "Perdido", section="pipeline"),
    ]
    rates = {}
    for name, tpl in (("declared", declared), ("by name", by_name)):
        signals = compute(
            history_frame(history(tpl, rows)),
            {"Eve": page(tpl, "Eve", "2026-11", [])},
            tpl,
            Cadence.MONTHLY,
            TODAY,
            {"Eve": None},
        )
        rates[name] = (signals.reps["Eve"].won, signals.reps["Eve"].win_rate)
    assert rates["declared"] == (2, 2 / 3)
    assert rates["by name"] == (0, 0.0)

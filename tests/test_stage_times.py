"""Time in stage from a dated stage history (issue 15), on hand-made histories with
answers worked out by hand: the days between two changes of stage, a deal that
goes back a stage, a stage changed twice in one period, won against lost medians
and quartiles, the CRM's dates winning, and the fallbacks the report names."""

from __future__ import annotations

from datetime import date, timedelta

from sheetsync.domain.page import Item
from sheetsync.domain.periods import Cadence
from sheetsync.domain.signals import SignalSettings, TeamSignals, compute, history_frame
from sheetsync.domain.stage_log import (
    StageChange,
    last_stages,
    merged,
    observed,
    read_log,
)
from sheetsync.domain.template import Template
from tests.test_signals import deal, history, page, snap

TODAY = date(2026, 11, 20)
WON, LOST = "Closed won", "Closed lost"


def moves(deal_id: str, rep: str, *steps: tuple[str, date]) -> list[StageChange]:
    """A deal's changes of stage, each (stage entered, day), from its first entry."""
    out, before = [], ""
    for stage, on in steps:
        out.append(StageChange(deal_id, on, before, stage, rep))
        before = stage
    return out


def signals_of(
    template: Template, log: list[StageChange], open_deals: dict[str, list[Item]]
) -> TeamSignals:
    pages = {rep: page(template, rep, "2026-11", items) for rep, items in open_deals.items()}
    return compute(
        history_frame(history(template, [])),
        pages,
        template,
        Cadence.MONTHLY,
        TODAY,
        {rep: None for rep in pages},
        SignalSettings(min_won=3),
        log,
    )


def test_a_deal_through_four_stages_spends_the_days_between_its_changes(
    monthly: Template,
) -> None:
    log = moves(
        "D1",
        "Ann",
        ("Discovery", date(2026, 1, 1)),
        ("Demo", date(2026, 1, 11)),  # 10 days in Discovery
        ("Proposal", date(2026, 2, 1)),  # 21 in Demo
        (WON, date(2026, 2, 15)),  # 14 in Proposal; a 45-day cycle
    )
    s = signals_of(monthly, log, {"Ann": []})
    assert s.stage_days_won == {"Discovery": 10, "Demo": 21, "Proposal": 14}
    assert s.median_cycle_won == 45 and s.cycle_won is not None
    assert not s.cycle_won.at_period_granularity and s.stage_spread_won["Demo"].exact == 1
    assert s.reps["Ann"].won == 1 and s.reps["Ann"].stage_days_won["Demo"] == 21
    assert not any("granularity" in n for n in s.notes)


def test_a_deal_that_goes_back_a_stage_counts_both_stays(monthly: Template) -> None:
    log = moves(
        "D2",
        "Ann",
        ("Demo", date(2026, 3, 1)),
        ("Proposal", date(2026, 3, 10)),  # 9 days in Demo
        ("Demo", date(2026, 3, 20)),  # 10 in Proposal, back to Demo
        (WON, date(2026, 3, 30)),  # 10 more in Demo: 19 in all
    )
    s = signals_of(monthly, log, {"Ann": []})
    assert s.stage_days_won == {"Demo": 19, "Proposal": 10}
    assert s.median_cycle_won == 29


def test_won_against_lost_medians_and_quartiles_by_hand(monthly: Template) -> None:
    start = date(2026, 6, 1)
    log: list[StageChange] = []
    for n, days in enumerate([5, 7, 9, 11]):  # won: Trial 5, 7, 9, 11 days
        trial = start + timedelta(days=10 * n)
        log += moves(f"W{n}", "Ann", ("Trial", trial), (WON, trial + timedelta(days=days)))
    for n, days in enumerate([30, 40]):  # lost: Trial 30 and 40 days
        trial = start + timedelta(days=7 * n)
        log += moves(f"L{n}", "Bo", ("Trial", trial), (LOST, trial + timedelta(days=days)))
    # an open deal 40 days in Trial: slow against the won deals' median of 8
    now = [deal("X", "Trial", last_activity=TODAY)]
    log += moves("X", "Ann", ("Trial", TODAY - timedelta(days=40)))
    s = signals_of(monthly, log, {"Ann": now, "Bo": []})
    won, lost = s.stage_spread_won["Trial"], s.stage_spread_lost["Trial"]
    # pandas' quantiles interpolate linearly: 5 7 9 11 -> 6.5, 8, 9.5
    assert (won.q1, won.median, won.q3, won.deals) == (6.5, 8.0, 9.5, 4)
    assert (lost.median, lost.q1, lost.q3, lost.deals) == (35.0, 32.5, 37.5, 2)
    assert s.median_cycle_won == 8 and s.median_cycle_lost == 35
    (x,) = s.deals
    assert (x.days_in_stage, x.typical_days, x.typical_from_won) == (40, 8, True)
    assert x.slow and x.began_exact and x.stage_began == TODAY - timedelta(days=40)
    assert x.own_typical_days == 8  # Ann won all four herself
    assert s.reps["Bo"].stage_days_lost == {"Trial": 35} and s.reps["Bo"].won == 0


def test_too_few_won_deals_fall_back_to_the_default_and_say_so(monthly: Template) -> None:
    log = moves("W", "Ann", ("Trial", date(2026, 9, 1)), (WON, date(2026, 9, 8)))
    log += moves("X", "Ann", ("Trial", TODAY - timedelta(days=40)))
    s = signals_of(monthly, log, {"Ann": [deal("X", "Trial")]})
    (x,) = s.deals
    assert not x.typical_from_won and x.typical_days == 30 and x.own_typical_days is None
    assert any("fewer than 3 won deals went through Trial" in n for n in s.notes)


def test_snapshots_before_the_log_are_at_period_granularity_and_say_so(
    monthly: Template,
) -> None:
    rows = [  # from History only: a month a snapshot
        snap("2026-07", "Ann", "H", "Demo"),
        snap("2026-08", "Ann", "H", "Proposal"),
    ]
    # the log began in September: H's win is dated to the day, its Demo month is not
    log = [StageChange("H", date(2026, 9, 12), "Proposal", WON, "Ann")]
    s = compute(
        history_frame(history(monthly, rows)),
        {"Ann": page(monthly, "Ann", "2026-11", [])},
        monthly,
        Cadence.MONTHLY,
        TODAY,
        {"Ann": None},
        log=log,
    )
    # Demo from 1 July to 1 August (snapshots); Proposal from 1 August to 12 September
    assert s.stage_days_won == {"Demo": 31, "Proposal": 42}
    assert s.stage_spread_won["Demo"].at_period_granularity
    assert any("at period granularity" in n for n in s.notes)


def test_a_stage_changed_twice_in_one_period_is_two_changes_recorded_once(
    monthly: Template,
) -> None:
    item = deal("D", "Proposal")
    pages = {"Ann": page(monthly, "Ann", "2026-11", [item])}
    log = moves("D", "Ann", ("Proposal", date(2026, 11, 2)))
    assert observed(pages, monthly, last_stages(log), date(2026, 11, 5)) == []  # unchanged
    item.values["stage"] = "Negotiation"  # the rep moves it on the 9th...
    seen = observed(pages, monthly, last_stages(log), date(2026, 11, 9))
    assert [(c.from_stage, c.to_stage, c.on) for c in seen] == [
        ("Proposal", "Negotiation", date(2026, 11, 9))
    ]
    log += seen
    assert observed(pages, monthly, last_stages(log), date(2026, 11, 10)) == []  # once
    item.values["stage"] = "proposal "  # ...and back on the 16th (as typed, any case)
    item.values["stage_since"] = date(2026, 11, 14)  # the day she says it went back
    seen = observed(pages, monthly, last_stages(log), date(2026, 11, 16))
    assert [(c.from_stage, c.to_stage, c.on) for c in seen] == [
        ("Negotiation", "proposal", date(2026, 11, 14))
    ]
    # a "Stage since" of the stage before (older than the last change) is not taken
    item.values["stage"], item.values["stage_since"] = "Demo", date(2026, 11, 1)
    (back,) = observed(pages, monthly, last_stages([*log, *seen]), date(2026, 11, 18))
    assert back.on == date(2026, 11, 18)


def test_a_new_deal_enters_its_first_stage_and_an_old_one_compares_with_history(
    monthly: Template,
) -> None:
    fresh, old = deal("N", "Demo", stage_since=date(2026, 11, 3)), deal("O", "Trial")
    pages = {"Ann": page(monthly, "Ann", "2026-11", [fresh, old])}
    seen = observed(pages, monthly, last_stages([], {"O": "Demo"}), date(2026, 11, 10))
    assert [(c.deal_id, c.from_stage, c.to_stage, c.on, c.deal) for c in seen] == [
        ("N", "", "Demo", date(2026, 11, 3), "Deal N"),
        ("O", "Demo", "Trial", date(2026, 11, 10), "Deal O"),
    ]
    assert observed(pages, monthly, last_stages([], {"O": "Trial"}), TODAY)[1:] == []


def test_the_crms_dates_win_and_the_log_reads_back_by_its_header() -> None:
    ours = moves("D", "Ann", ("Demo", date(2026, 5, 20)), ("Proposal", date(2026, 6, 2)))
    crm = StageChange("D", date(2026, 5, 3), "", "Demo", "Ann", "hubspot")
    kept = merged([*ours, crm])
    assert [(c.to_stage, c.on, c.source) for c in kept] == [
        ("Demo", date(2026, 5, 3), "hubspot"),
        ("Proposal", date(2026, 6, 2), "sheetsync"),
    ]
    header = ["at", "id", "on", "to", "from", "rep", "source", "deal", "a note of mine"]
    rows = [
        ["t", "D", date(2026, 5, 3), "Demo", "", "Ann", "hubspot", "Globex", "x"],
        ["t", "D", "2026-06-02", "Proposal", "Demo", "Ann", None, "Globex"],  # older text
        ["t", "", date(2026, 6, 3), "Trial"],  # no deal id: left out
        ["t", "E", "someday", "Trial"],  # no date: left out
    ]
    assert [(c.deal_id, c.on, c.to_stage, c.source) for c in read_log([header, *rows])] == [
        ("D", date(2026, 5, 3), "Demo", "hubspot"),
        ("D", date(2026, 6, 2), "Proposal", "sheetsync"),
    ]
    row = crm.row("2026-11-24T06:00:00+00:00")
    assert row[:6] == [date(2026, 5, 3), "Ann", "D", None, "Demo", "hubspot"]

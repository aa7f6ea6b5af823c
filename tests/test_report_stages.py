"""Won against lost as people read it (issue 15): the report's table and per-stage
chart of days in stage (median and quartiles, team and rep, cycle too), the marks
for figures at period granularity and for the default, and "slow in stage" in the
page's words, the report's and the recap's and agenda's, from a workbook whose
``_stages`` log has durations worked out by hand."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from html import unescape
from pathlib import Path

from sheetsync.commands.report import (
    SpreadGroup,
    SpreadRow,
    spread_legend,
    spread_text,
    stage_order,
)
from sheetsync.domain.signals import DealSignal
from sheetsync.domain.stage_log import STAGE_LOG_HEADER
from sheetsync.domain.stage_times import Spread
from sheetsync.domain.template import Template
from tests.backends import XlsxBackend
from tests.test_cli import run

AGENDA_DAY = date(2026, 11, 25)  # two days before the last Friday, the 27th
WON, LOST = "Closed won", "Closed lost"

# deal, rep, (stage, days in it)..., how it closed. By hand:
#   Trial, won:  5 7 9 (Alice) 7 9 (Bob)  -> median 7, quartiles 7 and 9
#   Trial, lost: 30 40 50 (Bob)           -> 40 (35-45)
#   Demo, won:   10 12 14, 12 16          -> 12 (12-14); lost: 20 20 20 -> 20
#   Proposal:    no won deal, one lost after 12 days
#   cycle, won:  15 19 23, 19 25          -> 19 (19-23)
#   cycle, lost: 12 50 60 70              -> 55 (40.5-62.5)
#   Alice's own won Trial median: 5 7 9 -> 7, from 3 deals (enough); Bob's from 2
CLOSED: list[tuple[str, str, list[tuple[str, int]], str]] = [
    ("W1", "Alice Chen", [("Demo", 10), ("Trial", 5)], WON),
    ("W2", "Alice Chen", [("Demo", 12), ("Trial", 7)], WON),
    ("W3", "Alice Chen", [("Demo", 14), ("Trial", 9)], WON),
    ("W4", "Bob Stone", [("Demo", 12), ("Trial", 7)], WON),
    ("W5", "Bob Stone", [("Demo", 16), ("Trial", 9)], WON),
    ("L1", "Bob Stone", [("Demo", 20), ("Trial", 30)], LOST),
    ("L2", "Bob Stone", [("Demo", 20), ("Trial", 40)], LOST),
    ("L3", "Bob Stone", [("Demo", 20), ("Trial", 50)], LOST),
    ("L4", "Bob Stone", [("Proposal", 12)], LOST),
]


def stage_rows() -> list[list[object]]:
    """``_stages`` as sheetsync writes it: each closed deal's changes, dated."""
    rows: list[list[object]] = [list(STAGE_LOG_HEADER)]
    for n, (deal, rep, stays, closed) in enumerate(CLOSED):
        on, before = date(2026, 6, 1) + timedelta(days=9 * n), ""
        for stage, days in [*stays, (closed, 0)]:
            rows.append([on, rep, deal, before, stage, "sheetsync", f"Deal {deal}", "2026-11-01"])
            on, before = on + timedelta(days=days), stage
    return rows


def open_deal(backend: XlsxBackend, tab: str, name: str, stage: str, since: date) -> None:
    """A deal typed on a page, "Stage since" filled in: the day it entered its stage."""
    backend.type_row(
        tab, "#existing_opportunities", [name, name, 10000, stage, date(2026, 12, 31), AGENDA_DAY]
    )
    header = backend.cells(tab)[backend.find(tab, "#existing_opportunities")]
    backend.write(tab, backend.find(tab, name), header.index("Stage since") + 1, since)


def stage_workbook(folder: Path) -> XlsxBackend:
    """Alice's Globex 40 days in Trial on the agenda's day (her won deals took 7),
    Bob's Initech 30 days in Trial (his won deals are too few: the team's 7), and
    Bob's Umbrella 50 days in Proposal, where no deal was won (the 30-day default)."""
    backend = XlsxBackend(folder)
    assert run(backend.config, "init", today="2026-11-02").exit_code == 0
    with backend.editing():  # below the header init wrote
        for r, row in enumerate(stage_rows()[1:], start=2):
            for c, value in enumerate(row, start=1):
                backend.write("_stages", r, c, value)
    open_deal(backend, "Alice Chen", "Globex", "Trial", AGENDA_DAY - timedelta(days=40))
    open_deal(backend, "Bob", "Initech", "Trial", AGENDA_DAY - timedelta(days=30))
    open_deal(backend, "Bob", "Umbrella", "Proposal", AGENDA_DAY - timedelta(days=50))
    return backend


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_report_shows_won_against_lost_per_stage_and_rep(tmp_path: Path) -> None:
    backend = stage_workbook(tmp_path)
    out = tmp_path / "report.html"
    res = run(backend.config, "report", "--out", str(out), today=AGENDA_DAY.isoformat())
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    table = html.split(">Won against lost<", 1)[1].split(">Days in each stage", 1)[0]
    rows = [
        [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    rows = [r for r in rows if r]
    # the cycle first, then the stages in the template's order, the team before reps
    assert rows == [
        ["Cycle: first stage to close"],
        ["Team", "19 d (19–23) 5 deals", "55 d (41–63) 4 deals"],
        ["Alice Chen", "19 d (17–21) 3 deals", "–"],
        ["Bob Stone", "22 d (21–24) 2 deals", "55 d (41–63) 4 deals"],
        ["Demo"],
        ["Team", "12 d (12–14) 5 deals", "20 d 3 deals"],
        ["Alice Chen", "12 d (11–13) 3 deals", "–"],
        ["Bob Stone", "14 d (13–15) 2 deals", "20 d 3 deals"],
        ["Trial"],
        ["Team", "7 d (7–9) 5 deals", "40 d (35–45) 3 deals"],
        ["Alice Chen", "7 d (6–8) 3 deals", "–"],
        ["Bob Stone", "8 d (7.5–8.5) 2 deals", "40 d (35–45) 3 deals"],
        ["Proposal"],  # no won deal went through it: its open deals use the default
        ["Team", "–†", "12 d 1 deal"],
        ["Bob Stone", "–", "12 d 1 deal"],
    ]
    assert "≈" not in table  # every day is from the log: none at period granularity
    assert "†: fewer than 3 won deals went through the stage" in text_of(table)
    # the chart: a won and a lost bar per stage, each with its figures, in stage order
    chart = html.split(">Days in each stage, won against lost<", 1)[1]
    bars = re.findall(r'<tr title="([^"]+)">', chart)
    assert bars == [
        "Demo, won deals: median 12 days, quartiles 12 to 14, 5 deals",
        "Demo, lost deals: median 20 days, quartiles 20 to 20, 3 deals",
        "Trial, won deals: median 7 days, quartiles 7 to 9, 5 deals",
        "Trial, lost deals: median 40 days, quartiles 35 to 45, 3 deals",
        "Proposal: no won deals",
        "Proposal, lost deals: median 12 days, quartiles 12 to 12, 1 deal",
    ]
    # on one axis from 0 to 50 days: Trial's lost median (40) at 80%, its range 70-90%
    assert re.findall(r">(\d+)</span>", chart.split("</table>", 1)[0])[-6:] == [
        "0",
        "10",
        "20",
        "30",
        "40",
        "50",
    ]
    assert "left:80.00%" in chart and "left:70.00%;top:3px;height:10px;width:20.00%" in chart
    # the manager reads whose won deals: Alice's own, the team's, or the default
    listed = text_of(html.split("Deals that need a conversation", 1)[1])
    assert "Globex: slow in Trial (40 days; Alice Chen's won deals took 7)" in listed
    assert "Initech: slow in Trial (30 days; the team's won deals took 7)" in listed
    assert "Umbrella: slow in Proposal (50 days vs the 30-day default)" in listed
    notes = text_of(html.split(">Won against lost<", 1)[1].split("Open pipeline", 1)[0])
    assert "fewer than 3 won deals went through Proposal" in notes


def test_signals_on_the_page_say_whose_won_deals(tmp_path: Path) -> None:
    backend = stage_workbook(tmp_path)
    assert run(backend.config, "refresh", today=AGENDA_DAY.isoformat()).exit_code == 0
    alice, bob = backend.deals("Alice Chen"), backend.deals("Bob")
    assert alice["Globex"]["Signal"] == "slow in Trial (40 days; your won deals took 7)"
    assert bob["Initech"]["Signal"] == "slow in Trial (30 days; the team's won deals took 7)"
    assert bob["Umbrella"]["Signal"] == "slow in Proposal (50 days vs the 30-day default)"


def bodies(folder: Path, start: str) -> tuple[str, str]:
    """The plain text of the message in the outbox whose file name starts with
    ``start``, and its HTML's words (tags taken out)."""
    (path,) = (folder / "outbox").glob(f"{start}*.eml")
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), text_of(html.get_content())


def test_the_agenda_and_the_recap_say_the_days_in_stage_against_won_deals(
    tmp_path: Path,
) -> None:
    backend = stage_workbook(tmp_path)
    res = run(backend.config, "agenda", today=AGENDA_DAY.isoformat())
    assert res.exit_code == 0, res.output
    text, html = bodies(tmp_path, "1-1-on-friday-27-november-alice")
    assert "  - Globex: 40 days in Trial; your won deals took 7\r\n" in text
    assert "Globex : 40 days in Trial; your won deals took 7" in html
    text, html = bodies(tmp_path, "1-1-on-friday-27-november-bob")
    assert "  - Initech: 30 days in Trial; the team's won deals took 7\r\n" in text
    assert "  - Umbrella: 50 days in Proposal vs the 30-day default\r\n" in text
    assert "Initech : 30 days in Trial; the team's won deals took 7" in html
    # the recap, once the meeting is over: three days on, on a line of its own
    res = run(backend.config, "recap", "--rep", "Alice Chen", today="2026-11-28")
    assert res.exit_code == 0, res.output
    text, html = bodies(tmp_path, "1-1-recap-alice")
    assert "\n      43 days in Trial; your won deals took 7\r\n" in text
    assert "Stage since: 16 Oct 2026 43 days in Trial; your won deals took 7" in html


def signal(**changes: object) -> DealSignal:
    base: dict[str, object] = dict(
        rep="Bob",
        deal_id="X",
        label="X",
        stage="Trial",
        amount=0.0,
        stalled=False,
        idle_days=1,
        pushes=0,
        push_days=0,
        days_in_stage=40,
        typical_days=7.0,
        typical_from_won=True,
        slow=True,
        began_exact=True,
    )
    return DealSignal(**{**base, **changes})  # type: ignore[arg-type]


def test_slow_in_stage_in_words() -> None:
    assert signal().flags == ["slow in Trial (40 days; the team's won deals took 7)"]
    own = signal(own_typical_days=7.0)
    assert own.flags == ["slow in Trial (40 days; your won deals took 7)"]
    assert own.stage_time("Bob's") == "40 days in Trial; Bob's won deals took 7"
    # slow is measured against the team's median: said too, where the rep's differs
    assert signal(own_typical_days=12.0).stage_time() == (
        "40 days in Trial; your won deals took 12, the team's 7"
    )
    rough = signal(began_exact=False, typical_from_won=False, typical_days=30.0)
    assert rough.stage_time() == "about 40 days in Trial vs the 30-day default"
    assert signal(typical_days=7.5).stage_time().endswith("took 7.5")
    assert signal(slow=False).flags == [] and signal(stalled=True).worded(slow=False) == [
        "stalled (1 days idle)"
    ]


def test_figures_and_stages_as_the_report_sets_them(monthly: Template) -> None:
    assert spread_text(Spread(7, 5, 9, 4, 4)) == "7 d (5–9)"
    assert spread_text(Spread(31, 31, 31, 1, 0)) == "≈31 d"  # from History's snapshots
    assert spread_text(Spread(8, 6.5, 9.5, 4, 3)) == "≈8 d (6.5–9.5)"  # one of them
    assert spread_text(None) == "–"
    assert spread_text(Spread(67.5, 57.75, 85.75, 4, 4)) == "68 d (58–86)"  # whole days
    assert spread_text(Spread(9.96, 4.75, 9.5, 4, 4)) == "10 d (4.8–9.5)"  # tenths below 10
    stages = ["Trial", "Pilot", "Demo", "discovery", "Closed won"]
    assert stage_order(monthly, stages) == ["discovery", "Demo", "Trial", "Closed won", "Pilot"]
    # the marks are explained where the table uses them, and only then
    rough = SpreadGroup("Demo", [SpreadRow("Team", Spread(31, 31, 31, 1, 0), None, True)])
    assert spread_legend([rough], 3, 30) == [
        "≈: some of these deals' days are at period granularity (see the note below)."
    ]
    exact = SpreadGroup("Demo", [SpreadRow("Team", Spread(7, 5, 9, 4, 4), None, True)])
    assert spread_legend([exact], 3, 30) == [
        "In brackets: the quartiles, between which the middle half of the deals fall."
    ]

"""The demo's stage history (issue 15): its commands recorded dated changes of stage
in ``_stages``, and the signals and the report tell the story those dates make:
won deals moved fast, lost deals lingered, and each rep's Globex expansion has sat
in Proposal far longer than the won deals' median there."""

from __future__ import annotations

import html
import itertools
from datetime import date
from pathlib import Path
from statistics import median

import pytest
from click.testing import CliRunner

from sheetsync.adapters.registry import open_workbook
from sheetsync.cli import cli
from sheetsync.commands.deal_health import history_table, team_signals
from sheetsync.commands.report import days_text
from sheetsync.commands.team_tab import stage_log
from sheetsync.commands.workbook import load_pages
from sheetsync.config import load_config
from sheetsync.domain.signals import TeamSignals
from sheetsync.domain.stage_log import STAGE_LOG_HEADER, STAGE_LOG_TAB
from tests.backends import XlsxBackend

TODAY = date(2026, 11, 22)
STAGES = ["Qualify", "Discovery", "Demo", "Trial", "Proposal", "Negotiation"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "demo", str(folder)])
    assert res.exit_code == 0, res.output
    return folder


def signals_of(folder: Path) -> TeamSignals:
    """The signals as the report computes them, reading the workbook only."""
    team = load_config(folder / "config.yaml").teams[0]
    with open_workbook(team.workbook) as wb:
        snap, pages, _ = load_pages(team, wb, ("History", STAGE_LOG_TAB))
    frame = history_table(team, snap)
    log = stage_log(team, snap, frame, pages, TODAY)
    assert log.new == []  # the demo's last refresh recorded every change
    return team_signals(team, frame, pages, TODAY, log)


def cli_run(folder: Path, *args: str) -> str:
    argv = ["--config", str(folder / "config.yaml"), "--today", TODAY.isoformat(), *args]
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 0, res.output
    return res.output


def test_the_demos_commands_recorded_dated_changes_of_stage(demo: Path) -> None:
    grid = XlsxBackend(demo).cells(STAGE_LOG_TAB)
    assert tuple(grid[0]) == STAGE_LOG_HEADER
    rows = [dict(zip(STAGE_LOG_HEADER, r, strict=False)) for r in grid[1:]]
    assert len(rows) > 60
    days = [r["on"] for r in rows]
    assert all(type(d) is date for d in days)  # date cells, not text
    assert all(d <= TODAY for d in days) and len(set(days)) > 30  # to the day, many days
    assert {r["source"] for r in rows} == {"sheetsync"}
    # each deal's changes, in the order recorded, are dated in order and chain up
    by_deal: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        by_deal.setdefault(str(r["id"]), []).append(r)
    for changes in by_deal.values():
        assert changes[0]["from"] is None
        assert [c["on"] for c in changes] == sorted(c["on"] for c in changes)  # type: ignore[type-var]
        assert all(a["to"] == b["from"] for a, b in itertools.pairwise(changes))
    won = [c for c in by_deal.values() if c[-1]["to"] == "Closed won"]
    assert len(won) >= 10
    whole = [c for c in won if len(c) == 6]  # from Qualify or Discovery to the win
    assert len(whole) == 5 and all(c[0]["to"] in ("Qualify", "Discovery") for c in whole)


def test_won_deals_moved_fast_and_lost_deals_lingered(demo: Path) -> None:
    s = signals_of(demo)
    won, lost = s.stage_days_won, s.stage_days_lost
    assert set(won) == set(STAGES)  # every stage has won deals through it...
    assert all(s.stage_spread_won[stage].deals >= 3 for stage in STAGES)  # ...enough of them
    assert len(set(won.values())) > 2  # not one number for every stage
    assert all(3 <= days <= 15 for days in won.values())  # days to two weeks a stage
    assert {"Demo", "Trial", "Proposal"} <= set(lost)
    assert all(lost[stage] > 2 * won[stage] for stage in lost)  # lost deals lingered
    assert s.median_cycle_won is not None and s.median_cycle_lost is not None
    assert s.median_cycle_won < s.median_cycle_lost
    # the open deals are compared with the won deals, in every stage
    assert s.deals and all(d.typical_from_won for d in s.deals)
    assert not any("fewer than" in note for note in s.notes)


def test_globex_expansion_is_stuck_in_proposal_far_longer_than_the_won_deals(
    demo: Path,
) -> None:
    s = signals_of(demo)
    proposal = s.stage_days_won["Proposal"]
    stuck = [d for d in s.deals if d.label == "Globex expansion"]
    assert len(stuck) == 5  # one a rep
    for deal in stuck:
        assert deal.stage == "Proposal" and deal.slow and deal.typical_from_won
        assert deal.typical_days == proposal and deal.days_in_stage > 10 * proposal
        assert deal.began_exact and deal.stage_began is not None and deal.stage_began.month == 7
        assert deal.days_in_stage == (TODAY - deal.stage_began).days
    alice = next(d for d in stuck if d.rep == "Alice Chen")
    flag = f"slow in Proposal ({alice.days_in_stage} days; the team's won deals took {proposal:g})"
    assert flag in alice.flags
    assert flag in XlsxBackend(demo).deals("Alice Chen")["Globex expansion"]["Signal"]
    # the report says so, with the medians per stage, won against lost
    out = demo / "report.html"
    cli_run(demo, "report", "--out", str(out))
    shown = html.unescape(out.read_text(encoding="utf-8"))
    assert f"Globex expansion: stalled (107 days idle); {flag}" in shown
    for stage in ("Demo", "Trial", "Proposal"):  # the team's row under each stage's heading
        heading = f">{stage}</td></tr>"
        assert heading in shown
        team = shown.split(heading, 1)[1].split("</tr>", 1)[0]
        assert ">Team<" in team
        assert f">{won_days(s, stage)} d" in team and f">{lost_days(s, stage)} d" in team
    # and refresh, run again on the day, finds nothing new and no stage on the default
    refreshed = cli_run(demo, "refresh")
    assert "fewer than" not in refreshed
    assert "Alice Chen: pipeline" in refreshed and "stalled 1, pushed 1" in refreshed


def won_days(s: TeamSignals, stage: str) -> str:
    return days_text(s.stage_days_won[stage])  # as the report rounds: 10.5 is 11


def lost_days(s: TeamSignals, stage: str) -> str:
    return days_text(s.stage_days_lost[stage])


def test_every_stage_time_of_the_demo_is_known_to_the_day(demo: Path) -> None:
    s = signals_of(demo)
    assert not any("period granularity" in note for note in s.notes)
    assert all(not spread.at_period_granularity for spread in s.stage_spread_won.values())


def test_the_stays_of_the_won_deals_vary(demo: Path) -> None:
    """Per rep, the won medians differ too: the story is not one number copied."""
    s = signals_of(demo)
    per_rep = [r.stage_days_won for r in s.reps.values()]
    assert all(len(days) >= 5 for days in per_rep)
    assert len({tuple(sorted(days.items())) for days in per_rep}) == 5
    assert median(v for days in per_rep for v in days.values()) < 14

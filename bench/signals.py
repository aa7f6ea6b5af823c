"""Time the deal-health signals on a large team: 200 reps over five years of
monthly History (about half a million rows), computed from History's rows as a
workbook read returns them (a header and lists of cell values), with and without
the stage log (issue 15): each deal's dated changes of stage over the five years,
as ``_stages`` holds them (a deal's first stage, each move on, its close).

Each case runs in a process of its own, so that its peak memory is its own.

    python bench/signals.py                # table: with the log and without
    python bench/signals.py --json
    python bench/signals.py --reps 50 --months 24
    python bench/signals.py --case log     # one case only: log or no-log
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetsync.config import load_template
from sheetsync.domain.page import Item, Page, SectionContent
from sheetsync.domain.periods import Cadence, Period, period_of
from sheetsync.domain.render import HISTORY_FIXED
from sheetsync.domain.signals import compute, history_frame
from sheetsync.domain.stage_log import StageChange
from sheetsync.domain.values import CellValue

STAGES = ["Qualify", "Discovery", "Demo", "Trial", "Proposal", "Negotiation"]
DEALS, OTHER_ROWS = 12, 26  # per rep and month: deal snapshots, and everything else


@dataclass
class _Deal:
    stage: int
    close: date
    amount: int


@dataclass
class _Log:
    """The stage log as ``_stages`` would hold it: each change dated on a day of
    its month, after the deal's change before (days drawn apart from History's
    numbers, so that History is the same with the log and without)."""

    rng: random.Random
    changes: list[StageChange] = field(default_factory=list)
    last: dict[str, date] = field(default_factory=dict)

    def change(self, rep: str, ident: str, period: Period, before: str, after: str) -> None:
        day = period.start + timedelta(days=self.rng.randint(0, period.end.day - 1))
        day = max(day, self.last.get(ident, date.min) + timedelta(days=1))
        self.last[ident] = day
        self.changes.append(StageChange(ident, day, before, after, rep, deal=f"Deal {ident}"))


def build(
    reps: int, months: int, seed: int = 7
) -> tuple[list[list[CellValue]], dict[str, Page], list[StageChange]]:
    """History's rows, the current pages and the stage log of ``reps`` reps over
    ``months`` months: each deal enters its first stage on a day of the month it
    is made, moves on (a quarter of the deals a month) on a day of the month, and
    closes on a day after its last move."""
    rng = random.Random(seed)
    log = _Log(random.Random(seed + 1))
    tpl = load_template("monthly", Path(__file__).resolve().parent.parent)
    header: list[CellValue] = [*HISTORY_FIXED, *tpl.history_keys]
    col = {k: i for i, k in enumerate(header)}
    today = date(2026, 11, 20)
    current = period_of(today, Cadence.MONTHLY)
    periods: list[Period] = []
    p = current
    for _ in range(months):
        p = p.previous()
        periods.append(p)
    periods.reverse()
    grid: list[list[CellValue]] = [header]
    pages: dict[str, Page] = {}
    for r in range(reps):
        rep = f"Rep {r:03d}"
        deals: dict[str, _Deal] = {}
        serial = 0
        for period in periods:
            while len(deals) < DEALS:
                serial += 1
                ident = f"{r}-{serial}"
                deals[ident] = _Deal(
                    0,
                    period.end + timedelta(days=rng.randint(20, 90)),
                    rng.choice([8, 12, 25, 40, 60]) * 1000,
                )
                log.change(rep, ident, period, "", STAGES[0])
            for ident, d in list(deals.items()):
                roll = rng.random()
                if roll < 0.25 and d.stage < len(STAGES) - 1:
                    d.stage += 1
                    log.change(rep, ident, period, STAGES[d.stage - 1], STAGES[d.stage])
                if roll > 0.9:
                    d.close += timedelta(days=rng.randint(7, 45))
                closing = roll > 0.93 or (roll > 0.8 and d.stage == len(STAGES) - 1)
                stage = (
                    ("Closed won" if rng.random() < 0.4 else "Closed lost")
                    if closing
                    else STAGES[d.stage]
                )
                row: list[CellValue] = [None] * len(header)
                row[:7] = [
                    period.label,
                    rep,
                    "existing_opportunities",
                    ident,
                    "closed" if closing else "carried",
                    "",
                    0,
                ]
                row[col["opportunity"]] = f"Deal {ident}"
                row[col["amount"]] = d.amount
                row[col["stage"]] = stage
                row[col["close_date"]] = d.close.isoformat()
                grid.append(row)
                if closing:
                    log.change(rep, ident, period, STAGES[d.stage], stage)
                    del deals[ident]
            for k in range(OTHER_ROWS):
                row = [None] * len(header)
                section = "commitments" if k < 3 else "actions"
                row[:7] = [period.label, rep, section, f"{r}-{period.label}-{k}", "scored", "", 0]
                if section == "commitments":
                    row[col["result"]] = "Hit" if rng.random() < 0.6 else "Miss"
                grid.append(row)
        sections = {s.key: SectionContent(s.key, s.title) for s in tpl.sections}
        sections["existing_opportunities"].items = [
            Item(
                ident,
                {
                    "opportunity": f"Deal {ident}",
                    "stage": STAGES[d.stage],
                    "amount": d.amount,
                    "close_date": d.close,
                    "last_activity": today - timedelta(days=rng.randint(0, 30)),
                },
                "2026-01",
            )
            for ident, d in deals.items()
        ]
        pages[rep] = Page(rep, {"period": current.label}, sections)
    changes = sorted(log.changes, key=lambda c: (c.deal_id, c.on))  # as merged() gives them
    return grid, pages, changes


CASES = {"log": "with the stage log", "no-log": "without"}


def measure(reps: int, months: int, with_log: bool) -> dict[str, object]:
    """One case, in this process: the figures, peak memory included."""
    tpl = load_template("monthly", Path(__file__).resolve().parent.parent)
    grid, pages, log = build(reps, months)
    t0 = time.perf_counter()
    frame = history_frame(grid)
    t1 = time.perf_counter()
    signals = compute(
        frame,
        pages,
        tpl,
        Cadence.MONTHLY,
        date(2026, 11, 20),
        {rep: 300000.0 for rep in pages},
        log=log if with_log else (),
    )
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "case": "log" if with_log else "no-log",
        "reps": reps,
        "months": months,
        "history_rows": len(grid) - 1,
        "log_rows": len(log) if with_log else 0,
        "frame_s": round(t1 - t0, 2),
        "signals_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "peak_mb": round(peak_mb, 1),
        "open_deals": len(signals.deals),
        "stalled": sum(d.stalled for d in signals.deals),
        "slow": sum(d.slow for d in signals.deals),
        "exact": sum(d.began_exact for d in signals.deals),
        "won_medians": {k: round(v, 1) for k, v in sorted(signals.stage_days_won.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--case", choices=sorted(CASES), help="run one case, in this process")
    args = parser.parse_args()
    if args.case:
        figures = [measure(args.reps, args.months, args.case == "log")]
    else:
        figures = []
        for case in CASES:
            cmd = [sys.executable, __file__, "--case", case, "--json"]
            cmd += ["--reps", str(args.reps), "--months", str(args.months)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            figures += json.loads(out)
    if args.json:
        print(json.dumps(figures))
        return
    print(
        "| stage log | reps | months | History rows | log rows "
        "| frame s | signals s | total s | peak MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in figures:
        print(
            f"| {CASES[str(f['case'])]} | {f['reps']} | {f['months']} | {f['history_rows']} | "
            f"{f['log_rows']} | {f['frame_s']} | {f['signals_s']} | {f['total_s']} | "
            f"{f['peak_mb']} |"
        )
    for f in figures:
        print(
            f"({CASES[str(f['case'])]}: open deals {f['open_deals']}, stalled {f['stalled']}, "
            f"slow {f['slow']}, in their stage since a day known {f['exact']}; "
            f"won medians {f['won_medians']})"
        )


if __name__ == "__main__":
    main()

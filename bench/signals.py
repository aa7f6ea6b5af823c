"""Time the deal-health signals on a large team: 200 reps over five years of
monthly History (about half a million rows), computed from History's rows as a
workbook read returns them (a header and lists of cell values).

    python bench/signals.py                # table
    python bench/signals.py --json
    python bench/signals.py --reps 50 --months 24
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetsync.config import load_template
from sheetsync.domain.page import Item, Page, SectionContent
from sheetsync.domain.periods import Cadence, Period, period_of
from sheetsync.domain.render import HISTORY_FIXED
from sheetsync.domain.signals import compute, history_frame

STAGES = ["Qualify", "Discovery", "Demo", "Trial", "Proposal", "Negotiation"]
DEALS, OTHER_ROWS = 12, 26  # per rep and month: deal snapshots, and everything else


def build(reps: int, months: int, seed: int = 7) -> tuple[list[list[object]], dict[str, Page]]:
    rng = random.Random(seed)
    tpl = load_template("monthly", Path(__file__).resolve().parent.parent)
    header = [*HISTORY_FIXED, *tpl.history_keys]
    col = {k: i for i, k in enumerate(header)}
    today = date(2026, 11, 20)
    current = period_of(today, Cadence.MONTHLY)
    periods: list[Period] = []
    p = current
    for _ in range(months):
        p = p.previous()
        periods.append(p)
    periods.reverse()
    grid: list[list[object]] = [header]
    pages: dict[str, Page] = {}
    for r in range(reps):
        rep = f"Rep {r:03d}"
        deals: dict[str, dict[str, object]] = {}
        serial = 0
        for period in periods:
            while len(deals) < DEALS:
                serial += 1
                deals[f"{r}-{serial}"] = {
                    "stage": 0,
                    "close": period.end + timedelta(days=rng.randint(20, 90)),
                    "amount": rng.choice([8, 12, 25, 40, 60]) * 1000,
                }
            for ident, d in list(deals.items()):
                roll = rng.random()
                if roll < 0.25 and d["stage"] < len(STAGES) - 1:  # type: ignore[operator]
                    d["stage"] = d["stage"] + 1  # type: ignore[operator]
                if roll > 0.9:
                    d["close"] = d["close"] + timedelta(days=rng.randint(7, 45))  # type: ignore[operator]
                closing = roll > 0.93 or (roll > 0.8 and d["stage"] == len(STAGES) - 1)
                stage = (
                    ("Closed won" if rng.random() < 0.4 else "Closed lost")
                    if closing
                    else STAGES[d["stage"]]  # type: ignore[index]
                )
                row: list[object] = [None] * len(header)
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
                row[col["amount"]] = d["amount"]
                row[col["stage"]] = stage
                row[col["close_date"]] = d["close"].isoformat()  # type: ignore[union-attr]
                grid.append(row)
                if closing:
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
                    "stage": STAGES[d["stage"]],  # type: ignore[index]
                    "amount": d["amount"],
                    "close_date": d["close"],
                    "last_activity": today - timedelta(days=rng.randint(0, 30)),
                },
                "2026-01",
            )
            for ident, d in deals.items()
        ]
        pages[rep] = Page(rep, {"period": current.label}, sections)
    return grid, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tpl = load_template("monthly", Path(__file__).resolve().parent.parent)
    grid, pages = build(args.reps, args.months)
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
    )
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "reps": args.reps,
        "months": args.months,
        "history_rows": len(grid) - 1,
        "frame_s": round(t1 - t0, 2),
        "signals_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "peak_mb": round(peak_mb, 1),
        "open_deals": len(signals.deals),
        "stalled": sum(d.stalled for d in signals.deals),
        "slow": sum(d.slow for d in signals.deals),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print("| reps | months | History rows | frame s | signals s | total s | peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    f = figures
    print(
        f"| {f['reps']} | {f['months']} | {f['history_rows']} | {f['frame_s']} | "
        f"{f['signals_s']} | {f['total_s']} | {f['peak_mb']} |"
    )
    print(f"(open deals {f['open_deals']}, stalled {f['stalled']}, slow {f['slow']})")


if __name__ == "__main__":
    main()

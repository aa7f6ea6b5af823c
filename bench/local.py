"""Time ``init`` and ``rollover`` on the local .xlsx workbook.

For each size: N reps, 30 items on each page, two years (24 monthly periods) of
History. Each size runs in its own process so peak memory (max RSS) is its own.

    python bench/local.py            # table
    python bench/local.py --json     # the same figures as one JSON object
    python bench/local.py --sizes 5,25
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ITEMS = 30
HISTORY_PERIODS = 24


def one(n: int) -> dict[str, float]:
    from sheetsync.adapters.xlsx import XlsxWorkbook
    from sheetsync.commands import cycle, workbook
    from sheetsync.config import load_config
    from sheetsync.domain.carry import HistoryRow
    from sheetsync.domain.page import Item, assign_ids, blank_page
    from sheetsync.domain.periods import period_of
    from sheetsync.domain.plan import WritePlan
    from sheetsync.domain.render import render_page

    folder = Path(tempfile.mkdtemp(prefix="sheetsync-bench-"))
    reps = "\n".join(f"      - {{name: Rep {i:03d}, email: rep{i}@example.com}}" for i in range(n))
    (folder / "config.yaml").write_text(
        "teams:\n  - name: Bench\n    manager: {name: M, email: m@example.com}\n"
        f"    workbook: {{type: xlsx, path: team.xlsx}}\n    reps:\n{reps}\n"
    )
    team = load_config(folder / "config.yaml").teams[0]
    start = period_of(date(2026, 10, 1), team.cadence)

    t0 = time.perf_counter()
    cycle.init(team, start.start)
    t_init = time.perf_counter() - t0

    # people fill the pages; two years of History already there (not timed)
    tpl = team.template
    plan = WritePlan()
    deal_keys = tpl.history_keys
    for i, rep in enumerate(team.reps):
        page = blank_page(rep.tab, tpl, workbook.page_header(team, rep, start, None))
        for k in range(ITEMS):
            key = ("existing_opportunities", "actions", "not_working", "kpis", "wins")[k % 5]
            values = {
                "opportunity": f"Deal {k}",
                "account": f"Acct {k}",
                "amount": 1000 * k,
                "stage": "Closed won" if k % 4 == 0 else "Demo",
                "close_date": start.end + timedelta(days=k),
                "what": f"Action {k}",
                "status": "Done" if k % 3 == 0 else "Open",
                "item": f"Note {k}",
                "kpi": f"KPI {k}",
                "target": 10,
                "actual": k,
                "win": f"Win {k}",
            }
            page.items(key).append(Item(None, values))
        assign_ids(page, tpl)
        plan.replace.append(render_page(page, tpl))
        p = start
        for _ in range(HISTORY_PERIODS):
            p = p.previous()
            for k in range(ITEMS):
                row = HistoryRow(
                    p.label,
                    rep.name,
                    "existing_opportunities",
                    f"h{i}x{k}",
                    "carried",
                    p.label,
                    0,
                    {"opportunity": f"Deal {k}", "amount": 1000 * k, "stage": "Demo"},
                )
                plan.history.append(row.cells(deal_keys))
    with XlsxWorkbook(team.workbook.path) as wb:  # type: ignore[arg-type]
        wb.read([])
        wb.write(plan)

    t0 = time.perf_counter()
    result = cycle.rollover(team, start.next().start)
    t_roll = time.perf_counter() - t0
    assert not result.errors and result.changed
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = team.workbook.path.stat().st_size / 1e6  # type: ignore[union-attr]
    return {
        "reps": n,
        "items": n * ITEMS,
        "history_rows": len(plan.history),
        "init_s": round(t_init, 2),
        "rollover_s": round(t_roll, 2),
        "total_s": round(t_init + t_roll, 2),
        "peak_mb": round(peak_mb, 1),
        "file_mb": round(size_mb, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sizes", default="5,25,100,200", help="comma-separated rep counts")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        ).stdout
        rows.append(json.loads(out))
    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "local",
                    "items_per_rep": ITEMS,
                    "history_periods": HISTORY_PERIODS,
                    "sizes": rows,
                }
            )
        )
        return
    head = ["reps", "history_rows", "init_s", "rollover_s", "total_s", "peak_mb", "file_mb"]
    print(" | ".join(f"{h:>12}" for h in head))
    for r in rows:
        print(" | ".join(f"{r[h]:>12}" for h in head))


if __name__ == "__main__":
    main()

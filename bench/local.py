"""Time ``init`` and ``rollover`` on the local .xlsx workbook.

For each size: N reps, 30 items on each page, two years (24 monthly periods) of
History. Each size runs in its own process so peak memory (max RSS) is its own.

    python bench/local.py            # table
    python bench/local.py --json     # the same figures as one JSON object
    python bench/local.py --sizes 5,25

``--commands`` (issue 16, "Fast at every size") times each command a team runs,
for 10 reps and 1, 3, 5 and 10 years of monthly History (30 rows per rep and
month, as a rollover archives a page of 30 items), each command in its own
process: status, a recap with nothing due, a recap that sends 10 messages
(outbox), the same recap again (all sent), a rollover and a rollover with
nothing to do. The code timed is the ``sheetsync`` on ``PYTHONPATH`` (``--code``
puts a checkout's there), so two versions compare with the same script:

    python bench/local.py --commands                      # table
    python bench/local.py --commands --years 1,5 --json
    python bench/local.py --commands --code /path/to/other/checkout
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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


# --- issue 16: every command, by years of History --------------------------------------

START = date(2026, 10, 1)  # the period on the pages; History holds the ones before it
STAGES = ["Qualify", "Discovery", "Demo", "Trial", "Proposal", "Negotiation"]
DEALS = 12  # open deals per rep; the rest of a page's 30 items are other sections
OTHERS = (  # (section, how many a month) for the other 18 items
    ("actions", 6),
    ("commitments", 3),
    ("wins", 3),
    ("kpis", 3),
    ("not_working", 2),
    ("working", 1),
)
# (step, --today, what it must do) in the order they run, each in its own process
STEPS = (
    ("status", "2026-10-15", ""),
    ("recap_nothing_due", "2026-10-15", "0"),  # the meeting (30 Oct) is ahead
    ("recap_10_sent", "2026-10-30", "10"),  # the meeting day, taken as over
    ("recap_all_sent", "2026-10-30", "0"),  # run again that day: already sent
    ("rollover", "2026-11-02", "changed"),
    ("rollover_noop", "2026-11-02", "unchanged"),
)


def _config(folder: Path, reps: int) -> Path:
    people = "\n".join(
        f"      - {{name: Rep {i:02d}, email: rep{i}@example.com, quota: 300000}}"
        for i in range(reps)
    )
    config = folder / "config.yaml"
    config.write_text(
        "teams:\n  - name: Bench\n    manager: {name: M, email: m@example.com}\n"
        "    cadence: monthly\n    meeting_day: last friday\n    timezone: UTC\n"
        f"    workbook: {{type: xlsx, path: team.xlsx}}\n    reps:\n{people}\n"
    )
    return config


def _other_values(section: str, k: int, rng: random.Random) -> dict[str, Any]:
    return {
        "actions": {
            "what": f"Action {k}",
            "owner": "Rep",
            "due": START + timedelta(days=k),
            "status": rng.choice(["Open", "Done"]),
        },
        "commitments": {"what": f"Commit {k}", "target": 5, "actual": k, "result": "Hit"},
        "wins": {"win": f"Win {k}", "notes": "Signed"},
        "kpis": {"kpi": f"KPI {k}", "target": 10, "actual": k},
        "not_working": {"item": f"Blocker {k}", "plan": "Escalate"},
        "working": {"item": f"Habit {k}"},
    }[section]


def setup(folder: Path, years: int, reps: int) -> dict[str, Any]:
    """A team's workbook after ``years`` of monthly meetings: History as the
    rollovers archived it (deals moving through stages, closing, new ones
    coming; the other sections' items), and this period's pages filled in."""
    from sheetsync.adapters.xlsx import XlsxWorkbook
    from sheetsync.config import load_config
    from sheetsync.domain.carry import HistoryRow
    from sheetsync.domain.page import Item, assign_ids, blank_page
    from sheetsync.domain.periods import period_of
    from sheetsync.domain.plan import WritePlan
    from sheetsync.domain.render import history_header, render_page

    team = load_config(_config(folder, reps)).teams[0]
    start = period_of(START, team.cadence)
    command_api().init(team, start.start)
    tpl = team.template
    header = history_header(tpl)
    periods = [start]
    for _ in range(years * 12):
        periods.append(periods[-1].previous())
    periods = periods[1:][::-1]
    rng = random.Random(16)
    plan = WritePlan()
    for r, rep in enumerate(team.reps):
        deals: dict[str, dict[str, Any]] = {}
        serial = 0
        for period in periods:
            while len(deals) < DEALS:
                serial += 1
                deals[f"d{r}x{serial}"] = {
                    "stage": 0,
                    "close": period.end + timedelta(days=rng.randint(20, 90)),
                    "amount": rng.choice([8, 12, 25, 40, 60]) * 1000,
                    "since": period.label,
                }
            for ident, d in list(deals.items()):
                roll = rng.random()
                if roll < 0.25 and d["stage"] < len(STAGES) - 1:
                    d["stage"] += 1
                if roll > 0.9:
                    d["close"] += timedelta(days=rng.randint(7, 45))
                closing = roll > 0.93
                values = {
                    "opportunity": f"Deal {ident}",
                    "account": f"Account {ident}",
                    "amount": d["amount"],
                    "stage": "Closed won" if closing else STAGES[d["stage"]],
                    "close_date": d["close"],
                    "last_activity": period.end - timedelta(days=rng.randint(0, 20)),
                    "next_step": "Follow up",
                }
                outcome = "closed" if closing else "carried"
                row = HistoryRow(
                    period.label,
                    rep.name,
                    "existing_opportunities",
                    ident,
                    outcome,
                    d["since"],
                    0,
                    values,
                )
                plan.history.append(row.cells(header))
                if closing:
                    del deals[ident]
            for section, count in OTHERS:
                for k in range(count):
                    row = HistoryRow(
                        period.label,
                        rep.name,
                        section,
                        f"{section[:2]}{r}x{period.label}{k}",
                        "archived",
                        period.label,
                        0,
                        _other_values(section, k, rng),
                    )
                    plan.history.append(row.cells(header))
        page = blank_page(rep.tab, tpl, command_api().page_header(team, rep, start, None))
        for ident, d in deals.items():
            values = {
                "opportunity": f"Deal {ident}",
                "account": f"Account {ident}",
                "amount": d["amount"],
                "stage": STAGES[d["stage"]],
                "close_date": d["close"],
                "next_step": "Follow up",
            }
            page.items("existing_opportunities").append(Item(ident, values, d["since"]))
        for section, count in OTHERS:
            for k in range(count):
                page.items(section).append(Item(None, _other_values(section, k, rng)))
        assign_ids(page, tpl)
        plan.replace.append(render_page(page, tpl))
    with XlsxWorkbook(team.workbook.path) as wb:  # type: ignore[arg-type]
        wb.read([])
        wb.write(plan)
    size = team.workbook.path.stat().st_size  # type: ignore[union-attr]
    return {"history_rows": len(plan.history), "file_mb": round(size / 1e6, 2)}


def command_api() -> SimpleNamespace:
    """The commands this bench runs, from the code it is measuring: the layout of
    ``sheetsync.commands``, or the one before it (``--code`` of an older checkout)."""
    try:
        from sheetsync.commands import cycle, mail, status, workbook

        return SimpleNamespace(
            init=cycle.init,
            rollover=cycle.rollover,
            status=status.status,
            recap=mail.recap,
            page_header=workbook.page_header,
        )
    except ImportError:
        from sheetsync import mailing, usecases  # type: ignore[attr-defined]

        return SimpleNamespace(
            init=usecases.init,
            rollover=usecases.rollover,
            status=usecases.status,
            recap=mailing.recap,
            page_header=usecases.page_header,
        )


def step(folder: Path, name: str, today_text: str, expect: str) -> dict[str, Any]:
    """One command, timed in this process: the call's wall time, the process's CPU
    (imports included) and its peak memory."""
    t_start = time.perf_counter()
    import sheetsync
    from sheetsync.config import load_config

    api = command_api()

    team = load_config(folder / "config.yaml").teams[0]
    today = date.fromisoformat(today_text)
    t_imported = time.perf_counter()
    if name == "status":
        api.status(team, today)
        detail = ""
    elif name.startswith("recap"):
        result = api.recap(team, today)
        sent = [d for d in result.deliveries if d.status == "sent"]
        assert not result.failed and str(len(sent)) == expect, (name, result.deliveries)
        detail = f"{len(sent)} sent"
    else:
        roll = api.rollover(team, today)
        assert not roll.errors and roll.changed == (expect == "changed"), name
        detail = expect
    t_end = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "s": round(t_end - t_imported, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "startup_s": round(t_imported - t_start, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "detail": detail,
        "code": os.path.dirname(sheetsync.__file__),
    }


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def commands(years_list: list[int], reps: int, code: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH")) if p)
    rows = []
    for years in years_list:
        folder = Path(tempfile.mkdtemp(prefix="sheetsync-bench16-"))
        try:
            row: dict[str, Any] = {"years": years, "reps": reps}
            row.update(_child(env, "--setup", str(folder), str(years), str(reps)))
            for name, today, expect in STEPS:
                row[name] = _child(env, "--step", str(folder), name, today, expect)
            sent, none = row["recap_10_sent"], row["recap_nothing_due"]
            row["send_day_ratio"] = {  # a recap that sends 10 messages / one with none due
                "cpu": round(sent["cpu_s"] / max(none["cpu_s"], 0.01), 2),
                "s": round(sent["s"] / max(none["s"], 0.01), 2),
            }
            rows.append(row)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    where = sorted({r[n].pop("code") for r in rows for n, _, _ in STEPS})
    return {"benchmark": "local-commands", "reps": reps, "code": ", ".join(where), "sizes": rows}


def print_commands(figures: dict[str, Any]) -> None:
    print(
        f"sheetsync from {figures['code']}; {figures['reps']} reps; s: the command's call, "
        "cpu: the process's CPU seconds (start-up included), MB: its peak RSS"
    )
    head = ["years", "History rows", "file MB"] + [f"{n} s / cpu / MB" for n, _, _ in STEPS]
    print("| " + " | ".join(head) + " | send/no-send cpu | send/no-send s |")
    print("|" + "---:|" * (len(head) + 2))
    for r in figures["sizes"]:
        cells = [str(r["years"]), str(r["history_rows"]), str(r["file_mb"])]
        cells += [f"{r[n]['s']} / {r[n]['cpu_s']} / {r[n]['peak_mb']:.0f}" for n, _, _ in STEPS]
        ratio = r["send_day_ratio"]
        print("| " + " | ".join(cells) + f" | {ratio['cpu']}x | {ratio['s']}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sizes", default="5,25,100,200", help="comma-separated rep counts")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--commands", action="store_true", help="time every command by years of History"
    )
    parser.add_argument("--years", default="1,3,5,10", help="with --commands: years of History")
    parser.add_argument("--reps", type=int, default=10, help="with --commands: reps")
    parser.add_argument("--code", help="with --commands: a checkout whose sheetsync to time")
    parser.add_argument("--setup", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--step", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        folder, years, reps = args.setup
        print(json.dumps(setup(Path(folder), int(years), int(reps))))
        return
    if args.step:
        folder, name, today, expect = args.step
        print(json.dumps(step(Path(folder), name, today, expect)))
        return
    if args.commands:
        figures = commands([int(y) for y in args.years.split(",")], args.reps, args.code)
        if args.json:
            print(json.dumps(figures))
        else:
            print_commands(figures)
        return
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

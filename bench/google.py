"""Requests and wall time of one ``rollover`` on Google Sheets: sheetsync against a
plain gspread script doing the same job.

Both run against the test suite's fake Sheets API (tests/fakes), which answers
each request after a fixed delay (100 ms by default, about a real round trip to
sheets.googleapis.com). Each rep's page holds a few deals, actions and wins.

The plain script works the way gspread's documentation shows, tab by tab: open
the worksheet, read all its values, write the new page, format its title row, and
append the closed rows to History. It uses sheetsync's own page logic, so only
the way of talking to Google differs.

    python bench/google.py                  # table
    python bench/google.py --json
    python bench/google.py --sizes 1,10 --latency 0.05
    python bench/google.py --reads 1,3,5,10  # what each command reads, by years of History

``--reads``: a team of 10 reps with 1, 3, 5 or 10 years of monthly History (30
rows a rep a month), and the bytes Google sends back to each command: ``status``,
a recap run with nothing due, a rollover with nothing to roll, ``refresh``, the
month's rollover, and the refresh after it. Each command runs twice on the same
spreadsheet: first with no copy of History kept on this machine (a first run, or
a new machine), then again as the next day's run would, with the copies the first
run left (``sheetsync.adapters.google_tail``; in a cache folder of the bench's
own). The refresh after the rollover gets, from its copies, the month's new rows.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# this file is bench/google.py: keep its folder off the path, or it hides the
# `google` package (google-auth) from the imports below
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import gspread  # noqa: E402
import responses  # noqa: E402

from sheetsync.adapters.registry import open_workbook  # noqa: E402
from sheetsync.commands import cycle, workbook  # noqa: E402
from sheetsync.config import Team, load_config  # noqa: E402
from sheetsync.domain.carry import HistoryRow, roll_page  # noqa: E402
from sheetsync.domain.page import assign_ids, cell_name, parse_page  # noqa: E402
from sheetsync.domain.periods import parse_period  # noqa: E402
from sheetsync.domain.plan import WritePlan  # noqa: E402
from sheetsync.domain.render import history_header, render_page  # noqa: E402
from sheetsync.domain.values import Formula  # noqa: E402
from tests.backends import SHEET_ID, GoogleBackend  # noqa: E402
from tests.fakes.sheets_api import FakeSheetsApi  # noqa: E402

OCTOBER, NOVEMBER = date(2026, 10, 5), date(2026, 11, 2)


def config_for(n: int) -> str:
    reps = "".join(f"      - {{name: Rep {i:03d}, email: rep{i}@example.com}}\n" for i in range(n))
    return (
        "teams:\n  - name: Bench\n    manager: {name: Dana Reyes, email: dana@example.com}\n"
        "    workbook: {type: xlsx, path: team.xlsx}\n    reps:\n" + reps
    )


def prepare(folder: Path, n: int, fake: FakeSheetsApi) -> tuple[GoogleBackend, Team]:
    g = GoogleBackend(folder, fake, config_for(n))
    team = load_config(g.config).teams[0]
    cycle.init(team, OCTOBER)
    for rep in team.reps:  # what people typed in October
        g.type_row(rep.tab, "#existing_opportunities", ["Globex", "Globex", 25000, "Demo"])
        g.type_row(rep.tab, "#existing_opportunities", ["Initech", "Initech", 9000, "Closed won"])
        g.type_row(rep.tab, "#actions", ["Call the CFO", "Rep", "", "", "Open"])
        g.type_row(rep.tab, "#wins", ["Signed Hooli"])
    return g, team


def plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, date):
        return value.isoformat()
    return value


def plain_gspread_rollover(team: Team, key: Path) -> None:
    """The hand-written way: one worksheet at a time."""
    gc = gspread.service_account(filename=str(key))
    sh = gc.open_by_key(SHEET_ID)
    history = sh.worksheet("History")
    target = parse_period("2026-11", team.cadence)
    tpl = team.template
    for rep in team.reps:
        ws = sh.worksheet(rep.tab)
        values = ws.get_all_values(value_render_option="UNFORMATTED_VALUE")
        page = parse_page(rep.tab, values, tpl, team.cadence)
        assign_ids(page, tpl)
        header = workbook.page_header(team, rep, target, page)
        rolled = roll_page(page, tpl, target.label, header)
        layout = render_page(rolled.page, tpl, team.currency)
        grid = [[plain(v) for v in row] for row in layout.values()]
        width = max(len(r) for r in grid)
        grid = [r + [""] * (width - len(r)) for r in grid]
        ws.update(grid, "A1", value_input_option="USER_ENTERED")
        ws.format(f"A1:{cell_name(1, width)}", {"textFormat": {"bold": True, "fontSize": 16}})
        rows = [[plain(v) for v in h.cells(history_header(tpl))] for h in rolled.history]
        history.append_rows(rows, value_input_option="RAW")


def measure(n: int, latency: float) -> dict[str, float]:
    out: dict[str, float] = {"reps": n}
    for who in ("sheetsync", "plain"):
        fake = FakeSheetsApi()
        with (
            tempfile.TemporaryDirectory() as tmp,
            responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
        ):
            fake.install(mock)
            g, team = prepare(Path(tmp), n, fake)
            fake.latency = latency
            before = len(fake.calls)
            t0 = time.perf_counter()
            if who == "sheetsync":
                cycle.rollover(team, NOVEMBER)
            else:
                plain_gspread_rollover(team, Path(tmp) / "sa.json")
            out[f"{who}_s"] = round(time.perf_counter() - t0, 2)
            out[f"{who}_requests"] = len(fake.calls) - before
            out[f"{who}_largest_mb"] = round(max(fake.body_sizes[before:]) / 2**20, 2)
            rolled = sum(1 for r in team.reps if g.cells(r.tab)[3][2] == "2026-11")
            assert rolled == n, f"{who}: {rolled} of {n} pages rolled"
            if who == "sheetsync":  # and the next morning's refresh
                before = len(fake.calls)
                cycle.refresh(team, date(2026, 11, 20))
                out["refresh_requests"] = len(fake.calls) - before
                out["refresh_largest_mb"] = round(max(fake.body_sizes[before:]) / 2**20, 3)
    out["request_ratio"] = round(out["plain_requests"] / out["sheetsync_requests"], 1)
    return out


READ_REPS, READ_ITEMS = 10, 30
READ_COMMANDS = (
    "status",
    "recap, nothing due",
    "rollover, nothing to roll",
    "refresh",
    "rollover",
    "refresh after it",
)


def fill_history(team: Team, years: int) -> int:
    """``years`` of monthly History before October 2026, appended as sheetsync
    appends it, a few thousand rows a request."""
    start = parse_period("2026-10", team.cadence)
    keys = history_header(team.template)
    rows = []
    period = start
    for _ in range(12 * years):
        period = period.previous()
        for i, rep in enumerate(team.reps):
            for k in range(READ_ITEMS):
                values = {"opportunity": f"Deal {k}", "amount": 1000 * k, "stage": "Demo"}
                row = HistoryRow(
                    period.label,
                    rep.name,
                    "existing_opportunities",
                    f"h{i}x{k}",
                    "carried",
                    period.label,
                    0,
                    values,
                )
                rows.append(row.cells(keys))
    for at in range(0, len(rows), 5000):
        with open_workbook(team.workbook) as wb:
            wb.read([])
            wb.write(WritePlan(history=rows[at : at + 5000]))
    return len(rows)


def reads(years: int) -> dict[str, Any]:
    """The bytes each command receives from Google, with ``years`` of History: the
    first run (no copy kept) and the next one (the first run's copies kept), each
    on the spreadsheet as it was before the command."""
    from sheetsync.commands import mail, status

    fake = FakeSheetsApi()
    received: list[int] = []
    answer = fake._answer

    def counted(*args: Any) -> Any:
        out = answer(*args)
        received.append(len(out[2]))
        return out

    fake._answer = counted  # type: ignore[method-assign]
    out: dict[str, Any] = {"years": years}
    was = os.environ.get("XDG_CACHE_HOME")
    with (
        tempfile.TemporaryDirectory() as tmp,
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        cache = Path(tmp) / "cache"
        os.environ["XDG_CACHE_HOME"] = str(cache)  # never the copies in the real home
        try:
            fake.install(mock)
            _, team = prepare(Path(tmp), READ_REPS, fake)
            out["history_rows"] = fill_history(team, years)
            runs = (
                lambda: status.status(team, date(2026, 10, 6)),
                lambda: mail.recap(team, date(2026, 10, 6), None, None, False, False, None),
                lambda: cycle.rollover(team, date(2026, 10, 6)),
                lambda: cycle.refresh(team, date(2026, 10, 6)),
                lambda: cycle.rollover(team, NOVEMBER),
                lambda: cycle.refresh(team, date(2026, 11, 3)),
            )
            kept = Path(tmp) / "kept"
            for name, run in zip(READ_COMMANDS, runs, strict=True):
                before_run = pickle.dumps(fake.books[SHEET_ID])
                shutil.rmtree(kept, ignore_errors=True)
                if cache.exists():  # the copies the command before left
                    shutil.copytree(cache, kept)
                shutil.rmtree(cache, ignore_errors=True)
                cold = _received(run, received)
                fake.books[SHEET_ID] = pickle.loads(before_run)
                if name == "refresh after it":  # with the copies read before the rollover
                    shutil.rmtree(cache, ignore_errors=True)
                    shutil.copytree(kept, cache)
                out[name] = {"cold": cold, "warm": _received(run, received)}
        finally:
            if was is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = was
    return out


def _received(run: Any, received: list[int]) -> float:
    before = len(received)
    run()
    return round(sum(received[before:]) / 2**20, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,50,200")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per answer")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--reads", help="years of History, e.g. 1,3,5,10: read sizes")
    args = parser.parse_args()
    if args.reads:
        table = [reads(int(y)) for y in args.reads.split(",")]
        if args.json:
            print(json.dumps({"reps": READ_REPS, "results": table}))
            return
        print(f"MB Google sends back to each command, {READ_REPS} reps, by years of History:")
        print("first run (no copy of History kept) -> the next day's run (copies kept)")
        print("| years | History rows | " + " | ".join(READ_COMMANDS) + " |")
        print("|---:|---:|" + "---:|" * len(READ_COMMANDS))
        for r in table:
            cells = " | ".join(f"{r[c]['cold']} -> {r[c]['warm']}" for c in READ_COMMANDS)
            print(f"| {r['years']} | {r['history_rows']} | {cells} |")
        return
    results = [measure(int(n), args.latency) for n in args.sizes.split(",")]
    if args.json:
        print(json.dumps({"latency_s": args.latency, "results": results}))
        return
    print(f"one rollover, fake Sheets API answering after {args.latency * 1000:.0f} ms")
    print("(the largest request of each is its write; Google recommends at most 2 MB)")
    print(
        "| reps | sheetsync requests | sheetsync s | largest request MB | refresh MB "
        "| gspread script requests | script s | fewer requests |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['reps']} | {r['sheetsync_requests']} | {r['sheetsync_s']} | "
            f"{r['sheetsync_largest_mb']} | {r['refresh_largest_mb']} | {r['plain_requests']} | "
            f"{r['plain_s']} | {r['request_ratio']}x |"
        )


if __name__ == "__main__":
    main()

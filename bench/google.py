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
"""

from __future__ import annotations

import argparse
import json
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

from sheetsync.commands import cycle, workbook  # noqa: E402
from sheetsync.config import Team, load_config  # noqa: E402
from sheetsync.domain.carry import roll_page  # noqa: E402
from sheetsync.domain.page import assign_ids, cell_name, parse_page  # noqa: E402
from sheetsync.domain.periods import parse_period  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,50,200")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per answer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
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

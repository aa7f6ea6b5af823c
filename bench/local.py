"""Time ``init`` and ``rollover`` on the local .xlsx workbook, against the floor.

For each size: N reps, 30 items on each page, two years (24 monthly periods) of
History. Each part of a size runs in its own fresh process, so its peak memory
(max RSS, start-up included) is its own: one process builds the workbook (and
times ``init``), another does only the rollover.

The floor (issue 16: "choose the libraries on measurement") is on by default: in
the same run, on the very file the rollover reads, the fastest libraries found
doing the same read and write, each in its own process:

- read: python-calamine reads every worksheet's values (and keeps them);
- write: rustpy-xlsxwriter (Rust's rust_xlsxwriter) writes the values the rolled
  workbook holds (calamine's read of it, taken outside the timing) as a new
  workbook, saved as sheetsync saves one: a temporary file, fsync, rename.

floor s = read s + write s; floor MB = the larger of the two peaks; the ratios
are the rollover's over them, all measured in this run. The floor libraries are
the ``bench`` extra (``pip install -e '.[bench]'``); without them the bench says
so in one line and prints the rest. ``--no-floor`` skips them, ``--openpyxl``
adds openpyxl's read_only read and write_only write of the same content.

The rollover is timed twice: with no copy of History on this machine (the bench
gives each process a cache folder of its own), and, on a copy of the built
workbook, the day after a command read History (an agenda, a recap, a refresh),
which leaves the copy sheetsync reads instead of History's XML while it is
unchanged (``xlsx_copy``): "History kept". In ``--commands`` every step starts
with no copy, so that each pays its own reads.

    python bench/local.py            # table
    python bench/local.py --json     # the same figures as one JSON object
    python bench/local.py --sizes 5,25 --openpyxl

``--commands`` (issue 16, "Fast at every size") times each command a team runs,
for 10 reps and 1, 3, 5 and 10 years of monthly History (30 rows per rep and
month, as a rollover archives a page of 30 items), each command in its own
process: status, a recap with nothing due, a ``--dry-run`` of the recap that
sends 10 messages (all 10 built and written to outbox/preview, nothing sent or
recorded), that recap (outbox), the same recap again (all sent), a rollover and
a rollover with nothing to do. sent/dry-run is what sending and recording 10
messages costs over building them. The code timed is the ``sheetsync`` on
``PYTHONPATH`` (``--code`` puts a checkout's there), so two versions compare
with the same script:

    python bench/local.py --commands                      # table
    python bench/local.py --commands --years 1,5 --json
    python bench/local.py --commands --code /path/to/other/checkout
"""

from __future__ import annotations

import argparse
import contextlib
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


def _config_one(folder: Path, n: int) -> Path:
    reps = "\n".join(f"      - {{name: Rep {i:03d}, email: rep{i}@example.com}}" for i in range(n))
    config = folder / "config.yaml"
    config.write_text(
        "teams:\n  - name: Bench\n    manager: {name: M, email: m@example.com}\n"
        f"    workbook: {{type: xlsx, path: team.xlsx}}\n    reps:\n{reps}\n"
    )
    return config


def build(folder: Path, n: int) -> dict[str, Any]:
    """The workbook a rollover of ``n`` reps starts from (``init`` timed): the
    pages filled in, two years of History."""
    from sheetsync.adapters.xlsx import XlsxWorkbook
    from sheetsync.commands import cycle, workbook
    from sheetsync.config import load_config
    from sheetsync.domain.carry import HistoryRow
    from sheetsync.domain.page import Item, assign_ids, blank_page
    from sheetsync.domain.periods import period_of
    from sheetsync.domain.plan import WritePlan
    from sheetsync.domain.render import history_header, render_page

    team = load_config(_config_one(folder, n)).teams[0]
    start = period_of(date(2026, 10, 1), team.cadence)

    t0 = time.perf_counter()
    cycle.init(team, start.start)
    t_init = time.perf_counter() - t0

    # people fill the pages; two years of History already there (not timed)
    tpl = team.template
    plan = WritePlan()
    header = history_header(tpl)  # History's columns: period, rep, section, id, ...
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
                plan.history.append(row.cells(header))
    with XlsxWorkbook(team.workbook.path) as wb:  # type: ignore[arg-type]
        wb.read([])
        wb.write(plan)
    return {
        "reps": n,
        "items": n * ITEMS,
        "history_rows": len(plan.history),
        "init_s": round(t_init, 2),
    }


def rss_mb() -> float | None:
    """This process's resident memory now (Linux), to tell start-up from the work."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rollover_only(folder: Path) -> dict[str, Any]:
    """The rollover alone, in a process that did nothing before it but start."""
    from sheetsync.commands import cycle
    from sheetsync.config import load_config
    from sheetsync.domain.periods import period_of

    team = load_config(folder / "config.yaml").teams[0]
    today = period_of(date(2026, 10, 1), team.cadence).next().start
    start_mb = rss_mb()
    t0 = time.perf_counter()
    result = cycle.rollover(team, today)
    t_roll = time.perf_counter() - t0
    assert not result.errors and result.changed
    size_mb = team.workbook.path.stat().st_size / 1e6  # type: ignore[union-attr]
    return {
        "rollover_s": round(t_roll, 2),
        "peak_mb": peak_mb(),
        "start_mb": start_mb,
        "file_mb": round(size_mb, 2),
    }


# --- the floor: the fastest libraries doing the same read and write ----------------------

FLOOR_LIBRARIES = ("python_calamine", "rustpy_xlsxwriter")  # the `bench` extra


def floor_missing() -> list[str]:
    import importlib.util

    return [m for m in FLOOR_LIBRARIES if importlib.util.find_spec(m) is None]


def versions(*distributions: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in distributions:
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    return ", ".join(found)


def calamine_values(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Every worksheet's values, as python-calamine reads them, in workbook order."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    with CalamineWorkbook.from_path(str(path)) as wb:
        return [
            (m.name, wb.get_sheet_by_name(m.name).to_python(skip_empty_area=False))
            for m in wb.sheets_metadata
            if m.typ == SheetTypeEnum.WorkSheet
        ]


def read_floor(library: str, path: Path) -> dict[str, Any]:
    """Every sheet's values read into memory (and kept there) by ``library``."""
    start_mb = rss_mb()
    t0 = time.perf_counter()
    if library == "calamine":
        sheets = calamine_values(path)
    else:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb]
        wb.close()
    took = time.perf_counter() - t0
    cells = sum(len(row) for _, rows in sheets for row in rows)
    return {"s": round(took, 2), "peak_mb": peak_mb(), "start_mb": start_mb, "cells": cells}


def dump_values(path: Path, out: Path) -> dict[str, Any]:
    """The rolled workbook's values (calamine's read), pickled for a write floor."""
    import pickle

    sheets = calamine_values(path)
    with open(out, "wb") as handle:
        pickle.dump(sheets, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {"sheets": len(sheets), "cells": sum(len(r) for _, rows in sheets for r in rows)}


def _cell(value: Any) -> Any:
    # calamine gives "" for an empty cell; both writers leave a None cell out
    return None if value == "" else value


def _records(rows: list[list[Any]]) -> Any:
    """rustpy-xlsxwriter writes records (dicts): the first row becomes their keys,
    and so the header row it writes; a blank or repeated key is its column number."""
    width = max((len(r) for r in rows), default=0)
    first = list(rows[0]) + [""] * (width - len(rows[0])) if rows else []
    keys: list[str] = []
    for j, value in enumerate(first):
        key = str(value)
        keys.append(key if value != "" and key not in keys else f"#{j + 1}")
    return ({k: _cell(v) for k, v in zip(keys, row, strict=False)} for row in rows[1:])


def write_floor(library: str, values: Path, out: Path) -> dict[str, Any]:
    """The values written as a new workbook by ``library``, saved as sheetsync saves
    one: to a temporary file beside it, flushed to disk, renamed over it."""
    import pickle

    with open(values, "rb") as handle:
        sheets = pickle.load(handle)
    start_mb = rss_mb()
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")
    t0 = time.perf_counter()
    if library == "rustpy":
        from rustpy_xlsxwriter import write_worksheets

        write_worksheets([(name, _records(rows)) for name, rows in sheets], str(tmp))
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        for name, rows in sheets:
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append([_cell(v) for v in row])
        wb.save(tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, out)
    took = time.perf_counter() - t0
    return {
        "s": round(took, 2),
        "peak_mb": peak_mb(),
        "start_mb": start_mb,
        "file_mb": round(out.stat().st_size / 1e6, 2),
    }


def read_history(path: Path) -> dict[str, Any]:
    """History read as a command reads it (which keeps its copy on this machine)."""
    from sheetsync.adapters.xlsx import XlsxWorkbook

    with XlsxWorkbook(path) as wb:
        rows = len(wb.read(["History"]).grids.get("History", []))
    return {"history_rows_read": rows}


def one(n: int, floor: bool, with_openpyxl: bool) -> dict[str, Any]:
    """One size: build, the read floors on the file as built, the rollover (with
    no copy of History on this machine, and the day after a command read History),
    then the write floors of what the rolled file holds; each in a fresh process."""
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-bench-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(folder / "cache")}  # cold: a copy of its own
    try:
        row: dict[str, Any] = _child(env, "--build", str(folder), str(n))
        path = folder / "team.xlsx"
        readers = (["calamine"] if floor else []) + (["openpyxl"] if with_openpyxl else [])
        writers = (["rustpy"] if floor else []) + (["openpyxl"] if with_openpyxl else [])
        reads = {lib: _child(env, "--read-floor", lib, str(path)) for lib in readers}
        # the same rollover the day after a command read History (an agenda, a
        # recap, a refresh): History is read from the copy this machine kept
        warm = Path(tempfile.mkdtemp(prefix="sheetsync-bench-warm-"))
        shutil.copytree(folder, warm, dirs_exist_ok=True)
        warm_env = {**env, "XDG_CACHE_HOME": str(warm / "cache")}
        _child(warm_env, "--read-history", str(warm / "team.xlsx"))
        kept = _child(warm_env, "--rollover", str(warm))
        shutil.rmtree(warm, ignore_errors=True)
        row.update(_child(env, "--rollover", str(folder)))
        row["total_s"] = round(row["init_s"] + row["rollover_s"], 2)
        row["rollover_warm_s"], row["peak_warm_mb"] = kept["rollover_s"], kept["peak_mb"]
        writes = {}
        if writers:
            values = folder / "values.pickle"
            _child(env, "--dump", str(path), str(values))
            for lib in writers:
                out = folder / f"floor-{lib}.xlsx"
                writes[lib] = _child(env, "--write-floor", lib, str(values), str(out))
        if floor:
            read, write = reads["calamine"], writes["rustpy"]
            row["floor_read_s"], row["floor_read_mb"] = read["s"], read["peak_mb"]
            row["floor_write_s"], row["floor_write_mb"] = write["s"], write["peak_mb"]
            row["floor_write_file_mb"] = write["file_mb"]
            row["floor_s"] = round(read["s"] + write["s"], 2)
            row["floor_mb"] = max(read["peak_mb"], write["peak_mb"])
            row["ratio_s"] = round(row["rollover_s"] / max(row["floor_s"], 0.01), 2)
            row["ratio_warm_s"] = round(row["rollover_warm_s"] / max(row["floor_s"], 0.01), 2)
            row["ratio_mb"] = round(row["peak_mb"] / max(row["floor_mb"], 0.1), 2)
        if with_openpyxl:
            read, write = reads["openpyxl"], writes["openpyxl"]
            row["openpyxl_read_s"], row["openpyxl_read_mb"] = read["s"], read["peak_mb"]
            row["openpyxl_write_s"], row["openpyxl_write_mb"] = write["s"], write["peak_mb"]
        return row
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
    # the 10 messages built and written to outbox/preview; nothing sent or recorded
    ("recap_10_dry_run", "2026-10-30", "10"),
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
        dry_run = name.endswith("dry_run")
        result = api.recap(team, today, dry_run=dry_run)
        status = "preview" if dry_run else "sent"
        sent = [d for d in result.deliveries if d.status == status]
        assert not result.failed and str(len(sent)) == expect, (name, result.deliveries)
        detail = f"{len(sent)} {status}"
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
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env
    )
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


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
            for name, today, expect in STEPS:  # each with no copy of History kept yet
                cold = {**env, "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="sheetsync-cache-")}
                row[name] = _child(cold, "--step", str(folder), name, today, expect)
                shutil.rmtree(cold["XDG_CACHE_HOME"], ignore_errors=True)
            sent, none = row["recap_10_sent"], row["recap_nothing_due"]
            dry = row["recap_10_dry_run"]
            row["send_day_ratio"] = {  # a recap that sends 10 messages / one with none due
                "cpu": round(sent["cpu_s"] / max(none["cpu_s"], 0.01), 2),
                "s": round(sent["s"] / max(none["s"], 0.01), 2),
            }
            row["record_ratio"] = {  # sending and recording 10 / only building them
                "cpu": round(sent["cpu_s"] / max(dry["cpu_s"], 0.01), 2),
                "s": round(sent["s"] / max(dry["s"], 0.01), 2),
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
    head += ["send/no-send cpu", "send/no-send s", "sent/dry-run cpu", "sent/dry-run s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for r in figures["sizes"]:
        cells = [str(r["years"]), str(r["history_rows"]), str(r["file_mb"])]
        cells += [f"{r[n]['s']} / {r[n]['cpu_s']} / {r[n]['peak_mb']:.0f}" for n, _, _ in STEPS]
        for ratio in (r["send_day_ratio"], r["record_ratio"]):
            cells += [f"{ratio['cpu']}x", f"{ratio['s']}x"]
        print("| " + " | ".join(cells) + " |")


LOCAL_HEAD = (  # (JSON key, column) of the default table
    ("reps", "reps"),
    ("history_rows", "History rows"),
    ("file_mb", "file MB"),
    ("init_s", "init s"),
    ("rollover_s", "rollover s"),
    ("peak_mb", "rollover MB"),
    ("rollover_warm_s", "rollover s, History kept"),
    ("peak_warm_mb", "rollover MB, History kept"),
)
FLOOR_HEAD = (
    ("floor_read_s", "calamine read s"),
    ("floor_read_mb", "calamine MB"),
    ("floor_write_s", "rustpy write s"),
    ("floor_write_mb", "rustpy MB"),
    ("floor_s", "floor s"),
    ("floor_mb", "floor MB"),
    ("ratio_s", "rollover / floor s"),
    ("ratio_warm_s", "History kept / floor s"),
    ("ratio_mb", "rollover / floor MB"),
)
OPENPYXL_HEAD = (
    ("openpyxl_read_s", "openpyxl read s"),
    ("openpyxl_read_mb", "openpyxl read MB"),
    ("openpyxl_write_s", "openpyxl write s"),
    ("openpyxl_write_mb", "openpyxl write MB"),
)


def print_local(figures: dict[str, Any]) -> None:
    rows = figures["sizes"]
    head = [h for h in (*LOCAL_HEAD, *FLOOR_HEAD, *OPENPYXL_HEAD) if h[0] in rows[0]]
    print(
        f"{figures['items_per_rep']} items a page, {figures['history_periods']} periods of "
        "History; MB: a process's peak RSS; each figure from its own process, in this run"
    )
    if figures.get("floor"):
        print(f"floor: {figures['floor']}")
    print("| " + " | ".join(title for _, title in head) + " |")
    print("|" + "---:|" * len(head))
    for r in rows:
        cells = [f"{r[key]}x" if key.startswith("ratio") else str(r[key]) for key, _ in head]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sizes", default="5,25,100,200", help="comma-separated rep counts")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the calamine / rustpy-xlsxwriter floor"
    )
    parser.add_argument(
        "--openpyxl", action="store_true", help="also openpyxl's read_only read, write_only write"
    )
    parser.add_argument(
        "--commands", action="store_true", help="time every command by years of History"
    )
    parser.add_argument("--years", default="1,3,5,10", help="with --commands: years of History")
    parser.add_argument("--reps", type=int, default=10, help="with --commands: reps")
    parser.add_argument("--code", help="with --commands: a checkout whose sheetsync to time")
    # one process's part, as the run above starts it
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--rollover", help=argparse.SUPPRESS)
    parser.add_argument("--read-history", help=argparse.SUPPRESS)
    parser.add_argument("--read-floor", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--dump", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--write-floor", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--setup", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--step", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    part: dict[str, Any] | None = None
    if args.build:
        part = build(Path(args.build[0]), int(args.build[1]))
    elif args.rollover:
        part = rollover_only(Path(args.rollover))
    elif args.read_history:
        part = read_history(Path(args.read_history))
    elif args.read_floor:
        part = read_floor(args.read_floor[0], Path(args.read_floor[1]))
    elif args.dump:
        part = dump_values(Path(args.dump[0]), Path(args.dump[1]))
    elif args.write_floor:
        library, values, out = args.write_floor
        part = write_floor(library, Path(values), Path(out))
    elif args.setup:
        folder, years, reps = args.setup
        part = setup(Path(folder), int(years), int(reps))
    elif args.step:
        folder, name, today, expect = args.step
        part = step(Path(folder), name, today, expect)
    if part is not None:
        print(json.dumps(part))
        return
    if args.commands:
        figures = commands([int(y) for y in args.years.split(",")], args.reps, args.code)
        if args.json:
            print(json.dumps(figures))
        else:
            print_commands(figures)
        return
    floor = not args.no_floor
    skipped = ""
    if floor and (missing := floor_missing()):
        skipped = f"{', '.join(missing)} not installed (pip install -e '.[bench]')"
        print(f"floor skipped: {skipped}", file=sys.stderr)
        floor = False
    rows = [one(int(n), floor, args.openpyxl) for n in args.sizes.split(",")]
    figures = {
        "benchmark": "local",
        "items_per_rep": ITEMS,
        "history_periods": HISTORY_PERIODS,
        "floor": versions("python-calamine", "rustpy-xlsxwriter") if floor else None,
        "floor_skipped": skipped or None,
        "sizes": rows,
    }
    if args.openpyxl:
        figures["openpyxl"] = versions("openpyxl")
    if args.json:
        print(json.dumps(figures))
    else:
        print_local(figures)


if __name__ == "__main__":
    main()

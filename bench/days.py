"""A team's days as the README's cron lines run them, each line its own process.

Issue 16 asks that "a send day for 10 reps" cost at most 1.5x "a no-send day".
``local.py --commands`` compares single commands; this bench compares days. A
day is what cron starts (README, "Run it from cron"), each line as a person's
machine runs it, ``python -m sheetsync`` with the line's time as ``--today``:

    06:00 rollover    06:30 refresh    07:30 agenda    08:00 to 20:00 recap, hourly

on one workbook (``local.py --setup``: 10 reps, N years of monthly History, the
October pages filled in, meetings on the last Friday, 10:00 to 10:45 UTC) over
four days in a row, with one cache folder, as on a server:

- Tue 27 Oct: nothing goes; the first day's refresh finds no copy of History;
- Wed 28 Oct: the agenda day (two days before the meeting): 10 agendas;
- Thu 29 Oct: nothing goes (the no-send day);
- Fri 30 Oct: the meeting day: the 11:00 recap sends 10 recaps.

Each process's CPU seconds (user + system, from ``wait4``), wall seconds and peak
MB; a day's CPU is the sum of its processes'. Mail goes to the outbox folder.
Python writes its bytecode as on a person's machine (``PYTHONDONTWRITEBYTECODE``
is dropped: with it, every process compiles sheetsync's modules again, about
0.15 s of CPU each).

    python bench/days.py                  # 10 reps, 5 years
    python bench/days.py --years 1,5 --json
    python bench/days.py --code /path/to/other/checkout
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CRON = (  # (time, command): the README's cron lines, in the order they run in a day
    ("06:00", "rollover"),
    ("06:30", "refresh"),
    ("07:30", "agenda"),
    *((f"{hour:02d}:00", "recap") for hour in range(8, 21)),
)
DAYS = (  # (date, what the day is)
    ("2026-10-27", "first day"),
    ("2026-10-28", "agenda day"),
    ("2026-10-29", "no-send day"),
    ("2026-10-30", "recap day"),
)


def run(folder: Path, env: dict[str, str], today: str, command: str) -> dict[str, Any]:
    """One cron line: its CPU, wall seconds, peak MB and the messages it sent."""
    out = folder / "line.out"
    args = [sys.executable, "-m", "sheetsync", "--config", "config.yaml", "--today", today]
    t0 = time.perf_counter()
    with out.open("w") as sink:
        child = subprocess.Popen([*args, command], cwd=folder, env=env, stdout=sink, stderr=sink)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own CPU and peak memory
    wall = time.perf_counter() - t0
    child.returncode = code = os.waitstatus_to_exitcode(status)  # reaped: Popen must know
    text = out.read_text()
    if code:
        sys.exit(f"{today} {command} exited {code}:\n{text}")
    return {
        "command": command,
        "today": today,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "s": wall,
        "peak_mb": usage.ru_maxrss / 1024,
        "sent": text.count(" sent via "),
    }


def days(years: int, reps: int, code: str | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if code:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH")) if p)
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-days-"))
    env["XDG_CACHE_HOME"] = str(folder / "cache")  # the server's own, kept day to day
    try:
        setup = [sys.executable, str(HERE / "local.py"), "--setup", str(folder), str(years)]
        done = subprocess.run([*setup, str(reps)], capture_output=True, text=True, env=env)
        if done.returncode:
            sys.exit(f"setup failed:\n{done.stderr}")
        built = json.loads(done.stdout.strip().splitlines()[-1])
        out = []
        for day, what in DAYS:
            lines = [run(folder, env, f"{day}T{at}", command) for at, command in CRON]
            biggest = max(lines, key=lambda line: line["cpu_s"])
            out.append(
                {
                    "day": day,
                    "what": what,
                    "processes": len(lines),
                    "cpu_s": round(sum(line["cpu_s"] for line in lines), 2),
                    "s": round(sum(line["s"] for line in lines), 2),
                    "peak_mb": round(max(line["peak_mb"] for line in lines), 1),
                    "sent": sum(line["sent"] for line in lines),
                    "largest": f"{biggest['command']} {biggest['today'][11:]}",
                    "largest_cpu_s": round(biggest["cpu_s"], 2),
                    "lines": lines,
                }
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    by = {d["what"]: d for d in out}
    none = by["no-send day"]["cpu_s"]
    return {
        "years": years,
        "reps": reps,
        "history_rows": built["history_rows"],
        "days": out,
        "recap_day_ratio": round(by["recap day"]["cpu_s"] / none, 2),
        "agenda_day_ratio": round(by["agenda day"]["cpu_s"] / none, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="5", help="comma-separated years of History")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--code", help="a checkout whose sheetsync to time")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    runs = [days(int(y), args.reps, args.code) for y in args.years.split(",")]
    if args.json:
        print(json.dumps({"benchmark": "days", "runs": runs}))
        return
    print(
        "each day: the README's cron lines, one process each (16); cpu: their CPU "
        "seconds summed; s: their wall seconds summed; MB: the largest process's peak"
    )
    print("| years | History rows | day | sent | cpu s | s | MB | largest process, cpu s |")
    print("|---:|---:|---|---:|---:|---:|---:|---|")
    for r in runs:
        for d in r["days"]:
            cells = [r["years"], r["history_rows"], f"{d['day']} ({d['what']})", d["sent"]]
            cells += [d["cpu_s"], d["s"], d["peak_mb"], f"{d['largest']}, {d['largest_cpu_s']}"]
            print("| " + " | ".join(map(str, cells)) + " |")
    for r in runs:
        print(
            f"{r['years']} years: recap day / no-send day, cpu: {r['recap_day_ratio']}x; "
            f"agenda day / no-send day: {r['agenda_day_ratio']}x"
        )


if __name__ == "__main__":
    main()

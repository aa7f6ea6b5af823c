"""The fault matrix: every command that writes to Google, every request it makes,
every way that request can fail, and a process killed right after it.

Each case starts from the same spreadsheet, makes request k fail (or kills the
process once request k is applied), runs the command again as cron would, and
then compares with a run that had no fault: every tab cell for cell, History's
rows by (period, item id) with none missing and none twice, and the ledger's
messages against the outbox's. ``tests/conftest.py`` prints the matrix at the end
of the run (cases tried, cases held); RELIABILITY.md quotes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.backends import SHEET_ID, GoogleBackend
from tests.fakes.sheets_api import Killed
from tests.test_cli import run
from tests.test_google import FAULTS, google, normalised, with_work

MATRIX: dict[tuple[str, str], list[bool]] = {}  # (command, fault) -> held, per k
STEPS: dict[str, int] = {}  # what the reruns had to do, counted over the matrix


def count(step: str) -> None:
    STEPS[step] = STEPS.get(step, 0) + 1


def summary() -> list[str]:
    """The matrix as printed at the end of the test run."""
    if not MATRIX:
        return []
    faults = list(dict.fromkeys(f for _, f in MATRIX))
    commands = list(dict.fromkeys(c for c, _ in MATRIX))
    tried = sum(len(v) for v in MATRIX.values())
    held = sum(sum(v) for v in MATRIX.values())
    lines = [f"fault matrix (Google, through the fake): {tried} cases tried, {held} held"]
    lines.append(f"{'':10}" + "".join(f"{f:>13}" for f in faults))
    for c in commands:
        cells = [MATRIX.get((c, f), []) for f in faults]
        lines.append(f"{c:10}" + "".join(f"{f'{sum(v)}/{len(v)}':>13}" for v in cells))
    lines.append("reruns: " + ", ".join(f"{v} {k}" for k, v in sorted(STEPS.items())))
    return lines


@dataclass(frozen=True)
class Scenario:
    setup: Callable[[GoogleBackend], None]
    args: tuple[str, ...]  # "{folder}" stands for the team's folder
    today: str

    def argv(self, g: GoogleBackend) -> tuple[str, ...]:
        return tuple(a.format(folder=g.config.parent) for a in self.args)


def _init(g: GoogleBackend) -> None:
    assert run(g.config, "init").exit_code == 0


def _with_work(g: GoogleBackend) -> None:
    _init(g)
    with_work(g)
    g.type_row("Bob", "#wins", ["First logo"])  # a blank page gets no recap: two go


def _moved_on(g: GoogleBackend) -> None:
    """Work typed, then the Globex deal moved a stage: refresh has a stage date to set."""
    _with_work(g)
    g.set_cell("Alice Chen", "Globex", 5, "Proposal")


def _crm_export(g: GoogleBackend) -> None:
    _with_work(g)
    (g.config.parent / "crm.csv").write_text(
        "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Amount,Stage,"
        "Close Date,Last Activity\n"
        "006A,Initech renewal,Initech,Alice Chen,8000,Demo,12/18/2026,2026-10-12\n"
        "006B,Umbrella pilot,Umbrella,Bob Stone,3000,Trial,11/27/2026,2026-10-14\n",
        encoding="utf-8",
    )


SCENARIOS = {
    "init": Scenario(lambda g: None, ("init",), "2026-10-05"),
    "rollover": Scenario(_with_work, ("rollover",), "2026-11-02"),
    "refresh": Scenario(_moved_on, ("refresh",), "2026-10-20"),
    "import": Scenario(_crm_export, ("import", "{folder}/crm.csv"), "2026-10-20"),
    "recap": Scenario(_with_work, ("recap",), "2026-10-31"),  # meetings were on 30 Oct
    "agenda": Scenario(_with_work, ("agenda",), "2026-10-28"),  # two days before
}


def attempt(g: GoogleBackend, s: Scenario) -> Result | None:
    """The command as a process would run it: None when it was killed."""
    try:
        return run(g.config, *s.argv(g), today=s.today)
    except Killed:
        g.fake.revive()
        return None


def age_locks(g: GoogleBackend, by: timedelta) -> int:
    """Time passes: the locks a killed run left grow older. Returns how many."""
    n = 0
    for prot in g.fake.books[SHEET_ID].protected:
        parts = str(prot.get("description", "")).split(" ")
        if parts[:2] == ["sheetsync", "lock"]:
            when = datetime.fromisoformat(parts[3]) - by
            prot["description"] = " ".join([*parts[:3], when.isoformat(), *parts[4:]])
            n += 1
    return n


def outbox(g: GoogleBackend) -> list[tuple[str, str]]:
    """(recipient, subject) of every message in the outbox, repeats kept."""
    out = []
    for path in (g.config.parent / "outbox").glob("*.eml"):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        out.append((str(msg["To"]), str(msg["Subject"])))
    return sorted(out)


def ledger_messages(g: GoogleBackend) -> list[tuple[Any, ...]]:
    """The messages the ledger says went: (kind, rep, period), repeats kept once."""
    rows = [tuple(r[:3]) for r in g.cells("_sheetsync")[1:] if r[0] in ("recap", "agenda")]
    return sorted(set(rows))


def comparable(g: GoogleBackend) -> dict[str, Any]:
    """Every tab; the ledger as a set of rows, without those that only say a message
    was being handed over (a rerun adds its own): a row repeated by a retried append
    counts once (readers ignore repeats), and a message resent later sits lower."""
    state = normalised(g)
    rows: list[Any] = []
    for row in state["_sheetsync"]:
        if ":" not in str(row[0]) and row not in rows:
            rows.append(row)
    state["_sheetsync"] = sorted(rows, key=str)
    return state


def history_keys(g: GoogleBackend) -> list[tuple[Any, ...]]:
    """(period, item id) of every History row: the same item is archived once a period."""
    return [(r[0], r[3]) for r in g.cells("History")[1:]]


def clean_run(folder: Path, s: Scenario) -> tuple[dict[str, Any], int, list[tuple[str, str]]]:
    with google(folder) as g:
        s.setup(g)
        start = len(g.fake.calls)
        res = run(g.config, *s.argv(g), today=s.today)
        assert res.exit_code == 0, res.output
        return comparable(g), len(g.fake.calls) - start, outbox(g)


def one_case(folder: Path, s: Scenario, fault: str, k: int) -> dict[str, Any]:
    """Request k of the command fails; then cron runs it again. Returns the end state
    (and asserts what must hold on the way)."""
    with google(folder) as g:
        s.setup(g)
        at = len(g.fake.calls) + k
        if fault == "killed":
            g.fake.kill_after(at)
        else:
            FAULTS[fault](g.fake, at)
        first = attempt(g, s)
        if first is not None and first.exit_code == 0:
            count("not needed (the fault was retried)")
        else:
            count("needed")
            rerun = attempt(g, s)
            assert rerun is not None
            if age_locks(g, timedelta(0)):  # a dead run's lock: a rerun at once is refused
                assert rerun.exit_code == 1 and "another sheetsync run" in rerun.output
                count("waited for a dead run's lock to go stale")
                age_locks(g, timedelta(minutes=11))  # the next cron run, later
                rerun = attempt(g, s)
                assert rerun is not None
            interrupted = [ln for ln in rerun.output.splitlines() if "may have gone out" in ln]
            if interrupted:  # killed between a message's "sending" row and its outcome
                assert fault == "killed" and s.args[0] in ("recap", "agenda")
                assert rerun.exit_code == 3
                count("named a message that may have gone out, resent by hand")
                for line in interrupted:  # the manager checks the sent mail, then resends
                    rep = line.split(" / ")[1].split(":")[0]
                    again = run(g.config, *s.argv(g), "--rep", rep, "--resend", today=s.today)
                    assert again.exit_code == 0, again.output
            else:
                assert rerun.exit_code == 0, rerun.output
        keys = history_keys(g)
        assert len(keys) == len(set(keys)), "History has a row twice"
        sent, ledger = outbox(g), ledger_messages(g)
        assert len(sent) == len(set(sent)) == len(ledger), "a message twice, or unrecorded"
        assert not [p for p in g.fake.books[SHEET_ID].protected if "lock" in p["description"]]
        return {"state": comparable(g), "sent": sent}


@pytest.mark.parametrize("fault", [*FAULTS, "killed"])
@pytest.mark.parametrize("command", list(SCENARIOS))
def test_fault_matrix(tmp_path: Path, command: str, fault: str, sleeps: list[float]) -> None:
    s = SCENARIOS[command]
    clean, n, clean_sent = clean_run(tmp_path / "clean", s)
    held: list[bool] = []
    MATRIX[(command, fault)] = held
    failures = []
    for k in range(1, n + 1):
        try:
            end = one_case(tmp_path / f"k{k}", s, fault, k)
            assert end["state"] == clean, "the spreadsheet differs from a clean run's"
            assert end["sent"] == clean_sent, "the outbox differs from a clean run's"
            held.append(True)
        except AssertionError as exc:
            held.append(False)
            failures.append(f"request {k}: {exc}")
    assert not failures, "\n".join(failures)


def test_killed_after_the_server_took_a_message_it_is_never_sent_twice(
    tmp_path: Path, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one window the ledger cannot close: the SMTP server has the message, the
    process dies before writing so. The next run does not guess: it names the
    message and sends the others; nobody gets a recap twice."""
    from tests.fakes.smtp_server import PASSWORD, SmtpServer
    from tests.test_mail import use_smtp

    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    server = SmtpServer(tmp_path).start()
    try:
        with google(tmp_path) as g:
            _with_work(g)
            use_smtp(g.config, server)
            server.handler.accepted = lambda n: g.fake.kill() if n == 1 else None
            assert attempt(g, SCENARIOS["recap"]) is None  # killed
            rerun = run(g.config, "recap", today="2026-10-31")
            again = run(g.config, "recap", today="2026-10-31")
    finally:
        server.stop()
    got = [str(r.message["To"]) for r in server.handler.received]
    assert got == ["Alice Chen <alice@example.com>", "Bob Stone <bob@example.com>"]
    for res in (rerun, again):  # said every time until someone looks
        assert res.exit_code == 3, res.output
        assert "Alice Chen: recap 2026-10" in res.output
        assert "a run stopped while sending it" in res.output
        assert "check the sent mail, then send it with --rep 'Alice Chen' --resend" in res.output
    assert "Bob Stone: recap 2026-10 sent via SMTP server" in rerun.output
    assert "Bob Stone: recap 2026-10 skipped: already sent" in again.output

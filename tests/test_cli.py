"""End to end through the CLI on real .xlsx files."""

from __future__ import annotations

import json
import os
import traceback
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sheetsync.cli import cli
from tests.backends import Backend, XlsxBackend
from tests.secrets import leaked


def run(config: Path, *args: str, today: str = "2026-10-05") -> Result:
    """One command through the CLI, with ``--verbose``. Whatever it prints, its
    verbose lines, its traceback if it crashed, and the outbox after it must hold
    none of the secrets the tests made. The verbose lines are then taken out of the
    result, so that tests read what a user sees without the flag."""
    argv = ["--config", str(config), "--today", today, "--verbose", *args]
    res = CliRunner().invoke(cli, argv)
    trace = ""
    if res.exc_info is not None and not isinstance(res.exception, SystemExit):
        trace = "".join(traceback.format_exception(*res.exc_info))
    assert not leaked(res.output + trace), f"a secret in the output of {args}"
    for eml in (config.parent / "outbox").rglob("*.eml"):
        assert not leaked(eml.read_text(errors="replace")), f"a secret in {eml}"

    def quiet(data: bytes) -> bytes:
        return b"".join(
            line for line in data.splitlines(keepends=True) if not line.startswith(b"sheetsync: ")
        )

    res.stderr_bytes = quiet(res.stderr_bytes)
    res.output_bytes = quiet(res.output_bytes)
    return res


def test_init_creates_every_tab_and_never_touches_existing(backend: Backend) -> None:
    res = run(backend.config, "init")
    assert res.exit_code == 0, res.output
    ours = ["Team", "Alice Chen", "Bob", "History", "_sheetsync", "_stages"]  # Team, reps, History
    assert [t for t in backend.tabs() if t != "Sheet1"] == ours
    assert backend.hidden("_sheetsync") and not backend.hidden("Alice Chen")
    backend.set_cell("Alice Chen", "Personal goal", 3, "Make club")
    res = run(backend.config, "init")
    assert "nothing to do" in res.output
    assert ("Personal goal", "Make club") in [r[1:3] for r in backend.cells("Alice Chen")]


def test_new_local_workbook_is_readable_by_its_owner_only(config_file: Path) -> None:
    assert run(config_file, "init").exit_code == 0
    assert oct((config_file.parent / "team.xlsx").stat().st_mode & 0o777) == "0o600"


def test_rollover_carries_archives_and_is_idempotent(backend: Backend) -> None:
    assert run(backend.config, "init").exit_code == 0
    backend.type_row(
        "Alice Chen",
        "#new_opportunities",
        ["Globex expansion", "Globex", "$12,500", "Demo", "11/27/2026"],
    )
    backend.type_row(
        "Alice Chen",
        "#existing_opportunities",
        ["Initech deal", "Initech", "40k", "Closed won", "2026-10-20"],
    )
    backend.type_row("Alice Chen", "#actions", ["Call the CFO", "Rep", "2026-10-10", "", "Open"])
    backend.type_row("Alice Chen", "#wins", ['=HYPERLINK("x")'])
    dry = run(backend.config, "rollover", "--dry-run", today="2026-11-02")
    assert dry.exit_code == 0, dry.output
    assert "would roll 2026-10 -> 2026-11: 1 stay, 1 move, 2 archived" in dry.output
    assert "move     New opportunities: Globex expansion" in dry.output
    assert backend.cells("Alice Chen")[3][2] == "2026-10"  # dry run wrote nothing

    res = run(backend.config, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    page = backend.cells("Alice Chen")
    assert page[3][2] == "2026-11"
    deals = [r for r in page if r[1:2] == ("Globex expansion",)]
    # the row moved to Existing opportunities with what Alice typed, as she typed it
    assert len(deals) == 1 and deals[0][3] == "$12,500" and deals[0][8] == "2026-10"
    assert deals[0][5] == "11/27/2026"
    action = next(r for r in page if r[1:2] == ("Call the CFO",))
    assert action[6:8] == ("2026-10", 1)
    assert not [r for r in page if r[1:2] == ("Initech deal",)]
    history = backend.cells("History")
    assert history[0][:5] == ("period", "rep", "section", "id", "outcome")
    outcomes = {(r[2], r[4]) for r in history[1:]}
    assert ("existing_opportunities", "closed") in outcomes
    assert ("new_opportunities", "moved") in outcomes
    assert len(history) == 5
    assert all(r[3] for r in history[1:])  # every archived row has its id
    wins = [r for r in history if r[2] == "wins"]
    assert wins and '=HYPERLINK("x")' in wins[0]  # a person's formula is kept as one
    moved = next(r for r in history if r[4] == "moved")  # and History has it read
    assert moved[history[0].index("amount")] == 12500
    assert moved[history[0].index("close_date")] == date(2026, 11, 27)  # a real date

    before = backend.state()
    again = run(backend.config, "rollover", today="2026-11-20")
    assert again.exit_code == 0
    assert "nothing to do for 2026-11" in again.output
    assert backend.state() == before


def test_missed_periods_roll_straight_to_the_current_one(backend: Backend) -> None:
    run(backend.config, "init", today="2026-08-03")
    backend.type_row("Bob", "#actions", ["Fix pipeline", "Rep", "", "", "Open"])
    res = run(backend.config, "rollover", today="2026-11-02")
    assert "rolled 2026-08 -> 2026-11" in res.output
    page = backend.cells("Bob")
    assert next(r for r in page if r[1:2] == ("Fix pipeline",))[6:8] == ("2026-08", 1)
    ledger = backend.cells("_sheetsync")
    assert [r[2] for r in ledger if r[0] == "rolled"] == ["2026-11", "2026-11"]


def test_damaged_tab_stops_only_that_rep(backend: Backend) -> None:
    run(backend.config, "init")
    row = backend.find("Bob", "#kpis")
    backend.delete_row("Bob", row + 1)
    res = run(backend.config, "rollover", today="2026-11-02")
    assert res.exit_code == 3
    assert f"Error: tab 'Bob' A{row + 1}: header row of section 'KPIs' is missing" in res.output
    assert "Alice Chen: rolled 2026-10 -> 2026-11" in res.output
    assert backend.cells("Bob")[3][2] == "2026-10"


def test_renamed_tab_is_an_error_but_a_new_rep_gets_a_page(backend: Backend) -> None:
    run(backend.config, "init")
    backend.rename("Bob", "Robert")
    text = backend.config.read_text().replace(
        "tab: Bob}", "tab: Bob}\n      - {name: Cy Young, email: cy@example.com}"
    )
    backend.config.write_text(text)
    res = run(backend.config, "rollover", today="2026-11-02")
    assert res.exit_code == 3
    assert "tab 'Bob' A1: the tab of rep 'Bob Stone' is missing" in res.output
    assert "Cy Young: new page for 2026-11" in res.output
    assert "Cy Young" in backend.tabs()


def test_status_table_and_json(backend: Backend) -> None:
    run(backend.config, "init")
    backend.type_row(
        "Alice Chen",
        "#existing_opportunities",
        ["Deal", "Acme", "$20,000", "Trial", "2026-12-01"],
    )
    res = run(backend.config, "status", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)[0]
    alice = data["reps"][0]
    assert (alice["rep"], alice["open_deals"], alice["pipeline"]) == ("Alice Chen", 1, 20000.0)
    table = run(backend.config, "status").output
    assert "$20,000" in table and "Alice Chen" in table
    backend.type_row(
        "Alice Chen", "#existing_opportunities", ["Other", "Beta", "1k", "Demo", "soon"]
    )
    warned = run(backend.config, "status")
    assert warned.exit_code == 0
    assert "Warning: tab 'Alice Chen' F" in warned.output
    assert (
        "'soon'" not in warned.output
        and "not a date (try 2026-11-27); kept as typed" in warned.output
    )


def test_workbook_open_in_libreoffice_is_refused(config_file: Path) -> None:
    run(config_file, "init")
    lock = config_file.parent / ".~lock.team.xlsx#"
    lock.write_text("someone")  # not LibreOffice's format: who holds it is unknown
    before = (config_file.parent / "team.xlsx").read_bytes()
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 1
    assert "team.xlsx is open in Excel or LibreOffice since " in res.output
    assert res.output.strip().endswith("nothing was written: ask them to close it, then run again")
    assert res.output.count("\n") == 1
    assert (config_file.parent / "team.xlsx").read_bytes() == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("cadence: monthly", "cadense: monthly"), ":4: unknown key 'cadense'"),
        (lambda t: t.replace("cadence: monthly", "cadence: yearly"), ":4: unknown cadence"),
        (lambda t: t.replace("dana@example.com", "dana@"), ":3: 'dana@' is not an email"),
        (lambda t: t.replace("Bob Stone", "Alice Chen"), ":10: duplicate rep name 'Alice Chen'"),
        (lambda t: t.replace("timezone: UTC", "timezone: Mars/Base"), ":6: unknown timezone"),
        (lambda t: t + "    password: hunter2\n", "secrets never go in the config"),
        (lambda t: t.replace("reps:", "reps: [", 1), "config.yaml:"),
    ],
)
def test_config_errors_are_one_line_with_file_and_line(config_file: Path, edit, message) -> None:  # type: ignore[no-untyped-def]
    config_file.write_text(edit(config_file.read_text()))
    res = run(config_file, "init")
    assert res.exit_code == 1
    assert res.output.startswith("Error: ") and res.output.count("\n") == 1
    assert message in res.output
    assert "hunter2" not in res.output
    assert not (config_file.parent / "team.xlsx").exists()


def test_missing_config_file(tmp_path: Path) -> None:
    res = run(tmp_path / "nope.yaml", "status")
    assert res.exit_code == 1
    assert res.output == f"Error: {tmp_path / 'nope.yaml'}: file not found\n"


def test_demo_builds_a_team_the_other_commands_accept(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["--today", "2026-11-22", "demo", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    config = tmp_path / "d" / "config.yaml"
    status = run(config, "status", "--json", today="2026-11-22")
    reps = json.loads(status.output)[0]["reps"]
    assert len(reps) == 5 and all(r["period"] == "2026-11" for r in reps)
    assert all(r["open_deals"] >= 5 and r["open_actions"] >= 1 for r in reps)
    demo = XlsxBackend(tmp_path / "d")
    history = demo.cells("History")
    periods = {r[0] for r in history[1:]}
    assert periods == {"2026-09", "2026-10"}
    close = history[0].index("close_date")
    northwind = [r for r in history if "Northwind renewal" in r and r[1] == "Alice Chen"]
    assert len({r[close] for r in northwind}) == 2  # close date moved between the two periods
    page = demo.cells("Alice Chen")
    now = next(r for r in page if r[1:2] == ("Northwind renewal",))[5]
    assert now.isoformat()[:10] > max(r[close] for r in northwind).isoformat()  # moved again
    again = run(config, "rollover", today="2026-11-22")
    assert "nothing to do for 2026-11" in again.output


def test_workbook_saved_by_libreoffice_still_parses(config_file: Path, tmp_path: Path) -> None:
    soffice = next(
        (p for p in ("/usr/bin/soffice", "/usr/bin/libreoffice") if os.path.exists(p)), None
    )
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc)")
    import subprocess

    xb = XlsxBackend(config_file.parent)
    book = xb.path
    run(config_file, "init", today="2026-09-05")
    xb.type_row("Alice Chen", "#wins", ['Won <Acme> & "friends"'])
    assert run(config_file, "rollover", today="2026-10-05").exit_code == 0
    deal_row = ["Deal", "Acme", "$20,000", "Trial", "2026-12-01"]
    xb.type_row("Alice Chen", "#existing_opportunities", deal_row)
    history_before = xb.cells("History")
    assert history_before[1][:3] == ("2026-09", "Alice Chen", "wins")
    assert 'Won <Acme> & "friends"' in history_before[1]
    out = tmp_path / "lo"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (out / "team.xlsx").replace(book)
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    history = xb.cells("History")
    assert history[: len(history_before)] == history_before  # LibreOffice's rows kept
    assert [r[0] for r in history[len(history_before) :]] == ["2026-10"]
    deal = next(r for r in xb.cells("Alice Chen") if r[1:2] == ("Deal",))
    assert deal[3] == "$20,000" and deal[5] == "2026-12-01"  # as typed
    carried = next(r for r in xb.cells("History") if "Deal" in r)
    assert carried[list(history[0]).index("amount")] == 20000  # as read


def test_demo_never_overwrites_a_workbook_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "team.xlsx").write_bytes(b"someone's real workbook")
    res = CliRunner().invoke(cli, ["demo", str(tmp_path)])
    assert res.exit_code == 1
    assert "that the demo did not make; pick an empty folder" in res.output
    assert (tmp_path / "team.xlsx").read_bytes() == b"someone's real workbook"


def test_column_widths_a_person_set_survive_a_local_rollover(config_file: Path) -> None:
    from openpyxl import load_workbook

    run(config_file, "init")
    book = config_file.parent / "team.xlsx"
    wb = load_workbook(book)
    wb["Alice Chen"].column_dimensions["B"].width = 61
    wb.save(book)
    assert run(config_file, "rollover", today="2026-11-02").exit_code == 0
    assert load_workbook(book)["Alice Chen"].column_dimensions["B"].width == 61


def test_refresh_writes_the_signals_to_the_team_tab(backend: Backend) -> None:
    run(backend.config, "init", today="2026-09-03")
    backend.type_row(
        "Alice Chen",
        "#existing_opportunities",
        ["Globex", "Globex", 40000, "Demo", date(2026, 9, 30), date(2026, 9, 1)],
    )
    run(backend.config, "rollover", today="2026-10-02")
    row = backend.find("Alice Chen", "Globex")
    backend.write("Alice Chen", row, 6, date(2026, 10, 30))  # pushed once
    run(backend.config, "rollover", today="2026-11-02")
    row = backend.find("Alice Chen", "Globex")
    backend.write("Alice Chen", row, 6, date(2026, 12, 18))  # and twice
    res = run(backend.config, "refresh", today="2026-11-20")
    assert res.exit_code == 0, res.output
    assert (
        "Alice Chen: pipeline $40,000, coverage 0.4x (below 3x), stalled 1, pushed 1, slow 1"
        in res.output
    )
    assert "Note: fewer than 3 won deals went through Demo" in res.output
    team = backend.cells("Team")
    header = list(team[0])
    alice = dict(zip(header, team[1], strict=False))
    assert (alice["Pipeline"], alice["Quota"], alice["Coverage"]) == (40000, 100000, 0.4)
    assert (alice["Stalled"], alice["Pushed"], alice["Slow"]) == (1, 1, 1)
    globex = backend.deals("Alice Chen")["Globex"]
    assert globex["Signal"].startswith("stalled (80 days idle); pushed 2× (+79 days); slow in Demo")
    assert globex["Stage since"] == date(2026, 9, 1)  # first seen in Demo in September
    row = backend.find("Alice Chen", "Globex")
    backend.write("Alice Chen", row, 5, "Trial")  # the deal moves on
    run(backend.config, "refresh", today="2026-11-21")
    page = backend.cells("Alice Chen")
    globex = backend.deals("Alice Chen")["Globex"]
    assert globex["Stage since"] == date(2026, 11, 21)
    assert "slow" not in globex["Signal"]
    talk = next(r for r in page if r[1:2] == ("To talk about",))
    assert talk[2].startswith("Globex: stalled")
    again = run(backend.config, "status", today="2026-11-20")
    assert again.exit_code == 0 and "Warning" not in again.output  # the page still reads
    assert backend.charts("Team") == ["Pipeline and coverage per rep"]
    run(backend.config, "refresh", today="2026-11-21")
    assert backend.charts("Team") == ["Pipeline and coverage per rep"]  # replaced, not added
    # the signal colours are conditional formats: they follow the text, and a rewrite
    # replaces them rather than adding more
    assert sorted(backend.highlights("Alice Chen")) == sorted(["stalled", "slow", "pushed"] * 2)


def test_a_page_made_before_the_signal_column_still_reads_and_gets_it(backend: Backend) -> None:
    run(backend.config, "init", today="2026-10-05")
    for marker in ("#new_opportunities", "#existing_opportunities"):
        header = backend.find("Alice Chen", marker) + 1
        col = backend.cells("Alice Chen")[header - 1].index("Signal") + 1
        backend.write("Alice Chen", header, col, None)  # as an older template made it
    res = run(backend.config, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    header = backend.find("Alice Chen", "#existing_opportunities") + 1
    assert "Signal" in backend.cells("Alice Chen")[header - 1]


def test_report_is_one_html_file_with_a_chart_per_trend(tmp_path: Path) -> None:
    from html.parser import HTMLParser

    res = CliRunner().invoke(cli, ["--today", "2026-11-22", "demo", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    config = tmp_path / "d" / "config.yaml"
    out = tmp_path / "team.html"
    out.write_text("an older report, left readable")
    out.chmod(0o644)
    res = run(config, "report", "--out", str(out), today="2026-11-22")
    assert res.exit_code == 0, res.output
    assert "report of 5 reps over 3 periods" in res.output
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # managers' notes: owner only
    html = out.read_text(encoding="utf-8")

    class Count(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: dict[str, int] = {}

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags[tag] = self.tags.get(tag, 0) + 1

    counter = Count()
    counter.feed(html)
    assert counter.tags["svg"] == 4 and counter.tags["polyline"] >= 5
    assert "<script" not in html and "http" not in html.split("from", 1)[0]
    assert "pushed 2× (+91 days)" in html  # Northwind renewal: the demo pushes it twice
    assert "Won against lost" in html and "Median days, won deals" in html
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_the_demo_shows_the_signals_it_was_built_to_contain(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["--today", "2026-11-22", "demo", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    demo = XlsxBackend(tmp_path / "d")
    team = demo.cells("Team")
    rows = [dict(zip(team[0], r, strict=False)) for r in team[1:]]
    assert len(rows) == 5 and all(r["Pushed"] == 1 for r in rows)  # Northwind renewal
    assert all(r["Stalled"] >= 1 for r in rows)  # Globex expansion, at least
    assert demo.charts("Team") == ["Pipeline and coverage per rep"]
    page = demo.cells("Alice Chen")
    deals = demo.deals("Alice Chen")
    assert "pushed 2× (+91 days)" in deals["Northwind renewal"]["Signal"]
    assert deals["Globex expansion"]["Signal"].startswith("stalled (107 days idle)")
    first = demo.find("Alice Chen", "To talk about") - 1
    talk = [r[2] for r in page[first : first + 5] if len(r) > 2 and r[2]]
    assert talk[0].startswith("Northwind renewal: pushed 2×")  # urgent, biggest first
    assert any(t.startswith("Globex expansion: stalled") for t in talk)
    config = tmp_path / "d" / "config.yaml"
    recap = run(config, "recap", "--rep", "Alice Chen", today="2026-11-28")
    assert recap.exit_code == 0, recap.output
    (path,) = [p for p in (tmp_path / "d" / "outbox").glob("1-1-recap-alice-chen-november*.eml")]
    from email import message_from_bytes, policy

    text = message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",))
    content = text.get_content()
    assert (
        "Northwind renewal" in content
        and "close date pushed again (2× in all, +91 days)" in content
    )
    assert "Globex expansion" in content and "stalled (113 days idle)" in content


def test_the_secret_check_catches_a_leak_and_a_secret_in_the_config_is_not_echoed(
    config_file: Path,
) -> None:
    from tests.fakes.smtp_server import PASSWORD
    from tests.secrets import remember

    assert leaked(f"Error: login failed with {PASSWORD}") == [PASSWORD]
    assert leaked("Error: nothing secret here") == []
    token = remember("smtp-password-typed-into-the-config-0042")
    config_file.write_text(
        config_file.read_text().replace(
            "    reps:\n", f"    mail: {{smtp: {{host: x, password: {token}}}}}\n    reps:\n", 1
        )
    )
    res = run(config_file, "recap")  # run() fails the test if the token shows
    assert res.exit_code == 1 and "password" in res.output


def test_a_deal_carried_many_times_counts_every_carry(backend: Backend) -> None:
    """Deal sections have no Carried column; the count is kept through History
    (found by the many-periods property test: it used to stop at 1)."""
    assert run(backend.config, "init").exit_code == 0
    backend.type_row("Alice Chen", "#new_opportunities", ["Globex", "Globex", 5000, "Demo"])
    for today in ("2026-11-02", "2026-12-01", "2027-02-01"):  # January missed
        assert run(backend.config, "rollover", today=today).exit_code == 0
    globex = [r for r in backend.cells("History")[1:] if "Globex" in r]
    assert [(r[0], r[2], r[4], r[6]) for r in globex] == [
        ("2026-10", "new_opportunities", "moved", 0),
        ("2026-11", "existing_opportunities", "carried", 1),
        ("2026-12", "existing_opportunities", "carried", 2),
    ]


def test_a_page_rollover_leaves_as_it_is_still_counts_its_typed_deals(backend: Backend) -> None:
    """Bob's page is already in November when Alice's rolls: the deal Bob typed (no
    id yet, as the page was not rewritten since) counts on the Team tab."""
    run(backend.config, "init", today="2026-10-05")
    backend.set_cell("Alice Chen", "Period", 3, None)  # broken: only Bob rolls
    assert run(backend.config, "rollover", today="2026-11-02").exit_code == 3
    backend.type_row(
        "Bob", "#new_opportunities", ["Stark", "Stark", 9000, "Demo", "", date(2026, 9, 1)]
    )
    backend.set_cell("Alice Chen", "Period", 3, "2026-10")  # fixed
    res = run(backend.config, "rollover", today="2026-11-03")
    assert res.exit_code == 0, res.output
    assert "Alice Chen: rolled 2026-10 -> 2026-11" in res.output
    team = backend.cells("Team")
    bob = dict(zip(team[0], next(r for r in team if r[0] == "Bob Stone"), strict=False))
    assert bob["Stalled"] == 1, bob

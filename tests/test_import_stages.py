"""sheetsync import and the stage log (issue 15): the dates a CRM export gives of
each deal's changes of stage, written from the vendors' documented column names.

HubSpot: a deals export with the stage calculated properties "Date entered" and
"Date exited" of each stage, labelled ``Date entered "<stage> (<pipeline>)"``
(https://knowledge.hubspot.com/properties/stage-calculated-properties), a CSV
header cell quoting its quotes. Salesforce: an "Opportunity History" report export,
one row per change (From Stage, To Stage, Last Modified; OpportunityHistory in the
object reference)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from sheetsync.adapters.registry import open_workbook
from sheetsync.commands.deal_health import history_table, team_signals
from sheetsync.commands.import_deals import CsvProblems, read_crm_file, stage_ranks, stage_reader
from sheetsync.commands.import_stages import (
    HUBSPOT,
    CrmHistory,
    HubSpotDates,
    changes,
    read_moment,
)
from sheetsync.commands.team_tab import stage_log
from sheetsync.commands.workbook import load_pages
from sheetsync.config import Team, load_config
from sheetsync.domain.signals import DealSignal
from sheetsync.domain.stage_log import STAGE_LOG_HEADER, STAGE_LOG_TAB
from sheetsync.domain.values import read_date
from tests.backends import Backend, XlsxBackend
from tests.test_cli import run

HUBSPOT_CONFIG = "    crm: {preset: hubspot}\n"


def entered(stage: str) -> str:
    """A HubSpot "Date entered" column header as a CSV export writes it."""
    return f'"Date entered ""{stage} (Sales Pipeline)"""'


def exited(stage: str) -> str:
    return f'"Date exited ""{stage} (Sales Pipeline)"""'


HUBSPOT_HEADER = ",".join(
    [
        "Record ID,Deal Name,Associated Company,Deal owner,Amount,Deal Stage,Close Date",
        entered("Appointment Scheduled"),
        exited("Appointment Scheduled"),
        entered("Presentation Scheduled"),
        exited("Presentation Scheduled"),
        entered("Contract Sent"),
        exited("Contract Sent"),
        entered("Closed Won"),
    ]
)
# the Opportunity History report: the opportunity's fields, then the change's
SALESFORCE_HISTORY = (
    "Opportunity Owner,Opportunity Name,Opportunity ID,From Stage,To Stage,Amount,"
    "Close Date,Last Modified By,Last Modified\n"
)


def with_crm(backend: Backend, lines: str) -> None:
    text = backend.config.read_text(encoding="utf-8")
    backend.config.write_text(text.replace("    reps:\n", lines + "    reps:\n", 1))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def stage_rows(backend: Backend) -> list[dict[str, object]]:
    """``_stages`` as {column: value} per row, without "at" (when it was written);
    "on" as a date (a local workbook's appended rows hold it as text)."""
    grid = backend.cells(STAGE_LOG_TAB)
    assert tuple(grid[0][: len(STAGE_LOG_HEADER)]) == STAGE_LOG_HEADER
    out = []
    for row in grid[1:]:
        fields = {k: v for k, v in zip(STAGE_LOG_HEADER, row, strict=False) if k != "at"}
        fields["on"] = read_date(fields["on"])
        out.append(fields)
    return out


def signals_by_deal(team: Team, today: date) -> dict[str, DealSignal]:
    """The deals' signals as refresh would compute them from the workbook."""
    with open_workbook(team.workbook) as wb:
        snap, pages, errors = load_pages(team, wb, ("History", STAGE_LOG_TAB))
    assert not errors
    history = history_table(team, snap)
    log = stage_log(team, snap, history, pages, today)
    return {d.label: d for d in team_signals(team, history, pages, today, log).deals}


def test_hubspot_date_entered_columns_date_the_changes_and_win(backend: Backend) -> None:
    with_crm(backend, HUBSPOT_CONFIG)
    assert run(backend.config, "init", today="2026-10-05").exit_code == 0
    backend.type_row("Alice Chen", "#existing_opportunities", ["Globex", "Globex", 12000, "Demo"])
    assert run(backend.config, "refresh", today="2026-10-20").exit_code == 0
    (ours,) = stage_rows(backend)  # sheetsync saw Globex in Demo on the 20th
    assert (ours["to"], ours["on"], ours["source"]) == ("Demo", date(2026, 10, 20), "sheetsync")
    globex_id = ours["id"]
    path = write(
        backend.config.parent,
        "hubspot.csv",
        HUBSPOT_HEADER + "\n"
        # typed before the first import: matched by name and account, linked
        "901,Globex,Globex,Alice Chen,12000,Presentation Scheduled,2026-12-18,"
        "2026-09-01 09:30,2026-09-14 16:00,2026-09-14 16:00,,,,\n"
        "902,Initech,Initech,bob@example.com,5000,Closed Won,2026-10-01,"
        "2026-08-03 10:00,2026-08-10 11:00,2026-08-10 11:00,2026-09-01 08:00,"
        "2026-09-01 08:00,2026-10-01 12:15,2026-10-01 12:15\n",
    )
    res = run(backend.config, "import", str(path), today="2026-11-02")
    assert res.exit_code == 0, res.output
    assert "West: took 6 stage changes from hubspot.csv (HubSpot's dates) into the stage log" in (
        res.output
    )
    crm = [
        (r["id"], r["from"], r["to"], r["on"], r["rep"])
        for r in stage_rows(backend)
        if r["source"] == HUBSPOT
    ]
    assert crm == [
        (globex_id, None, "Qualify", date(2026, 9, 1), "Alice Chen"),  # Appointment Scheduled
        (globex_id, "Qualify", "Demo", date(2026, 9, 14), "Alice Chen"),  # Presentation S.
        ("902", None, "Qualify", date(2026, 8, 3), "Bob Stone"),
        ("902", "Qualify", "Demo", date(2026, 8, 10), "Bob Stone"),
        ("902", "Demo", "Negotiation", date(2026, 9, 1), "Bob Stone"),  # Contract Sent
        ("902", "Negotiation", "Closed won", date(2026, 10, 1), "Bob Stone"),
    ]
    # the CRM's entry into Demo wins over the day sheetsync saw it
    team = load_config(backend.config).teams[0]
    globex = signals_by_deal(team, date(2026, 11, 2))["Globex"]
    assert globex.stage_began == date(2026, 9, 14) and globex.began_exact
    assert globex.days_in_stage == (date(2026, 11, 2) - date(2026, 9, 14)).days  # 49, not 13
    before = backend.cells(STAGE_LOG_TAB)
    again = run(backend.config, "import", str(path), today="2026-11-03")
    assert again.exit_code == 0, again.output
    assert "took 0 stage changes from hubspot.csv (HubSpot's dates) into the stage log; " in (
        again.output
    )
    assert "6 already recorded" in again.output and "nothing to change" in again.output
    assert backend.cells(STAGE_LOG_TAB) == before


def sf_team(tmp_path: Path) -> XlsxBackend:
    """Alice's Globex and Hooli, imported from Salesforce; Hooli typed first (and
    given an id by a refresh: the import links the CRM's id to it), won and filed
    in History by the November rollover."""
    backend = XlsxBackend(tmp_path)
    assert run(backend.config, "init", today="2026-10-05").exit_code == 0
    backend.type_row("Alice Chen", "#existing_opportunities", ["Hooli", "Hooli", 9000, "Trial"])
    assert run(backend.config, "refresh", today="2026-10-06").exit_code == 0
    deals = write(
        tmp_path,
        "deals.csv",
        "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Amount,Stage,"
        "Close Date,Last Activity\n"
        "006A,Globex,Globex,Alice Chen,12500,Proposal/Price Quote,12/18/2026,\n"
        "006C,Hooli,Hooli,Alice Chen,9000,Closed Won,10/28/2026,\n",
    )
    res = run(backend.config, "import", str(deals), today="2026-10-07")
    assert res.exit_code == 0, res.output
    assert "took" not in res.output  # a Salesforce deals export dates no change of stage
    # Globex first seen, Hooli won: both seen on the pages as the import leaves them
    assert "West: 2 changes of stage seen on the pages recorded in the stage log" in res.output
    assert run(backend.config, "rollover", today="2026-11-02").exit_code == 0
    assert not [r for r in backend.cells("Alice Chen") if "Hooli" in r]  # in History now
    return backend


def test_a_salesforce_stage_history_dates_known_deals_and_counts_the_others(
    tmp_path: Path,
) -> None:
    backend = sf_team(tmp_path)
    hooli = next(r for r in stage_rows(backend) if r["deal"] == "Hooli")["id"]
    assert hooli != "006C"  # its page id, which the crm link row names
    history = write(
        tmp_path,
        "history.csv",
        SALESFORCE_HISTORY
        + "Alice Chen,Globex,006A,,Prospecting,10000,12/18/2026,Alice Chen,9/2/2026 9:15 AM\n"
        + "Alice Chen,Globex,006A,Prospecting,Prospecting,12500,12/18/2026,Alice Chen,"
        "9/3/2026 2:00 PM\n"  # the amount changed, not the stage
         + "Alice Chen,Globex,006A,Prospecting,Proposal/Price Quote,12500,12/18/2026,"
        "Alice Chen,9/20/2026 4:40 PM\n"
        + "Alice Chen,Hooli,006C,,Qualification,9000,10/28/2026,Alice Chen,8/1/2026\n"
        + "Alice Chen,Hooli,006C,Qualification,Perception Analysis,9000,10/28/2026,"
        "Alice Chen,8/20/2026\n"
        + "Alice Chen,Hooli,006C,Perception Analysis,Closed Won,9000,10/28/2026,"
        "Alice Chen,10/28/2026 11:00 AM\n"
        # long closed, never on a page: left out and counted
        + "Yan Yu,Old deal,006Z,,Closed Lost,1000,1/5/2025,Yan Yu,1/5/2025\n"
        + "Total,,,,,,,,\n",  # a report's summary line
    )
    before = backend.cells(STAGE_LOG_TAB)
    dry = run(backend.config, "import", str(history), "--dry-run", today="2026-11-03")
    assert dry.exit_code == 0, dry.output
    assert "would take 5 stage changes from history.csv (Salesforce's dates)" in dry.output
    assert dry.output.splitlines()[-1] == "West: dry run, nothing written"
    assert backend.cells(STAGE_LOG_TAB) == before
    res = run(backend.config, "import", str(history), today="2026-11-03")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == [
        "West: took 5 stage changes from history.csv (Salesforce's dates) into the stage log",
        "West: 1 deal in history.csv left out of the stage log: on no page, not in History "
        "and not linked to a row (006Z); import the deals export first, then this file again",
    ]
    crm = [
        (r["id"], r["from"], r["to"], r["on"], r["rep"], r["deal"])
        for r in stage_rows(backend)
        if r["source"] == "salesforce"
    ]
    assert crm == [
        ("006A", None, "Qualify", date(2026, 9, 2), "Alice Chen", "Globex"),
        ("006A", "Qualify", "Proposal", date(2026, 9, 20), "Alice Chen", "Globex"),
        (hooli, None, "Qualify", date(2026, 8, 1), "Alice Chen", "Hooli"),
        (hooli, "Qualify", "Trial", date(2026, 8, 20), "Alice Chen", "Hooli"),
        (hooli, "Trial", "Closed won", date(2026, 10, 28), "Alice Chen", "Hooli"),
    ]
    team = load_config(backend.config).teams[0]
    globex = signals_by_deal(team, date(2026, 11, 3))["Globex"]
    assert globex.stage == "Proposal" and globex.stage_began == date(2026, 9, 20)  # not 7 Oct
    assert globex.days_in_stage == 44
    again = run(backend.config, "import", str(history), today="2026-11-04")
    assert "took 0 stage changes" in again.output and "5 already recorded" in again.output
    assert len(backend.cells(STAGE_LOG_TAB)) == len(before) + 5


def test_a_bad_date_names_its_file_row_and_column_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    backend = XlsxBackend(tmp_path)
    with_crm(backend, HUBSPOT_CONFIG)
    assert run(backend.config, "init", today="2026-10-05").exit_code == 0
    state = backend.state()
    hub = write(
        tmp_path,
        "hubspot.csv",
        HUBSPOT_HEADER + "\n901,Globex,Globex,Alice Chen,1,Closed Won,,2026-09-01,,someday,,,,\n",
    )
    res = run(backend.config, "import", str(hub), today="2026-11-02")
    assert res.exit_code == 1
    assert res.output.splitlines() == [
        'Error: hubspot.csv row 2: Date entered "Presentation Scheduled (Sales Pipeline)": '
        "not a date (try 2026-11-27); nothing was imported"
    ]
    sf = write(
        tmp_path,
        "history.csv",
        SALESFORCE_HISTORY
        + "Alice Chen,Globex,006A,,Prospecting,1,,Alice Chen,9/2/2026 9:15 AM\n"
        + "Alice Chen,Globex,006A,Prospecting,Haggling,1,,Alice Chen,9/3/2026\n"
        + "Alice Chen,Globex,006A,Prospecting,Closed Won,1,,Alice Chen,13/31/2026 9:15 AM\n",
    )
    res = run(backend.config, "import", str(sf), today="2026-11-02")
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0].startswith("Error: history.csv row 3: To Stage: stage 'Haggling' is not one")
    assert lines[1].startswith("Error: history.csv row 4: Last Modified: '13/31/2026 9:15 AM' is")
    assert lines[2] == f"{sf}: 2 problems; nothing was imported"
    assert backend.state() == state


def test_dates_read_as_a_crm_writes_them_and_entries_in_order(tmp_path: Path) -> None:
    assert read_moment("2026-03-04 10:15") == datetime(2026, 3, 4, 10, 15)
    assert read_moment("3/4/2026 10:15 PM") == datetime(2026, 3, 4, 22, 15)
    assert read_moment("4/3/2026, 12:05 am", day_first=True) == datetime(2026, 3, 4, 0, 5)
    assert read_moment("2026-03-04T10:15:00.000Z") == datetime(2026, 3, 4, 10, 15)
    assert read_moment("04.03.2026 10:15") == datetime(2026, 3, 4, 10, 15)
    assert read_moment("Mar 4, 2026") == datetime(2026, 3, 4)
    with pytest.raises(ValueError, match="time of day"):
        read_moment("2026-03-04 25:00")
    backend = XlsxBackend(tmp_path)
    with_crm(backend, "    template: weekly\n" + HUBSPOT_CONFIG)
    team = load_config(backend.config).teams[0]
    # quoted, single-quoted or bare labels; a pipeline this team does not use is
    # no problem while its cells are blank
    header = [
        "Record ID",
        'Date entered "Qualified To Buy (Sales Pipeline)"',
        "Date entered 'Appointment Scheduled (Sales Pipeline)'",
        "Date entered Presentation Scheduled (Sales Pipeline)",
        'Date entered "Renewal Call (Renewals Pipeline)"',
    ]
    dates = HubSpotDates(header, stage_reader(team, HUBSPOT), stage_ranks(team), False)
    problems: list[str] = []
    row = {header[1]: "2026-03-02", header[2]: "2026-03-02", header[3]: "2026-03-02"}
    entries = dates.read(row, "901", 2, "x.csv row 2", problems)
    assert not problems
    # one day, no times: in the template's order; Appointment Scheduled and
    # Qualified To Buy are both the weekly template's Qualify: one stay
    assert [(c.from_stage, c.to_stage) for c in changes(CrmHistory(HUBSPOT, entries))] == [
        ("", "Qualify"),
        ("Qualify", "Demo"),
    ]
    dates.read({header[4]: "2026-03-02"}, "902", 3, "x.csv row 3", problems)
    assert problems == [
        "x.csv row 3: Date entered \"Renewal Call (Renewals Pipeline)\": stage 'Renewal Call' "
        "is not one of Qualify, Demo, Proposal, Closed won, Closed lost (map it under "
        "crm.stages)"
    ]
    body = "\n".join([",".join(["Record ID", "Deal owner", header[1]]), "901,Alice Chen,soon"])
    with pytest.raises(CsvProblems, match=r"x\.csv row 2: Date entered"):
        read_crm_file(team, write(tmp_path, "x.csv", body + "\n"))

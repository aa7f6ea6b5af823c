"""sheetsync import against what a team's workbook already holds (issue 14): deals
typed before the first import, deals that closed and left the page, owners that
changed, rows of people outside the team, European exports, the CRMs' own stages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sheetsync.commands.import_deals import (
    CsvProblems,
    ImportResult,
    import_deals,
    merge_deals,
    read_crm_csv,
)
from sheetsync.config import Team, load_config
from sheetsync.domain.page import Item, blank_page
from sheetsync.domain.render import HISTORY_FIXED
from tests.backends import Backend
from tests.conftest import CONFIG
from tests.test_cli import run
from tests.test_import import SALESFORCE, csv_file

HUBSPOT = (
    "Record ID,Deal Name,Associated Company,Deal owner,Amount,Deal Stage,Close Date,"
    "Last Activity Date,Next step\n"
)
SF_NEXT = SALESFORCE.rstrip("\n") + ",Next Step\n"


def team_of(folder: Path, extra: str = "", template: str = "monthly") -> Team:
    """The test team, with ``extra`` config lines for it (indented as team keys)."""
    text = CONFIG.replace("    reps:\n", f"    template: {template}\n{extra}    reps:\n", 1)
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path).teams[0]


def deal_rows(backend: Backend, tab: str, crm_id: str) -> list[tuple[object, ...]]:
    return [r for r in backend.cells(tab) if r and r[0] == crm_id]


# --- the workbook as it is ---------------------------------------------------------------


def test_a_deal_typed_before_the_first_import_is_updated_not_doubled(backend: Backend) -> None:
    run(backend.config, "init", today="2026-11-02")
    backend.type_row(
        "Alice Chen", "#existing_opportunities", ["globex  expansion", "Globex ", 9000, "Demo"]
    )
    team = load_config(backend.config).teams[0]
    path = csv_file(
        backend.config.parent,
        "006A,Globex Expansion,GLOBEX,Alice Chen,12500,Proposal/Price Quote,12/18/2026,,"
        "Send the order form\n"
        "006B,Initech,Initech,Alice Chen,5000,Prospecting,,,\n",
        header=SF_NEXT,
    )
    res = import_deals(team, date(2026, 11, 12), path)
    assert res.added == {"Alice Chen": ["Initech"]}
    assert res.updated == {"Alice Chen": ["Globex Expansion"]}  # named as the CRM names it
    assert res.matched == [
        "globex expansion (Globex) on Alice Chen's page is 006A in the CRM (same "
        "opportunity and account, row 2): updated, not added again"
    ]
    rows = [r for r in backend.cells("Alice Chen") if "Globex Expansion" in r]
    assert len(rows) == 1 and rows[0][0] == "006A"  # typed with no id yet: takes the CRM's
    assert rows[0][3] == 12500 and rows[0][4] == "Proposal"  # Salesforce's stage, mapped
    assert "Send the order form" in rows[0]  # Next Step lands in the Next step column
    again = run(backend.config, "import", str(path), today="2026-11-13")
    assert "nothing to change" in again.output


def test_a_won_deal_is_not_added_back_and_an_owner_change_moves_the_deal(
    backend: Backend,
) -> None:
    run(backend.config, "init", today="2026-11-02")
    backend.type_row("Alice Chen", "#existing_opportunities", ["Globex", "Globex", 12500, "Trial"])
    team = load_config(backend.config).teams[0]
    folder = backend.config.parent
    first = csv_file(
        folder,
        "006A,Globex,Globex,Alice Chen,12500,Closed Won,11/20/2026,,\n"
        "006B,Initech,Initech,Alice Chen,5000,Negotiation/Review,12/20/2026,,\n",
    )
    import_deals(team, date(2026, 11, 12), first)  # the typed deal, won
    assert run(backend.config, "rollover", today="2026-12-01").exit_code == 0
    assert not deal_rows(backend, "Alice Chen", "006A")  # won: filed in History
    daily = csv_file(
        folder,
        "006A,Globex,Globex,Alice Chen,12500,Closed Won,11/20/2026,,\n"
        "006B,Initech,Initech,Bob Stone,5000,Negotiation/Review,12/20/2026,,\n",
        name="daily.csv",
    )
    res = import_deals(team, date(2026, 12, 2), daily)
    assert res.skipped == [
        "Globex (006A, row 2): closed, and filed in History in 2026-11; not added back"
    ]
    assert not deal_rows(backend, "Alice Chen", "006A")
    assert not deal_rows(backend, "Bob", "006A")
    assert not deal_rows(backend, "Alice Chen", "006B")
    assert len(deal_rows(backend, "Bob", "006B")) == 1
    assert res.moved == [
        "Initech (006B) moved from Alice Chen's page to Bob Stone's: the CRM gives it to "
        "Bob Stone (row 3)"
    ]
    history = backend.cells("History")
    closed = [r for r in history if "006A" in r and "closed" in r]
    assert len(closed) == 1
    assert import_deals(team, date(2026, 12, 3), daily).added == {}  # and stays so


def test_rows_of_people_outside_the_team_are_skipped_with_a_count(tmp_path: Path) -> None:
    from tests.backends import XlsxBackend

    backend = XlsxBackend(tmp_path)
    run(backend.config, "init", today="2026-11-02")
    team = load_config(backend.config).teams[0]
    path = csv_file(
        tmp_path,
        "006A,Globex,Globex,Alice Chen,1000,Qualification,,\n"
        "006B,Other,Other,Zed Zeta,1000,Nonsense stage,,\n"
        "006C,Other 2,Other,Zed Zeta,1000,Qualification,,\n"
        "006D,Other 3,Other,Yan Yu,1000,Qualification,,\n",
    )
    res = import_deals(team, date(2026, 11, 12), path)
    assert res.added == {"Alice Chen": ["Globex"]}
    assert res.skipped == [
        "3 rows skipped: owned by someone outside team West (Zed Zeta on rows 3, 4; Yan Yu "
        "on row 5); map a name under crm.owners if it is one of the team's"
    ]
    nobody = csv_file(tmp_path, "006B,Other,Other,Zed Zeta,1000,Qualification,,\n", name="z.csv")
    with pytest.raises(CsvProblems, match="no row is owned by a rep of team West"):
        read_crm_csv(team, nobody)


def test_an_amount_in_another_currency_is_kept_as_typed_with_a_warning(tmp_path: Path) -> None:
    from tests.backends import XlsxBackend

    backend = XlsxBackend(tmp_path)
    run(backend.config, "init", today="2026-11-02")
    team = load_config(backend.config).teams[0]
    path = csv_file(tmp_path, '006A,Globex,Globex,Alice Chen,"30,000.50 EUR",Qualification,,\n')
    res = import_deals(team, date(2026, 11, 12), path)
    assert res.warnings == [
        "crm.csv row 2, Amount: '30,000.50 EUR' is in EUR, not the team's currency ($); "
        "not counted in the pipeline; kept as typed"
    ]
    (row,) = deal_rows(backend, "Alice Chen", "006A")
    assert row[3] == "30,000.50 EUR"


# --- the file as a CRM exports it -----------------------------------------------------------


def test_a_semicolon_export_with_european_amounts_and_dates(tmp_path: Path) -> None:
    team = team_of(tmp_path, "    locale: de_DE\n    currency: €\n")
    body = (
        SALESFORCE.replace(",", ";")
        + '006A;Globex;Globex;Alice Chen;"1.234,56";Qualification;31.12.2026;30/11/2026\n'
        + "006B;Initech;Initech;Bob Stone;€ 2.500;Qualification;;\n"
        + "006C;Hooli;Hooli;Bob Stone;12,5k;Qualification;;\n"
    )
    path = tmp_path / "eu.csv"
    path.write_text(body, encoding="utf-8")
    crm = read_crm_csv(team, path)
    assert crm.delimiter == ";"
    got = {d.crm_id: (d.values["amount"], d.values.get("close_date")) for d in crm.deals}
    assert got == {
        "006A": (1234.56, date(2026, 12, 31)),
        "006B": (2500, None),
        "006C": (12500, None),
    }
    assert crm.deals[0].values["last_activity"] == date(2026, 11, 30)  # de_DE: day first
    tabbed = tmp_path / "tab.csv"
    tabbed.write_text(body.replace(";", "\t"), encoding="utf-8")
    assert read_crm_csv(team, tabbed).delimiter == "\t"


def test_owners_are_compared_after_unicode_normalisation(tmp_path: Path) -> None:
    config = CONFIG.replace(
        "Bob Stone, email: bob@example.com", "Chlo\u00e9 Durand, email: c@x.com"
    )
    config = config.replace(
        "    reps:\n", "    crm: {owners: {Ren\u00e9e: Alice Chen}}\n    reps:\n"
    )
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    team = load_config(tmp_path / "config.yaml").teams[0]
    path = csv_file(
        tmp_path,
        "006A,A,A,Chloe\u0301 Durand,1,Qualification,,\n"  # decomposed é
        "006B,B,B,  CHLOÉ   durand ,1,Qualification,,\n"
        "006C,C,C,Rene\u0301e,1,Qualification,,\n",
    )
    crm = read_crm_csv(team, path)
    assert [d.rep.name for d in crm.deals] == [
        "Chlo\u00e9 Durand",
        "Chlo\u00e9 Durand",
        "Alice Chen",
    ]
    assert crm.outsiders == {}


def test_salesforce_and_hubspot_default_stages_map_onto_the_template(tmp_path: Path) -> None:
    sf_stages = [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Perception Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ]
    body = "".join(f"S{i},D{i},A,Alice Chen,1,{s},,\n" for i, s in enumerate(sf_stages))
    monthly = read_crm_csv(team_of(tmp_path), csv_file(tmp_path, body))
    assert [d.values["stage"] for d in monthly.deals] == [
        "Qualify",
        "Qualify",
        "Discovery",
        "Demo",
        "Demo",
        "Trial",
        "Proposal",
        "Negotiation",
        "Closed won",
        "Closed lost",
    ]
    weekly = read_crm_csv(team_of(tmp_path, template="weekly"), csv_file(tmp_path, body))
    assert [d.values["stage"] for d in weekly.deals] == [
        "Qualify",
        "Qualify",
        "Qualify",
        "Demo",
        "Demo",
        "Demo",
        "Proposal",
        "Proposal",
        "Closed won",
        "Closed lost",
    ]
    hub = team_of(tmp_path, "    crm: {preset: hubspot}\n")
    stages = [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
        "Appointment Scheduled",
        "Decision Maker Bought-In",
        "Closed Won",
    ]
    body = "".join(f"{i},D{i},A,Alice Chen,1,{s},,,call back\n" for i, s in enumerate(stages))
    deals = read_crm_csv(hub, csv_file(tmp_path, body, header=HUBSPOT)).deals
    assert [d.values["stage"] for d in deals] == [
        "Qualify",
        "Discovery",
        "Demo",
        "Trial",
        "Negotiation",
        "Closed won",
        "Closed lost",
        "Qualify",
        "Trial",
        "Closed won",
    ]
    assert deals[0].values["next_step"] == "call back"


def test_a_typed_deal_with_an_id_keeps_it_and_is_linked(tmp_path: Path) -> None:
    """A deal typed and refreshed before the import has an id of sheetsync's, which
    History knows it by: it keeps that id, and the ledger links the CRM's to it."""
    team = team_of(tmp_path)
    page = blank_page("Alice Chen", team.template, {"rep": "Alice Chen", "period": "2026-11"})
    typed = Item("k7xq2a", {"opportunity": "Globex", "account": "Globex", "stage": "Demo"})
    page.items("existing_opportunities").append(typed)
    path = csv_file(tmp_path, "006A,Globex,GLOBEX,Alice Chen,7000,Qualification,,\n")
    deals = read_crm_csv(team, path).deals
    result = ImportResult("West", "here", False)
    touched, links = merge_deals(deals, {"Alice Chen": page}, team, result)
    assert touched == {"Alice Chen"} and links == [("Alice Chen", "006A", "k7xq2a")]
    assert typed.id == "k7xq2a" and typed.values["amount"] == 7000
    ledger = [["crm link", "Alice Chen", "2026-11", "t", "006A k7xq2a"]]
    history = [
        [*HISTORY_FIXED, "stage"],
        [
            "2026-11",
            "Alice Chen",
            "existing_opportunities",
            "k7xq2a",
            "closed",
            "",
            0,
            "Closed won",
        ],
    ]
    again = ImportResult("West", "here", False)
    empty = blank_page("Alice Chen", team.template, {"rep": "Alice Chen", "period": "2026-12"})
    won = csv_file(tmp_path, "006A,Globex,Globex,Alice Chen,7000,Closed Won,,\n", name="w.csv")
    merge_deals(read_crm_csv(team, won).deals, {"Alice Chen": empty}, team, again, history, ledger)
    assert again.skipped and not again.added  # closed under its page id: not added back

"""sheetsync import: CRM exports onto the deal rows, on both backends."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.backends import Backend
from tests.test_cli import run

SALESFORCE = (
    "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Amount,Stage,"
    "Close Date,Last Activity\n"
)


def csv_file(folder: Path, body: str, header: str = SALESFORCE, name: str = "crm.csv") -> Path:
    path = folder / name
    path.write_text(header + body, encoding="utf-8")
    return path


def test_import_adds_then_updates_deals_matched_by_crm_id(backend: Backend) -> None:
    run(backend.config, "init", today="2026-11-02")
    folder = backend.config.parent
    first = csv_file(
        folder,
        '006A,Globex expansion,Globex,Alice Chen,"$12,500",Demo,12/18/2026,2026-11-10\n'
        '006B,"=HYPERLINK(""http://evil"",""x"")",+cmd,bob@example.com,9000,Trial,2026-12-01,\n'
        "006C,@SUM(A1),-2+3,Bob Stone,1k,Qualify,,\n",
    )
    res = run(backend.config, "import", str(first), today="2026-11-12")
    assert res.exit_code == 0, res.output
    assert "West / Alice Chen: updated 0, added 1" in res.output
    page = backend.cells("Alice Chen")
    globex = next(r for r in page if "Globex expansion" in r)
    assert globex[0] == "006A" and globex[3] == 12500 and globex[5] == date(2026, 12, 18)
    bob = backend.cells("Bob")
    texts = [v for r in bob for v in r if isinstance(v, str)]
    assert '=HYPERLINK("http://evil","x")' in texts and "+cmd" in texts
    assert "@SUM(A1)" in texts and "-2+3" in texts
    if backend.name == "google":  # typed as text, not as formulas
        sheet = backend.fake.books[next(iter(backend.fake.books))].sheet(title="Bob")  # type: ignore[attr-defined]
        kinds = {
            next(iter(c["userEnteredValue"].values())): next(iter(c["userEnteredValue"]))
            for c in sheet.cells.values()
            if "userEnteredValue" in c
        }
        assert kinds['=HYPERLINK("http://evil","x")'] == "stringValue"
    second = csv_file(
        folder,
        "006A,Globex expansion,Globex,Alice Chen,15000,Proposal,01/15/2027,2026-11-20\n",
        name="crm2.csv",
    )
    res = run(backend.config, "import", str(second), today="2026-11-21")
    assert "West / Alice Chen: updated 1, added 0" in res.output
    page = backend.cells("Alice Chen")
    rows = [r for r in page if "Globex expansion" in r]
    assert len(rows) == 1 and rows[0][3] == 15000 and rows[0][4] == "Proposal"
    ledger = [r for r in backend.cells("_sheetsync") if r[0] == "import"]
    assert [r[1] for r in ledger] == ["Alice Chen", "Bob Stone", "Alice Chen"]
    again = run(backend.config, "import", str(second), today="2026-11-21")
    assert "nothing to change" in again.output


def test_every_problem_is_a_line_naming_the_row_and_nothing_is_applied(backend: Backend) -> None:
    run(backend.config, "init", today="2026-11-02")
    before = backend.state()
    bad = csv_file(
        backend.config.parent,
        "006A,Fine deal,Acme,Alice Chen,1000,Demo,2026-12-01,\n"
        "006B,Who,Acme,Zed Unknown,1000,Demo,2026-12-01,\n"
        "006C,Odd stage,Acme,Alice Chen,1000,Haggling,2026-12-01,\n"
        "006D,Old,Acme,Alice Chen,1000,Demo,1899-12-01,\n"
        "006E,Much,Acme,Alice Chen,lots,Demo,2026-12-01,\n"
        "006A,Twice,Acme,Alice Chen,1000,Demo,2026-12-01,\n",
    )
    res = run(backend.config, "import", str(bad), today="2026-11-12")
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert lines == [  # row 3 (owner outside the team) is skipped, not a problem
        "Error: crm.csv row 4: Stage: stage 'Haggling' is not one of Qualify, Discovery, Demo, "
        "Trial, Proposal, Negotiation, Closed won, Closed lost (map it under crm.stages)",
        "Error: crm.csv row 5: Close Date: '1899-12-01' is outside the years 1900-2199",
        "Error: crm.csv row 6: Amount: not a number (try 12500 or 12.5k)",
        "Error: crm.csv row 7: 006A is also on row 2",
        f"{bad}: 4 problems; nothing was imported",
    ]
    assert backend.state() == before


def test_hubspot_preset_mapping_and_a_non_utf8_file(tmp_path: Path) -> None:
    from tests.backends import XlsxBackend

    backend = XlsxBackend(tmp_path)
    text = backend.config.read_text().replace(
        "    reps:\n",
        "    crm: {preset: hubspot, owners: {Ali: Alice Chen}, stages: "
        "{appointmentscheduled: Discovery}}\n    reps:\n",
        1,
    )
    backend.config.write_text(text)
    run(backend.config, "init", today="2026-11-02")
    header = (
        "Record ID,Deal Name,Associated Company,Deal owner,Amount,Deal Stage,Close Date,"
        "Last Activity Date\n"
    )
    good = csv_file(tmp_path, "901,Initech,Initech,Ali,5000,appointmentscheduled,,\n", header)
    res = run(backend.config, "import", str(good), "--dry-run", today="2026-11-12")
    assert res.exit_code == 0, res.output
    assert "would update 0, added 1" in res.output and "dry run, nothing written" in res.output
    assert not [r for r in backend.cells("Alice Chen") if "Initech" in r]
    run(backend.config, "import", str(good), today="2026-11-12")
    row = next(r for r in backend.cells("Alice Chen") if "Initech" in r)
    assert row[4] == "Discovery"
    latin = tmp_path / "latin.csv"
    latin.write_bytes((header + "902,Café,Café,Ali,1,Demo,,\n").encode("latin-1"))
    res = run(backend.config, "import", str(latin), today="2026-11-12")
    assert res.exit_code == 1 and res.output.count("\n") == 1
    assert "is not UTF-8; export the report as CSV (UTF-8)" in res.output

"""A workbook edited in real LibreOffice Calc (through its UNO bridge), the way a
person edits it, then run through sheetsync: what they did survives, and what
sheetsync cannot read safely is refused with one line. Skipped, saying why,
where LibreOffice or its Python bridge is not installed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sheetsync.adapters.xlsx import XlsxWorkbook
from sheetsync.domain.stage_log import read_log
from tests.backends import XlsxBackend
from tests.libreoffice import edit
from tests.test_cli import run
from tests.xlsx_parts import drawings_of, hanging_from, parts, picture_rows, png

TAB = "Alice Chen"


def team(config_file: Path) -> XlsxBackend:
    """Alice's page after a rollover: two carried deals, a month's wins."""
    b = XlsxBackend(config_file.parent)
    run(config_file, "init", today="2026-09-05")
    b.type_row(TAB, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-11-20"])
    b.type_row(TAB, "#existing_opportunities", ["Hooli", "Hooli", 12000, "Trial", "2026-12-15"])
    assert run(config_file, "rollover", today="2026-10-02").exit_code == 0
    b.type_row(TAB, "#wins", ["Signed Initech"])
    return b


def test_a_note_and_a_formula_made_in_libreoffice_survive(
    config_file: Path, tmp_path: Path
) -> None:
    b = team(config_file)
    hooli = b.find(TAB, "Hooli")
    globex = b.find(TAB, "Globex")
    edit(
        b.path,
        [
            {"op": "note", "tab": TAB, "row": hooli, "col": 4, "text": "CFO is on leave"},
            {"op": "set", "tab": TAB, "row": globex, "col": 4, "value": "=15000*2"},
            {"op": "set", "tab": TAB, "row": hooli, "col": 14, "value": f"=D{globex}-D{hooli}"},
        ],
        tmp_path / "lo",
    )
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    hooli, globex = b.find(TAB, "Hooli"), b.find(TAB, "Globex")
    assert b.notes(TAB) == {(hooli, 4): "CFO is on leave"}
    assert b.formula(TAB, globex, 4) == "=15000*2"  # still a formula on the page
    assert b.formula(TAB, hooli, 14) == f"=D{globex}-D{hooli}"  # following its rows
    history = b.cells("History")
    amount = list(history[0]).index("amount")
    carried = next(r for r in history if "Globex" in r and r[0] == "2026-10")
    assert carried[amount] == 30000  # its value, as LibreOffice computed it


def test_an_own_column_inserted_in_libreoffice_moves_with_its_rows(
    config_file: Path, tmp_path: Path
) -> None:
    b = team(config_file)
    header = b.find(TAB, "#existing_opportunities") + 1
    globex, hooli = b.find(TAB, "Globex"), b.find(TAB, "Hooli")
    edit(
        b.path,
        [
            {"op": "insert_column", "tab": TAB, "col": 5},  # before Stage, across the sheet
            {"op": "set", "tab": TAB, "row": header, "col": 5, "value": "Probability"},
            {"op": "set", "tab": TAB, "row": globex, "col": 5, "value": 0.6},
            {"op": "set", "tab": TAB, "row": hooli, "col": 5, "value": 0.3},
            {"op": "set", "tab": TAB, "row": hooli, "col": 6, "value": "Closed lost"},
        ],
        tmp_path / "lo",
    )
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    page = b.cells(TAB)
    globex = b.find(TAB, "Globex")
    assert page[globex - 1][4] == 0.6 and page[globex - 1][5] == "Demo"
    assert not [r for r in page if r[1:2] == ("Hooli",)]  # lost: it left the page
    history = b.cells("History")
    extra = list(history[0]).index("extra")
    lost = next(r for r in history if "Hooli" in r and r[4] == "closed")
    assert lost[extra] == "Probability: 0.3"


def test_the_wins_block_cut_and_pasted_between_deals_is_refused(
    config_file: Path, tmp_path: Path
) -> None:
    b = team(config_file)
    wins = b.find(TAB, "#wins")
    rows = b.find(TAB, "#new_opportunities") - wins  # the block: marker to spacer
    hooli = b.find(TAB, "Hooli")
    edit(
        b.path,
        [{"op": "move_rows", "tab": TAB, "first": wins, "count": rows, "before": hooli}],
        tmp_path / "lo",
    )
    before = b.cells(TAB)
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 3, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"Error: tab '{TAB}' D")
    assert "has values under no column of section 'Wins'" in errors[0]
    assert "Bob Stone: rolled 2026-10 -> 2026-11" in res.output
    assert b.cells(TAB) == before


def test_images_and_charts_made_in_libreoffice_survive_a_rollover(
    config_file: Path, tmp_path: Path
) -> None:
    b = team(config_file)
    hooli = b.find(TAB, "Hooli")
    picture = png(tmp_path / "logo.png")
    edit(
        b.path,
        [
            {"op": "new_tab", "tab": "Forecast"},
            {"op": "set", "tab": "Forecast", "row": 1, "col": 1, "value": "Month"},
            {"op": "set", "tab": "Forecast", "row": 1, "col": 2, "value": "Pipeline"},
            {"op": "set", "tab": "Forecast", "row": 2, "col": 1, "value": "Oct"},
            {"op": "set", "tab": "Forecast", "row": 2, "col": 2, "value": 42000},
            {"op": "set", "tab": "Forecast", "row": 3, "col": 1, "value": "Nov"},
            {"op": "set", "tab": "Forecast", "row": 3, "col": 2, "value": 51000},
            {"op": "chart", "tab": "Forecast", "name": "pipeline", "cells": [1, 1, 3, 2]},
            {"op": "image", "tab": "Forecast", "file": str(picture)},
        ],
        tmp_path / "lo",
    )
    forecast = drawings_of(b.path, "Forecast")
    shown = [n for d in forecast for n in hanging_from(b.path, d)]
    own = {n: parts(b.path)[n] for n in shown}
    assert any("media/" in n for n in own) and any("charts/" in n for n in own), own.keys()
    before = {n: parts(b.path)[n] for n in forecast}
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    assert b.find(TAB, "Hooli") != hooli  # rows moved on Alice's page
    after = parts(b.path)
    assert "Forecast" in b.tabs()
    assert drawings_of(b.path, "Forecast") == forecast
    assert {n: after[n] for n in forecast} == before  # the drawing, as it was
    assert {n: after.get(n) for n in own} == own  # the picture and the chart, byte for byte
    assert b.cells("Forecast")[1] == ("Oct", 42000)


def test_a_picture_on_a_rep_page_stays_beside_its_row(config_file: Path, tmp_path: Path) -> None:
    b = team(config_file)
    picture = png(tmp_path / "logo.png")
    hooli = b.find(TAB, "Hooli")
    edit(  # beside Hooli's row, right of the columns (positions in 1/100 mm)
        b.path,
        [{"op": "image", "tab": TAB, "file": str(picture), "x": 30000, "row": hooli}],
        tmp_path / "lo",
    )
    assert picture_rows(b.path, TAB) == [hooli]
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    assert b.find(TAB, "Hooli") != hooli  # rows were inserted above it
    assert picture_rows(b.path, TAB) == [b.find(TAB, "Hooli")]


def test_a_history_row_deleted_in_libreoffice_keeps_the_next_period(
    config_file: Path, tmp_path: Path
) -> None:
    b = team(config_file)
    history = b.cells("History")
    edit(b.path, [{"op": "delete_rows", "tab": "History", "first": 2, "count": 1}], tmp_path / "a")
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    after = b.cells("History")
    october = [r for r in after[1:] if r[0] == "2026-10"]
    assert len(after) == len(history) - 1 + len(october)  # appended right below the data
    assert october and all(r for r in after)  # no gap, nothing past the sheet's end
    # the manager opens and saves it in LibreOffice again: October is still there
    edit(
        b.path, [{"op": "set", "tab": "Team", "row": 1, "col": 12, "value": "seen"}], tmp_path / "b"
    )
    assert [r for r in b.cells("History")[1:] if r[0] == "2026-10"] == october
    # the deals' stage log, saved by LibreOffice (its own styles and shared strings),
    # still reads with its dates: the two deals entered their stages on 2 October
    with XlsxWorkbook(b.path) as wb:
        log = read_log(wb.read(["_stages"]).grids["_stages"])
    assert sorted((c.to_stage, c.on) for c in log) == [
        ("Demo", date(2026, 10, 2)),
        ("Trial", date(2026, 10, 2)),
    ]

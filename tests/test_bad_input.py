"""The bad-input corpus: every file under tests/bad_input/ is a mistake a person
makes (configs, pages, page and email templates, CRM exports), listed with the
command that meets it and the place its message must name in cases.yaml.

Each case asserts all three promises: exactly one ``Error:`` line that names the
place (file:line, tab and cell, or CSV row), a non-zero exit without a traceback,
and nothing written (every file byte for byte; for a broken page, which stops
only that rep, the page and its History rows).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from tests.backends import XlsxBackend
from tests.conftest import CONFIG
from tests.test_cli import run

CORPUS = Path(__file__).parent / "bad_input"
CASES: list[dict[str, str]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
HELD: list[str] = []


def summary() -> list[str]:
    if not HELD:
        return []
    kinds: dict[str, int] = {}
    for name in HELD:
        kinds[name.split("/")[0]] = kinds.get(name.split("/")[0], 0) + 1
    per = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return [f"bad input: {len(HELD)} of {len(CASES)} cases held ({per})"]


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".team.")
    }


def row_of(ws: Any, text: str) -> int:
    for row in ws.iter_rows():
        if any(c.value == text for c in row):
            return int(row[0].row)
    raise AssertionError(f"{text!r} not on {ws.title}")


def section_end(ws: Any, start: int) -> int:
    """The last row of the section whose title row is ``start``."""
    r = start + 1
    while r <= ws.max_row and not str(ws.cell(r + 1, 1).value or "").startswith("#"):
        r += 1
    return r


def edit_page(path: Path, case: dict[str, Any]) -> None:
    """Apply a page case's edits as a person would in Excel (values only)."""
    wb = load_workbook(path)
    ws = wb[case["tab"]]
    for op in case["edits"]:
        ((kind, a),) = op.items()
        if kind == "delete_row":
            ws.delete_rows(row_of(ws, a["find"]) + a["offset"])
        elif kind == "set":
            ws.cell(row_of(ws, a["find"]) + a["offset"], a["col"]).value = a["value"]
        elif kind == "merge":
            first, last = a["cols"].split(":")
            top = row_of(ws, a["find"]) + a["offset"]
            bottom = row_of(ws, a["to_find"]) + a["to_offset"]
            ws.merge_cells(f"{first}{top}:{last}{bottom}")
        elif kind in ("move_section", "copy_row"):
            grid = [[c.value for c in row] for row in ws.iter_rows()]
            start = row_of(ws, a["find"])
            end = section_end(ws, start) if kind == "move_section" else start
            block = grid[start - 1 : end]
            rest = grid[: start - 1] + grid[end:] if kind == "move_section" else grid
            anchor = next(i for i, r in enumerate(rest) if r[0] == a["below"])
            below = anchor + 1
            while below < len(rest) and not str(rest[below][0] or "").startswith("#"):
                below += 1
            grid = rest[:below] + block + rest[below:]
            ws.delete_rows(1, ws.max_row)
            for r, values in enumerate(grid, start=1):
                for c, v in enumerate(values, start=1):
                    ws.cell(r, c).value = v
        else:
            raise AssertionError(f"unknown edit {kind}")
    wb.save(path)


def prepare(folder: Path, name: str) -> tuple[list[str], str]:
    """The team with the case's mistake in place; returns the command and its day."""
    source = CORPUS / name
    config = folder / "config.yaml"
    if name.startswith("configs/"):
        config.write_bytes(source.read_bytes())
        if "recap" in source.read_text(encoding="utf-8", errors="replace").splitlines()[0]:
            return ["recap"], "2026-10-31"
        return ["rollover"], "2026-11-02"
    if name.startswith("commands/"):  # the mistake is in the command line
        return [str(a) for a in yaml.safe_load(source.read_text(encoding="utf-8"))["args"]], (
            "2026-11-02"
        )
    if name.startswith("csv/"):
        shutil.copy(source, folder / "crm.csv")
        return ["import", "crm.csv"], "2026-10-20"
    if name.startswith("pages/"):
        edit_page(folder / "team.xlsx", yaml.safe_load(source.read_text(encoding="utf-8")))
        return ["rollover"], "2026-11-02"
    if name.endswith(".yaml"):  # a page template
        shutil.copy(source, folder / "custom.yaml")
        text = config.read_text().replace("    reps:\n", "    template: custom.yaml\n    reps:\n")
        config.write_text(text)
        return ["rollover"], "2026-11-02"
    (folder / "tpl").mkdir()  # an email template
    shutil.copy(source, folder / "tpl" / source.name)
    text = config.read_text().replace("    reps:\n", "    mail: {templates: tpl}\n    reps:\n")
    config.write_text(text)
    return ["recap"], "2026-10-31"


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_a_mistake_gets_one_line_a_failing_exit_and_nothing_written(
    tmp_path: Path, case: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = XlsxBackend(tmp_path)
    backend.config.write_text(CONFIG, encoding="utf-8")
    assert run(backend.config, "init").exit_code == 0
    command, today = prepare(tmp_path, case["file"])
    assert command[0] == case["run"], "cases.yaml names the command the harness runs"
    if command[0] == "recap":  # a page with nothing on it gets no recap at all
        backend.type_row("Alice Chen", "#wins", ["Signed Initech"])
    before = files(tmp_path)
    alice, history = backend.cells("Alice Chen"), backend.cells("History")
    monkeypatch.chdir(tmp_path)
    res = run(backend.config, *command, today=today)
    if case.get("accepted"):  # read correctly: said, not refused
        assert res.exit_code == 0, res.output
        said = [ln for ln in res.output.splitlines() if case["expect"] in ln]
        assert len(said) == 1 and "tab 'Alice Chen' A" in said[0], res.output
        HELD.append(case["file"])
        return
    errors = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert res.exit_code != 0, res.output
    assert isinstance(res.exception, SystemExit), res.output  # no traceback
    assert len(errors) == 1, res.output
    assert case["expect"] in errors[0], (case["expect"], errors[0])
    assert len(errors[0]) < 400, errors[0]
    if case["file"].startswith("pages/"):  # only that rep stops; the others roll
        assert backend.cells("Alice Chen") == alice
        assert [r for r in backend.cells("History") if "Alice Chen" in r] == [
            r for r in history if "Alice Chen" in r
        ]
    else:
        assert files(tmp_path) == before, "something was written"
    HELD.append(case["file"])

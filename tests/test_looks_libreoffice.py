"""What real LibreOffice shows of a workbook sheetsync wrote (issue 14): a carried
checkbox reads FALSE (it read 0: LibreOffice takes an .xlsx boolean for a
formula, =FALSE(), and shows its result as a number where no format says
otherwise), History's header shows its titles and its dates as dates, and the
font is named."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.backends import XlsxBackend
from tests.libreoffice import SYSTEM_PYTHON, why_not
from tests.test_cli import run

TAB = "Alice Chen"

# opens the workbook in LibreOffice (UNO) and prints, for each (tab, cell), what
# the cell shows and its font
SHOW = """
import json, os, subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue
book, profile, wanted = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
pipe = f"looks_{os.getpid()}"
office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
    f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(300):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.1)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    hidden = PropertyValue()
    hidden.Name, hidden.Value = "Hidden", True
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(book), "_blank", 0, (hidden,))
    out = []
    for tab, ref in wanted:
        cell = doc.Sheets.getByName(tab).getCellRangeByName(ref)
        out.append([cell.getString(), cell.CharFontName])
    doc.close(True)
    print(json.dumps(out))
finally:
    office.terminate()
    office.wait()
"""


def shown(book: Path, cells: list[tuple[str, str]], work: Path) -> list[list[str]]:
    reason = why_not()
    if reason is not None:
        pytest.skip(reason)
    script = work / "show.py"
    script.write_text(SHOW, encoding="utf-8")
    done = subprocess.run(
        [SYSTEM_PYTHON, str(script), str(book), str(work / "lo-profile"), json.dumps(cells)],
        check=True,
        capture_output=True,
        text=True,
        timeout=240,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_libreoffice_shows_a_carried_box_as_false_and_historys_titles(tmp_path: Path) -> None:
    b = XlsxBackend(tmp_path)
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    b.type_row(TAB, "#not_working", ["Slow legal review", "Send redlines"])
    b.type_row(TAB, "#existing_opportunities", ["Globex", "Globex", 30000, "Demo", "2026-11-20"])
    assert run(b.config, "rollover", today="2026-11-02").exit_code == 0
    history = b.cells("History")
    globex = next(r for r in range(2, len(history) + 1) if "Globex" in history[r - 1])
    close = f"{chr(65 + history[0].index('close_date'))}{globex}"
    page = b.cells(TAB)
    row = b.find(TAB, "Slow legal review")
    col = page[b.find(TAB, "#not_working")].index("Resolved") + 1
    box = f"{chr(64 + col)}{row}"
    blank = f"{chr(64 + col)}{row + 1}"
    header = page[b.find(TAB, "#existing_opportunities")]
    amount = f"{chr(64 + header.index('Amount') + 1)}{b.find(TAB, '#existing_opportunities') + 1}"
    got = shown(
        b.path,
        [
            (TAB, box),
            (TAB, blank),
            ("History", "A1"),
            ("History", "G1"),
            (TAB, amount),
            ("History", close),
        ],
        tmp_path,
    )
    titles = ["Period", "Times carried", "Amount"]
    # History's date is a date LibreOffice shows as one (it was ISO text before)
    assert [text for text, _ in got] == ["FALSE", "FALSE", *titles, "2026-11-20"]
    assert {font for _, font in got} == {"Arial"}

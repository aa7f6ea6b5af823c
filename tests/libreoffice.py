"""A workbook edited in real LibreOffice, as a person would (``lo_uno.py`` does the
editing through LibreOffice's UNO bridge). Tests that need it skip, saying why,
where LibreOffice or its Python bridge is not installed."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("lo_uno.py")


@functools.cache
def why_not() -> str | None:
    """Why LibreOffice cannot edit a workbook here; None when it can."""
    if shutil.which("soffice") is None:
        return "LibreOffice is not installed (apt-get install libreoffice-calc)"
    try:
        subprocess.run(
            [SYSTEM_PYTHON, "-c", "import uno"], check=True, capture_output=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return "LibreOffice's Python bridge is not installed (apt-get install python3-uno)"
    return None


def edit(book: Path, actions: list[dict[str, Any]], work: Path) -> None:
    """Open ``book`` in LibreOffice, do ``actions`` (see ``lo_uno.py``), save it."""
    reason = why_not()
    if reason is not None:
        pytest.skip(reason)
    work.mkdir(parents=True, exist_ok=True)
    plan = work / "actions.json"
    plan.write_text(json.dumps(actions), encoding="utf-8")
    profile = work / "lo-profile"
    subprocess.run(
        [SYSTEM_PYTHON, str(SCRIPT), str(book), str(profile), str(plan)],
        check=True,
        capture_output=True,
        timeout=240,
    )

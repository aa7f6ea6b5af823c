"""The Google backend through gspread, google-auth and HTTP, against the fake."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from tests.backends import MANAGER, SHEET_ID, GoogleBackend, XlsxBackend
from tests.conftest import CONFIG
from tests.fakes.keys import SERVICE_ACCOUNT, authorized_user_file
from tests.fakes.sheets_api import FakeSheetsApi
from tests.test_cli import run

RESOURCE_EXHAUSTED = json.dumps(
    {
        "error": {
            "code": 429,
            "message": "Quota exceeded for quota metric 'Write requests' and limit "
            "'Write requests per minute per user' of service 'sheets.googleapis.com'",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
)
HTML_503 = "<html><head><title>503 Service Unavailable</title></head><body>Try later</body></html>"


@contextmanager
def google(folder: Path, config: str = CONFIG) -> Iterator[GoogleBackend]:
    folder.mkdir(parents=True, exist_ok=True)
    fake = FakeSheetsApi()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield GoogleBackend(folder, fake, config)


def team_of(n: int) -> str:
    reps = "".join(
        f"      - {{name: Rep {i:03d}, email: rep{i}@example.com}}\n" for i in range(n)
    )
    return CONFIG.split("    reps:\n")[0] + "    reps:\n" + reps


def requests_for(g: GoogleBackend, *args: str, today: str = "2026-10-05") -> int:
    before = len(g.fake.calls)
    res = run(g.config, *args, today=today)
    assert res.exit_code == 0, res.output
    return len(g.fake.calls) - before


def with_work(g: GoogleBackend) -> None:
    """Alice has a new deal, an action and a win to roll."""
    g.type_row("Alice Chen", "#new_opportunities", ["Globex", "Globex", 12500, "Demo"])
    g.type_row("Alice Chen", "#actions", ["Call the CFO", "Rep", date(2026, 10, 9), "", "Open"])
    g.type_row("Alice Chen", "#wins", ["Signed Initech"])


def normalised(g: GoogleBackend) -> dict[str, Any]:
    """Every tab's values, without what differs between two correct runs: the time
    a row was written and the id of a write."""
    out: dict[str, Any] = {}
    for tab in g.tabs():
        rows = [list(r) for r in g.cells(tab)]
        if tab == "_sheetsync":
            rows = [r[:3] for r in rows]
        if tab == "Team":
            rows = [r[:-1] for r in rows]
        out[tab] = rows
    return out


def history_keys(g: GoogleBackend) -> list[tuple[Any, ...]]:
    return [(r[0], r[3]) for r in g.cells("History")[1:]]


@pytest.mark.parametrize("reps", [1, 10, 100])
def test_requests_do_not_grow_with_the_team(tmp_path: Path, reps: int, sleeps: list[float]) -> None:
    with google(tmp_path, team_of(reps)) as g:
        assert requests_for(g, "init") <= 4
        for i in range(reps):
            g.type_row(f"Rep {i:03d}", "#actions", [f"Action {i}", "Rep", "", "", "Open"])
        assert requests_for(g, "status") <= 2
        assert requests_for(g, "rollover", today="2026-11-02") <= 4
        assert requests_for(g, "rollover", today="2026-11-03") <= 2  # nothing to do: no write
        carried = [r for r in g.cells("History")[1:] if r[4] == "carried"]
        assert len(carried) == reps
    assert sleeps == []

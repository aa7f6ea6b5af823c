from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from sheetsync.config import load_template
from sheetsync.domain.template import Template
from tests.fakes.sheets_api import FakeSheetsApi

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """\
teams:
  - name: West
    manager: {name: Dana Reyes, email: dana@example.com}
    cadence: monthly
    meeting_day: last friday
    timezone: UTC
    workbook: {type: xlsx, path: team.xlsx}
    reps:
      - {name: Alice Chen, email: alice@example.com, quota: 100000}
      - {name: Bob Stone, email: bob@example.com, tab: Bob}
"""


@pytest.fixture(scope="session")
def monthly() -> Template:
    return load_template("monthly", ROOT)


@pytest.fixture(scope="session")
def weekly() -> Template:
    return load_template("weekly", ROOT)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own cache folder (``XDG_CACHE_HOME``, inherited by the processes
    a test starts): no test reads or writes the copies kept in the real home
    (``google_tail``), nor another test's."""
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(path))
    return path


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry client's waits, recorded instead of slept."""
    from sheetsync.adapters.google_http import RetryingHTTPClient

    waited: list[float] = []
    monkeypatch.setattr(RetryingHTTPClient, "sleep", staticmethod(waited.append))
    return waited


@pytest.fixture
def fake_google() -> Iterator[FakeSheetsApi]:
    """The fake Sheets API and token endpoint, answering every request to Google."""
    fake = FakeSheetsApi()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield fake


@pytest.fixture(params=["xlsx", "google"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, sleeps: list[float]
) -> Iterator[Backend]:  # noqa: F821
    from tests.backends import XlsxBackend

    if request.param == "xlsx":
        yield XlsxBackend(tmp_path)
        return
    fake = request.getfixturevalue("fake_google")
    from tests.backends import GoogleBackend

    yield GoogleBackend(tmp_path, fake)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures of the reliability tests that ran (RELIABILITY.md quotes them)."""
    for name in (
        "test_fault_matrix",
        "test_concurrent_edits",
        "test_processes",
        "test_many_periods",
        "test_bad_input",
        "test_fake_fidelity",
    ):
        module = sys.modules.get(f"tests.{name}")
        for line in module.summary() if module else []:
            terminalreporter.write_line(line)

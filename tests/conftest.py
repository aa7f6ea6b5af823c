from __future__ import annotations

from pathlib import Path

import pytest

from sheetsync.config import load_template
from sheetsync.domain.template import Template

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

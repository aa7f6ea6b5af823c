"""Checks on the project itself: docs match the CLI, CI runs the README's command,
the domain imports no I/O library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from sheetsync.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented_in_the_readme() -> None:
    for name in cli.commands:
        assert f"`sheetsync {name}" in README, name


def test_ci_runs_the_readme_test_command() -> None:
    test_line = ".venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"
    assert test_line in README
    assert test_line in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_domain_imports_no_io_library() -> None:
    banned = {"openpyxl", "gspread", "smtplib", "click", "yaml", "requests", "os", "pathlib"}
    banned |= {"jinja2", "email", "aiosmtpd"}
    for path in (ROOT / "sheetsync" / "domain").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in banned, f"{path.name} imports {name}"


def test_the_example_config_loads() -> None:
    from sheetsync.config import load_config

    team = load_config(ROOT / "config.example.yaml").teams[0]
    assert team.mail.via == "outbox" and all(r.mailable for r in team.reps)


def test_help_starts_without_pandas_openpyxl_or_jinja() -> None:
    """``sheetsync --help`` (and a typo'd command) loads the CLI and the config
    reader only: each command imports what it computes with when it runs."""
    code = (
        "import sys; from click.testing import CliRunner; from sheetsync.cli import cli; "
        "res = CliRunner().invoke(cli, ['--help']); assert res.exit_code == 0, res.output; "
        "heavy = {'pandas', 'openpyxl', 'jinja2', 'smtplib', 'gspread', 'lxml'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_commands_that_do_not_compute_signals_load_no_pandas() -> None:
    """``status``, ``check``, the shared page reading, the workbook cycle (until a
    page rolls or signals are refreshed) and the mail commands (until a message is
    built) import no pandas; ``commands`` has no import cycle (every
    module imports alone, in a fresh interpreter, in any order)."""
    code = (
        "import sys; import sheetsync.commands.status, sheetsync.commands.mail, "
        "sheetsync.commands.workbook, sheetsync.commands.cycle, sheetsync.commands.team_tab, "
        "sheetsync.cli; print('pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr
    for path in sorted((ROOT / "sheetsync" / "commands").glob("*.py")):
        module = f"sheetsync.commands.{path.stem}".removesuffix(".__init__")
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)


# runs ``--today DAY COMMAND`` for each "DAY:COMMAND" argument in one process, then
# says whether pandas was loaded and what the last command said
_DAYS = """
import sys
from click.testing import CliRunner
from sheetsync.cli import cli
for arg in sys.argv[1:]:
    day, command = arg.split(":")
    done = CliRunner().invoke(cli, ["--today", day, command])
    assert done.exit_code == 0, (arg, done.output)
print("pandas" in sys.modules)
print(done.output)
"""


def test_the_days_commands_that_find_nothing_to_do_load_no_pandas(tmp_path: Path) -> None:
    """The cron lines that run every day and most days find nothing to do (the
    06:00 rollover, the hourly recap, the agenda) load no pandas: it costs about
    half a second of CPU a process. A rollover that rolls a page does load it."""
    from tests.conftest import CONFIG

    (tmp_path / "config.yaml").write_text(CONFIG)

    def days(*runs: str) -> tuple[bool, str]:
        argv = [sys.executable, "-c", _DAYS, *runs]
        done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=tmp_path)
        loaded, said = done.stdout.split("\n", 1)
        return loaded == "True", said

    loaded, said = days("2026-11-10:init")
    assert "created" in said and not loaded
    quiet = ("2026-11-11:rollover", "2026-11-11:recap", "2026-11-11:agenda", "2026-11-11:rollover")
    loaded, said = days(*quiet)
    assert "nothing to do" in said and not loaded
    loaded, said = days("2026-12-10:rollover")
    assert "rolled" in said and loaded

"""Secrets and files (issue 6). Every command the suite runs already goes through
``tests.test_cli.run``, which runs it with ``--verbose`` and checks its output, its
traceback and the outbox for every secret the tests made; these tests show the
verbose lines are there to check, that a crash is checked too, and the warnings
about files others can read."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetsync.cli import cli
from tests.conftest import CONFIG
from tests.fakes.smtp_server import PASSWORD, SmtpServer
from tests.secrets import leaked
from tests.test_cli import run
from tests.test_google import google, with_work
from tests.test_mail import use_smtp


def raw(config: Path, *args: str, today: str = "2026-10-31") -> tuple[str, str]:
    """Output (verbose lines kept) and traceback of one command."""
    res = CliRunner().invoke(cli, ["--config", str(config), "--today", today, *args])
    trace = "".join(traceback.format_exception(*res.exc_info)) if res.exc_info else ""
    return res.output, trace


def test_verbose_says_each_request_and_hand_over_and_no_secret(
    tmp_path: Path, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    server = SmtpServer(tmp_path).start()
    try:
        with google(tmp_path) as g:
            run(g.config, "init")
            with_work(g)
            g.type_row("Bob", "#wins", ["First logo"])  # a blank page gets no recap
            use_smtp(g.config, server)
            g.fake.fail(len(g.fake.calls) + 1, 429, '{"error": {"code": 429}}')
            out, _ = raw(g.config, "--verbose", "recap")
            quiet, _ = raw(g.config, "recap", "--resend", "--rep", "Bob Stone")
    finally:
        server.stop()
    lines = [ln for ln in out.splitlines() if ln.startswith("sheetsync: ")]
    assert any("GET /v4/spreadsheets/" in ln and "-> 429" in ln for ln in lines)
    assert any(ln.startswith("sheetsync: retry 1 in ") for ln in lines)
    assert any(":batchUpdate -> 200" in ln for ln in lines)
    assert sum("accepted <" in ln for ln in lines) == 2  # one per message
    assert any("connected (starttls)" in ln for ln in lines)
    assert not leaked(out) and not leaked(quiet)
    assert PASSWORD not in out and "Bearer" not in out and "ya29." not in out
    assert "sheetsync: " not in quiet  # silent without the flag


def test_a_crash_prints_a_traceback_without_secrets(tmp_path: Path, sleeps: list[float]) -> None:
    """A bug (not a user mistake) ends in a traceback; key material and tokens were
    in memory all along, and none of it may be in it."""
    with google(tmp_path) as g:
        run(g.config, "init")
        g.fake.fail_with(len(g.fake.calls) + 2, RuntimeError("a bug in a library"))
        out, trace = raw(g.config, "--verbose", "status")
    assert "RuntimeError: a bug in a library" in trace
    assert not leaked(out + trace)


def test_a_config_others_can_read_with_a_secret_in_it_is_warned_about(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    token = "ya29.a0AfB_byC" + "x" * 40
    config.write_text(CONFIG.replace("    reps:", f"    # token: {token}\n    reps:"))
    config.chmod(0o644)
    res = run(config, "status")
    warning = [ln for ln in res.output.splitlines() if ln.startswith("Warning:")]
    assert warning == [
        f"Warning: {config}:8 looks like a Google access token and the file is readable by "
        f"others (mode 644); move it to an environment variable, and chmod 600 {config}"
    ]
    assert token not in res.output  # named by line, never quoted
    config.chmod(0o600)
    assert "Warning" not in run(config, "status").output
    config.write_text(CONFIG)
    config.chmod(0o644)  # readable, but nothing secret in it: fine
    assert "Warning" not in run(config, "status").output


def test_a_key_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        key = tmp_path / "sa.json"
        key.chmod(0o644)
        res = run(g.config, "init")
        assert res.exit_code == 0
        assert f"Warning: {key}: this Google key file is readable by others (mode 644)" in (
            res.output
        )
        key.chmod(0o600)
        assert "Warning" not in run(g.config, "status").output


def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sheetsync.commands import cycle

    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    assert run(config, "init").exit_code == 0  # a workbook to roll
    monkeypatch.setattr(cycle, "rollover", interrupted)
    res = run(config, "rollover")
    assert res.exit_code == 130
    assert res.output == "Interrupted; run the command again to finish\n"

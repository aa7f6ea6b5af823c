"""Where a team keeps its local workbook (issue 13): behind a link to a synced or
shared copy, in a folder sheetsync cannot write (a read-only mount), or as a file
its owner made read-only. Reading commands work; writing ones write through the
link, or refuse in one line and leave the file as it was."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from sheetsync.adapters import filelock
from tests.backends import XlsxBackend
from tests.test_cli import run


def test_a_linked_workbook_is_written_through_the_link(tmp_path: Path) -> None:
    b = XlsxBackend(tmp_path)
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    shared = tmp_path / "OneDrive" / "Sales"
    shared.mkdir(parents=True)
    real = shared / "team.xlsx"
    b.path.rename(real)
    b.path.symlink_to(real)
    (tmp_path / ".team.xlsx.sheetsync.lock").unlink()  # init's, from before the move
    res = run(b.config, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    assert b.path.is_symlink() and b.path.resolve() == real  # still the link
    assert b.cells("Alice Chen")[3][2] == "2026-11"  # read through it: the real file
    assert (shared / ".team.xlsx.sheetsync.lock").exists()  # locked beside the real file
    assert not (tmp_path / ".team.xlsx.sheetsync.lock").exists()
    # the manager has the real file open in LibreOffice: its lock is beside it
    (shared / ".~lock.team.xlsx#").write_text("Dana,host,,")
    before = real.read_bytes()
    res = run(b.config, "rollover", today="2026-12-02")
    assert res.exit_code == 1 and "open in Excel or LibreOffice" in res.output, res.output
    assert res.output.count("\n") == 1
    assert real.read_bytes() == before


def test_a_folder_that_cannot_be_written_is_read_and_a_write_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = XlsxBackend(tmp_path)
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    before = b.path.read_bytes()
    real_open = os.open

    def read_only_mount(path: object, flags: int, *args: object) -> int:
        if str(path).endswith(".sheetsync.lock"):  # as on a read-only mount
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(filelock.os, "open", read_only_mount)
    status = run(b.config, "status", today="2026-11-02")
    assert status.exit_code == 0 and "Alice Chen" in status.output, status.output
    check = run(b.config, "check", today="2026-11-02")
    assert "cannot make the lock file" not in check.output, check.output
    res = run(b.config, "rollover", today="2026-11-02")
    assert res.exit_code == 1, res.output
    assert res.output == (
        f"Error: {tmp_path}: cannot write here (Read-only file system); nothing was written\n"
    )
    assert b.path.read_bytes() == before


def test_a_workbook_made_read_only_by_its_owner_is_never_replaced(tmp_path: Path) -> None:
    b = XlsxBackend(tmp_path)
    assert run(b.config, "init", today="2026-10-05").exit_code == 0
    b.path.chmod(0o444)
    before = b.path.read_bytes()
    assert run(b.config, "status", today="2026-11-02").exit_code == 0
    res = run(b.config, "rollover", today="2026-11-02")
    assert res.exit_code == 1 and res.output.count("\n") == 1, res.output
    assert "is read-only (its permissions); nothing was written" in res.output
    assert b.path.read_bytes() == before and b.path.stat().st_mode & 0o777 == 0o444

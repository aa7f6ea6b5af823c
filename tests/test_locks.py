"""Excel's and LibreOffice's lock files beside a local workbook: reading goes on
with a warning, a write is refused naming who has it open and since when, and a
stale lock (older than a day, from this machine, no LibreOffice running on its
profile) is ignored with a warning and left in place.

Lock files are written here in the formats LibreOffice and Excel use (see
``sheetsync.adapters.filelock``); one test has real LibreOffice write them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sheetsync.adapters import filelock
from sheetsync.adapters.filelock import excel_owner_name, office_locks, stale_reason
from tests.libreoffice import SYSTEM_PYTHON, why_not
from tests.test_cli import run

LO_LOCK = ".~lock.team.xlsx#"


def lo_lock(folder: Path, name: str, login: str, host: str, since: datetime, profile: str) -> Path:
    """A LibreOffice lock file: ``name,login,host,dd.mm.yyyy hh:mm,profile URL;``."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")

    line = f"{esc(name)},{esc(login)},{esc(host)},{since:%d.%m.%Y %H:%M},{esc(profile)};"
    path = folder / LO_LOCK
    path.write_bytes(line.encode("utf-8"))
    return path


def excel_owner(name: str, word: bool = False) -> bytes:
    """Excel's (165 bytes, second length at 55, spaces) or Word's (162, at 54,
    zeros) owner file, as LibreOffice's MSODocumentLockFile writes them."""
    size, pad = (162, 0) if word else (165, 0x20)
    data = bytearray([len(name)]) + name.encode("cp1252", errors="replace")
    data += bytes([pad]) * ((54 if word else 55) - len(data))
    data += bytes([len(name), 0]) + name.encode("utf-16-le")
    while len(data) < size:
        data += bytes([0x20, 0]) if not word else b"\0"
    return bytes(data[:size])


def team(config_file: Path) -> Path:
    assert run(config_file, "init", today="2026-10-05").exit_code == 0
    return config_file.parent


def lines(output: str, start: str) -> list[str]:
    return [ln for ln in output.splitlines() if ln.startswith(start)]


def test_open_in_libreoffice_elsewhere_reads_with_a_warning_and_a_write_names_who(
    config_file: Path,
) -> None:
    folder = team(config_file)
    book = folder / "team.xlsx"
    since = datetime.now() - timedelta(days=92)
    lo_lock(folder, "Ann Lee", "ann", "laptop-7", since, "file:///home/ann/.config/libreoffice/4")
    stamp = f"{since:%Y-%m-%d %H:%M}"
    who = f"open in LibreOffice by Ann Lee (ann) on laptop-7 since {stamp} (3 months ago)"

    status = run(config_file, "status", today="2026-10-20")
    assert status.exit_code == 0, status.output
    assert "Alice Chen" in status.output
    (warning,) = lines(status.output, "Warning:")
    assert who in warning and "read as last saved" in warning

    check = run(config_file, "check", today="2026-10-20")
    assert check.exit_code == 0, check.output
    assert who in "".join(lines(check.output, "Warning:"))

    dry = run(config_file, "recap", "--dry-run", today="2026-10-31")
    assert dry.exit_code == 0, dry.output
    assert "West / Alice Chen: recap 2026-10" in dry.output  # the pages were read
    assert who in "".join(lines(dry.output, "Warning:"))

    before = book.read_bytes()
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 1
    (error,) = res.output.splitlines()  # one line: no warning beside the error
    assert error.startswith(f"Error: {book} is {who} (lock file {LO_LOCK}); nothing was written")
    assert error.endswith(f"(the program may have crashed), delete {LO_LOCK}")
    assert book.read_bytes() == before
    assert (folder / LO_LOCK).exists()


def test_an_excel_owner_file_names_the_person(config_file: Path) -> None:
    # Excel's layout and Word's; a name outside cp1252 is read from the UTF-16 copy
    assert excel_owner_name(excel_owner("Zoë Łukasz")) == "Zoë Łukasz"
    assert excel_owner_name(excel_owner("Ann Lee", word=True)) == "Ann Lee"
    assert excel_owner_name(b"\0" * 165) is None
    folder = team(config_file)
    (folder / "~$team.xlsx").write_bytes(excel_owner("Zoë Łukasz"))
    (folder / "~$myteam.xlsx").write_bytes(excel_owner("Somebody Else"))  # another book's
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 1
    assert "team.xlsx is open in Excel by Zoë Łukasz since " in res.output
    assert "(lock file ~$team.xlsx); nothing was written: ask them to close it" in res.output
    assert "Somebody" not in res.output
    (folder / "~$team.xlsx").unlink()
    assert run(config_file, "rollover", today="2026-11-02").exit_code == 0


def test_a_stale_lock_from_this_machine_is_ignored_with_a_warning_and_kept(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = team(config_file)
    host = socket.gethostname()
    profile = f"file://{folder}/gone-profile"  # no LibreOffice runs with it
    old = datetime.now() - timedelta(days=92)
    lock = lo_lock(folder, "", "dana", host, old, profile)

    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    assert "rolled 2026-10 -> 2026-11" in res.output
    (warning,) = lines(res.output, "Warning:")
    assert f"ignoring a stale LibreOffice lock file {LO_LOCK} (opened by dana on {host}" in warning
    assert f"delete {LO_LOCK} to stop this warning" in warning
    assert lock.exists()  # never deleted by sheetsync

    # the same lock is not stale when a LibreOffice runs on its profile ...
    monkeypatch.setattr(filelock, "libreoffice_profiles", lambda: {profile})
    held = run(config_file, "rollover", today="2026-12-02")
    assert held.exit_code == 1 and "open in LibreOffice by dana on" in held.output, held.output
    # ... nor when the processes cannot be listed, nor when it is younger than a day
    monkeypatch.setattr(filelock, "libreoffice_profiles", lambda: None)
    assert run(config_file, "rollover", today="2026-12-02").exit_code == 1
    monkeypatch.undo()
    lo_lock(folder, "", "dana", host, datetime.now() - timedelta(hours=20), profile)
    young = run(config_file, "rollover", today="2026-12-02")
    assert young.exit_code == 1 and "(20 hours ago)" in young.output, young.output
    assert "delete" not in young.output  # a fresh lock: somebody is at it


HOLD = r"""
import os, subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue
book, profile = sys.argv[1:3]
pipe = "sheetsync_lock_%d" % os.getpid()
subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
    "-env:UserInstallation=file://" + profile, "--accept=pipe,name=%s;urp;" % pipe],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext(
    "com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(600):
    try:
        ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        break
    except Exception:
        time.sleep(0.1)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
hidden = PropertyValue()
hidden.Name, hidden.Value = "Hidden", True
desktop.loadComponentFromURL(uno.systemPathToFileUrl(book), "_blank", 0, (hidden,))
print("open", flush=True)
sys.stdin.read()  # held open until the test closes our input
"""

# LibreOffice's user data (Tools > Options > User Data), with a comma the lock
# file must escape, and its MSO owner file switched on (off by default on Linux)
PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.UserProfile/Data"><prop oor:name="givenname" oor:op="fuse">
<value>Zoë</value></prop></item>
<item oor:path="/org.openoffice.UserProfile/Data"><prop oor:name="sn" oor:op="fuse">
<value>Lee, Jr.</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Filter/Microsoft/Import">
<prop oor:name="CreateMSOLockFiles" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""


def office_pids(profile: Path) -> list[int]:
    """The LibreOffice processes this test started: those on its own profile."""
    mark = f"-env:UserInstallation=file://{profile}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and mark in (entry / "cmdline").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(sys.platform != "linux", reason="lists LibreOffice's processes in /proc")
def test_lock_files_real_libreoffice_writes(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = why_not()
    if reason is not None:
        pytest.skip(reason)
    folder = team(config_file)
    book = folder / "team.xlsx"
    profile = folder / "lo-profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(PROFILE, encoding="utf-8")
    script = folder / "hold.py"
    script.write_text(HOLD, encoding="utf-8")
    holder = subprocess.Popen(
        [SYSTEM_PYTHON, str(script), str(book), str(profile)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        (lock,) = office_locks(book)
        assert (lock.app, lock.name, lock.login) == ("LibreOffice", "Zoë Lee, Jr.", lock.login)
        assert lock.host == socket.gethostname() and lock.profile == f"file://{profile}"
        assert lock.also == folder / "~$team.xlsx"  # its Excel-style owner file, one lock
        assert lock.since is not None and abs(datetime.now() - lock.since) < timedelta(minutes=2)
        assert excel_owner_name((folder / "~$team.xlsx").read_bytes()) == "Zoë Lee, Jr."

        status = run(config_file, "status", today="2026-10-20")
        assert status.exit_code == 0 and "open in LibreOffice by Zoë Lee, Jr." in status.output
        res = run(config_file, "rollover", today="2026-11-02")
        assert res.exit_code == 1 and "open in LibreOffice by Zoë Lee, Jr." in res.output
        # a day on, with LibreOffice still running on that profile: still held
        later = datetime.now() + timedelta(days=2)
        assert stale_reason(lock, later) is None
    finally:
        for pid in office_pids(profile):  # as a crash would: the lock files stay
            os.kill(pid, signal.SIGKILL)
        holder.kill()
        holder.wait(timeout=30)
    for _ in range(50):
        if not office_pids(profile):
            break
        time.sleep(0.1)
    assert (folder / LO_LOCK).exists()
    assert stale_reason(lock, later) is not None  # its program is gone
    assert stale_reason(lock, datetime.now()) is None  # but not a day old yet
    monkeypatch.setattr(filelock, "now", lambda: later)
    res = run(config_file, "rollover", today="2026-11-02")
    assert res.exit_code == 0, res.output
    assert f"ignoring a stale LibreOffice lock file {LO_LOCK}" in res.output
    assert f"delete {LO_LOCK} and ~$team.xlsx to stop this warning" in res.output

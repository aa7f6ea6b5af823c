"""An advisory lock beside the workbook, so two sheetsync runs never interleave,
plus Excel's and LibreOffice's own lock files: who holds them, since when, and
whether they are stale.

Excel's or LibreOffice's lock file beside a workbook means a person has it open.
Reading goes on (with a warning once the command ends: the file is read as last
saved); a write is refused, naming the person, their machine and since when.

A lock is *stale* when it is a LibreOffice lock older than a day, written on this
machine (its host name is ours), and no LibreOffice process here runs with the
user profile the lock names. LibreOffice writes no process id, but it writes the
URL of its user profile (``-env:UserInstallation=...``, by default
``~/.config/libreoffice/4``), and one profile is used by one LibreOffice at a time:
a running ``soffice``/``oosplash`` with that profile (or with the default profile,
when the lock names the default one) may hold it; none means the program that
wrote it has gone (crashed, killed, or the machine restarted). Where the running
programs cannot be listed, no lock is stale. An Excel owner file names a person
but no machine, so it is never judged stale.

A stale lock is ignored with a warning that says how to remove it; sheetsync never
deletes it: it is not ours, and on a shared drive two machines may carry the same
host name.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from sheetsync.errors import WorkbookBusy

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=1)
# program names of a running LibreOffice (the launcher, the program, the wrapper)
_OFFICE_PROGRAMS = {"soffice", "soffice.bin", "oosplash", "libreoffice", "soffice.exe"}
_USER_INSTALLATION = "-env:UserInstallation="


@dataclass(frozen=True)
class OfficeLock:
    """Excel's or LibreOffice's lock file beside a workbook, as read."""

    file: Path
    app: str  # "LibreOffice", "Excel", or "Excel or LibreOffice" when unreadable
    name: str | None = None  # the person, as their program knows them
    login: str | None = None  # LibreOffice: their user name on their machine
    host: str | None = None  # LibreOffice: their machine
    since: datetime | None = None  # local time it was opened (or the file's time)
    profile: str | None = None  # LibreOffice: the URL of its user profile
    also: Path | None = None  # the Excel-style owner file LibreOffice wrote beside it

    @property
    def holder(self) -> str:
        """'Zoë Lee (zoe) on laptop-7', 'Ann Lee', or '' when the file says nobody."""
        who = self.name or self.login or ""
        if self.name and self.login and self.login != self.name:
            who += f" ({self.login})"
        if self.host:
            who += f" on {self.host}" if who else f"someone on {self.host}"
        return who

    def age(self, now: datetime) -> timedelta | None:
        return now - self.since if self.since is not None else None

    def describe(self, now: datetime) -> str:
        """'open in LibreOffice by Zoë Lee on vm since 2026-11-24 03:41 (3 months ago)'."""
        return f"open in {self.app}{self.who_since(now)}"

    def who_since(self, now: datetime) -> str:
        """' by Zoë Lee on vm since 2026-11-24 03:41 (3 months ago)', or less."""
        text = f" by {self.holder}" if self.holder else ""
        if self.since is not None:
            text += f" since {self.since:%Y-%m-%d %H:%M}"
            age = self.age(now)
            if age is not None and age >= timedelta(hours=1):
                text += f" ({ago(age)})"
        return text

    @property
    def files(self) -> str:
        names = [self.file.name] + ([self.also.name] if self.also is not None else [])
        return " and ".join(names)


def ago(age: timedelta) -> str:
    """A rough age in words: '5 minutes ago', '2 days ago', '3 months ago'."""
    minutes = int(age.total_seconds() // 60)
    for unit, size in (("year", 525_600), ("month", 43_200), ("day", 1_440), ("hour", 60)):
        if minutes >= size:
            n = minutes // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return f"{minutes} minute{'' if minutes == 1 else 's'} ago"


# --- reading the lock files ---------------------------------------------------------------


def _lo_fields(data: bytes) -> list[str] | None:
    """The five fields of a LibreOffice lock file, or None when it is not one.

    Format (LibreOffice svl/source/misc/lockfilecommon.cxx, GenerateOwnEntry and
    ParseEntry; checked against the file real LibreOffice 7 writes): one line of
    UTF-8 ``<name>,<login>,<host>,<dd.mm.yyyy hh:mm>,<profile URL>;`` where the name
    is the one under Tools > Options > User Data (empty when unset), and ``\\``,
    ``,`` and ``;`` inside a field are escaped with a backslash."""
    text = data.decode("utf-8", errors="replace")
    fields, current, escape = [], "", False
    for ch in text:
        if escape:
            current, escape = current + ch, False
        elif ch == "\\":
            escape = True
        elif ch in ",;":
            fields.append(current)
            current = ""
            if ch == ";":
                break
        else:
            current += ch
    else:
        return None  # no closing ';'
    return fields if len(fields) == 5 else None


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return None


def read_libreoffice_lock(path: Path) -> OfficeLock:
    try:
        data = path.read_bytes()[:4096]
    except OSError:
        data = b""
    fields = _lo_fields(data)
    if fields is None:
        return OfficeLock(path, "Excel or LibreOffice", since=_mtime(path))
    name, login, host, stamp, profile = (f.strip() for f in fields)
    try:
        since: datetime | None = datetime.strptime(stamp, "%d.%m.%Y %H:%M")
    except ValueError:
        since = _mtime(path)
    return OfficeLock(
        path, "LibreOffice", name or None, login or None, host or None, since, profile or None
    )


def excel_owner_name(data: bytes) -> str | None:
    """The person named in Excel's owner file ``~$book.xlsx``, or None.

    Layout (reverse-engineered by LibreOffice, which reads and writes these files:
    svl/source/misc/msodocumentlockfile.cxx, MSODocumentLockFile::GetLockData; and
    checked against the ``~$team.xlsx`` LibreOffice 7 writes): byte 0 is the length
    of the name (at most 52), then the name in the Windows code page (cp1252),
    padded; then the length again as a 2-byte little-endian word and the name in
    UTF-16LE. Word's file is 162 bytes with the word at offset 54 and zeros before
    it; Excel's and PowerPoint's are 165 bytes with it at offset 55 and spaces
    (0x20) before it. The UTF-16 copy wins; the cp1252 one is the fallback."""
    if len(data) < 56 or not 0 < data[0] <= 52:
        return None
    at = 54
    if data[at] == 0x20 and (data[at - 1] != 0 or data[at - 2] != 0):
        at = 55  # Excel or PowerPoint
    size = data[at]
    if 0 < size <= 52 and len(data) >= at + 2 + 2 * size:
        text = data[at + 2 : at + 2 + 2 * size].decode("utf-16-le", errors="replace")
        if text.strip():
            return text.strip()
    return data[1 : 1 + data[0]].decode("cp1252", errors="replace").strip() or None


def read_excel_owner(path: Path) -> OfficeLock:
    try:
        data = path.read_bytes()[:512]
    except OSError:
        data = b""
    name = excel_owner_name(data)
    return OfficeLock(path, "Excel" if name else "Excel or LibreOffice", name, since=_mtime(path))


def office_locks(workbook: Path) -> list[OfficeLock]:
    """The lock files Excel and LibreOffice keep beside a workbook they have open.

    LibreOffice's is ``.~lock.<name>#``; Excel's owner file is ``~$<name>`` (only
    Word shortens long names). LibreOffice can write both for one document: then
    they are one lock, named by LibreOffice's file."""
    lo_path = workbook.with_name(f".~lock.{workbook.name}#")
    ms_path = workbook.with_name(f"~${workbook.name}")
    found: list[OfficeLock] = []
    lo = read_libreoffice_lock(lo_path) if lo_path.exists() else None
    ms = read_excel_owner(ms_path) if ms_path.exists() else None
    if lo is not None and ms is not None and lo.app == "LibreOffice" and ms.name in _names(lo):
        lo, ms = replace(lo, also=ms_path), None
    found += [x for x in (lo, ms) if x is not None]
    return found


def _names(lock: OfficeLock) -> set[str | None]:
    """The names LibreOffice writes in the owner file it keeps beside its own lock
    (its user name cut to 52 characters, or none)."""
    return {None, lock.login, lock.name, (lock.name or "")[:52]}


def office_lock(path: Path) -> Path | None:
    """The first lock file Excel or LibreOffice keeps beside a workbook, if any."""
    found = office_locks(path)
    return found[0].file if found else None


# --- is it stale? --------------------------------------------------------------------------


def _proc_commands() -> list[list[str]] | None:
    """The argument lists of the processes this machine runs, or None when they
    cannot be listed."""
    proc = Path("/proc")
    if proc.is_dir():
        out = []
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue  # gone meanwhile, or not ours to see
            if raw:
                out.append(raw.decode(errors="replace").rstrip("\0").split("\0"))
        return out
    try:
        ps = subprocess.run(
            ["ps", "-axww", "-o", "args="], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [line.split() for line in ps.stdout.splitlines() if line.strip()]


def libreoffice_profiles() -> set[str] | None:
    """The user profiles (URLs) of the LibreOffice processes running here; "" for
    one on the default profile. None when the processes cannot be listed."""
    commands = _proc_commands()
    if commands is None:
        return None
    profiles: set[str] = set()
    for args in commands:
        if not args or os.path.basename(args[0]) not in _OFFICE_PROGRAMS:
            continue
        given = [a[len(_USER_INSTALLATION) :] for a in args if a.startswith(_USER_INSTALLATION)]
        profiles.add(_profile_key(given[0]) if given else "")
    return profiles


def _profile_key(url: str) -> str:
    return unquote(url).rstrip("/")


def _this_machine(host: str) -> bool:
    names = {socket.gethostname(), socket.getfqdn()}
    short = {n.split(".")[0].casefold() for n in names if n}
    return host.casefold() in {n.casefold() for n in names} or host.split(".")[0].casefold() in (
        short
    )


def stale_reason(lock: OfficeLock, now: datetime) -> str | None:
    """Why ``lock`` is stale (see the module's docstring), or None when someone may
    still hold it."""
    age = lock.age(now)
    if lock.app != "LibreOffice" or lock.host is None or age is None or age < STALE_AFTER:
        return None
    if not _this_machine(lock.host):
        return None
    running = libreoffice_profiles()
    if running is None:
        return None
    profile = _profile_key(lock.profile or "")
    default = not profile or re.search(r"/libreoffice/\d+$", profile) is not None
    if profile in running or ("" in running and default):
        return None
    return f"it is from this machine ({lock.host}) and no LibreOffice here has its profile open"


def now() -> datetime:
    """Local time, as LibreOffice writes it in its lock file."""
    return datetime.now()


# --- the lock sheetsync holds --------------------------------------------------------------


class FileLock:
    """Exclusive ``flock`` on ``<workbook>.sheetsync.lock``; released on exit or crash."""

    def __init__(
        self,
        path: Path,
        wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path.with_name(f".{path.name}.sheetsync.lock")
        self.target = path
        self.wait = wait
        self.sleep = sleep
        self._fd: int | None = None
        # why no lock could be made in a folder that cannot be written (a read-only
        # mount, a shared folder without write access): reading goes on unlocked,
        # since every write replaces the file whole; writing is refused
        self.unwritable: str | None = None
        self._warnings: dict[Path, str] = {}  # said once the command ends

    def __enter__(self) -> FileLock:
        self.unwritable = None
        self._warnings = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                self.unwritable = exc.strerror or str(exc)
                return self
            raise WorkbookBusy(f"{self.path}: cannot make the lock file ({exc.strerror})") from None
        waited = 0.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waited >= self.wait:
                    os.close(fd)
                    raise WorkbookBusy(
                        f"{self.target}: another sheetsync run is using this workbook "
                        f"(waited {self.wait:g}s); try again when it finishes"
                    ) from None
                self.sleep(0.2)
                waited += 0.2
        self._fd = fd
        return self

    def office(self, writing: bool) -> None:
        """Excel's or LibreOffice's lock beside the workbook: a read goes on (and
        is warned about when the command ends), a write is refused with who holds
        it and since when. A stale lock is ignored, with a warning."""
        at = now()
        for lock in office_locks(self.target):
            why = stale_reason(lock, at)
            if why is not None:
                self._warnings[lock.file] = (
                    f"{self.target}: ignoring a stale {lock.app} lock file {lock.file.name} "
                    f"(opened{lock.who_since(at)}): {why}; "
                    f"delete {lock.files} to stop this warning"
                )
                continue
            if writing:
                self._warnings.pop(lock.file, None)  # the error says it
                hint = "ask them to close it, then run again"
                age = lock.age(at)
                if age is None or age >= STALE_AFTER:
                    hint += (
                        f"; if nobody has it open any more (the program may have crashed), "
                        f"delete {lock.files}"
                    )
                raise WorkbookBusy(
                    f"{self.target} is {lock.describe(at)} (lock file {lock.file.name}); "
                    f"nothing was written: {hint}"
                )
            self._warnings[lock.file] = (
                f"{self.target} is {lock.describe(at)}: read as last saved, without "
                "their unsaved changes; a command that writes to it is refused until it is closed"
            )

    def __exit__(self, *exc: object) -> None:
        for warning in self._warnings.values():
            log.warning("%s", warning)
        self._warnings = {}
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
            # The lock file stays: unlinking it would let a waiter lock a stale inode.

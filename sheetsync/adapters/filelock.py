"""An advisory lock beside the workbook, so two sheetsync runs never interleave,
plus detection of Excel's and LibreOffice's own lock files."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from sheetsync.errors import WorkbookBusy


def office_lock(path: Path) -> Path | None:
    """The lock file Excel or LibreOffice keeps beside a workbook it has open."""
    candidates = [
        path.with_name(f".~lock.{path.name}#"),  # LibreOffice
        path.with_name(f"~${path.name}"),  # Excel, short names
        path.with_name(f"~${path.name[2:]}"),  # Excel, long names
    ]
    return next((c for c in candidates if c.exists()), None)


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

    def __enter__(self) -> FileLock:
        self.unwritable = None
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

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
            # The lock file stays: unlinking it would let a waiter lock a stale inode.

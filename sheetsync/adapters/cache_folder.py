"""Where sheetsync keeps what it may read again instead of the workbook: the
copies of History (Google's, the local workbook's). Each is a cache in the XDG
sense: deleting it costs one full read, never anything else."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def cache_folder(kind: str) -> Path | None:
    """``$XDG_CACHE_HOME/sheetsync/<kind>``, or ``~/.cache/...`` where it is unset or
    not absolute (the XDG base directory spec ignores a relative one); None where
    there is no home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    except RuntimeError:  # no HOME, and no home directory in the password database
        return None
    return root / "sheetsync" / kind


def write_private(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """``write`` the file's bytes to a temporary file beside ``path``, readable by
    its owner only (what is kept holds deal data), then rename it over ``path``:
    a run that dies, or two at once, never leave half a file. Raises ``OSError``
    (the caller decides that a cache not kept is no error), after removing the
    temporary file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

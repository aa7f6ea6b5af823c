"""Where sheetsync keeps what it may read again instead of the workbook: the
copies of History (Google's, the local workbook's). Each is a cache in the XDG
sense: deleting it costs one full read, never anything else."""

from __future__ import annotations

import os
from pathlib import Path


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

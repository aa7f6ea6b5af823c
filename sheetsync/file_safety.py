"""Warnings about files that hold secrets and that other people on the machine can
read: the config (when something in it looks like a secret) and a Google key file.

sheetsync refuses secret-looking keys in the config; this catches a secret pasted
into a value (a token as ``password_env``, a key block in a comment) and a
service-account key left world-readable by a download.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# Shapes of real credentials: Google access and refresh tokens, OAuth client
# secrets, API keys, private key blocks, Slack and common bearer tokens.
SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a Google access token", re.compile(r"\bya29\.[0-9A-Za-z_\-]{10,}")),
    ("a Google refresh token", re.compile(r"(?<![\w/])1//[0-9A-Za-z_\-]{10,}")),
    ("an OAuth client secret", re.compile(r"\bGOCSPX-[0-9A-Za-z_\-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z\-]{10,}")),
    ("an API key", re.compile(r"\bsk-[0-9A-Za-z_\-]{20,}")),
)


def readable_by_others(path: Path) -> int | None:
    """The file's mode when group or others may read it, else None."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & (stat.S_IRGRP | stat.S_IROTH) else None


def secret_in(text: str) -> tuple[int, str] | None:
    """(line, what) of the first thing in ``text`` that looks like a credential."""
    for n, line in enumerate(text.splitlines(), start=1):
        for what, shape in SECRET_SHAPES:
            if shape.search(line):
                return n, what
    return None


def _holds_a_key(path: Path) -> bool:
    """A service-account key or a person's token file (not a file that is broken)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:100_000]
    except OSError:
        return False
    return '"private_key"' in text or '"refresh_token"' in text or secret_in(text) is not None


def config_warnings(path: Path, text: str, key_files: list[Path]) -> list[str]:
    out = []
    mode = readable_by_others(path)
    found = secret_in(text) if mode is not None else None
    if mode is not None and found is not None:
        line, what = found
        out.append(
            f"{path}:{line} looks like {what} and the file is readable by others "
            f"(mode {mode:03o}); move it to an environment variable, and chmod 600 {path}"
        )
    for key in key_files:
        mode = readable_by_others(key)
        if mode is not None and _holds_a_key(key):
            out.append(
                f"{key}: this Google key file is readable by others (mode {mode:03o}); "
                f"chmod 600 {key}"
            )
    return out


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, from the first byte (not chmod after)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # it may have existed with another mode
        handle.write(data)

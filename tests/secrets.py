"""Every secret a test makes (key material, access and refresh tokens, SMTP
passwords), so that each command run through the CLI can be checked: none of them
may appear in what it prints, however it ends (issue 6)."""

from __future__ import annotations

KNOWN: set[str] = set()


def remember(secret: str) -> str:
    """Record ``secret`` (and, for a PEM key, each line of its body); return it."""
    KNOWN.add(secret)
    for line in secret.splitlines():
        if len(line) >= 24 and "-----" not in line:
            KNOWN.add(line)
    return secret


def leaked(text: str) -> list[str]:
    return sorted(s for s in KNOWN if s and s in text)

"""Small helpers for messages in a person's words."""

from __future__ import annotations


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 warning', '2 warnings', '1 person', '3 people' (``words`` when the plural
    is not ``word`` + s)."""
    return f"{n} {word if n == 1 else (words or word + 's')}"

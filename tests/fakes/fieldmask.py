"""Partial responses: the ``fields`` query parameter, as Google applies it.

``sheets(properties(sheetId,title),data.rowData.values.userEnteredValue)`` keeps
only those paths; dots and parentheses nest; ``*`` keeps everything below.
"""

from __future__ import annotations

from typing import Any

Mask = dict[str, "Mask"]  # an empty mask keeps the whole value


def parse_mask(text: str) -> Mask:
    text = text.replace(" ", "").replace("/", ".")  # Google takes ``a/b`` for ``a.b``
    mask, rest = _parse(text, 0)
    if rest != len(text):
        raise ValueError(f"Invalid field selection {text}")
    return mask


def _parse(text: str, i: int) -> tuple[Mask, int]:
    mask: Mask = {}
    while i < len(text) and text[i] != ")":
        j = i
        while j < len(text) and text[j] not in ",()":
            j += 1
        path = text[i:j].split(".")
        if not all(path):
            raise ValueError(f"Invalid field selection {text}")
        node = mask
        for part in path[:-1]:
            node = node.setdefault(part, {})
        leaf = node.setdefault(path[-1], {})
        i = j
        if i < len(text) and text[i] == "(":
            sub, i = _parse(text, i + 1)
            if i >= len(text) or text[i] != ")":
                raise ValueError(f"Invalid field selection {text}")
            leaf.update(sub)
            i += 1
        if i < len(text) and text[i] == ",":
            i += 1
    return mask, i


def apply_mask(value: Any, mask: Mask) -> Any:
    if not mask or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply_mask(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, sub in mask.items():
        if key in value:
            out[key] = apply_mask(value[key], sub)
    return out

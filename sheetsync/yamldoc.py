"""YAML documents that remember where each key was written, so that every
config or template error can name ``file:line``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sheetsync.errors import ConfigError

Path_ = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """Plain Python data plus the line of every mapping key and list item."""

    data: Any
    source: str
    lines: dict[Path_, int] = field(default_factory=dict)
    text: str = ""  # the document as read, for checks on the raw text

    def where(self, *path: str | int) -> str:
        """``file:line`` of ``path``, or of its nearest ancestor that has a line."""
        key: Path_ = tuple(path)
        while key and key not in self.lines:
            key = key[:-1]
        line = self.lines.get(key)
        return f"{self.source}:{line}" if line else self.source


MERGE = "tag:yaml.org,2002:merge"  # ``<<: *anchor``: the anchor's keys, unless given here
_KINDS = {  # a value of YAML's types, in a person's words
    "tag:yaml.org,2002:timestamp": "date",
    "tag:yaml.org,2002:int": "whole number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "yes or no",
}


def _convert(
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    source: str,
    within: frozenset[int] = frozenset(),
) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.CollectionNode):
        if id(node) in within:
            raise ConfigError(
                f"{source}:{node.start_mark.line + 1}: an alias ('*name') used inside the "
                "'&name' it names; a mapping or list cannot hold itself"
            )
        within = within | {id(node)}
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        given = [(k, v) for k, v in node.value if k.tag != MERGE]
        for key_node, value_node in given:
            key = str(_scalar(key_node, source))
            if key in out:
                raise ConfigError(
                    f"{source}:{key_node.start_mark.line + 1}: key '{key}' appears twice"
                )
            key_path = (*path, key)
            lines[key_path] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, key_path, lines, source, within)
        merges = [(k, v) for k, v in node.value if k.tag == MERGE]
        if len(merges) > 1:
            line = merges[1][0].start_mark.line + 1
            raise ConfigError(
                f"{source}:{line}: key '<<' appears twice; merge a list: <<: [*a, *b]"
            )
        for key_node, value_node in merges:
            _merge(out, key_node, value_node, path, lines, source, within)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*path, i), lines, source, within) for i, item in enumerate(node.value)
        ]
    return _scalar(node, source)


def _merge(
    out: dict[str, Any],
    key_node: yaml.Node,
    value_node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    source: str,
    within: frozenset[int],
) -> None:
    """YAML's merge key: each key of the anchored mapping (or mappings, the first
    one first) that the mapping does not give itself, with the line it has there."""
    merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    for mapping in merged:
        if not isinstance(mapping, yaml.MappingNode):
            raise ConfigError(
                f"{source}:{key_node.start_mark.line + 1}: '<<' takes a mapping ('<<: *name' "
                "of an '&name' on keys); this is not one"
            )
        found: dict[Path_, int] = {}
        for key, value in _convert(mapping, path, found, source, within).items():
            if key not in out:
                out[key] = value
                lines.update((p, n) for p, n in found.items() if p[: len(path) + 1] == (*path, key))


def _scalar(node: yaml.Node, source: str) -> Any:
    """A scalar's value as ``yaml.safe_load`` makes it (made from the node, not
    written out and parsed again: a template has hundreds)."""
    try:
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except (ValueError, KeyError, AttributeError, TypeError):  # '!!int abc', 2026-13-45
        raise ConfigError(
            f"{source}:{node.start_mark.line + 1}: {node.value!r} is not a valid "
            f"{_KINDS.get(node.tag, node.tag)}; put it in quotes if it is text"
        ) from None
    except yaml.constructor.ConstructorError:
        raise ConfigError(
            f"{source}:{node.start_mark.line + 1}: the tag {node.tag!r} is not one sheetsync "
            "reads; remove it (put the value in quotes if it starts with '!')"
        ) from None


def _at(mark: Any) -> str:
    return f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""


def syntax_error(exc: yaml.YAMLError, text: str, source: str) -> str:
    """PyYAML's error (several lines of parser words) as one line: ``file:line:column``
    where the fix goes, what is wrong in plain words, and what to do."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        return (
            f"{source}:{line}:{column}: a control character (U+{char:04X}) YAML does not "
            "allow; delete it"
        )
    problem = str(getattr(exc, "problem", None) or "")
    context = str(getattr(exc, "context", None) or "")
    mark = getattr(exc, "problem_mark", None)
    opened = getattr(exc, "context_mark", None)
    words: str | None = None
    if "flow mapping" in context and opened is not None:
        mark, words = opened, "this '{' is never closed: end the item with '}'"
    elif "flow sequence" in context and opened is not None:
        mark, words = opened, "this '[' is never closed: end the list with ']'"
    elif "quoted scalar" in context and opened is not None:
        mark, words = opened, "this quote is never closed: end the text with the same quote"
    elif "'\\t'" in problem:
        words = "a tab used to indent; YAML indents with spaces only"
    elif "that cannot start any token" in problem:
        start = problem.split("'")[1] if problem.count("'") >= 2 else "this character"
        words = f"a value cannot start with {start!r}: put the value in quotes"
    elif problem == "mapping values are not allowed here":
        words = (
            "a ':' where a value was expected: put text that holds ': ' in quotes, or "
            "check the indentation of this line"
        )
    elif "could not find expected ':'" in problem:
        mark = opened or mark  # the line that lacks it, not the one after
        words = "a line without 'key: value' among keys: add the ':' or fix its indentation"
    elif problem.startswith(("expected <block end>", "did not find expected")):
        words = "this line's indentation does not match the lines above it: line it up with spaces"
    elif problem.startswith("found undefined alias"):
        words = f"{problem.removeprefix('found ')} (a '*name' needs an '&name' above it)"
    if words is None:
        words = "; ".join(x for x in (problem, context) if x) or "not valid YAML"
    return f"{source}{_at(mark)}: {words}"


def parse_yaml(text: str, source: str) -> YamlDoc:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(syntax_error(exc, text, source)) from None
    lines: dict[Path_, int] = {}
    data = _convert(node, (), lines, source) if node is not None else None
    return YamlDoc(data, source, lines, text)


def load_yaml(path: Path) -> YamlDoc:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_yaml(text, str(path))

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


def _convert(node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(yaml.safe_load(yaml.serialize(key_node)))
            if key in out:
                raise ConfigError(
                    f"{source}:{key_node.start_mark.line + 1}: key '{key}' appears twice"
                )
            key_path = (*path, key)
            lines[key_path] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, key_path, lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def parse_yaml(text: str, source: str) -> YamlDoc:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{source}{line}: {problem}") from None
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

"""Safe, fast YAML loading that remembers where every node came from.

Mappings load as :class:`LocDict` and sequences as :class:`LocList`. Both behave exactly like
``dict``/``list`` and also carry the ``(line, col)`` of themselves and of each key or item, so
validation errors can point at ``path:line:col`` (lines and columns are 1-based).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from .errors import LocatedError

try:  # libyaml's C parser, when PyYAML was built with it
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _BaseLoader = yaml.SafeLoader

Pos = tuple[int, int]


class LocDict(dict[Any, Any]):
    """A ``dict`` that knows its own position and the position of each key and value."""

    pos: Pos = (1, 1)
    key_pos: dict[Any, Pos]
    value_pos: dict[Any, Pos]


class LocList(list[Any]):
    """A ``list`` that knows its own position and the position of each item."""

    pos: Pos = (1, 1)
    item_pos: list[Pos]


def _pos(node: yaml.Node) -> Pos:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader whose mappings and sequences keep their marks; rejects duplicate keys."""

    def construct_loc_mapping(self, node: yaml.MappingNode) -> LocDict:
        explicit = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)  # puts `<<` merged pairs first; explicit keys override them
        merged = len(node.value) - explicit
        out = LocDict()
        out.pos = _pos(node)
        out.key_pos = {}
        out.value_pos = {}
        explicit_keys: set[Any] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise _Located("mapping keys must be scalars", _pos(key_node))
            if index >= merged:
                if key in explicit_keys:
                    raise _Located(f"duplicate key {key!r}", _pos(key_node))
                explicit_keys.add(key)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_pos[key] = _pos(key_node)
            out.value_pos[key] = _pos(value_node)
        return out

    def construct_loc_sequence(self, node: yaml.SequenceNode) -> LocList:
        out = LocList(self.construct_object(child, deep=True) for child in node.value)
        out.pos = _pos(node)
        out.item_pos = [_pos(child) for child in node.value]
        return out


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_loc_mapping
)
_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_loc_sequence
)


class _Located(Exception):
    def __init__(self, cause: str, pos: Pos) -> None:
        self.cause = cause
        self.pos = pos


def load_yaml(
    path: Path, *, error: type[LocatedError] = LocatedError, display: str | None = None
) -> Any:
    """Load one YAML document from ``path``; any problem raises ``error`` with its location.

    ``display`` is the path shown in messages (defaults to ``path`` as given).
    """
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read file: {exc}", path=shown, line=1, col=1) from None
    try:
        return yaml.load(text, Loader=_Loader)
    except _Located as exc:
        raise error(exc.cause, path=shown, line=exc.pos[0], col=exc.pos[1]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        cause = exc.problem or exc.context or "invalid YAML"
        raise error(f"invalid YAML: {cause}", path=shown, line=line, col=col) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", path=shown, line=1, col=1) from None


def locate(root: Any, loc: tuple[int | str, ...]) -> Pos:
    """Position of the node reached by following ``loc`` from ``root`` (deepest known node).

    For a key that is present, points at the key; for a missing key, at the enclosing mapping.
    """
    pos: Pos = getattr(root, "pos", (1, 1))
    node = root
    for part in loc:
        if isinstance(node, LocDict) and part in node:
            pos = node.key_pos.get(part, pos)
            node = node[part]
        elif isinstance(node, LocList) and isinstance(part, int) and 0 <= part < len(node):
            pos = node.item_pos[part]
            node = node[part]
        else:
            break
    return pos


def value_pos(root: Any, loc: tuple[int | str, ...]) -> Pos:
    """Like :func:`locate` but for a present key points at its value rather than the key."""
    if loc:
        parent = root
        for part in loc[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                return locate(root, loc)
        last = loc[-1]
        if isinstance(parent, LocDict) and last in parent:
            return parent.value_pos[last]
    return locate(root, loc)

"""Safe, fast YAML loading that remembers where every node came from.

Mappings load as :class:`LocDict` and sequences as :class:`LocList`. Both behave exactly like
``dict``/``list`` and also carry the ``(line, col)`` of themselves and of each key or item, so
validation errors can point at ``path:line:col`` (lines and columns are 1-based).

Hostile input is bounded: a file is read only if it is a regular file of at most
:data:`~harness.util.fs.MAX_YAML_BYTES`; a document may nest at most :data:`MAX_DEPTH` levels and
hold at most :data:`MAX_NODES` nodes once aliases are expanded (an "alias bomb" of a few hundred
bytes otherwise expands to millions of nodes). Lines are counted as editors count them (``\n``,
``\r\n``, ``\r``), not as YAML does (which also breaks lines at U+0085, U+2028 and U+2029).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from harness.errors import LocatedError
from harness.util.fs import MAX_YAML_BYTES, UnreadableFileError, read_bounded

try:  # libyaml's C parser, when PyYAML was built with it
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _BaseLoader = yaml.SafeLoader

Pos = tuple[int, int]
MAX_DEPTH = 100  # nesting levels; deep enough for any JSON schema a tool declares
MAX_NODES = 250_000  # nodes of a document with its aliases expanded
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LocDict(dict[Any, Any]):
    """A ``dict`` that knows its own position and the position of each key and value."""

    pos: Pos = (1, 1)
    key_pos: dict[Any, Pos]
    value_pos: dict[Any, Pos]


class LocList(list[Any]):
    """A ``list`` that knows its own position and the position of each item."""

    pos: Pos = (1, 1)
    item_pos: list[Pos]


class _Lines:
    """Character offsets to 1-based ``(line, col)``, counting only ``\n``/``\r\n``/``\r``."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]

    def pos(self, index: int) -> Pos:
        line = bisect.bisect_right(self.starts, index)
        return (line, index - self.starts[line - 1] + 1)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader whose mappings and sequences keep their marks; rejects duplicate keys."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lines = _Lines(text)

    def pos(self, node: yaml.Node) -> Pos:
        """Where ``node`` starts (marks count characters; their lines count YAML's breaks)."""
        return self.lines.pos(node.start_mark.index)

    def construct_loc_mapping(self, node: yaml.MappingNode) -> LocDict:
        explicit = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)  # puts `<<` merged pairs first; explicit keys override them
        merged = len(node.value) - explicit
        out = LocDict()
        out.pos = self.pos(node)
        out.key_pos = {}
        out.value_pos = {}
        explicit_keys: set[Any] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise _Located("mapping keys must be scalars", self.pos(key_node))
            if index >= merged:
                if key in explicit_keys:
                    raise _Located(f"duplicate key {key!r}", self.pos(key_node))
                explicit_keys.add(key)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_pos[key] = self.pos(key_node)
            out.value_pos[key] = self.pos(value_node)
        return out

    def construct_loc_sequence(self, node: yaml.SequenceNode) -> LocList:
        out = LocList(self.construct_object(child, deep=True) for child in node.value)
        out.pos = self.pos(node)
        out.item_pos = [self.pos(child) for child in node.value]
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
        raw = read_bounded(path, limit=MAX_YAML_BYTES)
    except FileNotFoundError as exc:
        raise error(f"cannot read file: {exc.strerror}", path=shown, line=1, col=1) from None
    except UnreadableFileError as exc:
        raise error(f"cannot read file: it {exc.cause}", path=shown, line=1, col=1) from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line, col = _Lines(raw[: exc.start].decode("utf-8")).pos(len(raw[: exc.start].decode()))
        cause = f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"
        raise error(cause, path=shown, line=line, col=col) from None
    try:
        return _load(text)
    except _Located as exc:
        raise error(exc.cause, path=shown, line=exc.pos[0], col=exc.pos[1]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (e.g. NUL)
        line, col = _Lines(text).pos(exc.position)
        cause = f"invalid YAML: character {exc.character!r} is not allowed ({exc.reason})"
        raise error(cause, path=shown, line=line, col=col) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _Lines(text).pos(mark.index) if mark else (1, 1)
        cause = exc.problem or exc.context or "invalid YAML"
        raise error(f"invalid YAML: {cause}", path=shown, line=line, col=col) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", path=shown, line=1, col=1) from None


def _load(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_bounds(node, loader)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_bounds(root: yaml.Node, loader: _Loader) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH` or holding more than
    :data:`MAX_NODES` nodes with aliases expanded, and recursive aliases.

    Iterative, memoized per node (an alias is the same node object as its anchor), so the
    check itself costs the size of the file, not of its expansion.
    """
    height: dict[int, int] = {}
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            open_.discard(key)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            size[key] = 1 + sum(size[id(c)] for c in children)
            if size[key] > MAX_NODES:
                raise _Located(
                    f"this expands to more than {MAX_NODES} nodes (aliases included); "
                    "refusing to load it",
                    loader.pos(node),
                )
            continue
        if key in height:
            continue
        if key in open_:
            raise _Located("recursive alias (a node that contains itself)", loader.pos(node))
        open_.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in height)
    if height[id(root)] > MAX_DEPTH:
        node = root
        for _ in range(MAX_DEPTH):
            node = max(_children(node), key=lambda c: height[id(c)])
        raise _Located(f"nested more than {MAX_DEPTH} levels deep", loader.pos(node))


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

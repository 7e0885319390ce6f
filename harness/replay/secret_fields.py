"""Where text hides in a document: every string with its field path, and streams joined up.

A provider streams a key in pieces that no single chunk holds whole, in any text field
(``content``, ``reasoning_content``, ``refusal``, tool-call ``arguments``, any Responses
``delta``). So besides each string, :func:`joined_streams` yields, per streamed body, every field
path's pieces joined in order: the assembled text of every field, whatever its name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Fields of Responses stream events that say which item/part a delta belongs to.
_EVENT_PARTS = ("type", "item_id", "output_index", "content_index", "summary_index")


def strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(field.path, text)`` for every string in ``node``, mapping keys included."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            yield from strings(str(key), sub)
            yield from strings(value, sub)
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from strings(value, f"{path}[{index}]")


def joined_streams(document: Any) -> Iterator[tuple[str, str, list[str]]]:
    """``(shown path, joined text, pieces)`` per field path of every streamed body in
    ``document`` that more than one chunk carries.

    List items that carry an ``index`` (chat choices, tool-call deltas) are keyed by it, not by
    their position in the chunk; Responses events are keyed by their type, item and part.
    """
    for path, body in _stream_bodies(document, ""):
        joined: dict[str, list[str]] = {}
        for item in body:
            data = item.get("__data__") if isinstance(item, dict) else item
            prefix = _event_prefix(data)
            for field, text in _indexed_strings(data, ""):
                joined.setdefault(prefix + field, []).append(text)
        for field, pieces in joined.items():
            if len(pieces) > 1:
                yield f"{path} (streamed {field}, joined)", "".join(pieces), pieces


def _event_prefix(data: Any) -> str:
    if not isinstance(data, dict) or not str(data.get("type", "")).startswith("response."):
        return ""
    parts = [f"{name}={data[name]}" for name in _EVENT_PARTS if name in data]
    return "[" + ",".join(parts) + "] "


def _indexed_strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _indexed_strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list | tuple):
        for position, value in enumerate(node):
            index = value.get("index") if isinstance(value, dict) else None
            key = index if isinstance(index, int) and not isinstance(index, bool) else position
            yield from _indexed_strings(value, f"{path}[{key}]")


def _stream_bodies(node: Any, path: str) -> Iterator[tuple[str, list[Any]]]:
    if isinstance(node, dict):
        if node.get("is_streaming") is True and isinstance(node.get("body"), list):
            yield f"{path}.body" if path else "body", node["body"]
        for key, value in node.items():
            yield from _stream_bodies(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _stream_bodies(value, f"{path}[{index}]")

"""Parsing recording JSON with bounds: nesting depth, and no lone surrogates.

``json.loads`` of a 1000-deep document raises ``RecursionError``, and so does everything that
walks a merely deep one later (request keys, diffs, secret scans); a lone surrogate (from a
``"\\ud800"`` escape) parses, but no UTF-8 file or HTTP body can carry it. Both are refused
here, as a :class:`~harness.errors.RecordingCorruptError` naming the source.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.errors import RecordingCorruptError

# Deepest JSON nesting a recording may hold. Real replies nest ~10 deep (tool schemas ~30).
MAX_JSON_DEPTH = 100
# A \uD800-\uDFFF escape: the only way a lone surrogate gets into text decoded from UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_json(text: str, *, source: str) -> Any:
    """``json.loads(text)``, refused when nested over :data:`MAX_JSON_DEPTH` or holding a lone
    surrogate (which no UTF-8 file or HTTP body can carry, so replay could not send it)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep(source) from None
    except ValueError as exc:
        raise RecordingCorruptError(
            f"{source}: corrupt or truncated recording ({exc}); run `harness recordings verify`"
        ) from None
    # Cheap first: a text with fewer brackets than the limit cannot nest deeper than it.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _deeper_than(data, MAX_JSON_DEPTH):
        raise _too_deep(source)
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise RecordingCorruptError(
                f"{source}: recording holds a lone surrogate ({bad!r}) that UTF-8 cannot carry; "
                "run `harness recordings verify`"
            ) from None
    return data


def _too_deep(source: str) -> RecordingCorruptError:
    return RecordingCorruptError(
        f"{source}: recording nests deeper than {MAX_JSON_DEPTH} levels; refusing to load it "
        "(run `harness recordings verify`)"
    )


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers more than ``limit`` deep.

    Level by level (no recursion), keeping only containers: about as fast as parsing.
    """
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            below += [
                child
                for child in (node.values() if type(node) is dict else node)
                if type(child) is dict or type(child) is list
            ]
        level = below
    return False

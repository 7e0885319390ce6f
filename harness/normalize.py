"""Write-time normalization of volatile response fields, to keep recordings' git diffs small.

Changed: ``created``/``created_at`` timestamps (to 0), ``system_fingerprint``, and chat completion
ids (``chatcmpl-…`` → ``rec-<request digest>``), which no later request carries. Never changed:
anything a later request can carry — response, conversation, item and tool-call ids.
"""

from __future__ import annotations

from typing import Any

_CHAT_OBJECTS = frozenset({"chat.completion", "chat.completion.chunk"})
_TIMESTAMPS = ("created", "created_at")
FINGERPRINT = "fp_normalized"


def normalize_body(body: Any, *, digest: str) -> tuple[Any, dict[str, str]]:
    """A normalized copy of a recorded response body and the id mapping it applied."""
    mapping: dict[str, str] = {}
    return _walk(body, digest=digest, mapping=mapping), mapping


def _walk(node: Any, *, digest: str, mapping: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_walk(item, digest=digest, mapping=mapping) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _walk(value, digest=digest, mapping=mapping) for key, value in node.items()}
    for key in _TIMESTAMPS:
        if isinstance(out.get(key), int | float) and not isinstance(out.get(key), bool):
            out[key] = 0
    if isinstance(out.get("system_fingerprint"), str):
        out["system_fingerprint"] = FINGERPRINT
    if out.get("object") in _CHAT_OBJECTS and isinstance(out.get("id"), str):
        original = out["id"]
        if not original.startswith("rec-"):
            mapping.setdefault(original, f"rec-{digest[:12]}")
            out["id"] = mapping[original]
    return out

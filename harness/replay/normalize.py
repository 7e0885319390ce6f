"""Write-time normalization of volatile response fields, to keep recordings' git diffs small.

Changed: ``created``/``created_at`` timestamps (to 0), ``system_fingerprint``, and chat completion
ids (``chatcmpl-…`` → ``rec-<request digest>``), which no later request carries. Never changed:
anything a later request can carry — response, conversation, item and tool-call ids.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from harness.replay.secrets import strip_userinfo

if TYPE_CHECKING:  # recording.py imports this module
    from harness.replay.recording import Recording

_CHAT_OBJECTS = frozenset({"chat.completion", "chat.completion.chunk"})
_TIMESTAMPS = ("created", "created_at")
FINGERPRINT = "fp_normalized"


def normalize_body(body: Any, *, digest: str) -> Any:
    """A normalized copy of a recorded response body.

    The original ids are not kept (``id_normalization_mapping`` stays empty, as in llama-stack's
    recordings): they change on every run, and keeping them would churn every re-recording.
    """
    return _walk(body, digest=digest)


def for_disk(recording: Recording, *, digest: str) -> Recording:
    """``recording`` as it may be written: no request headers (they carry credentials), no
    userinfo in the URL, volatile response fields normalized. Idempotent."""
    return replace(
        recording,
        url=strip_userinfo(recording.url),
        request_headers={},
        response_body=normalize_body(recording.response_body, digest=digest),
    )


def _walk(node: Any, *, digest: str) -> Any:
    if isinstance(node, list):
        return [_walk(item, digest=digest) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _walk(value, digest=digest) for key, value in node.items()}
    for key in _TIMESTAMPS:
        if isinstance(out.get(key), int | float) and not isinstance(out.get(key), bool):
            out[key] = 0
    if isinstance(out.get("system_fingerprint"), str):
        out["system_fingerprint"] = FINGERPRINT
    if out.get("object") in _CHAT_OBJECTS and isinstance(out.get("id"), str):
        out["id"] = f"rec-{digest[:12]}"
    return out

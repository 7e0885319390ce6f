"""Conversations API operations as scenario steps, through the SDK's ``client.conversations``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai

from harness.errors import ExpectationError

# operation -> id arguments, in the SDK's order: the first is positional, the rest by name
_IDS = {
    "conversations.create": (),
    "conversations.retrieve": ("conversation_id",),
    "conversations.update": ("conversation_id",),
    "conversations.delete": ("conversation_id",),
    "conversations.items.create": ("conversation_id",),
    "conversations.items.list": ("conversation_id",),
    "conversations.items.retrieve": ("item_id", "conversation_id"),
    "conversations.items.delete": ("item_id", "conversation_id"),
}
# Arguments the SDK takes by name; anything else goes in the body (or query, for list).
_NAMED = {
    "conversations.create": {"metadata", "items"},
    "conversations.update": {"metadata"},
    "conversations.items.create": {"items", "include"},
    "conversations.items.list": {"after", "include", "limit", "order"},
    "conversations.items.retrieve": {"include"},
}


def run_operation(
    client: openai.OpenAI, operation: str, args: dict[str, Any], *, conversation: str | None
) -> Any:
    """Perform ``operation`` with ``args`` (ids resolved); returns the server's JSON.

    ``conversation_id`` defaults to the scenario's conversation. A list is returned as its
    first page (``data``, ``has_more``, ...): later pages are never fetched behind your back.
    """
    args = dict(args)
    if "conversation_id" in _IDS[operation] and "conversation_id" not in args:
        if conversation is None:
            raise ExpectationError(f"{operation} needs conversation_id (no conversation yet)")
        args["conversation_id"] = conversation
    missing = [name for name in _IDS[operation] if name not in args]
    if missing:
        raise ExpectationError(f"{operation} needs {', '.join(missing)}")
    ids = {name: args.pop(name) for name in _IDS[operation]}
    positional = [ids.pop(_IDS[operation][0])] if _IDS[operation] else []
    named = {k: args.pop(k) for k in list(args) if k in _NAMED.get(operation, set())}
    extra = {"extra_query" if operation.endswith(".list") else "extra_body": args} if args else {}
    # The raw response: what the server said, not the SDK model's reading of it (which adds
    # defaults of its own version and warns on shapes it does not expect).
    target: Any = client.with_raw_response
    for part in operation.split("."):
        target = getattr(target, part)
    method: Callable[..., Any] = target
    raw = method(*positional, **ids, **named, **extra)
    return raw.http_response.json()

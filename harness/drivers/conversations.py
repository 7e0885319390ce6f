"""Conversations API operations as scenario steps, through the SDK's ``client.conversations``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai

from ..errors import ExpectationError

# operation -> (positional id arguments, in the SDK's order, as the scenario names them)
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
    """Perform ``operation`` with ``args`` (ids resolved); returns the result as JSON.

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
    ids = [args.pop(name) for name in _IDS[operation]]
    named = {k: args.pop(k) for k in list(args) if k in _NAMED.get(operation, set())}
    extra = {"extra_query" if operation.endswith(".list") else "extra_body": args} if args else {}
    target: Any = client
    for part in operation.split("."):
        target = getattr(target, part)
    method: Callable[..., Any] = target
    result = method(*ids, **named, **extra)
    return result.model_dump(mode="json") if hasattr(result, "model_dump") else result

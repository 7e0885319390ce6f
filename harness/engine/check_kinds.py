"""One function per expectation kind (modelled in :mod:`harness.spec.expect`): each returns None
when the expectation holds on a step's result, or a one-line reason. :mod:`harness.engine.checks`
picks the function, resolves references and records the decision."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from harness.engine.transcript import StepResult
from harness.spec.expect import TARGET_REPLY_ID, ToolCallExpect
from harness.spec.model import json_data

# Each check returns None when it holds, or a one-line reason.
Check = Callable[[Any, StepResult], str | None]


def _contains(value: str, result: StepResult) -> str | None:
    return None if value in result.text else f"the reply does not contain {value!r}"


def _icontains(value: str, result: StepResult) -> str | None:
    ok = value.casefold() in result.text.casefold()
    return None if ok else f"the reply does not contain {value!r} (ignoring case)"


def _not_contains(value: str, result: StepResult) -> str | None:
    return None if value not in result.text else f"the reply contains {value!r}"


def _regex(value: str, result: StepResult) -> str | None:
    return None if re.search(value, result.text) else f"the reply does not match /{value}/"


def _equals(value: str, result: StepResult) -> str | None:
    return None if result.text == value else f"the reply is not exactly {value!r}"


def _finish_reason(value: str, result: StepResult) -> str | None:
    actual = result.finish_reason
    return None if actual == value else f"finish_reason is {actual!r}, not {value!r}"


def _error(value: Any, result: StepResult) -> str | None:
    error = result.error
    if error is None:
        return "expected a provider error, got a reply"
    if value.status is not None and error.status != value.status:
        return f"expected HTTP {value.status}, got {error.describe()}"
    if value.message is not None:
        haystack = f"{error.message} {json.dumps(error.body, default=str)}"
        if value.message.casefold() not in haystack.casefold():
            return f"the error does not mention {value.message!r}: {error.describe()}"
    return None


def _tool_call(value: Any, result: StepResult) -> str | None:
    calls = result.tool_calls
    named = [c for c in calls if c.name == value.name]
    if not named:
        made = ", ".join(c.name for c in calls) or "none"
        return f"no call to tool {value.name!r} (calls made: {made})"
    if value.arguments is None:
        return None
    for call in named:
        try:
            arguments = json.loads(call.arguments or "null")
        except ValueError:
            continue
        if is_subset(value.arguments, arguments):
            return None
    got = "; ".join(c.arguments for c in named)
    return f"tool {value.name!r} was called with {got}, not with {json.dumps(value.arguments)}"


def _called(value: Any, result: StepResult) -> str | None:
    return _tool_call(ToolCallExpect(name=value.tool, arguments=value.arguments), result)


def _calls(value: Any, result: StepResult) -> str | None:
    inner = [e for e in result.exchanges if getattr(e.reply, "id", None) != TARGET_REPLY_ID]
    if value.count is not None:
        reason = _outside(len(inner), value.count, what="model request(s) in the step")
        if reason:
            return reason
    if value.request is not None or value.system is not None:
        bodies = [e.request for e in inner if e.request is not None]
        if not bodies:  # nothing to check is never a pass
            return "no inner request to check (calls: request/system apply to a target's calls)"
        for number, body in enumerate(bodies, start=1):
            if value.request is not None and not is_subset(value.request, body):
                return f"inner request {number} does not hold {json.dumps(value.request)}"
            if value.system is not None and not any(
                value.system in text for text in _system_texts(body)
            ):
                return f"inner request {number} has no system message containing {value.system!r}"
    if value.tokens is not None:
        counts = [_total_tokens(e.reply) for e in inner]
        known = [c for c in counts if c is not None]
        if not known:
            return "no inner reply reported token usage"
        return _outside(sum(known), value.tokens, what="tokens in the step's inner replies")
    return None


def _outside(amount: int, bounds: Any, *, what: str) -> str | None:
    if bounds.min is not None and amount < bounds.min:
        return f"{amount} {what}, fewer than {bounds.min}"
    if bounds.max is not None and amount > bounds.max:
        return f"{amount} {what}, more than {bounds.max}"
    return None


def _system_texts(body: dict[str, Any]) -> list[str]:
    """The text of every system/developer message of a chat request (or Responses instructions)."""
    texts = [body["instructions"]] if isinstance(body.get("instructions"), str) else []
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict) or message.get("role") not in ("system", "developer"):
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(
                p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
            )
    return texts


def _total_tokens(reply: Any) -> int | None:
    usage = getattr(reply, "usage", None)
    total = getattr(usage, "total_tokens", None)
    return total if isinstance(total, int) else None


def _no_tool_call(value: Any, result: StepResult) -> str | None:
    if not result.called_any_tool:
        return None
    names = ", ".join(c.name for c in result.tool_calls) or "a non-function tool"
    return f"the model called tools: {names}"


def _payload(result: StepResult) -> Any:
    """What the step returned as JSON: an operation's payload, or a model reply's dump."""
    if result.payload is not None:
        return result.payload
    reply = result.reply
    return json_data(reply) if isinstance(reply, BaseModel) else None


def _metadata(value: dict[str, Any], result: StepResult) -> str | None:
    actual = (_payload(result) or {}).get("metadata")
    ok = is_subset(value, actual)
    return None if ok else f"metadata is {json.dumps(actual)}, not {json.dumps(value)}"


def _deleted(value: bool, result: StepResult) -> str | None:
    actual = (_payload(result) or {}).get("deleted")
    return None if actual is value else f"deleted is {json.dumps(actual)}, not {json.dumps(value)}"


def _items(value: Any, result: StepResult) -> str | None:
    data = (_payload(result) or {}).get("data")
    if not isinstance(data, list):
        return "the step returned no list of items"
    if value.count is not None and len(data) != value.count:
        return f"{len(data)} items, not {value.count}"
    roles = [item.get("role") for item in data if isinstance(item, dict)]
    if value.roles is not None:
        same = roles == value.roles if value.ordered else Counter(roles) == Counter(value.roles)
        if not same:
            how = "in order" if value.ordered else "in any order"
            return f"item roles are {roles}, not {value.roles} ({how})"
    texts = [json.dumps(item, ensure_ascii=False) for item in data]
    for wanted in value.texts or []:
        if not any(wanted in text for text in texts):
            return f"no item contains {wanted!r}"
    return None


def _matches(value: dict[str, Any], result: StepResult) -> str | None:
    actual = _payload(result)
    if is_subset(value, actual):
        return None
    return f"the result does not match {json.dumps(value)}: {json.dumps(actual)[:300]}"


CHECKS: dict[str, Check] = {
    "contains": _contains,
    "icontains": _icontains,
    "not_contains": _not_contains,
    "regex": _regex,
    "equals": _equals,
    "finish_reason": _finish_reason,
    "error": _error,
    "tool_call": _tool_call,
    "no_tool_call": _no_tool_call,
    "called": _called,
    "calls": _calls,
    "metadata": _metadata,
    "deleted": _deleted,
    "items": _items,
    "matches": _matches,
}


def is_subset(expected: Any, actual: Any) -> bool:
    """Whether ``expected`` is a JSON subset of ``actual`` (mappings may have extra keys)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and is_subset(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(is_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual and type(expected) is type(actual)) or (
        isinstance(expected, int | float)
        and isinstance(actual, int | float)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
        and expected == actual
    )

"""What a conversation produced: per step, what was sent and the assembled replies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openai.types.chat import ChatCompletion

from harness.engine.matrix import Case
from harness.errors import SHAPE_ERRORS, malformed
from harness.replay.calls import Call


@dataclass(frozen=True)
class ProviderError:
    """An error the provider (or the SDK, for in-stream errors) raised for a request."""

    kind: str
    message: str
    status: int | None = None
    body: Any = None

    def describe(self) -> str:
        """``NotFoundError (HTTP 404): message`` plus the body when it says more."""
        status = f" (HTTP {self.status})" if self.status is not None else ""
        text = f"{self.kind}{status}: {self.message}"
        if self.body is not None and str(self.body) not in self.message:
            text += f"\n  body: {json.dumps(self.body, ensure_ascii=False, default=str)[:500]}"
        return text


@dataclass(frozen=True)
class ToolCall:
    """A function tool call, whichever API made it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Exchange:
    """One request of a step (a step with tool rounds has several).

    ``reply`` is a ``ChatCompletion`` (chat) or a ``Response`` (responses API); ``payload`` is
    the JSON of what any other operation returned (a conversation, a list of items, ...).
    """

    sent: tuple[dict[str, Any], ...]
    streamed: bool | None
    reply: Any = None
    error: ProviderError | None = None
    payload: Any = None
    # The whole request body, kept for a target's inner calls (``calls: {request: ...}``).
    request: dict[str, Any] | None = None

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The function tool calls the reply asks for, in order."""
        reply = self.reply
        if isinstance(reply, ChatCompletion):
            calls = reply.choices[0].message.tool_calls or [] if reply.choices else []
            # Newer SDKs also know "custom" tool calls; scenarios script function tools only.
            return [
                ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments)
                for c in calls
                if c.type == "function"
            ]
        return [
            ToolCall(id=item.call_id, name=item.name, arguments=item.arguments)
            for item in getattr(reply, "output", None) or []
            if getattr(item, "type", None) == "function_call"
        ]

    @property
    def called_any_tool(self) -> bool:
        """Whether the reply calls any tool at all (function, custom, built-in)."""
        reply = self.reply
        if isinstance(reply, ChatCompletion):
            return bool(reply.choices and reply.choices[0].message.tool_calls)
        return any(
            str(getattr(item, "type", "")).endswith("_call")
            for item in getattr(reply, "output", None) or []
        )

    @property
    def text(self) -> str:
        """The reply's text ('' when none)."""
        reply = self.reply
        if isinstance(reply, ChatCompletion):
            return (reply.choices[0].message.content or "") if reply.choices else ""
        return response_text(reply)

    @property
    def finish_reason(self) -> str | None:
        """Chat: the first choice's finish reason; responses: the response status."""
        reply = self.reply
        if isinstance(reply, ChatCompletion):
            return reply.choices[0].finish_reason if reply.choices else None
        status = getattr(reply, "status", None)
        return str(status) if status is not None else None


def readable(exchange: Exchange) -> Exchange:
    """``exchange``, once every part of its reply that expectations read was read once.

    The SDK builds replies without validating them, so a reply of the wrong shape (a message
    that is a list, ``tool_calls: 1.5``, content that is an object) would otherwise fail later
    with a raw ``TypeError``; here it is a :class:`~harness.errors.MalformedReplyError`.
    """
    try:
        text = exchange.text
        if not isinstance(text, str):
            raise TypeError(f"the reply text is {type(text).__name__}, not a string")
        for call in exchange.tool_calls:
            # Expectations join names and parse arguments; an id may be missing (not sent).
            for name, value in (("name", call.name), ("arguments", call.arguments)):
                if not isinstance(value, str):
                    raise TypeError(f"tool call {name} is {type(value).__name__}, not a string")
            if call.id is not None and not isinstance(call.id, str):
                raise TypeError(f"tool call id is {type(call.id).__name__}, not a string")
        exchange.finish_reason  # noqa: B018 - read for its failure
        exchange.called_any_tool  # noqa: B018
    except SHAPE_ERRORS as exc:
        raise malformed("the reply", exc) from None
    return exchange


def response_text(response: Any) -> str:
    """The text of a Responses API ``Response``: its message items' output_text parts."""
    parts = [
        getattr(part, "text", "") or ""
        for item in getattr(response, "output", None) or []
        if getattr(item, "type", None) == "message"
        for part in getattr(item, "content", None) or []
        if getattr(part, "type", None) == "output_text"
    ]
    return "".join(parts)


@dataclass(frozen=True)
class CheckResult:
    """One expectation of a step as the run decided it, ``${name.path}`` references resolved."""

    expectation: str  # its one-line description, e.g. ``icontains: 'earth'``
    ok: bool
    reason: str | None = None  # why it does not hold (None when ``ok``)


@dataclass(frozen=True)
class StepResult:
    """All exchanges of one step; the last one holds the step's outcome.

    ``checks`` are the step's expectations as the run decided them (see
    :func:`harness.engine.checks.evaluate`): the test verdict and every report read them.
    """

    index: int
    exchanges: tuple[Exchange, ...]
    checks: tuple[CheckResult, ...] = ()

    @property
    def final(self) -> Exchange:
        """The exchange whose reply (or error) is the step's outcome."""
        return self.exchanges[-1]

    @property
    def reply(self) -> Any:
        """The step's assembled reply (None when it ended in an error or was no model call)."""
        return self.final.reply

    @property
    def payload(self) -> Any:
        """What a non-model operation returned, as JSON."""
        return self.final.payload

    @property
    def error(self) -> ProviderError | None:
        """The provider error the step ended with, if any."""
        return self.final.error

    @property
    def text(self) -> str:
        """The reply's text ('' when none)."""
        return self.final.text

    @property
    def finish_reason(self) -> str | None:
        """The reply's finish reason (chat) or status (responses)."""
        return self.final.finish_reason

    @property
    def called_any_tool(self) -> bool:
        """Whether the model made any tool call during the step."""
        return any(e.called_any_tool for e in self.exchanges)

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every function tool call the model made during the step, in order."""
        return [call for exchange in self.exchanges for call in exchange.tool_calls]


@dataclass(frozen=True)
class Transcript:
    """Everything one case produced, and why it failed (if it did)."""

    case: Case
    steps: tuple[StepResult, ...]
    failure: str | None = None
    missing: bool = False  # failed for want of a recording
    departure: bool = False  # failed only because an `expect` entry did not hold
    mode: str = "replayed"  # replayed | recorded | live
    latency: float | None = None  # seconds spent waiting on the provider
    usage: dict[str, int] | None = None
    calls: tuple[Call, ...] = ()  # every inner request and reply, in order

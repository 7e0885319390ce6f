"""What a conversation produced: per step, what was sent and the assembled replies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionMessageToolCall


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
class Exchange:
    """One request of a step (a step with tool rounds has several)."""

    sent: tuple[dict[str, Any], ...]
    streamed: bool | None
    reply: ChatCompletion | None = None
    error: ProviderError | None = None

    @property
    def tool_calls(self) -> list[ChatCompletionMessageToolCall]:
        """The function tool calls of the first choice, if any."""
        if self.reply is None or not self.reply.choices:
            return []
        calls = self.reply.choices[0].message.tool_calls or []
        # Newer SDKs also know "custom" tool calls; scenarios script function tools only.
        function_calls: list[ChatCompletionMessageToolCall] = [
            c for c in calls if c.type == "function"
        ]
        return function_calls


@dataclass(frozen=True)
class StepResult:
    """All exchanges of one step; the last one holds the step's reply."""

    index: int
    exchanges: tuple[Exchange, ...]

    @property
    def final(self) -> Exchange:
        """The exchange whose reply (or error) is the step's outcome."""
        return self.exchanges[-1]

    @property
    def reply(self) -> ChatCompletion | None:
        """The step's assembled reply (None when it ended in an error)."""
        return self.final.reply

    @property
    def error(self) -> ProviderError | None:
        """The provider error the step ended with, if any."""
        return self.final.error

    @property
    def text(self) -> str:
        """The reply's text content ('' when none)."""
        reply = self.reply
        if reply is None or not reply.choices:
            return ""
        return reply.choices[0].message.content or ""

    @property
    def finish_reason(self) -> str | None:
        """The first choice's finish reason."""
        reply = self.reply
        return reply.choices[0].finish_reason if reply is not None and reply.choices else None

    @property
    def called_any_tool(self) -> bool:
        """Whether the model made any tool call (function or custom) during the step."""
        return any(
            e.reply is not None and e.reply.choices and e.reply.choices[0].message.tool_calls
            for e in self.exchanges
        )

    @property
    def tool_calls(self) -> list[ChatCompletionMessageToolCall]:
        """Every function tool call the model made during the step, in order."""
        return [call for exchange in self.exchanges for call in exchange.tool_calls]

"""The inner calls of a case: every request the SDK sent and the reply it got, readable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from harness.replay.sse import parse_sse


@dataclass(frozen=True)
class Call:
    """One request the application's SDK client sent and what answered it.

    Kept as bytes and parsed on first read: replay stays as cheap as before.
    """

    method: str
    url: str
    request_bytes: bytes
    status: int
    response_bytes: bytes
    streamed: bool

    @cached_property
    def request(self) -> Any:
        """The JSON body the SDK sent (``None`` for a bodiless request)."""
        return _json(self.request_bytes) if self.request_bytes else None

    @cached_property
    def response(self) -> Any:
        """The reply's JSON body; for a stream, the list of its events' payloads."""
        if not self.streamed:
            return _json(self.response_bytes)
        return parse_sse(self.response_bytes.decode("utf-8", errors="replace"))

    @property
    def endpoint(self) -> str:
        """The URL's path, e.g. ``/v1/chat/completions``."""
        return urlsplit(self.url).path

    @property
    def text(self) -> str | None:
        """The reply's text (chat or responses, streamed or not); None when it has none."""
        return reply_text(self.response)

    @property
    def tool_calls(self) -> list[tuple[str, Any]]:
        """``(name, arguments)`` of every tool call in the reply, arguments parsed as JSON."""
        return reply_tool_calls(self.response)

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready form reports show."""
        return {
            "method": self.method,
            "endpoint": self.endpoint,
            "status": self.status,
            "streamed": self.streamed,
            "request": self.request,
            "reply": self.text,
            "tool_calls": [{"name": n, "arguments": a} for n, a in self.tool_calls],
        }


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")


def reply_text(body: Any) -> str | None:
    """The text of a chat completion, a Responses reply, or a stream of either."""
    if isinstance(body, list):  # a stream: join the text deltas
        parts = [_delta_text(event) for event in body]
        joined = [p for p in parts if p is not None]
        return "".join(joined) if joined else None
    if not isinstance(body, dict):
        return None
    for choice in body.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            return str(message["content"])
    texts = [
        part.get("text")
        for item in body.get("output") or []
        if isinstance(item, dict)
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    ]
    return "".join(t for t in texts if isinstance(t, str)) if texts else None


def _delta_text(event: Any) -> str | None:
    if not isinstance(event, dict):
        return None
    if event.get("type") == "response.output_text.delta":
        delta = event.get("delta")
        return delta if isinstance(delta, str) else None
    for choice in event.get("choices") or []:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and isinstance(delta.get("content"), str):
            return str(delta["content"])
    return None


def reply_tool_calls(body: Any) -> list[tuple[str, Any]]:
    """Tool calls of a chat completion or Responses reply (streamed chat calls joined)."""
    found: list[tuple[str, Any]] = []
    if isinstance(body, list):
        names: dict[int, str] = {}
        args: dict[int, str] = {}
        for event in body:
            for choice in (event.get("choices") or []) if isinstance(event, dict) else []:
                for call in (choice.get("delta") or {}).get("tool_calls") or []:
                    index = call.get("index", 0)
                    function = call.get("function") or {}
                    names[index] = names.get(index, "") + (function.get("name") or "")
                    args[index] = args.get(index, "") + (function.get("arguments") or "")
        return [(names[i], _arguments(args.get(i, ""))) for i in sorted(names)]
    if not isinstance(body, dict):
        return found
    for choice in body.get("choices") or []:
        message = choice.get("message") or {} if isinstance(choice, dict) else {}
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            found.append((function.get("name", ""), _arguments(function.get("arguments", ""))))
    for item in body.get("output") or []:
        if isinstance(item, dict) and item.get("type") == "function_call":
            found.append((item.get("name", ""), _arguments(item.get("arguments", ""))))
    return found


def _arguments(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def render_calls(calls: list[Call] | tuple[Call, ...]) -> str:
    """A readable transcript of ``calls``, stable across runs (for syrupy snapshots)."""
    lines: list[str] = []
    for number, call in enumerate(calls, 1):
        lines.append(f"--- call {number}: {call.method} {call.endpoint} -> {call.status}")
        request = call.request if isinstance(call.request, dict) else {}
        for message in request.get("messages") or request.get("input") or []:
            if isinstance(message, dict):
                lines.append(
                    f"  > {message.get('role', message.get('type', '?'))}: {_content(message)}"
                )
        for name, arguments in call.tool_calls:
            lines.append(f"  < tool call {name}({json.dumps(arguments, sort_keys=True)})")
        if call.text is not None:
            lines.append(f"  < {call.text}")
    return "\n".join(lines) + ("\n" if lines else "")


def _content(message: dict[str, Any]) -> str:
    content = message.get("content", message.get("output"))
    if content is None and message.get("tool_calls"):
        names = [(c.get("function") or {}).get("name") for c in message["tool_calls"]]
        return f"(tool calls: {', '.join(str(n) for n in names)})"
    if isinstance(content, str):
        return content
    return json.dumps(content, sort_keys=True)

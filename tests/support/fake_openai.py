"""A loopback OpenAI-style server for record tests and fault injection (not a feature stand-in).

Replies are a deterministic function of the request: ``echo: <last user text>``. A model named
``missing-model`` answers 404; ``/v1/chat/completions`` with ``tools`` and a user message that
mentions weather answers with a ``get_weather`` tool call. Every request is logged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """The server's state: requests seen, headers seen."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reply(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("model") == "missing-model":
            error = {
                "message": "The model `missing-model` does not exist",
                "type": "invalid_request_error",
                "code": "model_not_found",
            }
            return 404, {"error": error}
        messages = body.get("messages", [])
        last = messages[-1] if messages else {}
        text = (
            last.get("content")
            if isinstance(last.get("content"), str)
            else json.dumps(last.get("content"))
        )
        if body.get("tools") and last.get("role") == "user" and "weather" in str(text).lower():
            call = {
                "id": f"call_{len(messages)}",
                "type": "function",
                "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})},
            }
            return 200, _completion(body, None, tool_calls=[call], finish="tool_calls")
        if last.get("role") == "tool":
            return 200, _completion(body, f"tool said: {last.get('content')}")
        return 200, _completion(body, f"echo: {text}")


def _completion(
    body: dict[str, Any],
    content: str | None,
    *,
    tool_calls: list[Any] | None = None,
    finish: str = "stop",
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1,
        "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def _chunks(completion: dict[str, Any]) -> Iterator[dict[str, Any]]:
    choice = completion["choices"][0]
    base = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": 1,
        "model": completion["model"],
    }
    yield {
        **base,
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        ],
    }
    content = choice["message"]["content"]
    if content:
        for word in content.split(" "):
            yield {
                **base,
                "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}],
            }
    for index, call in enumerate(choice["message"].get("tool_calls") or []):
        first = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        yield {
            **base,
            "choices": [{"index": 0, "delta": {"tool_calls": [first]}, "finish_reason": None}],
        }
        args = call["function"]["arguments"]
        for cut in range(0, len(args), 4):
            piece = {"index": index, "function": {"arguments": args[cut : cut + 4]}}
            yield {
                **base,
                "choices": [{"index": 0, "delta": {"tool_calls": [piece]}, "finish_reason": None}],
            }
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]}


def _handler(state: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            with state.lock:
                state.requests.append(body)
                state.headers.append(dict(self.headers))
            status, payload = state.reply(body)
            if status == 200 and body.get("stream"):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for chunk in _chunks(payload):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                return
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serve() -> Iterator[FakeOpenAI]:
    """Run the fake server on a free loopback port for the duration of the block."""
    state = FakeOpenAI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

"""A loopback OpenAI-style server for record tests and fault injection (not a feature stand-in).

Replies are a deterministic function of the request: ``echo: <last user text>``. A model named
``missing-model`` answers 404; ``/v1/chat/completions`` with ``tools`` and a user message that
mentions weather answers with a ``get_weather`` tool call; ``/v1/responses`` answers a
non-streamed Response with a fresh id each time, as a stateful server does. Every request is
logged.

Fault injection (all off by default):

* :meth:`FakeOpenAI.script` queues :class:`Fault` objects for requests whose last user text
  contains a given string: an HTTP error with a body, an error event inside a stream, a stream
  cut off midway, or a different reply text. Each fault answers one request, in order; then
  the server answers normally again.
* ``chunk_delay`` slows streams down (seconds between events).
* ``volatile`` gives every reply a fresh completion id, timestamp and system fingerprint, like
  a real provider does.
* ``resets`` answers that many next requests by resetting the connection (TCP RST), as a
  flaky network or load balancer does.
* ``raw_unicode`` writes JSON without ``\\u`` escapes (U+2028 goes out as its UTF-8 bytes).
* ``extra_headers`` are sent with every reply; ``echo_authorization`` appends the request's
  ``Authorization`` header value to the reply text (a provider that leaks the key back).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# In-process pytester runs drop the modules first imported during the inner run. The SDK's HTTP
# library imports its core lazily and caches the core's exception classes on first use, so a
# core re-imported by a later inner run would raise exceptions the cache no longer maps (a
# connection error would surface as ``httpcore2.ConnectError`` instead of ``ConnectError``).
# Importing the core here, in the outer process, keeps one copy for every run.
for _core in ("httpcore2", "httpcore"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_core)


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour of the server, for one request.

    ``status``/``body``: answer with that HTTP status and JSON body (not streamed).
    ``events``: for streamed replies, how many chunks are sent before ``error_event`` (sent as
    ``data: <error_event>``, then the stream ends) or ``truncate`` (the connection closes after
    the announced body was only partly sent; ``cut_mid_event`` also cuts the next event in two).
    ``content``: reply with this text instead of the echo; ``piece``: stream it in pieces of that
    many characters instead of word by word (as real providers split tokens). ``reasoning``:
    also send this as ``reasoning_content`` (streamed before the content, in the same pieces).
    ``headers``: extra response headers.
    """

    status: int = 200
    body: Any = None
    events: int | None = None
    error_event: Any = None
    truncate: bool = False
    cut_mid_event: bool = False
    content: str | None = None
    piece: int | None = None
    reasoning: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeOpenAI:
    """The server's state: requests seen, headers seen, and the fault-injection knobs."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.port = 0
        self.chunk_delay = 0.0
        self.volatile = False
        self.echo_authorization = False
        self.resets = 0
        self.raw_unicode = False
        self.extra_headers: dict[str, str] = {}
        self._scripts: list[tuple[str, list[Fault]]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def providers_yaml(
        self, *, provider: str = "fake", key_env: str | None = "FAKE_KEY", models: str = "m1"
    ) -> str:
        """A ``providers.yaml`` text with one provider pointing at this server."""
        key = f"    api_key_env: {key_env}\n" if key_env else ""
        return (
            f"providers:\n  - id: {provider}\n    base_url: {self.base_url}\n{key}"
            f"    models: [{models}]\n"
        )

    def script(self, match: str, *faults: Fault) -> None:
        """Answer the next requests whose last user text contains ``match`` with ``faults``."""
        with self.lock:
            self._scripts.append((match, list(faults)))

    def next_fault(self, body: dict[str, Any]) -> Fault | None:
        """The scripted fault for this request, if any (consumed)."""
        text = _input_text(body) if "input" in body else _last_user_text(body)
        with self.lock:
            for match, faults in self._scripts:
                if faults and match in text:
                    return faults.pop(0)
        return None

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

    def volatile_fields(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``payload`` with a fresh id, timestamp and fingerprint (when ``volatile`` is set)."""
        if not self.volatile or "id" not in payload:
            return payload
        return {
            **payload,
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "created": int(time.time()) + int(uuid.uuid4().int % 1000),
            "system_fingerprint": f"fp_{uuid.uuid4().hex[:10]}",
        }


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _input_text(body: dict[str, Any]) -> str:
    """The Responses API's ``input``: a string, or the last item's text."""
    given = body.get("input")
    if isinstance(given, list) and given and isinstance(given[-1], dict):
        given = given[-1].get("content")
    return given if isinstance(given, str) else json.dumps(given)


def _response(body: dict[str, Any], text: str) -> dict[str, Any]:
    """A non-streamed Responses API reply with a new id (later requests carry it)."""
    content = {"type": "output_text", "text": text, "annotations": []}
    return {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": 0,
        "model": body.get("model"),
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": f"msg_{uuid.uuid4().hex[:8]}",
                "role": "assistant",
                "status": "completed",
                "content": [content],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


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


def _chunks(completion: dict[str, Any], piece: int | None = None) -> Iterator[dict[str, Any]]:
    choice = completion["choices"][0]
    base = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion.get("created", 1),
        "model": completion["model"],
    }
    if "system_fingerprint" in completion:
        base["system_fingerprint"] = completion["system_fingerprint"]
    yield {
        **base,
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        ],
    }
    reasoning = choice["message"].get("reasoning_content")
    if reasoning:
        step = piece or len(reasoning)
        for cut in range(0, len(reasoning), step):
            delta = {"reasoning_content": reasoning[cut : cut + step]}
            yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    content = choice["message"]["content"]
    if content:
        if piece:
            pieces = [content[cut : cut + piece] for cut in range(0, len(content), piece)]
        else:
            pieces = [word + " " for word in content.split(" ")]
        for text in pieces:
            yield {
                **base,
                "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
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
            with state.lock:
                reset, state.resets = state.resets > 0, max(state.resets - 1, 0)
            if reset:  # SO_LINGER 0: close() sends RST, the client sees "connection reset"
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
                return
            fault = state.next_fault(body) or Fault()
            if fault.status != 200:
                self._send_json(fault.status, fault.body, fault.headers)
                return
            if self.path.endswith("/responses"):  # stateful: a fresh id each time
                text = fault.content or f"echo: {_input_text(body)}"
                self._send_json(200, _response(body, text), fault.headers)
                return
            status, payload = state.reply(body)
            payload = state.volatile_fields(payload)
            if status == 200:
                payload = self._with_content(payload, fault)
            if status == 200 and body.get("stream"):
                self._stream(payload, fault)
                return
            self._send_json(status, payload, fault.headers)

        def _with_content(self, payload: dict[str, Any], fault: Fault) -> dict[str, Any]:
            content = fault.content
            if state.echo_authorization:
                base = payload["choices"][0]["message"]["content"] if content is None else content
                content = f"{base} {self.headers.get('authorization', '')}"
            if content is None and fault.reasoning is None:
                return payload
            message = dict(payload["choices"][0]["message"])
            if content is not None:
                message["content"] = content
            if fault.reasoning is not None:
                message["reasoning_content"] = fault.reasoning
            return {**payload, "choices": [{**payload["choices"][0], "message": message}]}

        def _headers(self, extra: dict[str, str]) -> None:
            for name, value in {**state.extra_headers, **extra}.items():
                self.send_header(name, value)

        def _send_json(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            data = json.dumps(payload, ensure_ascii=not state.raw_unicode).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self._headers(headers)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, payload: dict[str, Any], fault: Fault) -> None:
            chunks = _chunks(payload, fault.piece)
            ascii_only = not state.raw_unicode
            events = [
                f"data: {json.dumps(chunk, ensure_ascii=ascii_only)}\n\n".encode()
                for chunk in chunks
            ]
            if fault.events is not None:
                events = events[: fault.events]
            if fault.error_event is not None:
                events.append(f"data: {json.dumps(fault.error_event)}\n\n".encode())
            elif not fault.truncate:
                events.append(b"data: [DONE]\n\n")
            if fault.truncate and fault.cut_mid_event:
                events.append(b'data: {"id": "chatcmpl-cut", "object": "chat.compl')
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            if fault.truncate:  # announce more than is sent: the client sees a broken body
                self.send_header("content-length", str(sum(map(len, events)) + 4096))
            self._headers(fault.headers)
            self.end_headers()
            for event in events:
                if state.chunk_delay:
                    time.sleep(state.chunk_delay)
                self.wfile.write(event)
                self.wfile.flush()
            if fault.truncate:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

    return Handler


@contextmanager
def serve(port: int = 0) -> Iterator[FakeOpenAI]:
    """Run the fake server on a loopback port (a free one unless given) during the block."""
    state = FakeOpenAI()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

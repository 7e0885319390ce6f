"""Tests for harness.replay.calls: an inner call read back, whichever API and framing."""

from __future__ import annotations

import json
from typing import Any

from harness.replay.calls import Call, render_calls


def call(request: Any, response: Any, *, streamed: bool = False) -> Call:
    if streamed:
        content = "".join(f"data: {json.dumps(event)}\n\n" for event in response)
        body = (content + "data: [DONE]\n\n").encode()
    else:
        body = json.dumps(response).encode()
    return Call(
        method="POST",
        url="https://api.example.test/v1/chat/completions",
        request_bytes=json.dumps(request).encode(),
        status=200,
        response_bytes=body,
        streamed=streamed,
    )


ASK = {
    "model": "m",
    "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}],
}


def test_chat_reply_and_tool_calls() -> None:
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
        ],
    }
    read = call(ASK, {"choices": [{"index": 0, "message": message}]})
    assert read.request == ASK and read.endpoint == "/v1/chat/completions"
    assert read.text is None
    assert read.tool_calls == [("f", {"a": 1})]


def test_streamed_chat_joins_text_and_tool_call_pieces() -> None:
    events = [
        {"choices": [{"delta": {"content": "Hel"}}]},
        {"choices": [{"delta": {"content": "lo"}}]},
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"name": "f"}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}}]},
    ]
    read = call(ASK, events, streamed=True)
    assert read.text == "Hello"
    assert read.tool_calls == [("f", {})]


def test_responses_reply() -> None:
    output = [
        {"type": "message", "content": [{"type": "output_text", "text": "Hi"}]},
        {"type": "function_call", "name": "g", "arguments": "not json"},
    ]
    read = call({"model": "m", "input": "Q"}, {"output": output})
    assert read.text == "Hi"
    assert read.tool_calls == [("g", "not json")]


def test_render_calls_is_readable_and_stable() -> None:
    reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "A"}}]}
    text = render_calls([call(ASK, reply)])
    assert text == (
        "--- call 1: POST /v1/chat/completions -> 200\n  > system: S\n  > user: Q\n  < A\n"
    )
    assert render_calls([]) == ""

"""Tests for harness.engine.drivers.chat: what goes on the wire, history, images, tools, errors."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion

from harness.engine.drivers.chat import ChatDriver, assistant_message
from harness.engine.matrix import Case, Column, StreamVariant
from harness.engine.transcript import ProviderError, StepResult
from harness.errors import ExpectationError, RecordingMissError, ScenarioError
from harness.replay.recording import Recording, wrap
from harness.replay.store import RecordingStore
from harness.replay.transports import CallScope
from harness.spec.load import load_scenarios
from harness.spec.providers import Provider
from harness.util.httplib import httpx
from support.transports import replaying

BASE_URL = "https://api.example.test/v1"
PROVIDER = Provider(id="prov", base_url=BASE_URL, models=["model-x"])
COLUMN = Column(provider=PROVIDER, model="model-x", capabilities=frozenset())

Reply = dict[str, Any] | httpx.Response


# --- a scripted provider -------------------------------------------------------------------


class Server:
    """Answers requests with scripted replies, in order, and keeps every request body."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.bodies: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.read()))
        assert self.replies, "more requests than scripted replies"
        reply = self.replies.pop(0)
        if isinstance(reply, httpx.Response):
            return reply
        return httpx.Response(200, json=reply)

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=BASE_URL,
            api_key="x",
            max_retries=0,
            http_client=openai.DefaultHttpxClient(transport=httpx.MockTransport(self.handle)),
        )


def completion(
    content: str | None = "ok", *, tool_calls: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "model-x",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls" if tool_calls else "stop",
                "message": message,
            }
        ],
    }


def call(name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def chunk(
    content: str | None, finish: str | None = None, role: str | None = None
) -> dict[str, Any]:
    delta: dict[str, Any] = {"content": content}
    if role:
        delta["role"] = role
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "model-x",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def sse_response(*events: Any, done: bool = True) -> httpx.Response:
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
    if done:
        text += "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text.encode())


NOT_FOUND_BODY = {
    "error": {
        "message": "The model `model-x` does not exist",
        "type": "invalid_request_error",
        "code": "model_not_found",
    }
}


def not_found() -> httpx.Response:
    return httpx.Response(404, json=NOT_FOUND_BODY)


def driver(
    tmp_path: Path,
    yaml_text: str,
    server: Server,
    *,
    variant: StreamVariant | None = None,
) -> ChatDriver:
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    (scenario,) = load_scenarios(path)
    case = Case(scenario=scenario, column=COLUMN, variant=variant)
    return ChatDriver(client=server.client(), case=case)


def run_all(d: ChatDriver) -> list[StepResult]:
    return list(d.steps())


def tiny_png() -> bytes:
    """A real 1x1 PNG."""

    def part(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + part(b"IHDR", header) + part(b"IDAT", pixels) + part(b"IEND", b"")


# --- what goes on the wire -----------------------------------------------------------------


def test_body_is_only_model_and_messages_by_default(tmp_path: Path) -> None:
    server = Server(completion("hello"))
    d = driver(tmp_path, "scenarios:\n  - id: a\n    steps:\n      - user: hi\n", server)
    (result,) = run_all(d)
    assert server.bodies == [{"model": "model-x", "messages": [{"role": "user", "content": "hi"}]}]
    assert result.text == "hello"
    assert result.final.streamed is None
    assert result.final.sent == ({"role": "user", "content": "hi"},)


def test_body_has_stream_false_when_the_step_says_so(tmp_path: Path) -> None:
    server = Server(completion())
    text = "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        stream: false\n"
    run_all(driver(tmp_path, text, server))
    assert server.bodies == [
        {"model": "model-x", "messages": [{"role": "user", "content": "hi"}], "stream": False}
    ]


def test_body_has_tools_and_params_verbatim_and_nothing_else(tmp_path: Path) -> None:
    text = """\
scenarios:
  - id: a
    messages:
      - {role: system, content: "Be brief."}
    tools:
      - type: function
        function:
          name: get_weather
          parameters: {type: object, properties: {city: {type: string}}}
    steps:
      - user: hi
        params:
          temperature: 0
          seed: 7
          top_k: 3
          response_format: {type: json_object}
          vendor_flag: null
"""
    server = Server(completion())
    run_all(driver(tmp_path, text, server))
    (body,) = server.bodies
    assert body == {
        "model": "model-x",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ],
        "temperature": 0,
        "seed": 7,
        "top_k": 3,
        "response_format": {"type": "json_object"},
        "vendor_flag": None,
    }


def test_history_carries_replies_into_the_next_step(tmp_path: Path) -> None:
    text = """\
scenarios:
  - id: a
    messages:
      - {role: user, content: "Which planet do humans live on?"}
      - {role: assistant, content: "Earth."}
    steps:
      - user: "And the red one?"
      - user: "Thanks"
        params: {temperature: 1}
"""
    server = Server(completion("Mars."), completion("You're welcome."))
    first, second = run_all(driver(tmp_path, text, server))
    assert first.text == "Mars."
    assert second.text == "You're welcome."
    assert server.bodies[1] == {
        "model": "model-x",
        "messages": [
            {"role": "user", "content": "Which planet do humans live on?"},
            {"role": "assistant", "content": "Earth."},
            {"role": "user", "content": "And the red one?"},
            {"role": "assistant", "content": "Mars."},
            {"role": "user", "content": "Thanks"},
        ],
        "temperature": 1,
    }
    assert "temperature" not in server.bodies[0]  # params belong to their step only


def test_step_without_user_sends_the_conversation_as_it_stands(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: hi\n      - params: {n: 1}\n"
    server = Server(completion("first"), completion("second"))
    results = run_all(driver(tmp_path, text, server))
    assert server.bodies[1]["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "first"},
    ]
    assert results[1].final.sent == ()


def test_steps_reports_each_index_before_running_it(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: one\n      - user: two\n"
    server = Server(completion("1"), completion("2"))
    d = driver(tmp_path, text, server)
    seen: list[tuple[int, int]] = []
    for result in d.steps(on_step=lambda i: seen.append((i, len(server.bodies)))):
        assert result.index == len(seen) - 1
    assert seen == [(0, 0), (1, 1)]


# --- images --------------------------------------------------------------------------------


def test_image_part_becomes_a_data_url(tmp_path: Path) -> None:
    png = tiny_png()
    (tmp_path / "pic.png").write_bytes(png)
    text = """\
scenarios:
  - id: a
    steps:
      - user:
          - {type: text, text: "What colour?"}
          - {image: pic.png}
          - {image: pic.png, detail: low}
"""
    server = Server(completion("green"))
    run_all(driver(tmp_path, text, server))
    (message,) = server.bodies[0]["messages"]
    url = f"data:image/png;base64,{base64.b64encode(png).decode()}"
    assert message == {
        "role": "user",
        "content": [
            {"type": "text", "text": "What colour?"},
            {"type": "image_url", "image_url": {"url": url}},
            {"type": "image_url", "image_url": {"url": url, "detail": "low"}},
        ],
    }
    decoded = base64.b64decode(message["content"][1]["image_url"]["url"].split(",", 1)[1])
    assert decoded == png
    assert decoded.startswith(b"\x89PNG")


def test_missing_image_is_a_located_scenario_error(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n      - user: [{image: nope.png}]\n"
    )
    server = Server(completion())
    d = driver(tmp_path, text, server)
    results = d.steps()
    next(results)
    with pytest.raises(ScenarioError) as info:
        next(results)
    error = info.value
    assert error.path == str(tmp_path / "scenarios.yaml")
    assert error.line == text.splitlines().index("      - user: [{image: nope.png}]") + 1
    assert "step 2: cannot read image 'nope.png'" in error.cause
    assert len(server.bodies) == 1  # nothing sent for the broken step


# --- tools ---------------------------------------------------------------------------------

TOOLS = """\
    tools:
      - type: function
        function: {name: get_weather, parameters: {type: object}}
      - type: function
        function: {name: get_time, parameters: {type: object}}
"""


def test_tool_results_by_name_play_a_round_trip(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n"
        + TOOLS
        + "    steps:\n      - user: weather and time?\n"
        + "        tool_results:\n          get_weather: {temp: 21}\n          get_time: '12:00'\n"
    )
    calls = [
        call("get_weather", {"city": "Paris"}, "call_w"),
        call("get_time", {"tz": "CET"}, "call_t"),
    ]
    server = Server(completion(None, tool_calls=calls), completion("21 degrees at noon"))
    (result,) = run_all(driver(tmp_path, text, server))
    assert len(server.bodies) == 2
    tool_messages = [
        {"role": "tool", "tool_call_id": "call_w", "content": '{"temp": 21}'},
        {"role": "tool", "tool_call_id": "call_t", "content": "12:00"},
    ]
    assert server.bodies[1]["messages"] == [
        {"role": "user", "content": "weather and time?"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        *tool_messages,
    ]
    assert server.bodies[1]["tools"] == server.bodies[0]["tools"]
    assert len(result.exchanges) == 2
    assert result.exchanges[1].sent == tuple(tool_messages)
    assert result.text == "21 degrees at noon"
    assert [c.name for c in result.tool_calls] == ["get_weather", "get_time"]


def test_tool_results_as_a_list_follow_call_order_across_rounds(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n"
        + TOOLS
        + "    steps:\n      - user: go\n        tool_results: [first, {second: 2}]\n"
        + "      - user: next\n"
    )
    server = Server(
        completion(None, tool_calls=[call("get_weather", {}, "c1")]),
        completion(None, tool_calls=[call("get_time", {}, "c2")]),
        completion("done"),
        completion("next reply"),
    )
    first, _second = run_all(driver(tmp_path, text, server))
    assert server.bodies[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": "first",
    }
    assert server.bodies[2]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "c2",
        "content": '{"second": 2}',
    }
    assert len(first.exchanges) == 3
    # The whole round trip stays in the history for the next step.
    roles = [m["role"] for m in server.bodies[3]["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant", "user"]
    assert server.bodies[3]["messages"][-2] == {"role": "assistant", "content": "done"}


def test_step_without_tool_results_ends_at_the_tool_call(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n" + TOOLS + "    steps:\n      - user: weather?\n"
    calls = [call("get_weather", {"city": "Paris"}, "call_1")]
    server = Server(completion(None, tool_calls=calls))
    d = driver(tmp_path, text, server)
    (result,) = run_all(d)
    assert len(server.bodies) == 1
    assert result.finish_reason == "tool_calls"
    assert [(c.id, c.name) for c in result.tool_calls] == [("call_1", "get_weather")]
    assert d.history[-1] == {"role": "assistant", "content": None, "tool_calls": calls}


def test_tool_called_that_has_no_result_by_name(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n"
        + TOOLS
        + "    steps:\n      - user: go\n        tool_results: {get_weather: sunny}\n"
    )
    server = Server(completion(None, tool_calls=[call("get_time", {}, "c1")]))
    with pytest.raises(ExpectationError) as info:
        run_all(driver(tmp_path, text, server))
    assert (
        str(info.value) == "the model called tool 'get_time' but tool_results has only: get_weather"
    )


def test_more_tool_calls_than_listed_results(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n"
        + TOOLS
        + "    steps:\n      - user: go\n        tool_results: [only-one]\n"
    )
    calls = [call("get_weather", {}, "c1"), call("get_time", {}, "c2")]
    server = Server(completion(None, tool_calls=calls))
    with pytest.raises(ExpectationError) as info:
        run_all(driver(tmp_path, text, server))
    assert str(info.value) == "the model made tool call #2 ('get_time') but tool_results lists 1"


def test_max_tool_rounds_exceeded(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n"
        + TOOLS
        + "    max_tool_rounds: 2\n"
        + "    steps:\n      - user: loop\n        tool_results: {get_weather: again}\n"
    )
    server = Server(
        *(completion(None, tool_calls=[call("get_weather", {}, f"c{i}")]) for i in range(5))
    )
    with pytest.raises(ExpectationError) as info:
        run_all(driver(tmp_path, text, server))
    assert str(info.value) == "the model still calls tools after max_tool_rounds=2"
    assert len(server.bodies) == 3  # the first request and two tool rounds


def test_max_tool_rounds_reached_exactly_is_fine(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n"
        + TOOLS
        + "    max_tool_rounds: 2\n"
        + "    steps:\n      - user: go\n        tool_results: {get_weather: w}\n"
    )
    server = Server(
        completion(None, tool_calls=[call("get_weather", {}, "c1")]),
        completion(None, tool_calls=[call("get_weather", {}, "c2")]),
        completion("finally"),
    )
    (result,) = run_all(driver(tmp_path, text, server))
    assert result.text == "finally"
    assert len(result.exchanges) == 3


# --- provider errors -----------------------------------------------------------------------


def test_provider_error_lands_in_the_step_result(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: first\n      - user: second\n"
    server = Server(not_found(), completion("answer"))
    d = driver(tmp_path, text, server)
    failed, ok = run_all(d)
    error = failed.error
    assert isinstance(error, ProviderError)
    assert error.kind == "NotFoundError"
    assert error.status == 404
    assert "does not exist" in error.message
    assert error.body == NOT_FOUND_BODY["error"]
    assert failed.reply is None
    assert failed.final.sent == ({"role": "user", "content": "first"},)
    # The failed user turn is not part of the conversation.
    assert server.bodies[1]["messages"] == [{"role": "user", "content": "second"}]
    assert ok.text == "answer"
    assert d.history == [
        {"role": "user", "content": "second"},
        {"role": "assistant", "content": "answer"},
    ]


def test_provider_error_in_a_tool_round_drops_the_whole_turn(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n"
        + TOOLS
        + "    messages: [{role: system, content: sys}]\n"
        + "    steps:\n      - user: go\n        tool_results: {get_weather: w}\n"
    )
    server = Server(
        completion(None, tool_calls=[call("get_weather", {}, "c1")]),
        httpx.Response(500, json={"error": {"message": "boom"}}),
    )
    d = driver(tmp_path, text, server)
    (result,) = run_all(d)
    assert result.error is not None
    assert result.error.status == 500
    assert result.error.kind == "InternalServerError"
    assert len(result.exchanges) == 2
    assert d.history == [{"role": "system", "content": "sys"}]


def test_error_event_inside_a_stream_is_a_provider_error(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        stream: true\n"
    error_event = {"error": {"message": "overloaded", "type": "server_error"}}
    server = Server(sse_response(chunk("a", role="assistant"), error_event))
    (result,) = run_all(driver(tmp_path, text, server))
    assert result.error is not None
    assert result.error.kind == "APIError"
    assert result.error.status is None
    assert result.error.message == "overloaded"
    assert result.error.body == error_event["error"]
    assert result.final.streamed is True


class _BrokenStream(httpx.SyncByteStream):
    def __init__(self, first: bytes) -> None:
        self.first = first

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        raise httpx.ReadError("connection reset by peer")


def test_stream_broken_off_midway_is_a_provider_error(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        stream: true\n"
    first = f"data: {json.dumps(chunk('Hel', role='assistant'))}\n\n".encode()
    broken = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=_BrokenStream(first)
    )
    server = Server(broken)
    (result,) = run_all(driver(tmp_path, text, server))
    assert result.error is not None
    assert result.reply is None


def test_truncated_recording_replays_as_a_provider_error(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        stream: true\n",
        encoding="utf-8",
    )
    (scenario,) = load_scenarios(tmp_path / "s.yaml")
    store = RecordingStore(root=tmp_path / "recordings")
    body = {"model": "model-x", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    store.save(
        Recording(
            test_id="t",
            method="POST",
            url=f"{BASE_URL}/chat/completions",
            endpoint="/v1/chat/completions",
            request_body=body,
            response_body=[wrap(chunk("Hel", role="assistant"))],
            is_streaming=True,
            truncated=True,
        ),
        provider="prov",
    )
    transport = replaying(store, provider="prov")
    client = openai.OpenAI(
        base_url=BASE_URL,
        api_key="x",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=transport),
    )
    d = ChatDriver(client=client, case=Case(scenario=scenario, column=COLUMN))
    (result,) = run_all(d)
    assert result.error is not None
    assert result.reply is None
    assert d.history == []


def test_replay_miss_propagates_as_the_harness_error(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n", encoding="utf-8"
    )
    (scenario,) = load_scenarios(tmp_path / "s.yaml")
    transport = replaying(
        RecordingStore(root=tmp_path / "recordings"),
        provider="prov",
        scope=CallScope(where=lambda: "here"),
    )
    client = openai.OpenAI(
        base_url=BASE_URL,
        api_key="x",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=transport),
    )
    d = ChatDriver(client=client, case=Case(scenario=scenario, column=COLUMN))
    with pytest.raises(RecordingMissError) as info:
        run_all(d)
    assert str(info.value).startswith("no recording for POST /v1/chat/completions")
    assert "  at: here" in str(info.value)


# --- streaming -----------------------------------------------------------------------------


def test_streamed_step_is_assembled(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        stream: true\n"
        "      - user: more\n"
    )
    server = Server(
        sse_response(chunk("", role="assistant"), chunk("Hel"), chunk("lo"), chunk(None, "stop")),
        completion("plain"),
    )
    first, second = run_all(driver(tmp_path, text, server))
    assert server.bodies[0] == {
        "model": "model-x",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    assert first.final.streamed is True
    assert first.text == "Hello"
    assert first.finish_reason == "stop"
    assert server.bodies[1]["messages"][1] == {"role": "assistant", "content": "Hello"}
    assert "stream" not in server.bodies[1]
    assert second.text == "plain"


@pytest.mark.parametrize(("variant", "streamed"), [("stream", True), ("nostream", False)])
def test_stream_both_follows_the_case_variant(
    tmp_path: Path, variant: StreamVariant, streamed: bool
) -> None:
    text = "scenarios:\n  - id: a\n    stream: both\n    steps:\n      - user: hi\n"
    reply: Reply = (
        sse_response(chunk("yo", role="assistant"), chunk(None, "stop"))
        if streamed
        else completion("yo")
    )
    server = Server(reply)
    (result,) = run_all(driver(tmp_path, text, server, variant=variant))
    assert server.bodies[0]["stream"] is streamed
    assert result.final.streamed is streamed
    assert result.text == "yo"


def test_streamed_tool_calls_play_a_round_trip(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n"
        + TOOLS
        + "    steps:\n      - user: weather?\n        stream: true\n"
        + "        tool_results: {get_weather: sunny}\n"
    )
    tool_chunk = {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "model-x",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_s",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":'},
                        }
                    ],
                },
                "finish_reason": None,
            }
        ],
    }
    more_args = json.loads(json.dumps(tool_chunk))
    more_args["choices"][0]["delta"] = {
        "tool_calls": [{"index": 0, "function": {"arguments": ' "Oslo"}'}}]
    }
    server = Server(
        sse_response(tool_chunk, more_args, chunk(None, "tool_calls")),
        sse_response(chunk("It is sunny.", role="assistant"), chunk(None, "stop")),
    )
    (result,) = run_all(driver(tmp_path, text, server))
    assistant = server.bodies[1]["messages"][1]
    assert assistant == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_s",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
            }
        ],
    }
    assert server.bodies[1]["messages"][2] == {
        "role": "tool",
        "tool_call_id": "call_s",
        "content": "sunny",
    }
    assert result.text == "It is sunny."


# --- assistant_message ---------------------------------------------------------------------


def test_assistant_message_keeps_only_function_tool_calls() -> None:
    custom = {"id": "c9", "type": "custom", "custom": {"name": "grammar", "input": "x"}}
    reply = ChatCompletion.model_validate(
        completion("text", tool_calls=[call("f", {"a": 1}, "c1"), custom])
    )
    assert assistant_message(reply) == {
        "role": "assistant",
        "content": "text",
        "tool_calls": [call("f", {"a": 1}, "c1")],
    }
    plain = ChatCompletion.model_validate(completion("just text"))
    assert assistant_message(plain) == {"role": "assistant", "content": "just text"}

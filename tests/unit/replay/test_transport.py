"""Tests for harness.replay.transport: record and replay transports, driven through the real SDK."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from harness.errors import HarnessError, RecordingMissError
from harness.replay.recording import Recording, RequestKey, wrap
from harness.replay.store import RecordingStore
from harness.replay.transport import (
    CallContext,
    RecordingTransport,
    ReplayTransport,
    parse_sse,
    shown,
)
from harness.util.httplib import httpx

BASE_URL = "https://api.example.test/v1"
SEEDS = Path(__file__).resolve().parents[2] / "data" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.json"))
SECRET = "sk-test-very-secret-key-0123456789"

Handler = Callable[[httpx.Request], httpx.Response]


def client_on(
    transport: httpx.BaseTransport, *, api_key: str = "x", max_retries: int = 0
) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=BASE_URL,
        api_key=api_key,
        max_retries=max_retries,
        http_client=openai.DefaultHttpxClient(transport=transport),
    )


def replay_client(store: RecordingStore, context: CallContext | None = None) -> openai.OpenAI:
    transport = ReplayTransport(
        store=store, provider="openai", base_url=BASE_URL, context=context or CallContext()
    )
    return client_on(transport)


def load_seed(path: Path) -> Recording:
    return Recording.from_dict(json.loads(path.read_text(encoding="utf-8")), source=str(path))


def completion(content: str | None = "Hello there.", **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
            }
        ],
        **extra,
    }


def chunk(content: str | None, finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }


def sse(*events: Any, done: bool = True) -> bytes:
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
    return (text + ("data: [DONE]\n\n" if done else "")).encode()


def messages(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


def chat_key(body: Any) -> RequestKey:
    return RequestKey(provider="openai", method="POST", endpoint="/v1/chat/completions", body=body)


def recording_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def find_miss(exc: BaseException) -> RecordingMissError:
    """The RecordingMissError behind what the SDK raised.

    openai 1.x wraps transport exceptions in APIConnectionError (the miss is its __cause__);
    openai 3.x lets exceptions that are not httpx errors through unwrapped.
    """
    if isinstance(exc, RecordingMissError):
        return exc
    assert isinstance(exc, openai.APIConnectionError), type(exc)
    assert isinstance(exc.__cause__, RecordingMissError), exc.__cause__
    return exc.__cause__


# --- replay --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.stem)
def test_replayed_seed_stream_arrives_as_typed_chunks(tmp_path: Path, path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    rec = load_seed(path)
    store.save(rec, provider="openai")
    client = replay_client(store)
    stream = client.chat.completions.create(**rec.request_body)
    chunks = list(stream)
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert len(chunks) == len(rec.response_body)
    expected_text = "".join(
        choice["delta"].get("content") or ""
        for item in rec.response_body
        for choice in item["__data__"]["choices"]
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected_text
    assert text


def test_replayed_non_stream_reply_is_a_chat_completion(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    body: dict[str, Any] = {"model": "m", "messages": messages("hi"), "temperature": 0}
    rec = Recording(
        test_id="t",
        method="POST",
        url=f"{BASE_URL}/chat/completions",
        endpoint="/v1/chat/completions",
        request_body=body,
        response_body=wrap(completion("Hi!")),
        is_streaming=False,
    )
    store.save(rec, provider="openai")
    reply = replay_client(store).chat.completions.create(
        model="m", messages=messages("hi"), temperature=0
    )
    assert isinstance(reply, ChatCompletion)
    assert reply.choices[0].message.content == "Hi!"
    assert reply.choices[0].finish_reason == "stop"


def test_replayed_error_reply_raises_the_sdk_status_error(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    error = {"error": {"message": "The model `nope` does not exist", "code": "model_not_found"}}
    body: dict[str, Any] = {"model": "nope", "messages": messages("hi")}
    store.save(
        Recording(
            test_id="t",
            method="POST",
            url=f"{BASE_URL}/chat/completions",
            endpoint="/v1/chat/completions",
            request_body=body,
            response_body=wrap(error),
            is_streaming=False,
            status_code=404,
        ),
        provider="openai",
    )
    with pytest.raises(openai.NotFoundError) as info:
        replay_client(store).chat.completions.create(**body)
    assert info.value.status_code == 404
    assert "does not exist" in info.value.message


def test_replayed_responses_stream_arrives_as_typed_events(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    response = {
        "id": "resp_1",
        "object": "response",
        "created_at": 0,
        "model": "m",
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "status": "in_progress",
    }
    events = [
        {"type": "response.created", "sequence_number": 0, "response": response},
        {
            "type": "response.output_text.delta",
            "sequence_number": 1,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "Hi",
            "logprobs": [],
        },
    ]
    body: dict[str, Any] = {"model": "m", "input": "hello", "stream": True}
    store.save(
        Recording(
            test_id="t",
            method="POST",
            url=f"{BASE_URL}/responses",
            endpoint="/v1/responses",
            request_body=body,
            response_body=[wrap(e) for e in events],
            is_streaming=True,
        ),
        provider="openai",
    )
    received = list(replay_client(store).responses.create(model="m", input="hello", stream=True))
    assert [e.type for e in received] == ["response.created", "response.output_text.delta"]
    assert type(received[1]).__name__ == "ResponseTextDeltaEvent"
    assert received[1].delta == "Hi"  # type: ignore[union-attr]


def test_miss_raises_with_the_nearest_recording_diff(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    rec = load_seed(SEEDS / "conversation-multi-turn-streaming.json")
    saved = store.save(rec, provider="openai")
    context = CallContext(
        test_id="scenarios/x.yaml::goodbye[txt=openai/gpt-4o]",
        where="scenarios/x.yaml:12: goodbye [txt=openai/gpt-4o], step 1",
        record_hint="pytest 'scenarios/x.yaml::goodbye' --harness-record-mode=record-missing",
    )
    body = json.loads(json.dumps(rec.request_body))
    body["messages"][-1]["content"] = "Say goodbye, please"
    with pytest.raises(Exception) as info:  # which class depends on the SDK
        replay_client(store, context).chat.completions.create(**body)
    miss = find_miss(info.value)
    message = str(miss)
    lines = message.splitlines()
    assert lines[0] == "no recording for POST /v1/chat/completions on provider 'openai'"
    assert f"  at: {context.where}" in lines
    assert f"  nearest recording: {shown(saved)}" in lines
    assert "    messages[2].content: 'Say goodbye' -> 'Say goodbye, please'" in lines
    expected = store.path_for(
        RequestKey(provider="openai", method="POST", endpoint="/v1/chat/completions", body=body)
    )
    assert f"  expected file: {shown(expected)}" in lines
    assert lines[-1] == f"  to record it: {context.record_hint}"
    assert not expected.exists()


def test_miss_with_no_recordings_for_the_route(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path / "recordings")
    with pytest.raises(Exception) as info:  # which class depends on the SDK
        replay_client(store).chat.completions.create(model="m", messages=messages("hi"))
    message = str(find_miss(info.value))
    folder = shown(tmp_path / "recordings" / "openai")
    assert f"  no recordings for this route in {folder}" in message
    assert "at:" not in message
    assert "to record it" not in message


def test_miss_lists_at_most_eight_differences(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    base = {"model": "m", "messages": messages("hi")}
    transport = ReplayTransport(
        store=store, provider="openai", base_url=BASE_URL, context=CallContext()
    )
    store.save(
        Recording(
            test_id="t",
            method="POST",
            url="",
            endpoint="/v1/chat/completions",
            request_body=base,
            response_body=wrap(completion()),
            is_streaming=False,
        ),
        provider="openai",
    )
    extra = {f"p{i:02d}": i for i in range(11)}
    with pytest.raises(Exception) as info:  # which class depends on the SDK
        client_on(transport).chat.completions.create(
            model="m", messages=messages("hi"), extra_body=extra
        )
    lines = str(find_miss(info.value)).splitlines()
    diff_lines = [line for line in lines if line.startswith("    p")]
    assert diff_lines == [f"    p{i:02d}: added {i}" for i in range(8)]
    assert "    ... and 3 more differences" in lines


def test_miss_is_a_harness_error() -> None:
    assert issubclass(RecordingMissError, HarnessError)


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://api.example.test/v1", "https://api.example.test/v1/chat/completions"),
        ("https://api.example.test/v1/", "https://api.example.test/v1/chat/completions"),
        ("http://localhost:8000", "http://localhost:8000/chat/completions"),
        ("https://h.test/openai/v1", "https://h.test/openai/v1/chat/completions"),
    ],
)
def test_key_endpoint_is_relative_to_the_base_url(base_url: str, url: str) -> None:
    transport = ReplayTransport(
        store=RecordingStore(root=Path("unused")),
        provider="p",
        base_url=base_url,
        context=CallContext(),
    )
    request = httpx.Request("POST", url + "?b=2&a=1", json={"model": "m"})
    key = transport.key_for(request)
    assert key.endpoint == "/v1/chat/completions"
    assert key.query == "a=1&b=2"
    assert key.body == {"model": "m"}
    assert key.method == "POST"
    assert key.provider == "p"


def test_key_of_a_request_without_body() -> None:
    transport = ReplayTransport(
        store=RecordingStore(root=Path("unused")),
        provider="p",
        base_url=BASE_URL,
        context=CallContext(),
    )
    key = transport.key_for(httpx.Request("GET", f"{BASE_URL}/models"))
    assert key.body is None
    assert key.endpoint == "/v1/models"
    assert key.route == "models"


# --- record --------------------------------------------------------------------------------


class Inner:
    """An inner transport (httpx MockTransport) that counts and captures requests."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.closed = False

        def capture(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        self.transport = httpx.MockTransport(capture)
        original_close = self.transport.close

        def close() -> None:
            self.closed = True
            original_close()

        self.transport.close = close  # type: ignore[method-assign]


def recorder(
    store: RecordingStore, inner: Inner, *, replay_first: bool = False, test_id: str = "tid"
) -> RecordingTransport:
    return RecordingTransport(
        store=store,
        provider="openai",
        base_url=BASE_URL,
        context=CallContext(test_id=test_id),
        inner=inner.transport,
        replay_first=replay_first,
    )


def assert_no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    assert "authorization" not in text.lower()
    assert "bearer" not in text.lower()


def test_recording_a_stream(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    events = [chunk("Hel"), chunk("lo"), chunk(None, "stop")]
    inner = Inner(
        lambda r: httpx.Response(
            200, headers={"content-type": "text/event-stream; charset=utf-8"}, content=sse(*events)
        )
    )
    client = client_on(recorder(store, inner, test_id="file.yaml::s[txt=openai/m]"), api_key=SECRET)
    chunks = list(client.chat.completions.create(model="m", messages=messages("hi"), stream=True))
    assert [c.choices[0].delta.content for c in chunks] == ["Hel", "lo", None]
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert len(inner.requests) == 1
    assert inner.requests[0].headers["authorization"] == f"Bearer {SECRET}"

    (path,) = recording_files(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    body = {"model": "m", "messages": messages("hi"), "stream": True}
    # Volatile fields are normalized at write time: chat ids and timestamps.
    rec_id = f"rec-{chat_key(body).digest[:12]}"
    recorded = [{**e, "id": rec_id, "created": 0} for e in events]
    assert data == {
        "test_id": "file.yaml::s[txt=openai/m]",
        "request": {
            "method": "POST",
            "url": f"{BASE_URL}/chat/completions",
            "headers": {},
            "body": body,
            "endpoint": "/v1/chat/completions",
            "model": "m",
        },
        "response": {"body": [wrap(e) for e in recorded], "is_streaming": True},
        "id_normalization_mapping": {},
    }
    assert path.name == chat_key(body).filename
    assert path.parent.name == "openai"
    assert path.name.startswith("chat-completions-")
    assert_no_secret(path)


def test_recording_a_json_reply(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    inner = Inner(lambda r: httpx.Response(200, json=completion("Recorded.")))
    client = client_on(recorder(store, inner), api_key=SECRET)
    reply = client.chat.completions.create(model="m", messages=messages("hi"), temperature=0.5)
    assert isinstance(reply, ChatCompletion)
    assert reply.choices[0].message.content == "Recorded."
    (path,) = recording_files(tmp_path)
    rec = store.read(path)
    assert rec is not None
    assert rec.is_streaming is False
    assert rec.status_code == 200
    body = {"model": "m", "messages": messages("hi"), "temperature": 0.5}
    assert rec.request_body == body
    rec_id = f"rec-{chat_key(body).digest[:12]}"
    assert rec.response_body == wrap({**completion("Recorded."), "id": rec_id, "created": 0})
    # The original ids are volatile: keeping them would churn the file on every re-record.
    assert rec.id_normalization_mapping == {}
    assert rec.request_headers == {}
    assert_no_secret(path)
    # And it replays.
    again = replay_client(store).chat.completions.create(
        model="m", messages=messages("hi"), temperature=0.5
    )
    assert again.choices[0].message.content == "Recorded."


def test_recording_an_error_reply(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    error = {"error": {"message": "Invalid value for temperature", "type": "invalid_request"}}
    inner = Inner(lambda r: httpx.Response(400, json=error))
    client = client_on(recorder(store, inner), api_key=SECRET)
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="m", messages=messages("hi"), temperature=9)
    assert info.value.status_code == 400
    (path,) = recording_files(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["response"] == {"body": wrap(error), "is_streaming": False, "status_code": 400}
    assert data["response"]["body"]["__type__"] == "error"
    assert_no_secret(path)
    with pytest.raises(openai.BadRequestError):
        replay_client(store).chat.completions.create(
            model="m", messages=messages("hi"), temperature=9
        )


def test_recording_a_non_json_reply(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    page = "<html>502 Bad Gateway</html>"
    inner = Inner(lambda r: httpx.Response(502, text=page))
    transport = recorder(store, inner)
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    response = transport.handle_request(request)
    assert response.status_code == 502
    assert response.read() == page.encode()
    (path,) = recording_files(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["response"]["body"] == {"__type__": "text", "__data__": page}
    assert data["response"]["status_code"] == 502


def test_one_recording_per_distinct_request(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    inner = Inner(lambda r: httpx.Response(200, json=completion()))
    client = client_on(recorder(store, inner))
    for text in ("one", "two", "three"):
        client.chat.completions.create(model="m", messages=messages(text))
    assert len(inner.requests) == 3
    assert len(recording_files(tmp_path)) == 3


def test_replay_first_serves_an_existing_recording_without_the_inner_transport(
    tmp_path: Path,
) -> None:
    store = RecordingStore(root=tmp_path)
    first = Inner(lambda r: httpx.Response(200, json=completion("from the provider")))
    client_on(recorder(store, first)).chat.completions.create(model="m", messages=messages("hi"))
    (path,) = recording_files(tmp_path)
    before = path.read_bytes()

    second = Inner(lambda r: httpx.Response(200, json=completion("should not be asked")))
    client = client_on(recorder(store, second, replay_first=True))
    reply = client.chat.completions.create(model="m", messages=messages("hi"))
    assert reply.choices[0].message.content == "from the provider"
    assert second.requests == []
    assert path.read_bytes() == before

    # A request without a recording still goes out and is recorded.
    other = client.chat.completions.create(model="m", messages=messages("new"))
    assert other.choices[0].message.content == "should not be asked"
    assert len(second.requests) == 1
    assert len(recording_files(tmp_path)) == 2


def test_without_replay_first_every_request_is_sent_and_rewritten(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    first = Inner(lambda r: httpx.Response(200, json=completion("old")))
    client_on(recorder(store, first)).chat.completions.create(model="m", messages=messages("hi"))
    second = Inner(lambda r: httpx.Response(200, json=completion("new")))
    reply = client_on(recorder(store, second, test_id="rewritten")).chat.completions.create(
        model="m", messages=messages("hi")
    )
    assert reply.choices[0].message.content == "new"
    assert len(second.requests) == 1
    (path,) = recording_files(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["test_id"] == "rewritten"
    assert data["response"]["body"]["__data__"]["choices"][0]["message"]["content"] == "new"


def test_unreachable_provider_is_the_sdks_connection_error_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    store = RecordingStore(root=tmp_path / "recordings")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = recorder(store, Inner(refuse))
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    # The HTTP library's own exception type: the SDK retries it as a connection error.
    with pytest.raises(httpx.ConnectError) as info:
        transport.handle_request(request)
    message = str(info.value)
    assert "cannot reach provider 'openai'" in message
    assert f"{BASE_URL}/chat/completions" in message
    assert "ConnectError: connection refused" in message
    assert message.endswith("nothing was written")
    assert recording_files(tmp_path) == []

    # Through the SDK: its own connection error, after its retries.
    inner = Inner(refuse)
    client = client_on(recorder(store, inner), max_retries=1)
    with pytest.raises(openai.APIConnectionError) as sdk_info:
        client.chat.completions.create(model="m", messages=messages("hi"))
    assert isinstance(sdk_info.value.__cause__, httpx.ConnectError)
    assert len(inner.requests) == 2  # the SDK's retry policy applied
    assert recording_files(tmp_path) == []


@pytest.mark.parametrize("fault", [httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError])
def test_a_transient_transport_error_is_retried_by_the_sdk_and_only_the_answer_recorded(
    tmp_path: Path, fault: type[httpx.TransportError]
) -> None:
    store = RecordingStore(root=tmp_path)
    attempts: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise fault("connection reset by peer", request=request)
        return httpx.Response(200, json=completion("Recorded."))

    client = client_on(recorder(store, Inner(flaky)), max_retries=2)
    reply = client.chat.completions.create(model="m", messages=messages("hi"))
    assert reply.choices[0].message.content == "Recorded."
    assert len(attempts) == 2
    (path,) = recording_files(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["response"]["body"]["__data__"]["choices"][0]["message"]["content"] == "Recorded."
    assert "occurrence" not in data["request"]  # the retry is the same request, not a second


class BrokenStream(httpx.SyncByteStream):
    """A response body that breaks off after ``pieces``."""

    def __init__(self, *pieces: bytes) -> None:
        self.pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces
        raise httpx.ReadError("connection reset by peer")


def test_a_stream_that_breaks_off_is_recorded_as_truncated(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    first = sse(chunk("Hel"), done=False)
    inner = Inner(
        lambda r: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=BrokenStream(first)
        )
    )
    transport = recorder(store, inner)
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    response = transport.handle_request(request)
    with pytest.raises(httpx.TransportError):
        response.read()
    (path,) = recording_files(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["response"]["truncated"] is True
    assert data["response"]["is_streaming"] is True
    assert [item["__data__"]["choices"][0]["delta"] for item in data["response"]["body"]] == [
        {"content": "Hel"}
    ]
    # Replay serves the same bytes and then breaks off the same way.
    replayed = ReplayTransport(
        store=store, provider="openai", base_url=BASE_URL, context=CallContext()
    ).handle_request(httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"}))
    received: list[bytes] = []
    with pytest.raises(httpx.TransportError):
        for piece in replayed.iter_bytes():
            received.append(piece)
    assert parse_sse(b"".join(received).decode()) == [
        item["__data__"] for item in data["response"]["body"]
    ]


def test_replayed_truncated_chat_stream_breaks_off_in_the_sdk(tmp_path: Path) -> None:
    # Live, the SDK saw one chunk and then a connection error; replay must do the same, so
    # the replayed bytes cannot end with the "[DONE]" the provider never sent.
    store = RecordingStore(root=tmp_path)
    body: dict[str, Any] = {"model": "m", "messages": messages("hi"), "stream": True}
    store.save(
        Recording(
            test_id="t",
            method="POST",
            url=f"{BASE_URL}/chat/completions",
            endpoint="/v1/chat/completions",
            request_body=body,
            response_body=[wrap(chunk("Hel"))],
            is_streaming=True,
            truncated=True,
        ),
        provider="openai",
    )
    received: list[str | None] = []
    with pytest.raises((openai.APIConnectionError, httpx.TransportError)):
        for part in replay_client(store).chat.completions.create(**body):
            received.append(part.choices[0].delta.content)
    assert received == ["Hel"]


def test_a_stream_that_breaks_before_any_byte_writes_nothing(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    inner = Inner(
        lambda r: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=BrokenStream()
        )
    )
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    with pytest.raises(httpx.ReadError, match="nothing was written"):
        recorder(store, inner).handle_request(request)
    assert recording_files(tmp_path) == []


def test_a_json_reply_that_breaks_off_writes_nothing(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    inner = Inner(
        lambda r: httpx.Response(
            200, headers={"content-type": "application/json"}, stream=BrokenStream(b'{"id": ')
        )
    )
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    with pytest.raises(httpx.ReadError, match="nothing was written"):
        recorder(store, inner).handle_request(request)
    assert recording_files(tmp_path) == []


def test_close_closes_the_inner_transport(tmp_path: Path) -> None:
    inner = Inner(lambda r: httpx.Response(200, json=completion()))
    recorder(RecordingStore(root=tmp_path), inner).close()
    assert inner.closed is True


# --- parse_sse / shown ---------------------------------------------------------------------


def test_parse_sse_events_and_done() -> None:
    text = 'data: {"a": 1}\n\ndata: {"b": 2}\n\ndata: [DONE]\n\n'
    assert parse_sse(text) == [{"a": 1}, {"b": 2}]


def test_parse_sse_joins_multi_line_data() -> None:
    assert parse_sse('data: {"a":\ndata: [1,\ndata: 2]}\n\n') == [{"a": [1, 2]}]


def test_parse_sse_ignores_event_id_and_comment_lines() -> None:
    text = (
        ": keep-alive\n\n"
        'event: response.created\nid: 7\ndata: {"type": "response.created"}\n\n'
        'event: response.done\ndata: {"type": "response.done"}\n\n'
    )
    assert parse_sse(text) == [{"type": "response.created"}, {"type": "response.done"}]


def test_parse_sse_keeps_non_json_data_as_text() -> None:
    assert parse_sse("data: hello world\n\ndata: {broken\n\n") == ["hello world", "{broken"]


def test_parse_sse_without_trailing_blank_line_and_crlf() -> None:
    assert parse_sse('data: {"a": 1}\r\n\r\ndata:{"b": 2}') == [{"a": 1}, {"b": 2}]
    assert parse_sse("") == []
    assert parse_sse("data: [DONE]") == []


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_parse_sse_splits_lines_only_on_cr_and_lf(separator: str) -> None:
    # JSON leaves these unescaped; str.splitlines() would cut the event in two.
    text = f'data: {{"a": "x{separator}y"}}\n\ndata: [DONE]\n\n'
    assert parse_sse(text) == [{"a": f"x{separator}y"}]
    assert parse_sse(text, complete=False) == [{"a": f"x{separator}y"}]


@pytest.mark.parametrize(
    ("text", "events"),
    [
        ('data: {"a": 1}\n', []),  # no blank line yet: the event was not complete
        ('data: {"a": 1}\n\ndata: {"b"', [{"a": 1}]),
        ('data: {"a": 1}\r\n\r', [{"a": 1}]),
        ('data: {"a": 1}\r\rdata: {"b": 2}\r\r', [{"a": 1}, {"b": 2}]),
    ],
)
def test_parse_sse_of_a_stream_that_broke_off_keeps_complete_events(
    text: str, events: list[Any]
) -> None:
    assert parse_sse(text, complete=False) == events


def test_parse_sse_round_trips_recorded_streams() -> None:
    for path in SEED_FILES:
        rec = load_seed(path)
        content = rec.response_content()[2].decode("utf-8")
        assert parse_sse(content) == [item["__data__"] for item in rec.response_body]


def test_shown_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert shown(tmp_path / "recordings" / "x.json") == str(Path("recordings") / "x.json")
    assert shown(Path("/elsewhere/x.json")) == "/elsewhere/x.json"


# --- recording never replaces a different reply outside rewrite mode ---------------------------


def _another_worker_records(store: RecordingStore, request: httpx.Request, text: str) -> Path:
    """What a concurrent xdist worker does: records the same request, with its own reply."""
    key = RequestKey(
        provider="openai",
        method="POST",
        endpoint="/v1/chat/completions",
        body=json.loads(request.content),
    )
    theirs = Recording(
        test_id="other-worker",
        method="POST",
        url=str(request.url),
        endpoint=key.endpoint,
        request_body=key.body,
        response_body=wrap(completion(text)),
        is_streaming=False,
    )
    return store.save(theirs, provider="openai")


@pytest.mark.parametrize("replay_first", [True, False])
def test_record_missing_refuses_to_replace_a_reply_recorded_meanwhile(
    tmp_path: Path, replay_first: bool
) -> None:
    store = RecordingStore(root=tmp_path)
    written: list[Path] = []

    def provider(request: httpx.Request) -> httpx.Response:
        written.append(_another_worker_records(store, request, "Theirs."))
        return httpx.Response(200, json=completion("Mine."))

    transport = recorder(store, Inner(provider), replay_first=replay_first)
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    if replay_first:  # record-missing: the other worker's reply stays
        with pytest.raises(HarnessError, match="already holds a different reply"):
            transport.handle_request(request)
        expected = "Theirs."
    else:  # rewrite mode replaces, as it says
        transport.handle_request(request)
        expected = "Mine."
    [path] = written
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["response"]["body"]["__data__"]["choices"][0]["message"]["content"] == expected
    assert recording_files(tmp_path) == [path]


KEY_SHAPED = "sk-canaryTESTONLY0123456789abcdefXYZ"


def test_a_refused_write_is_not_sent_again_on_the_sdks_retry(tmp_path: Path) -> None:
    """openai<3 retries any exception a transport raises (x-stainless-retry-count: 1, 2...)."""
    store = RecordingStore(root=tmp_path)
    inner = Inner(lambda r: httpx.Response(200, json=completion(f"your key is {KEY_SHAPED}")))
    transport = recorder(store, inner)

    def attempt(retry: int) -> httpx.Request:
        return httpx.Request(
            "POST",
            f"{BASE_URL}/chat/completions",
            json={"model": "m", "messages": messages("hi")},
            headers={"x-stainless-retry-count": str(retry)},
        )

    with pytest.raises(HarnessError, match="refusing to write") as first:
        transport.handle_request(attempt(0))
    for retry in (1, 2):
        with pytest.raises(HarnessError) as again:
            transport.handle_request(attempt(retry))
        assert again.value is first.value
    assert len(inner.requests) == 1  # the provider was asked once
    assert recording_files(tmp_path) == []
    # A new request (no retry header) is sent as usual.
    with pytest.raises(HarnessError, match="refusing to write"):
        transport.handle_request(attempt(0))
    assert len(inner.requests) == 2


def test_a_refused_write_through_a_retrying_sdk_asks_the_provider_once(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    inner = Inner(lambda r: httpx.Response(200, json=completion(f"your key is {KEY_SHAPED}")))
    client = openai.OpenAI(
        base_url=BASE_URL,
        api_key="x",
        max_retries=1,
        http_client=openai.DefaultHttpxClient(transport=recorder(store, inner)),
    )
    with pytest.raises(Exception) as raised:  # openai<3 wraps it in APIConnectionError
        client.chat.completions.create(model="m", messages=messages("hi"))
    error = raised.value if isinstance(raised.value, HarnessError) else raised.value.__cause__
    assert isinstance(error, HarnessError), raised.value
    assert "refusing to write" in str(error)
    assert len(inner.requests) == 1
    assert recording_files(tmp_path) == []

"""Tests for harness.replay.transports.record: sending, writing, answering from the write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from harness.errors import HarnessError
from harness.replay.key import RequestKey
from harness.replay.recording import Recording, wrap
from harness.replay.sse import parse_sse
from harness.replay.store import RecordingStore
from harness.util.httplib import httpx
from support.transports import (
    BASE_URL,
    SECRET,
    Inner,
    chat_key,
    chunk,
    client_on,
    completion,
    messages,
    recorder,
    recording_files,
    replay_client,
    replaying,
    sse,
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
    again = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    replayed = replaying(store).handle_request(again)
    received: list[bytes] = []
    with pytest.raises(httpx.TransportError):
        for piece in replayed.iter_bytes():
            received.append(piece)
    assert parse_sse(b"".join(received).decode()) == [
        item["__data__"] for item in data["response"]["body"]
    ]


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


@pytest.mark.parametrize("replace", [False, True])
def test_record_missing_refuses_to_replace_a_reply_recorded_meanwhile(
    tmp_path: Path, replace: bool
) -> None:
    store = RecordingStore(root=tmp_path)
    written: list[Path] = []

    def provider(request: httpx.Request) -> httpx.Response:
        written.append(_another_worker_records(store, request, "Theirs."))
        return httpx.Response(200, json=completion("Mine."))

    transport = recorder(store, Inner(provider), replace=replace)
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    if not replace:  # record-missing: the other worker's reply stays
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

"""Tests for harness.replay.transports.replay: answering from recordings, and misses."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from harness.errors import HarnessError, RecordingMissError
from harness.replay.key import RequestKey
from harness.replay.recording import Recording, wrap
from harness.replay.store import RecordingStore
from harness.replay.transports import CallLog, CallScope, Miss, shown
from harness.util.httplib import httpx
from support.transports import (
    BASE_URL,
    SEED_FILES,
    SEEDS,
    chunk,
    client_on,
    completion,
    find_miss,
    load_seed,
    messages,
    replay_client,
    replaying,
)


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
    where = "scenarios/x.yaml:12: goodbye [txt=openai/gpt-4o], step 1"
    scope = CallScope(
        test_id="scenarios/x.yaml::goodbye[txt=openai/gpt-4o]",
        where=lambda: where,
        record_hint="pytest 'scenarios/x.yaml::goodbye' --harness-record-mode=record-missing",
    )
    log = CallLog()
    body = json.loads(json.dumps(rec.request_body))
    body["messages"][-1]["content"] = "Say goodbye, please"
    with pytest.raises(Exception) as info:  # which class depends on the SDK
        replay_client(store, scope=scope, log=log).chat.completions.create(**body)
    miss = find_miss(info.value)
    message = str(miss)
    lines = message.splitlines()
    assert lines[0] == "no recording for POST /v1/chat/completions on provider 'openai'"
    assert f"  at: {where}" in lines
    assert "  request: #1 of this test" in lines
    assert f"  nearest recording: {shown(saved)}" in lines
    assert "    messages[2].content: 'Say goodbye' -> 'Say goodbye, please'" in lines
    expected = store.path_for(
        RequestKey(provider="openai", method="POST", endpoint="/v1/chat/completions", body=body)
    )
    assert f"  expected file: {shown(expected)}" in lines
    assert lines[-1] == f"  to record it: {scope.record_hint}"
    assert not expected.exists()
    assert log.misses == (message,)  # kept: the application may swallow the SDK's error


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
    transport = replaying(store)
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


def test_shown_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert shown(tmp_path / "recordings" / "x.json") == str(Path("recordings") / "x.json")
    assert shown(Path("/elsewhere/x.json")) == "/elsewhere/x.json"


def test_a_miss_explains_itself_only_when_read(tmp_path: Path) -> None:
    """The explanation scans the route's recordings: record-missing, which records instead,
    never pays for it. Where the case was is read at the miss, not later."""
    store = RecordingStore(root=tmp_path)
    scans: list[RequestKey] = []
    nearest = store.nearest

    def counted(key: RequestKey) -> tuple[Path, list[str]] | None:
        scans.append(key)
        return nearest(key)

    store.nearest = counted  # type: ignore[method-assign]
    steps = iter(["step 1", "step 2"])
    scope = CallScope(where=lambda: next(steps))
    front = replaying(store, scope=scope)
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions", json={"model": "m"})
    front.keyer.key(request)
    with pytest.raises(Miss) as info:
        front.inner.handle_request(request)  # the replay transport alone: nobody reads it
    assert scans == []
    text = str(info.value)
    assert "  at: step 1" in text.splitlines()
    assert len(scans) == 1
    assert str(info.value) == text and len(scans) == 1  # written once
    assert isinstance(info.value, RecordingMissError) and isinstance(info.value, HarnessError)
    copy = pickle.loads(pickle.dumps(info.value))
    assert isinstance(copy, RecordingMissError) and str(copy) == text


def test_a_per_test_request_falls_back_to_the_shared_recording_only_when_allowed(
    tmp_path: Path,
) -> None:
    store = RecordingStore(root=tmp_path)
    body: dict[str, Any] = {"model": "m", "messages": messages("hi")}
    store.save(
        Recording(
            test_id="t", method="POST", url="", endpoint="/v1/chat/completions",
            request_body=body, response_body=wrap(completion("Shared.")), is_streaming=False,
        ),
        provider="openai",
    )  # fmt: skip
    per_test = CallScope(scope="file.yaml::s", shared_fallback=True)
    reply = replay_client(store, scope=per_test).chat.completions.create(**body)
    assert reply.choices[0].message.content == "Shared."
    stateful = CallScope(scope="file.yaml::s")
    with pytest.raises((RecordingMissError, openai.APIConnectionError)):
        replay_client(store, scope=stateful).chat.completions.create(**body)


def test_replayed_calls_are_logged_with_their_source(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    body: dict[str, Any] = {"model": "m", "messages": messages("hi")}
    path = store.save(
        Recording(
            test_id="t", method="POST", url="", endpoint="/v1/chat/completions",
            request_body=body, response_body=wrap(completion("Hi!")), is_streaming=False,
        ),
        provider="openai",
    )  # fmt: skip
    log = CallLog()
    client = replay_client(store, log=log)
    client.chat.completions.create(**body)
    assert log.last_source == path
    assert (log.replayed, log.recorded, log.mode(live=False)) == (1, 0, "replayed")
    [call] = log.calls
    assert call.request == body and call.text == "Hi!" and call.status == 200
    with pytest.raises((RecordingMissError, openai.APIConnectionError)):
        client.chat.completions.create(model="m", messages=messages("unknown"))
    assert log.last_source is None  # the last request was answered by no recording
    assert len(log.misses) == 1 and "request: #2 of this test" in log.misses[0]

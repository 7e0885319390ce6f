"""Tests for harness.replay.transports.compose: record-missing as replay, then record."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from harness.replay.store import RecordingStore
from harness.replay.transports import (
    CallLog,
    CallScope,
    RecordTransport,
    ReplayOrRecord,
    ReplayTransport,
)
from harness.util.httplib import httpx
from support.fake_openai import FakeOpenAI, Fault
from support.transports import (
    Inner,
    client_on,
    completion,
    keyed,
    messages,
    recorder,
    recording_files,
)


def test_replay_first_serves_an_existing_recording_without_the_inner_transport(
    tmp_path: Path,
) -> None:
    store = RecordingStore(root=tmp_path)
    first = Inner(lambda r: httpx.Response(200, json=completion("from the provider")))
    client_on(recorder(store, first)).chat.completions.create(model="m", messages=messages("hi"))
    (path,) = recording_files(tmp_path)
    before = path.read_bytes()

    second = Inner(lambda r: httpx.Response(200, json=completion("should not be asked")))
    client = client_on(recorder(store, second, missing_only=True))
    reply = client.chat.completions.create(model="m", messages=messages("hi"))
    assert reply.choices[0].message.content == "from the provider"
    assert second.requests == []
    assert path.read_bytes() == before

    # A request without a recording still goes out and is recorded.
    other = client.chat.completions.create(model="m", messages=messages("new"))
    assert other.choices[0].message.content == "should not be asked"
    assert len(second.requests) == 1
    assert len(recording_files(tmp_path)) == 2


def composed(store: RecordingStore, server: FakeOpenAI, log: CallLog) -> openai.OpenAI:
    """record-missing as the factory builds it, on the real SDK over a loopback server."""
    scope = CallScope(test_id="t::record-missing")
    replay = ReplayTransport(store=store, scope=scope, log=log)
    record = RecordTransport(
        store=store, inner=httpx.HTTPTransport(), scope=scope, log=log,
        base_url=server.base_url, replace=False,
    )  # fmt: skip
    front = keyed(
        ReplayOrRecord(replay=replay, record=record), log=log, scope=scope, provider="fake",
        base_url=server.base_url,
    )  # fmt: skip
    return openai.OpenAI(
        base_url=server.base_url,
        api_key="k",
        max_retries=1,
        http_client=openai.DefaultHttpxClient(transport=front),
    )


def ask(client: openai.OpenAI, text: str) -> str | None:
    reply = client.chat.completions.create(model="m1", messages=messages(text))
    return reply.choices[0].message.content


def test_a_hit_is_replayed_and_a_miss_recorded(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    store = RecordingStore(root=tmp_path)
    first = CallLog()
    assert ask(composed(store, fake_openai, first), "hi") == "echo: hi"
    assert (first.recorded, first.replayed, len(fake_openai.requests)) == (1, 0, 1)
    assert first.misses == ()  # the replay miss went to record: nobody's miss

    second = CallLog()
    client = composed(store, fake_openai, second)
    assert ask(client, "hi") == "echo: hi"
    assert len(fake_openai.requests) == 1  # answered by the recording
    assert ask(client, "new") == "echo: new"
    assert (second.replayed, second.recorded, len(fake_openai.requests)) == (1, 1, 2)
    assert second.mode(live=False) == "recorded"
    assert len(recording_files(tmp_path)) == 2


def test_a_miss_on_the_way_to_record_is_never_explained(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    """The explanation scans the route's recordings: with many, every miss would pay for it."""
    store = RecordingStore(root=tmp_path)

    def scan(key: object) -> None:
        raise AssertionError("the nearest recording was looked for")

    store.nearest = scan  # type: ignore[assignment, method-assign]
    log = CallLog()
    client = composed(store, fake_openai, log)
    assert [ask(client, t) for t in ("a", "b", "a")] == ["echo: a", "echo: b", "echo: a"]
    assert log.recorded == 3 and len(recording_files(tmp_path)) == 3  # "a" twice: 2 occurrences


def test_the_sdks_retry_of_a_replayed_failure_is_sent_and_replaces_it(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    store = RecordingStore(root=tmp_path)
    overloaded = Fault(status=500, body={"error": {"message": "overloaded"}})
    fake_openai.script("flaky", overloaded, overloaded)
    with pytest.raises(openai.InternalServerError):  # the SDK's retry failed too: recorded
        ask(composed(store, fake_openai, CallLog()), "flaky")
    assert len(fake_openai.requests) == 2
    (path,) = recording_files(tmp_path)
    assert '"status_code": 500' in path.read_text(encoding="utf-8")

    log = CallLog()
    assert ask(composed(store, fake_openai, log), "flaky") == "echo: flaky"
    assert (log.replayed, log.recorded, len(fake_openai.requests)) == (1, 1, 3)
    assert '"status_code": 500' not in path.read_text(encoding="utf-8")

"""Tests for harness.replay.transports.compose: record-missing as replay, then record."""

from __future__ import annotations

from pathlib import Path

from harness.replay.store import RecordingStore
from harness.util.httplib import httpx
from support.transports import (
    Inner,
    client_on,
    completion,
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



"""Tests for harness.replay.transports.live: sent, timed, logged, never recorded."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from harness.errors import ConfigError
from harness.replay.transports import CallLog, LiveTransport
from harness.util.httplib import httpx
from support.fake_openai import FakeOpenAI
from support.transports import Inner, client_on, completion, messages, recording_files


def test_live_requests_are_logged_and_nothing_is_written(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    log = CallLog()
    client = openai.OpenAI(
        base_url=fake_openai.base_url,
        api_key="k",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(
            transport=LiveTransport(inner=httpx.HTTPTransport(), log=log)
        ),
    )
    streamed = client.chat.completions.create(model="m1", messages=messages("hi"), stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    reply = client.chat.completions.create(model="m1", messages=messages("there"))
    assert (text.strip(), reply.choices[0].message.content) == ("echo: hi", "echo: there")
    assert [c.streamed for c in log.calls] == [True, False]
    assert [c.text for c in log.calls] == ["echo: hi ", "echo: there"]
    assert (log.replayed, log.recorded, log.mode(live=True), log.last_source) == (
        0, 0, "live", None,
    )  # fmt: skip
    assert log.latency > 0
    assert recording_files(tmp_path) == []


def test_a_refused_send_reaches_nobody() -> None:
    inner = Inner(lambda r: httpx.Response(200, json=completion()))

    def no_key() -> None:
        raise ConfigError("record mode 'live' needs an API key for provider 'p'")

    log = CallLog()
    client = client_on(LiveTransport(inner=inner.transport, log=log, before_send=no_key))
    with pytest.raises((ConfigError, openai.APIConnectionError)):
        client.chat.completions.create(model="m", messages=messages("hi"))
    assert inner.requests == [] and log.calls == ()


def test_close_closes_the_inner_transport() -> None:
    inner = Inner(lambda r: httpx.Response(200, json=completion()))
    LiveTransport(inner=inner.transport, log=CallLog()).close()
    assert inner.closed

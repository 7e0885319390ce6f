"""Tests for harness.replay.transports.aio: the async front on the same sync core."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from pathlib import Path

import openai
import pytest

from harness.engine.clients import async_openai
from harness.errors import RecordingMissError
from harness.replay.store import RecordingStore
from harness.replay.transports import CallLog, CallScope, RecordTransport
from harness.util.httplib import httpx
from support.transports import BASE_URL, async_front, keyed, replaying

QUESTIONS = ["one", "two", "same", "three", "same"]  # two identical bodies among five


class Provider:
    """Answers after a delay that makes replies arrive out of order; identical questions get
    different answers (first, second, ...), as a sampling model would give."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.asked: Counter[str] = Counter()

    def handle(self, request: httpx.Request) -> httpx.Response:
        question = json.loads(request.read())["messages"][0]["content"]
        with self.lock:
            self.asked[question] += 1
            nth = self.asked[question]
        threading.Event().wait(0.01 * (len(QUESTIONS) - len(question) % 5))
        reply = {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": f"{question} #{nth}"},
                }
            ],
        }
        return httpx.Response(200, json=reply)


def async_client(transport: httpx.AsyncBaseTransport) -> openai.AsyncOpenAI:
    return async_openai(base_url=BASE_URL, api_key="x", transport=transport, max_retries=0)


async def ask_all(client: openai.AsyncOpenAI) -> list[str | None]:
    async def ask(question: str) -> str | None:
        reply = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": question}]
        )
        return reply.choices[0].message.content

    return list(await asyncio.gather(*(ask(q) for q in QUESTIONS)))


def test_five_concurrent_async_calls_replay_deterministically(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    log, scope = CallLog(), CallScope(test_id="t")
    record = RecordTransport(
        store=store,
        inner=httpx.MockTransport(Provider().handle),
        scope=scope,
        log=log,
        base_url=BASE_URL,
        replace=True,
    )
    recording = keyed(record, log=log, scope=scope, provider="p")
    recorded = asyncio.run(ask_all(async_client(async_front(recording))))
    assert sorted(r or "" for r in recorded) == [
        "one #1", "same #1", "same #2", "three #1", "two #1",
    ]  # fmt: skip
    assert len(list(store.files("p"))) == 5
    for _ in range(20):
        log = CallLog()
        replay = keyed(replaying(store, log=log).inner, log=log, provider="p")
        assert asyncio.run(ask_all(async_client(async_front(replay, inline=True)))) == recorded
        assert log.replayed == 5 and not log.misses
        # the case's inner calls, in the order the application sent them
        assert [c.request["messages"][0]["content"] for c in log.calls] == QUESTIONS


def test_async_miss_raises_and_is_kept_on_the_log(tmp_path: Path) -> None:
    log = CallLog()
    replay = replaying(
        RecordingStore(root=tmp_path), scope=CallScope(test_id="t", where=lambda: "here"), log=log
    )
    # openai 3.x lets the miss through; 2.x wraps any transport error in APIConnectionError.
    with pytest.raises((RecordingMissError, openai.APIConnectionError)):
        asyncio.run(ask_all(async_client(async_front(replay, inline=True))))
    assert log.misses and "at: here" in log.misses[0]
    assert log.misses[0].startswith("no recording for POST /v1/chat/completions")


def test_the_sync_transport_alone_is_refused_by_async_openai(tmp_path: Path) -> None:
    """Why the async front exists: the SDK's async client takes only an async http client."""
    replay = replaying(RecordingStore(root=tmp_path))
    with pytest.raises(TypeError, match="Invalid `http_client` argument"):
        openai.AsyncOpenAI(
            base_url=BASE_URL,
            api_key="x",
            http_client=openai.DefaultHttpxClient(transport=replay),  # type: ignore[arg-type]
        )

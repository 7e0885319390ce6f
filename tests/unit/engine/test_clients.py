"""Tests for harness.engine.clients: per-case sync and async clients on one record/replay core."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from pathlib import Path

import openai
import pytest

from harness.engine.attempt import Attempt, CaseClients, Plan
from harness.engine.clients import ClientFactory, async_openai
from harness.errors import RecordingMissError
from harness.replay.store import RecordingStore
from harness.replay.transports import CallLog, CallScope, RecordTransport
from harness.spec.providers import Provider as ProviderSpec
from harness.spec.settings import RecordMode, Settings
from harness.util.httplib import httpx
from support.fake_openai import FakeOpenAI
from support.transports import async_front, keyed, replaying

BASE_URL = "https://api.example.test/v1"
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


def ask(client: openai.OpenAI, text: str) -> str | None:
    reply = client.chat.completions.create(model="m1", messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content


async def ask_async(client: openai.AsyncOpenAI, text: str) -> str | None:
    reply = await client.chat.completions.create(
        model="m1", messages=[{"role": "user", "content": text}]
    )
    return reply.choices[0].message.content


@pytest.mark.parametrize("mode", [RecordMode.REWRITE, RecordMode.RECORD_MISSING, RecordMode.LIVE])
def test_an_attempts_clients_close_and_the_shared_pool_stays_open(
    tmp_path: Path, fake_openai: FakeOpenAI, mode: RecordMode
) -> None:
    """Closing a case's clients closes their transports (the async one included), never the
    connection pool the next case borrows."""
    settings = Settings(record_mode=mode, recordings_dir=tmp_path)
    factory = ClientFactory(settings=settings, store=RecordingStore(root=tmp_path), env={})
    provider = ProviderSpec(id="fake", base_url=fake_openai.base_url, models=["m1"])
    first = CaseClients(factory=factory, provider=provider, attempt=Attempt())
    sync, aclient = first.sync(), first.asynchronous()
    assert ask(sync, "one") == "echo: one"
    assert asyncio.run(ask_async(aclient, "two")) == "echo: two"
    assert [c.text for c in first.log.calls] == ["echo: one", "echo: two"]
    first.close()
    assert sync.is_closed() and aclient.is_closed()
    with pytest.raises((RuntimeError, openai.APIConnectionError)):
        ask(sync, "after close")
    # The next case's clients send through the same, still open, pool.
    second = CaseClients(factory=factory, provider=provider, attempt=Attempt())
    assert ask(second.sync(), "three") == "echo: three"
    assert asyncio.run(ask_async(second.asynchronous(), "four")) == "echo: four"
    second.close()
    factory.close()


def test_the_factory_composes_each_plan(tmp_path: Path) -> None:
    """The plan decides the composition; the record mode only decides the default plan."""
    settings = Settings(record_mode=RecordMode.RECORD_MISSING, recordings_dir=tmp_path)
    factory = ClientFactory(settings=settings, store=RecordingStore(root=tmp_path), env={})
    provider = ProviderSpec(id="p", base_url=BASE_URL, models=["m1"])

    def shape(plan: Plan | None) -> list[str]:
        transport = factory.transport(provider, Attempt(plan=plan))
        names = [type(transport).__name__]
        inner = getattr(transport, "inner", None)
        while inner is not None:
            names.append(type(inner).__name__)
            parts = [getattr(inner, "replay", None), getattr(inner, "record", None)]
            names += [type(p).__name__ for p in parts if p is not None]
            inner = getattr(inner, "inner", None)
        return names

    assert shape(None) == shape(Plan.REPLAY_OR_RECORD)
    assert shape(Plan.REPLAY_OR_RECORD) == [
        "Keying", "ReplayOrRecord", "ReplayTransport", "RecordTransport",
    ]  # fmt: skip
    assert shape(Plan.REPLAY) == ["Keying", "ReplayTransport"]
    assert shape(Plan.RECORD) == ["Keying", "RecordTransport", "_Borrowed", "HTTPTransport"]
    assert shape(Plan.LIVE) == ["LiveTransport", "_Borrowed", "HTTPTransport"]
    factory.close()

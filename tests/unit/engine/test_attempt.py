"""Tests for harness.engine.attempt: an attempt's scope, cursor and clients."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openai
import pytest

from harness.engine.attempt import Attempt, CaseClients, StepCursor, case_scope, record_hint
from harness.engine.clients import ClientFactory
from harness.engine.matrix import Case, Column
from harness.replay.store import RecordingStore
from harness.spec.load import load_scenarios
from harness.spec.providers import Provider
from harness.spec.settings import RecordMode, Settings
from support.fake_openai import FakeOpenAI


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
    provider = Provider(id="fake", base_url=fake_openai.base_url, models=["m1"])
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


def test_the_scope_of_an_attempt_says_who_asks_and_where_the_case_is(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "scenarios:\n  - id: a\n    steps:\n      - user: one\n      - user: two\n",
        encoding="utf-8",
    )
    [scenario] = load_scenarios(tmp_path / "s.yaml", display="s.yaml")
    provider = Provider(id="p", base_url="http://x.test/v1", models=["m"], api_key_env="P_KEY")
    column = Column(provider=provider, model="m", capabilities=frozenset())
    case = Case(scenario=scenario, column=column)
    cursor = StepCursor(case)
    scope = case_scope(case, test_id="s.yaml::a[txt=p/m]", where=cursor)
    assert scope.record_hint == record_hint("s.yaml::a[txt=p/m]", provider)
    assert scope.record_hint.endswith("--harness-record-mode=record-missing  (needs P_KEY)")
    assert (scope.scope, scope.shared_fallback) == ("", False)
    assert scope.where() == ""
    cursor.move(1)
    assert scope.where() == f"s.yaml:{scenario.step_line(1)}: a [{case.id}], step 2"


def test_clients_closed_from_a_coroutine_close_in_its_loop(tmp_path: Path) -> None:
    settings = Settings(record_mode=RecordMode.REPLAY, recordings_dir=tmp_path)
    factory = ClientFactory(settings=settings, store=RecordingStore(root=tmp_path), env={})
    provider = Provider(id="p", base_url="http://x.test/v1", models=["m"])
    clients = CaseClients(factory=factory, provider=provider, attempt=Attempt())
    aclient = clients.asynchronous()

    async def main() -> bool:
        clients.close()  # no asyncio.run inside a running loop
        await asyncio.sleep(0.01)
        return aclient.is_closed()

    assert asyncio.run(main()) is True

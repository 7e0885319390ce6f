"""Tests for harness.engine.runner: cases are independent, so one runner runs them concurrently."""

from __future__ import annotations

import sys
import threading
from dataclasses import replace
from pathlib import Path

import openai
import pytest

from harness.engine.attempt import Plan
from harness.engine.matrix import Case, Column
from harness.engine.runner import Runner
from harness.engine.transcript import Transcript
from harness.errors import RecordingMissError
from harness.replay.key import RequestKey
from harness.spec.load import load_scenarios
from harness.spec.providers import Provider
from harness.spec.settings import RecordMode, Settings
from support.fake_openai import FakeOpenAI, Fault

PROVIDER = Provider(id="prov", base_url="https://api.example.test/v1", models=["model-x"])
COLUMN = Column(provider=PROVIDER, model="model-x", capabilities=frozenset())

SCENARIOS = """
scenarios:
  - id: alpha
    steps:
      - user: first case
  - id: beta
    steps:
      - user: second case
"""


def cases(tmp_path: Path) -> list[Case]:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIOS, encoding="utf-8")
    return [Case(scenario=s, column=COLUMN) for s in load_scenarios(path, display="s.yaml")]


def test_two_cases_run_concurrently_in_one_runner(tmp_path: Path) -> None:
    """Both cases are inside their transport at once (a barrier holds each lookup until the
    other arrives): each miss still names its own scenario, step and test."""
    runner = Runner(
        settings=Settings(record_mode=RecordMode.REPLAY, recordings_dir=tmp_path / "rec"),
        env={},
    )
    both_inside = threading.Barrier(2, timeout=10)
    load = runner.store.load

    def load_when_both_inside(key: RequestKey) -> None:
        both_inside.wait()
        assert load(key) is None

    runner.store.load = load_when_both_inside  # type: ignore[method-assign, assignment]
    alpha, beta = cases(tmp_path)
    results: dict[str, Transcript] = {}

    def run(case: Case) -> None:
        results[case.scenario.id] = runner.run(case, test_id=f"test::{case.scenario.id}")

    threads = [threading.Thread(target=run, args=(case,)) for case in (alpha, beta)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert set(results) == {"alpha", "beta"}
    for name, other in (("alpha", "beta"), ("beta", "alpha")):
        failure = results[name].failure
        assert failure is not None and results[name].missing
        assert f"{name} [txt=prov/model-x], step 1" in failure
        assert f"test::{name} --harness-record-mode" in failure
        assert other not in failure
    runner.close()


def test_each_attempt_gets_its_own_log(tmp_path: Path) -> None:
    """A case starts from nothing another case left behind (no reset of a shared log)."""
    runner = Runner(
        settings=Settings(record_mode=RecordMode.REPLAY, recordings_dir=tmp_path / "rec"),
        env={},
    )
    _client_a, first = runner.client_for(PROVIDER)
    _client_b, second = runner.client_for(PROVIDER)
    assert first is not second
    # openai 3.x lets the miss through; 2.x wraps any transport error in APIConnectionError.
    with pytest.raises((RecordingMissError, openai.APIConnectionError)):
        _client_a.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert len(first.log.misses) == 1 and not second.log.misses
    assert "no recording" in first.log.misses[0]


STATEFUL = """
scenarios:
  - id: thread
    api: responses
    steps:
      - input: first
        stream: false
      - input: second
        stream: false
"""


def stateful_case(tmp_path: Path, server: FakeOpenAI) -> Case:
    path = tmp_path / "stateful.yaml"
    path.write_text(STATEFUL, encoding="utf-8")
    provider = Provider(id="fake", base_url=server.base_url, models=["m1"])
    column = Column(provider=provider, model="m1", capabilities=frozenset())
    [scenario] = load_scenarios(path, display="stateful.yaml")
    return Case(scenario=scenario, column=column)


def test_record_missing_records_a_stateful_scenario_as_a_unit(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    """Attempt 1 replays only; on a miss, attempt 2 sends and records every step, replacing
    what was there, so the ids later steps carry match the recordings."""
    settings = Settings(record_mode=RecordMode.RECORD_MISSING, recordings_dir=tmp_path / "rec")
    runner = Runner(settings=settings, env={})
    case = stateful_case(tmp_path, fake_openai)
    assert runner.clients.plans(stateful=True) == (Plan.REPLAY, Plan.RECORD)

    first = runner.run(case, test_id="t::thread")
    assert first.failure is None and first.mode == "recorded"
    assert len(fake_openai.requests) == 2  # the replay-only attempt sent nothing
    files = sorted((tmp_path / "rec" / "fake").glob("*.json"))
    assert len(files) == 2

    again = runner.run(case, test_id="t::thread")
    assert again.failure is None and again.mode == "replayed"
    assert len(fake_openai.requests) == 2

    # The second step's recording is lost: step 1 replays, step 2 misses, and the whole
    # scenario is sent again. Step 1's new reply replaces the old one (refused per request).
    step_two = next(p for p in files if "second" in p.read_text(encoding="utf-8"))
    step_two.unlink()
    fake_openai.script("first", Fault(content="a new first reply"))
    third = runner.run(case, test_id="t::thread")
    assert third.failure is None and third.mode == "recorded", third.failure
    assert len(fake_openai.requests) == 4
    assert [s.text for s in third.steps] == ["a new first reply", "echo: second"]
    texts = [p.read_text(encoding="utf-8") for p in (tmp_path / "rec" / "fake").glob("*.json")]
    assert len(texts) == 2 and any("a new first reply" in t for t in texts)
    runner.close()


def test_record_missing_sends_only_what_a_chat_scenario_misses(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    settings = Settings(record_mode=RecordMode.RECORD_MISSING, recordings_dir=tmp_path / "rec")
    runner = Runner(settings=settings, env={})
    assert runner.clients.plans(stateful=False) == (Plan.REPLAY_OR_RECORD,)
    provider = Provider(id="fake", base_url=fake_openai.base_url, models=["m1"])
    column = Column(provider=provider, model="m1", capabilities=frozenset())
    alpha, beta = (replace(c, column=column) for c in cases(tmp_path))
    assert runner.run(alpha, test_id="t::alpha").mode == "recorded"
    assert len(fake_openai.requests) == 1
    assert runner.run(alpha, test_id="t::alpha").mode == "replayed"
    assert runner.run(beta, test_id="t::beta").mode == "recorded"
    assert len(fake_openai.requests) == 2
    runner.close()


@pytest.mark.parametrize(
    ("mode", "plans"),
    [
        (RecordMode.REPLAY, (Plan.REPLAY,)),
        (RecordMode.REWRITE, (Plan.RECORD,)),
        (RecordMode.LIVE, (Plan.LIVE,)),
    ],
)
def test_other_modes_have_one_plan_whatever_the_scenario(
    tmp_path: Path, mode: RecordMode, plans: tuple[Plan, ...]
) -> None:
    runner = Runner(settings=Settings(record_mode=mode, recordings_dir=tmp_path), env={})
    assert runner.clients.plans(stateful=True) == runner.clients.plans(stateful=False) == plans


def test_two_cases_record_concurrently_each_into_its_own_log(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    """record-missing, two threads, one runner: each transcript holds its own calls only."""
    settings = Settings(record_mode=RecordMode.RECORD_MISSING, recordings_dir=tmp_path / "rec")
    runner = Runner(settings=settings, env={})
    provider = Provider(id="fake", base_url=fake_openai.base_url, models=["m1"])
    column = Column(provider=provider, model="m1", capabilities=frozenset())
    fake_openai.chunk_delay = 0.01  # keeps both cases inside their transports together
    alpha, beta = (replace(c, column=column) for c in cases(tmp_path))
    results: dict[str, Transcript] = {}

    def run(case: Case) -> None:
        for _ in range(3):  # recorded, then replayed twice
            results[case.scenario.id] = runner.run(case, test_id=f"t::{case.scenario.id}")

    threads = [threading.Thread(target=run, args=(case,)) for case in (alpha, beta)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    for name, text in (("alpha", "first case"), ("beta", "second case")):
        transcript = results[name]
        assert transcript.failure is None and transcript.mode == "replayed"
        assert [c.text for c in transcript.calls] == [f"echo: {text}"]
    assert len(fake_openai.requests) == 2
    runner.close()


TARGET_APP = """
KEPT = []


class Bot:
    def __init__(self, client, async_client, model):
        KEPT.extend([client, async_client])
        self.client, self.model = client, model

    def answer(self, message):
        reply = self.client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": message}]
        )
        return reply.choices[0].message.content
"""


@pytest.mark.parametrize("mode", [RecordMode.REWRITE, RecordMode.RECORD_MISSING])
def test_an_attempts_clients_are_closed_when_it_ends(
    tmp_path: Path, fake_openai: FakeOpenAI, mode: RecordMode
) -> None:
    """The clients handed to an application (sync and async) are closed with the attempt;
    the connection pool they borrowed serves the next case."""
    module = f"closing_app_{mode.name.lower()}"
    (tmp_path / f"{module}.py").write_text(TARGET_APP, encoding="utf-8")
    (tmp_path / "app.yaml").write_text(
        f"scenarios:\n  - id: bot\n    target: {module}:Bot\n    steps:\n      - user: hello\n",
        encoding="utf-8",
    )
    provider = Provider(id="fake", base_url=fake_openai.base_url, models=["m1"])
    column = Column(provider=provider, model="m1", capabilities=frozenset())
    [scenario] = load_scenarios(tmp_path / "app.yaml", display="app.yaml")
    settings = Settings(record_mode=mode, recordings_dir=tmp_path / "rec")
    runner = Runner(settings=settings, env={})
    case = Case(scenario=scenario, column=column)
    for _ in range(2):
        transcript = runner.run(case, test_id="t::bot")
        assert transcript.failure is None, transcript.failure
    kept = sys.modules[module].KEPT
    assert len(kept) == 4 and all(client.is_closed() for client in kept)
    runner.close()

"""Tests for harness.engine.runner: cases are independent, so one runner runs them concurrently."""

from __future__ import annotations

import threading
from pathlib import Path

import openai
import pytest

from harness.engine.matrix import Case, Column
from harness.engine.runner import Runner
from harness.engine.transcript import Transcript
from harness.errors import RecordingMissError
from harness.replay.recording import RequestKey
from harness.spec.load import load_scenarios
from harness.spec.providers import Provider
from harness.spec.settings import RecordMode, Settings

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


def test_each_attempt_gets_its_own_context(tmp_path: Path) -> None:
    """A case starts from nothing another case left behind (no reset of a shared context)."""
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
    assert len(first.misses) == 1 and not second.misses
    assert "no recording" in first.misses[0]

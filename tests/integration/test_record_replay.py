"""Record against a loopback server, then replay offline with the server gone."""

from __future__ import annotations

import json

import pytest

from support.fake_openai import FakeOpenAI, serve
from support.project import Project

SCENARIOS = """
scenarios:
  - id: two-turns
    steps:
      - user: hello there
        expect: [{equals: "echo: hello there"}]
      - user: again
        stream: true
        params: {temperature: 0, max_tokens: 5}
        expect: [{icontains: "ECHO: again"}]
  - id: weather
    tools:
      - type: function
        function:
          name: get_weather
          parameters: {type: object, properties: {city: {type: string}}}
    steps:
      - user: what is the weather?
        stream: true
        tool_results: {get_weather: {temp_c: 21}}
        expect:
          - tool_call: {name: get_weather, arguments: {city: Paris}}
          - contains: "temp_c"
  - id: wrong-model
    steps:
      - user: hi
        params: {model: missing-model}
        expect: [{error: {status: 404, message: does not exist}}]
"""


def write_project(project: Project, server: FakeOpenAI) -> None:
    project.providers(
        f"providers:\n  - id: fake\n    base_url: {server.base_url}\n    api_key_env: FAKE_KEY\n"
        "    models: [m1]\n"
    )
    project.scenario("s.yaml", SCENARIOS)


def test_record_then_replay_offline(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-canary-1234567890abcdef")
    with serve() as server:
        write_project(project, server)
        recorded = project.pytester.runpytest("--harness-record-mode=record-missing")
        recorded.assert_outcomes(passed=3)
        assert len(server.requests) == 5  # 2 turns + 2 tool rounds + 1 error
        # What the scenario says is what went on the wire, and nothing else.
        assert server.requests[1] == {
            "model": "m1",
            "messages": [
                {"role": "user", "content": "hello there"},
                {"role": "assistant", "content": "echo: hello there"},
                {"role": "user", "content": "again"},
            ],
            "stream": True,
            "temperature": 0,
            "max_tokens": 5,
        }
    files = project.recordings()
    assert len(files) == 5
    for path in files:
        text = path.read_text()
        assert "sk-canary" not in text
        data = json.loads(text)
        assert data["request"]["headers"] == {}
        assert set(data) == {"test_id", "request", "response", "id_normalization_mapping"}
        assert data["test_id"].startswith("scenarios/s.yaml::")
    monkeypatch.delenv("FAKE_KEY")
    replayed = project.pytester.runpytest()  # the server is gone: replay must not need it
    replayed.assert_outcomes(passed=3)
    assert project.recordings() == files


def test_record_missing_only_fills_gaps(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        write_project(project, server)
        project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(passed=3)
        first = len(server.requests)
        project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(passed=3)
        assert len(server.requests) == first
        project.pytester.runpytest("--harness-record-mode=rewrite").assert_outcomes(passed=3)
        assert len(server.requests) == 2 * first


def test_live_mode_writes_nothing(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        write_project(project, server)
        project.pytester.runpytest("--harness-record-mode", "live").assert_outcomes(passed=3)
        assert len(server.requests) == 5
    assert project.recordings() == []


def test_env_variable_sets_the_mode(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    monkeypatch.setenv("HARNESS_RECORD_MODE", "record-missing")
    with serve() as server:
        write_project(project, server)
        project.pytester.runpytest().assert_outcomes(passed=3)
    assert len(project.recordings()) == 5


def test_record_mode_without_key_names_the_variable(project: Project) -> None:
    with serve() as server:
        write_project(project, server)
        result = project.pytester.runpytest("--harness-record-mode=record-missing", "-k", "two")
        assert server.requests == []
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*needs an API key for provider 'fake': set the environment variable FAKE_KEY*"]
    )

"""Recording while the provider misbehaves: a reset connection is retried by the SDK (only the
final answer is recorded), U+2028 in a streamed reply survives record and replay, and a reply
holding a lone surrogate is one clear failure with nothing written."""

from __future__ import annotations

import json

import pytest

from support.fake_openai import FakeOpenAI, Fault
from support.project import Project

SCENARIO = """
scenarios:
  - id: a
    steps:
      - user: hello
        stream: {stream}
        expect: [{{equals: {expected}}}]
"""


def write_project(project: Project, server: FakeOpenAI, *, stream: bool, expected: str) -> None:
    project.providers(server.providers_yaml())
    project.scenario(
        "s.yaml", SCENARIO.format(stream=str(stream).lower(), expected=json.dumps(expected))
    )


@pytest.mark.parametrize("stream", [False, True])
def test_a_connection_reset_while_recording_is_retried_and_only_the_answer_recorded(
    project: Project, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    write_project(project, fake_openai, stream=stream, expected="echo: hello")
    fake_openai.resets = 1
    fake_openai.script("hello", Fault(content="echo: hello", piece=4))
    result = project.pytester.runpytest("--harness-record-mode=record-missing")
    result.assert_outcomes(passed=1)
    assert len(fake_openai.requests) == 2  # the reset one, then the SDK's retry
    [path] = project.recordings()
    response = json.loads(path.read_text(encoding="utf-8"))["response"]
    assert "truncated" not in response and "status_code" not in response
    monkeypatch.delenv("FAKE_KEY")
    project.pytester.runpytest().assert_outcomes(passed=1)  # the answer replays


@pytest.mark.parametrize("stream", [False, True])
def test_line_separators_in_a_reply_survive_record_and_replay(
    project: Project, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    content = "one\u2028two\u2029three\u0085four"
    write_project(project, fake_openai, stream=stream, expected=content)
    fake_openai.raw_unicode = True
    fake_openai.script("hello", Fault(content=content, piece=4))
    project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(passed=1)
    monkeypatch.delenv("FAKE_KEY")
    project.pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_holding_a_lone_surrogate_is_one_clear_failure_and_nothing_is_written(
    project: Project, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    write_project(project, fake_openai, stream=stream, expected="hello")
    fake_openai.script("hello", Fault(content="hello\ud800"))
    result = project.pytester.runpytest("--harness-record-mode=record-missing")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "lone surrogate" in output and "nothing was written" in output, output
    assert "Traceback" not in output and "UnicodeEncodeError" not in output, output
    assert project.recordings() == []

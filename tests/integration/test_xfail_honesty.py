"""A column's known departure (strict xfail) covers only a failed expectation: a missing
recording, a provider error, a broken stream or a harness error still fails the run."""

from __future__ import annotations

import pytest

from support.fake_openai import Fault, serve
from support.project import Project

KNOWN = """
scenarios:
  - id: departs
    xfail: {"fake/*": "fake answers differently"}
    steps:
      - user: PROMPT
        stream: true
        expect: [{contains: "something fake never says"}]
"""


def scenario(project: Project, prompt: str = "hello") -> None:
    project.scenario("known.yaml", KNOWN.replace("PROMPT", prompt))


@pytest.fixture
def recorded(project: Project) -> Project:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        scenario(project)
        result = project.pytester.runpytest("--harness-record-mode=record-missing")
    result.assert_outcomes(xfailed=1)  # the known departure: an expectation
    return project


def test_a_missing_recording_on_a_known_departure_column_fails(recorded: Project) -> None:
    scenario(recorded, prompt="hello, edited")  # no recording for this prompt
    result = recorded.pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*no recording*", "*1 item: 1 missing recording*"])


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=500, body={"error": {"message": "boom", "type": "server_error"}}),
        Fault(events=2, truncate=True),
    ],
    ids=["provider-error", "broken-stream"],
)
def test_a_provider_failure_while_recording_a_known_departure_column_fails(
    project: Project, fault: Fault
) -> None:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        scenario(project)
        server.script("hello", *[fault] * 5)
        result = project.pytester.runpytest("--harness-record-mode=record-missing")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "XFAIL" not in result.stdout.str()

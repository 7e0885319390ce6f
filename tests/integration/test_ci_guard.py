"""With ``CI`` set, record modes refuse to run unless ``--harness-allow-record-in-ci`` is given."""

from __future__ import annotations

import pytest

from support.fake_openai import serve
from support.project import Project

SCENARIO = """
scenarios:
  - id: hello
    steps:
      - user: hello
        expect: [{equals: "echo: hello"}]
"""


def write_project(project: Project, base_url: str = "http://127.0.0.1:9/v1") -> None:
    project.providers(
        f"providers:\n  - id: fake\n    base_url: {base_url}\n    api_key_env: FAKE_KEY\n"
        "    models: [m1]\n"
    )
    project.scenario("s.yaml", SCENARIO)


@pytest.mark.parametrize("ci", ["true", "1"])
@pytest.mark.parametrize("mode", ["record-missing", "rewrite"])
def test_record_modes_refuse_in_ci(
    project: Project, monkeypatch: pytest.MonkeyPatch, mode: str, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        write_project(project, server.base_url)
        result = project.pytester.runpytest(f"--harness-record-mode={mode}")
        assert server.requests == []
    assert result.ret == pytest.ExitCode.USAGE_ERROR == 4
    output = result.stdout.str() + result.stderr.str()
    assert f"record mode {mode!r} refused because CI is set" in output, output
    assert "--harness-allow-record-in-ci" in output
    assert not (project.path / "recordings").exists()


def test_record_mode_from_the_environment_is_refused_in_ci_too(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("HARNESS_RECORD_MODE", "record-missing")
    write_project(project)
    result = project.pytester.runpytest()
    assert result.ret == 4
    assert "--harness-allow-record-in-ci" in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("mode", ["record-missing", "rewrite"])
def test_the_opt_in_lets_ci_record(
    project: Project, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        write_project(project, server.base_url)
        result = project.pytester.runpytest(
            f"--harness-record-mode={mode}", "--harness-allow-record-in-ci"
        )
        assert len(server.requests) == 1
    result.assert_outcomes(passed=1)
    assert len(project.recordings()) == 1


@pytest.mark.parametrize("ci", ["true", ""])
def test_replay_and_live_are_unaffected(
    project: Project, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        write_project(project, server.base_url)
        project.pytester.runpytest("--harness-record-mode=live").assert_outcomes(passed=1)
        # live wrote nothing; now record (CI off for this one run) and replay under CI
        monkeypatch.delenv("CI")
        project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(passed=1)
    monkeypatch.setenv("CI", ci)
    project.pytester.runpytest().assert_outcomes(passed=1)
    project.pytester.runpytest("--harness-record-mode=replay").assert_outcomes(passed=1)


@pytest.mark.parametrize("ci", ["false", "0"])
def test_ci_variable_that_says_no_does_not_guard(
    project: Project, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        write_project(project, server.base_url)
        result = project.pytester.runpytest("--harness-record-mode=record-missing")
    result.assert_outcomes(passed=1)

"""Outputs the run cannot write are a one-line usage error when pytest starts, not a traceback
at session end (or after a provider was called)."""

from __future__ import annotations

import pytest

from support.fake_openai import FakeOpenAI
from support.project import Project

SCENARIO = "scenarios:\n  - id: hello\n    steps: [{user: hi}]\n"


def usage_error(result: pytest.RunResult) -> str:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output
    return output


def test_harness_state_file_instead_of_folder(project: Project) -> None:
    project.with_seed_example()
    (project.path / ".harness").write_text("", encoding="utf-8")
    output = usage_error(project.pytester.runpytest("-p", "no:cacheprovider"))
    assert ".harness is not a folder" in output


@pytest.mark.parametrize(
    ("report", "cause"),
    [
        ("/proc/nope.json", "cannot write in /proc"),
        ("providers.yaml/report.json", "providers.yaml is not a folder"),
        ("report.txt", "unknown format '.txt'"),
    ],
)
def test_unwritable_report(project: Project, report: str, cause: str) -> None:
    """(A folder that does not exist yet is fine: it is created with the report.)"""
    project.with_seed_example()
    result = project.pytester.runpytest("-p", "no:cacheprovider", f"--harness-report={report}")
    assert cause in usage_error(result)


def test_recordings_file_under_rewrite_fails_before_the_provider_is_called(
    project: Project, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-test-not-a-real-key-000000")
    project.providers(fake_openai.providers_yaml())
    project.scenario("hello.yaml", SCENARIO)
    (project.path / "recordings").write_text("not a folder", encoding="utf-8")
    result = project.pytester.runpytest("-p", "no:cacheprovider", "--harness-record-mode=rewrite")
    assert "recordings folder" in usage_error(result)
    assert fake_openai.requests == []

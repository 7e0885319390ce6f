"""A base_url variable or an API key is needed only when a request actually goes out."""

from __future__ import annotations

import pytest

from support.project import Project

EXTRA_SCENARIO = """
  - id: not-yet-recorded
    models: ["openai/*"]
    steps: [{user: "a question nobody recorded"}]
"""


def seed_project(project: Project, monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    project.with_seed_example()
    providers = project.path / "providers.yaml"
    text = providers.read_text(encoding="utf-8")
    providers.write_text(
        text.replace("base_url: https://api.openai.com/v1", f"base_url: {base_url}", 1),
        encoding="utf-8",
    )
    monkeypatch.delenv("HARNESS_UNSET_BASE", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.mark.parametrize("base_url", ["${HARNESS_UNSET_BASE}", "${HARNESS_UNSET_BASE}/v1"])
def test_replay_does_not_need_an_unset_base_url_variable(
    project: Project, monkeypatch: pytest.MonkeyPatch, base_url: str
) -> None:
    seed_project(project, monkeypatch, base_url)
    result = project.pytester.runpytest("-p", "no:cacheprovider", "-k", "openai")
    result.assert_outcomes(passed=4)


def test_record_missing_needs_no_key_when_every_recording_exists(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_project(project, monkeypatch, "https://api.openai.com/v1")
    result = project.pytester.runpytest(
        "-p", "no:cacheprovider", "--harness-record-mode=record-missing", "-k", "openai"
    )
    result.assert_outcomes(passed=4)
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("base_url", "cause"),
    [
        (
            "https://api.openai.com/v1",
            "record mode 'record-missing' needs an API key for provider 'openai': "
            "set the environment variable OPENAI_API_KEY",
        ),
        (
            "${HARNESS_UNSET_BASE}/v1",
            "provider 'openai': base_url needs the environment variable HARNESS_UNSET_BASE",
        ),
    ],
)
def test_a_request_that_goes_out_without_its_setting_fails_in_one_line(
    project: Project, monkeypatch: pytest.MonkeyPatch, base_url: str, cause: str
) -> None:
    seed_project(project, monkeypatch, base_url)
    seeds = project.path / "scenarios" / "seeds.yaml"
    seeds.write_text(seeds.read_text(encoding="utf-8") + EXTRA_SCENARIO, encoding="utf-8")
    recorded = project.recordings()
    result = project.pytester.runpytest(
        "-p", "no:cacheprovider", "--harness-record-mode=record-missing", "-k", "openai"
    )
    result.assert_outcomes(passed=4, failed=1)
    output = result.stdout.str()
    assert cause in output
    assert "Traceback" not in output
    assert "ConfigError" not in output
    assert project.recordings() == recorded  # nothing was sent, nothing written

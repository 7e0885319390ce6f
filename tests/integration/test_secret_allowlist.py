"""The providers file's ``allowed_secrets`` lists key-shaped strings that are fixtures, not keys.

Listed strings are recorded and shown as they are; anything else key-shaped is still refused,
and a listed string that is not key-shaped (a typo, or an attempt at a switch) is an error.
"""

from __future__ import annotations

import json

import pytest

from harness.cli.main import main
from support.fake_openai import serve
from support.project import Project

FIXTURE_KEY = "sk-proj-FAKEfixtureKEY0123456789abcdef"
OTHER_KEY = "sk-proj-OTHERrealLOOKING0123456789ab"
RECORD = ("--harness-record-mode=record-missing",)


def scenario(text: str) -> str:
    return f"scenarios:\n  - id: fixture\n    steps:\n      - user: 'parse {text}'\n"


def providers(base_url: str, allowed: str) -> str:
    return (
        f"{allowed}providers:\n  - id: fake\n    base_url: {base_url}\n"
        "    api_key_env: FAKE_KEY\n    models: [m1]\n"
    )


def test_an_allowlisted_fixture_key_is_recorded_and_replays(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        project.providers(providers(server.base_url, f"allowed_secrets:\n  - {FIXTURE_KEY}\n"))
        project.scenario("fixture.yaml", scenario(FIXTURE_KEY))
        project.pytester.runpytest(*RECORD).assert_outcomes(passed=1)
    [path] = project.recordings()
    data = json.loads(path.read_text())
    assert data["request"]["body"]["messages"][0]["content"] == f"parse {FIXTURE_KEY}"
    project.pytester.runpytest().assert_outcomes(passed=1)  # replayed, server gone
    assert main(["recordings", "verify"]) == 0  # verify reads the same allowlist
    project.providers(providers("https://example.test/v1", ""))
    assert main(["recordings", "verify"]) == 1


def test_without_the_allowlist_the_fixture_key_is_refused(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        project.providers(providers(server.base_url, f"allowed_secrets:\n  - {FIXTURE_KEY}\n"))
        project.scenario("fixture.yaml", scenario(OTHER_KEY))
        result = project.pytester.runpytest(*RECORD)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*refusing to write recording*a key-shaped string (openai-key)*"])
    assert project.recordings() == []


def test_an_allowlist_entry_that_is_not_key_shaped_is_a_located_error(project: Project) -> None:
    project.providers(providers("https://example.test/v1", "allowed_secrets:\n  - hello\n"))
    project.scenario("fixture.yaml", scenario("x"))
    result = project.pytester.runpytest()
    output = result.stdout.str() + result.stderr.str()
    assert result.ret != 0
    assert "providers.yaml:2:" in output, output
    assert "'hello' is not key-shaped" in output, output
    assert "Traceback" not in output

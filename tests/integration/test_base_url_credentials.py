"""Credentials in a provider's ``base_url`` never reach the disk.

A recording stores the URL as the providers file spells it (``${VAR:-default}`` at its
default, ``${VAR}`` as that placeholder), never the userinfo of the resolved URL; a base URL with
a query string is refused with a one-line message before anything is sent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.fake_openai import serve
from support.project import Project

PASSWORD = "hunter2secretpw"
QUERY_KEY = "azurecanary0123456789"
SCENARIO = "scenarios:\n  - id: hello\n    steps:\n      - user: hello\n"
RECORD = ("--harness-record-mode=record-missing", "--harness-report=.harness/report.json")


def grep(root: Path, needle: str, *, skip: set[Path]) -> dict[str, int]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path not in skip:
            count = path.read_bytes().count(needle.encode())
            if count:
                found[str(path.relative_to(root))] = count
    return found


def providers(base_url: str) -> str:
    return (
        f"providers:\n  - id: fake\n    base_url: {base_url}\n"
        "    api_key_env: FAKE_KEY\n    models: [m1]\n"
    )


def test_userinfo_of_an_env_base_url_is_not_recorded(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        monkeypatch.setenv("SECRET_URL", f"http://alice:{PASSWORD}@127.0.0.1:{server.port}/v1")
        project.providers(providers("${SECRET_URL}"))
        project.scenario("hello.yaml", SCENARIO)
        project.pytester.runpytest(*RECORD).assert_outcomes(passed=1)
        assert server.requests
    [path] = project.recordings()
    assert json.loads(path.read_text())["request"]["url"] == "${SECRET_URL}/chat/completions"
    assert grep(project.path, PASSWORD, skip=set()) == {}
    assert grep(project.path, "alice", skip=set()) == {}


def test_userinfo_of_a_default_base_url_is_not_recorded(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        url = f"http://alice:{PASSWORD}@127.0.0.1:{server.port}/v1"
        project.providers(providers(f"${{UNSET_URL_VAR:-{url}}}"))
        project.scenario("hello.yaml", SCENARIO)
        project.pytester.runpytest(*RECORD).assert_outcomes(passed=1)
    [path] = project.recordings()
    recorded = json.loads(path.read_text())["request"]["url"]
    assert recorded == f"http://127.0.0.1:{server.port}/v1/chat/completions"
    inputs = {project.path / "providers.yaml"}
    assert grep(project.path, PASSWORD, skip=inputs) == {}


def test_a_base_url_with_a_query_string_from_the_environment_is_refused(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        monkeypatch.setenv("SECRET_URL", f"http://127.0.0.1:{server.port}/v1?api-key={QUERY_KEY}")
        project.providers(providers("${SECRET_URL}"))
        project.scenario("hello.yaml", SCENARIO)
        result = project.pytester.runpytest(*RECORD)
        assert server.requests == []
    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(
        ["*provider 'fake': base_url must not carry a query string (?...)*api_key_env*"]
    )
    assert "Traceback" not in output
    assert QUERY_KEY not in output
    assert project.recordings() == []
    assert grep(project.path, QUERY_KEY, skip=set()) == {}


def test_a_literal_base_url_with_a_query_string_is_a_located_error(project: Project) -> None:
    project.providers(providers(f"https://example.test/v1?api-key={QUERY_KEY}"))
    project.scenario("hello.yaml", SCENARIO)
    result = project.pytester.runpytest()
    output = result.stdout.str() + result.stderr.str()
    assert result.ret != 0
    assert "providers.yaml:3:" in output and "must not carry a query string" in output, output
    assert QUERY_KEY not in output
    assert "Traceback" not in output

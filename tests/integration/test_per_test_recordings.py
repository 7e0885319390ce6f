"""``recordings: per-test``: two tests that send the same request and rightly got different
replies each keep their own recording; a shared recording still answers a per-test scenario
that has none of its own; recording never replaces a different reply outside rewrite mode."""

from __future__ import annotations

import json

import pytest

from support.fake_openai import Fault, serve
from support.project import Project

SCENARIOS = """
scenarios:
  - id: first
    recordings: per-test
    steps:
      - user: Which moon?
        expect: [{equals: Phobos}]
  - id: second
    recordings: per-test
    steps:
      - user: Which moon?
        expect: [{equals: Deimos}]
"""


def test_same_request_two_tests_two_replies_each_replays_its_own(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        server.script("Which moon", Fault(content="Phobos"), Fault(content="Deimos"))
        project.providers(server.providers_yaml())
        project.scenario("moons.yaml", SCENARIOS)
        project.pytester.runpytest(
            "-p", "no:cacheprovider", "--harness-record-mode=record-missing"
        ).assert_outcomes(passed=2)
        assert len(server.requests) == 2
    files = project.recordings()
    assert len(files) == 2
    scopes = sorted(json.loads(p.read_text())["request"]["scope"] for p in files)
    assert scopes == [
        "scenarios/moons.yaml::first[txt=fake/m1]",
        "scenarios/moons.yaml::second[txt=fake/m1]",
    ]
    monkeypatch.delenv("FAKE_KEY")
    project.pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_per_test_scenario_falls_back_to_the_shared_recording(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    shared = """
        scenarios:
          - id: shared
            steps: [{user: hello there, expect: [{equals: "echo: hello there"}]}]
        """
    with serve() as server:
        project.providers(server.providers_yaml())
        project.scenario("a.yaml", shared)
        project.pytester.runpytest(
            "-p", "no:cacheprovider", "--harness-record-mode=record-missing"
        ).assert_outcomes(passed=1)
    monkeypatch.delenv("FAKE_KEY")
    project.scenario(
        "a.yaml",
        shared.replace("- id: shared", "- id: shared\n            recordings: per-test"),
    )
    project.pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert len(project.recordings()) == 1


def test_a_recording_test_id_selects_that_tests_recordings(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        server.script("Which moon", Fault(content="Phobos"), Fault(content="Deimos"))
        project.providers(server.providers_yaml())
        project.scenario("moons.yaml", SCENARIOS)
        project.pytester.runpytest(
            "-p", "no:cacheprovider", "--harness-record-mode=record-missing"
        ).assert_outcomes(passed=2)
    monkeypatch.delenv("FAKE_KEY")
    project.scenario(
        "other.yaml",
        """
        scenarios:
          - id: third
            recordings: {test_id: "scenarios/moons.yaml::second[txt=fake/m1]"}
            steps:
              - user: Which moon?
                expect: [{equals: Deimos}]
        """,
    )
    project.pytester.runpytest("-p", "no:cacheprovider", "scenarios/other.yaml").assert_outcomes(
        passed=1
    )

"""A report record's ``snapshot_diff`` is a fact the run hands over, never read from failure
text: a snapshot mismatch has its diff there; any other failure has none, whatever its text."""

from __future__ import annotations

import json
from typing import Any

from support.fake_openai import serve
from support.project import Project

SCENARIOS = """
scenarios:
  - id: snap
    snapshot: true
    steps:
      - user: hello snap
  - id: wording
    steps:
      - user: the transcript snapshot differs
        expect: [{equals: "something else"}]
"""


def records(project: Project) -> dict[str, dict[str, Any]]:
    document = json.loads((project.path / "report.json").read_text())
    return {r["scenario"]: r for r in document["records"]}


def test_only_a_snapshot_mismatch_fills_snapshot_diff(project: Project) -> None:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIOS)
        project.pytester.runpytest("--harness-record-mode=record-missing", "--snapshot-update")
    snap = project.path / "scenarios" / "__snapshots__" / "s" / "snap[txt=fakem1].transcript.yaml"
    snap.write_text(snap.read_text().replace("echo: hello snap", "echo: hello other"))
    result = project.pytester.runpytest("--harness-report", "report.json")
    result.assert_outcomes(failed=2)
    found = records(project)
    # An expectation failure that merely *says* the words is not a snapshot diff.
    wording = found["wording"]
    assert wording["outcome"] == "failed"
    assert "the transcript snapshot differs" in wording["failure"]
    assert wording["snapshot_diff"] is None
    diff = found["snap"]["snapshot_diff"]
    assert diff is not None and "hello other" in diff and "hello snap" in diff
    assert "\x1b[" not in diff  # plain text for the report files


def test_a_passing_snapshot_has_no_diff(project: Project) -> None:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIOS)
        project.pytester.runpytest("--harness-record-mode=record-missing", "--snapshot-update")
    project.pytester.runpytest("--harness-report", "report.json").assert_outcomes(
        passed=1, failed=1
    )
    assert records(project)["snap"]["snapshot_diff"] is None

"""Expectations are decided once: the test's verdict and every report read the same results.

A ``${name.path}`` reference in an expectation resolves against what earlier steps saved. The
report used to evaluate the expectations again without the saved values, so a scenario that
passed was reported with ``ok: false`` checks.
"""

from __future__ import annotations

import json
import shutil

import pytest

from harness.outputs.report import load_report
from support.project import REPO

SCENARIO = "conversation-lifecycle"  # `matches: {id: "${conv.id}"}` in its second step


@pytest.fixture
def conversations(pytester: pytest.Pytester) -> pytest.Pytester:
    """The repo's conversation scenarios, their snapshots and llama-stack recordings."""
    shutil.copy(REPO / "providers.yaml", pytester.path / "providers.yaml")
    (pytester.path / "scenarios").mkdir()
    shutil.copy(REPO / "scenarios" / "conversations.yaml", pytester.path / "scenarios")
    shutil.copytree(
        REPO / "scenarios" / "__snapshots__" / "conversations",
        pytester.path / "scenarios" / "__snapshots__" / "conversations",
    )
    shutil.copytree(
        REPO / "recordings" / "llama-stack", pytester.path / "recordings" / "llama-stack"
    )
    return pytester


def test_a_reference_in_an_expectation_is_reported_as_the_test_decided_it(
    conversations: pytest.Pytester,
) -> None:
    step = "scenarios/conversations.yaml"
    assert '"${conv.id}"' in (conversations.path / step).read_text()  # the case this is about
    result = conversations.runpytest(
        "-p", "no:cacheprovider", "-k", SCENARIO, "--harness-report", "report.json"
    )
    result.assert_outcomes(passed=1)
    (record,) = load_report(conversations.path / "report.json")
    assert record["outcome"] == "passed"
    checks = [check for step in record["steps"] for check in step["expectations"]]
    by_expectation = {check["expectation"]: check for check in checks}
    reference = [e for e in by_expectation if "${conv.id}" in e]
    assert reference, json.dumps(checks, indent=1)  # the referencing check is in the report
    assert [c for c in checks if not c["ok"]] == []


def test_a_failing_expectation_is_reported_with_the_reason_the_test_gave(
    conversations: pytest.Pytester,
) -> None:
    path = conversations.path / "scenarios" / "conversations.yaml"
    text = path.read_text()
    wrong = 'expect: [{matches: {id: "${conv.id}", metadata: {topic: demo}}}]'
    assert wrong in text
    path.write_text(text.replace(wrong, wrong.replace("topic: demo", "topic: other")))
    result = conversations.runpytest(
        "-p", "no:cacheprovider", "-k", SCENARIO, "--harness-report", "report.json"
    )
    result.assert_outcomes(failed=1)
    (record,) = load_report(conversations.path / "report.json")
    failing = [c for step in record["steps"] for c in step["expectations"] if not c["ok"]]
    assert len(failing) == 1, failing
    assert failing[0]["reason"] in record["failure"]

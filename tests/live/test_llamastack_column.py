"""The llama-stack column end to end: record the stateful examples live, replay them offline."""

from __future__ import annotations

import shutil
import sys

import pytest

from harness.outputs.report import load_report
from harness.servers.llamastack import LlamaStackServer
from support.project import REPO, Project

STACK = ("-p", "no:cacheprovider")
ITEMS = 10  # conversations.yaml: 8 passing scenarios and 2 known departures (strict xfails)


@pytest.fixture
def stack_project(
    project: Project, llama_stack_server: LlamaStackServer, monkeypatch: pytest.MonkeyPatch
) -> Project:
    """The repo's llama-stack column and conversation examples, no recordings."""
    text = (REPO / "providers.yaml").read_text()
    project.providers("providers:\n" + text[text.index("  - id: llama-stack") :])
    (project.path / "scenarios").mkdir()
    shutil.copy(
        REPO / "scenarios" / "conversations.yaml", project.path / "scenarios" / "conversations.yaml"
    )
    # The committed snapshots: a fresh live recording must still match them.
    shutil.copytree(
        REPO / "scenarios" / "__snapshots__" / "conversations",
        project.path / "scenarios" / "__snapshots__" / "conversations",
    )
    monkeypatch.setenv("HARNESS_LLAMA_STACK_BASE_URL", llama_stack_server.base_url)
    return project


def outcomes(path: object) -> dict[str, str]:
    return {r["scenario"]: r["outcome"] for r in load_report(path)}  # type: ignore[arg-type]


def test_record_live_then_replay_offline_under_xdist(
    stack_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = stack_project.pytester.runpytest
    recorded = run(
        *STACK,
        "--harness-record-mode=record-missing",
        "--snapshot-update",
        "--harness-report",
        "recorded.json",
    )
    recorded.assert_outcomes(passed=8, xfailed=2)
    files = stack_project.recordings()
    assert {p.parent.name for p in files} == {"llama-stack"}
    monkeypatch.setenv("HARNESS_LLAMA_STACK_BASE_URL", "http://127.0.0.1:9/v1")  # nothing there
    replayed = stack_project.pytester.runpytest_subprocess(
        *STACK, "-n", "2", "--harness-report", "replayed.json"
    )
    replayed.assert_outcomes(passed=8, xfailed=2)
    assert outcomes(stack_project.path / "replayed.json") == outcomes(
        stack_project.path / "recorded.json"
    )
    assert stack_project.recordings() == files  # replay wrote nothing


def test_record_missing_re_records_a_stateful_scenario_as_a_unit(stack_project: Project) -> None:
    run = stack_project.pytester.runpytest
    run(*STACK, "--harness-record-mode=record-missing").assert_outcomes(passed=8, xfailed=2)
    # Drop one later request of one scenario: its earlier recordings name server ids that no
    # longer exist, so the whole scenario must be recorded again, not just the gap.
    mine = [p for p in stack_project.recordings() if "conversation-lifecycle" in p.read_text()]
    gap = next(p for p in mine if "items" in p.name)
    gap.unlink()
    untouched = {p: p.read_bytes() for p in mine if p != gap}
    run(*STACK, "--harness-record-mode=record-missing").assert_outcomes(passed=8, xfailed=2)
    again = [p for p in stack_project.recordings() if "conversation-lifecycle" in p.read_text()]
    assert len(again) > len(mine), "a fresh conversation id means new recordings for later steps"
    create = next(p for p in untouched if '"endpoint": "/v1/conversations",' in p.read_text())
    assert create.read_bytes() != untouched[create], (
        "the conversation should have been created again (a fresh id), not replayed"
    )
    run(*STACK).assert_outcomes(passed=8, xfailed=2)  # a complete replay run...
    prune = stack_project.pytester.run(sys.executable, "-m", "harness.cli", "recordings", "prune")
    assert prune.ret == 0, prune.stdout.str()
    left = [p for p in stack_project.recordings() if "conversation-lifecycle" in p.read_text()]
    assert len(left) == len(mine)  # ...after which prune drops the stale ones
    run(*STACK).assert_outcomes(passed=8, xfailed=2)


def test_changed_input_misses_at_the_right_step(stack_project: Project) -> None:
    run = stack_project.pytester.runpytest
    run(*STACK, "--harness-record-mode=record-missing").assert_outcomes(passed=8, xfailed=2)
    path = stack_project.path / "scenarios" / "conversations.yaml"
    text = path.read_text()
    changed = text.replace(
        'conversations.update: {conversation_id: "${conv.id}", metadata: {topic: project-x}}',
        'conversations.update: {conversation_id: "${conv.id}", metadata: {topic: project-y}}',
    )
    assert changed != text
    path.write_text(changed)
    line = next(i for i, t in enumerate(changed.splitlines(), 1) if "project-y" in t)
    result = run(*STACK, "-k", "lifecycle")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "no recording for POST /v1/conversations/conv_* on provider 'llama-stack'",
            f"  at: scenarios/conversations.yaml:{line}: conversation-lifecycle "
            "[txt=llama-stack/tiny], step 3",
            "  nearest recording: recordings/llama-stack/conversations-*.json",
            "    metadata.topic: 'project-x' -> 'project-y'",
        ]
    )

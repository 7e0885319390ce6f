"""``--snapshot-update`` removes a snapshot only after a complete, successful run: a failed item,
an unreachable provider or a stopped run keeps every committed snapshot."""

from __future__ import annotations

import pytest

from support.fake_openai import serve
from support.project import Project

TWO = """
scenarios:
  - id: first
    snapshot: true
    steps:
      - user: hello first
        expect: [{contains: "hello first"}]
  - id: second
    snapshot: true
    steps:
      - user: hello second
        expect: [{contains: "hello second"}]
"""


def snapshots(project: Project) -> dict[str, bytes]:
    root = project.path / "scenarios" / "__snapshots__"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


@pytest.fixture
def recorded(project: Project) -> Project:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("two.yaml", TWO)
        result = project.pytester.runpytest(
            "--harness-record-mode=record-missing", "--snapshot-update"
        )
        result.assert_outcomes(passed=2)
    assert len(snapshots(project)) == 2
    return project


def test_a_failed_expectation_under_update_keeps_the_committed_snapshot(recorded: Project) -> None:
    before = snapshots(recorded)
    path = recorded.path / "scenarios" / "two.yaml"
    path.write_text(path.read_text().replace('contains: "hello first"', 'contains: "farewell"'))
    result = recorded.pytester.runpytest("--snapshot-update")
    result.assert_outcomes(passed=1, failed=1)
    assert snapshots(recorded) == before
    assert "Deleted" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*unused snapshots were kept (not deleted)*failed*"])


def test_an_unreachable_provider_while_recording_keeps_the_committed_snapshot(
    recorded: Project,
) -> None:
    before = snapshots(recorded)
    (recorded.path / "recordings").rename(recorded.path / "elsewhere")  # server is gone too
    result = recorded.pytester.runpytest(
        "--harness-record-mode=record-missing", "--snapshot-update"
    )
    result.assert_outcomes(failed=2)
    assert snapshots(recorded) == before


def test_a_run_stopped_by_x_keeps_the_snapshots_of_items_it_never_ran(recorded: Project) -> None:
    before = snapshots(recorded)
    path = recorded.path / "scenarios" / "two.yaml"
    path.write_text(path.read_text().replace('contains: "hello first"', 'contains: "farewell"'))
    result = recorded.pytester.runpytest("--snapshot-update", "-x")
    result.assert_outcomes(failed=1)
    assert snapshots(recorded) == before


def test_a_complete_successful_update_still_deletes_a_removed_scenarios_snapshot(
    recorded: Project,
) -> None:
    path = recorded.path / "scenarios" / "two.yaml"
    path.write_text(path.read_text().split("  - id: second")[0])
    result = recorded.pytester.runpytest("--snapshot-update")
    result.assert_outcomes(passed=1)
    assert list(snapshots(recorded)) == ["two/first[txt=fakem1].transcript.yaml"]


def test_a_failed_item_does_not_call_its_snapshot_unused(recorded: Project) -> None:
    path = recorded.path / "scenarios" / "two.yaml"
    path.write_text(path.read_text().replace('contains: "hello first"', 'contains: "farewell"'))
    result = recorded.pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    assert "snapshot unused" not in result.stdout.str(), result.stdout.str()
    assert "Re-run pytest with --snapshot-update" not in result.stdout.str()

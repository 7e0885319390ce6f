"""Narrowing the matrix deselects (as ``-k`` does): other columns' snapshots survive a narrowed
``--snapshot-update`` and ``harness record``; a filter or capability typo is a usage error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.fake_openai import FakeOpenAI, serve
from support.project import Project

LOCAL = """
scenarios:
  - id: local-greeting
    models: ["local/*"]
    snapshot: true
    steps:
      - user: hello local
        expect: [{contains: "hello local"}]
"""


def seed_snapshots(project: Project) -> list[Path]:
    return sorted((project.path / "scenarios" / "__snapshots__" / "seeds").glob("*.yaml"))


@pytest.fixture
def local_server(project: Project, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """The seed example (openai column, 4 snapshots) plus a `local` column on a loopback server
    standing in for the tiny local model."""
    project.with_seed_example()
    project.scenario("local.yaml", LOCAL)
    with serve() as server:
        monkeypatch.setenv("HARNESS_LOCAL_BASE_URL", server.base_url)
        yield server


def test_narrowed_snapshot_update_keeps_the_other_columns_snapshots(
    project: Project, local_server: FakeOpenAI
) -> None:
    before = {p: p.read_bytes() for p in seed_snapshots(project)}
    assert len(before) == 4
    result = project.pytester.runpytest_subprocess(
        "scenarios",
        "--harness-models",
        "local/*",
        "--harness-record-mode=record-missing",
        "--snapshot-update",
        "-p",
        "no:cacheprovider",
    )
    assert {p: p.read_bytes() for p in seed_snapshots(project)} == before
    assert "Deleted" not in result.stdout.str()
    result.assert_outcomes(passed=1, deselected=4)
    # README command 1 still passes afterwards
    project.pytester.runpytest_subprocess("scenarios", "-p", "no:cacheprovider").assert_outcomes(
        passed=5
    )


RECORD_LOCAL = ["record", "--", "scenarios", "--harness-models", "local/*"]


def harness_record(project: Project) -> subprocess.CompletedProcess[str]:
    """The README's re-record command, as a real process."""
    command = [sys.executable, "-m", "harness.cli", *RECORD_LOCAL]
    return subprocess.run(command, cwd=project.path, capture_output=True, text=True, timeout=120)


def test_harness_record_narrowed_to_one_column_deletes_no_other_snapshot_and_says_what_changed(
    project: Project, local_server: FakeOpenAI
) -> None:
    before = {p: p.read_bytes() for p in seed_snapshots(project)}
    run = harness_record(project)
    assert run.returncode == 0, run.stdout + run.stderr
    assert {p: p.read_bytes() for p in seed_snapshots(project)} == before
    assert "harness: changed 2 file(s): 2 added, 0 updated, 0 removed" in run.stdout, run.stdout
    assert "  added   scenarios/__snapshots__/local/local-greeting[txt=localtiny]" in run.stdout
    again = harness_record(project)
    assert "harness: no recording or snapshot changed" in again.stdout, again.stdout


@pytest.mark.parametrize(
    ("how", "hint"),
    [
        ("env", "(known: "),
        ("option", "did you mean 'openai/*'?"),
    ],
)
def test_a_matrix_filter_matching_no_column_is_a_usage_error(
    project: Project, monkeypatch: pytest.MonkeyPatch, how: str, hint: str
) -> None:
    project.with_seed_example()
    if how == "env":
        monkeypatch.setenv("HARNESS_MODELS", "nomatch/*")
        result = project.pytester.runpytest_subprocess("scenarios")
        shown = "'nomatch/*' matches no column"
    else:
        result = project.pytester.runpytest_subprocess("scenarios", "--harness-models", "opnai/*")
        shown = "'opnai/*' matches no column"
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{shown}*{hint}*"])
    assert "Traceback" not in result.stderr.str()


CAPABILITY_TYPO = """
scenarios:
  - id: looks
    requires: [vison]
    steps:
      - user: what is in the picture?
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_a_capability_no_provider_declares_is_a_usage_error(
    project: Project, workers: tuple[str, ...]
) -> None:
    project.with_seed_example()
    project.scenario("typo.yaml", CAPABILITY_TYPO)
    result = project.pytester.runpytest_subprocess("scenarios", "-p", "no:cacheprovider", *workers)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    output = result.stdout.str() + result.stderr.str()
    assert (
        "scenarios/typo.yaml:2:1: scenario 'looks': requires: 'vison' is a capability no "
        "provider declares (did you mean 'vision'?)" in output
    ), output


def test_a_models_glob_matching_no_column_is_a_usage_error(project: Project) -> None:
    project.with_seed_example()
    project.scenario(
        "typo.yaml", "scenarios:\n  - id: s\n    models: [lokal/*]\n    steps: [{user: hi}]\n"
    )
    result = project.pytester.runpytest_subprocess("scenarios")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*typo.yaml:2:1: scenario 's': models: 'lokal/*' matches no column*"]
    )


REQUIRES_VISION = """
scenarios:
  - id: looks
    requires: [vision]
    snapshot: true
    steps:
      - user: hello looks
"""


def test_a_capability_skip_keeps_the_skipped_columns_snapshot_under_update(
    project: Project,
) -> None:
    with serve() as server:
        project.providers(
            f"providers:\n  - id: p\n    base_url: {server.base_url}\n"
            "    models: [{name: a, capabilities: [vision]}, b]\n"
        )
        project.scenario("s.yaml", REQUIRES_VISION)
        kept = project.write(
            "scenarios/__snapshots__/s/looks[txt=pb].transcript.yaml", "scenario: looks\n"
        )
        result = project.pytester.runpytest(
            "--harness-record-mode=record-missing", "--snapshot-update"
        )
    result.assert_outcomes(passed=1, skipped=1)
    assert kept.read_text() == "scenario: looks\n"

"""Transcript snapshots: one readable file per item, stable under xdist, unused ones reported."""

from __future__ import annotations

import hashlib

import pytest

from support.fake_openai import serve
from support.project import Project

MANY = 40


def many_scenarios() -> str:
    items = [
        f"  - id: s{n:02d}\n    snapshot: true\n    steps:\n      - user: hello {n}\n"
        f"        stream: {'both' if n % 4 == 0 else 'true' if n % 2 else 'false'}\n"
        for n in range(MANY)
    ]
    return "scenarios:\n" + "".join(items)


def tree(project: Project) -> dict[str, str]:
    root = project.path / "scenarios" / "__snapshots__"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def recorded(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Many scenarios in one file, recorded against the loopback server."""
    with serve() as server:
        project.providers(
            f"providers:\n  - id: fake\n    base_url: {server.base_url}\n    models: [m]\n"
        )
        project.scenario("many.yaml", many_scenarios())
        result = project.pytester.runpytest(
            "--harness-record-mode=record-missing", "--snapshot-update"
        )
        result.assert_outcomes(passed=MANY + MANY // 4)
    return project


def test_parallel_snapshot_update_twice_changes_nothing(recorded: Project) -> None:
    first = tree(recorded)
    assert len(first) == MANY + MANY // 4  # one file per scenario x column x stream variant
    for _ in range(2):
        result = recorded.pytester.runpytest_subprocess(
            "-n", "2", "--snapshot-update", "-p", "no:cacheprovider"
        )
        result.assert_outcomes(passed=MANY + MANY // 4)
        assert tree(recorded) == first
    result = recorded.pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=MANY + MANY // 4)


def test_snapshot_is_readable_yaml_without_volatile_fields(recorded: Project) -> None:
    path = (
        recorded.path
        / "scenarios"
        / "__snapshots__"
        / "many"
        / "s00[txt=fakem-stream].transcript.yaml"
    )
    assert path.read_text() == (
        "scenario: s00\ncolumn: fake/m\nvariant: stream\nsteps:\n- step: 1\n  sent:\n"
        "  - role: user\n    content: hello 0\n  reply: 'echo: hello 0 '\n  finish_reason: stop\n"
    )


def test_removed_scenario_is_reported_unused(recorded: Project) -> None:
    path = recorded.path / "scenarios" / "many.yaml"
    text = path.read_text()
    cut = text.index("  - id: s39\n")
    path.write_text(text[:cut])
    result = recorded.pytester.runpytest()
    result.stdout.fnmatch_lines(["*1 snapshot unused*"])
    assert result.ret != 0
    recorded.pytester.runpytest("--snapshot-update")
    assert not any("s39[" in name for name in tree(recorded))
    assert len(tree(recorded)) == MANY - 1 + MANY // 4


def test_changed_reply_shows_a_snapshot_diff(recorded: Project) -> None:
    snap = recorded.path / "scenarios" / "__snapshots__" / "many" / "s01[txt=fakem].transcript.yaml"
    snap.write_text(snap.read_text().replace("echo: hello 1", "echo: hello one"))
    result = recorded.pytester.runpytest("-k", "s01")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*transcript snapshot differs (--snapshot-update accepts it)*", "*hello one*"]
    )

"""``harness record`` says what it changed: files added, updated, removed."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.cli.record import describe_changes, file_state, watched_roots


def test_changes_are_listed_by_kind(tmp_path: Path) -> None:
    (tmp_path / "kept").write_text("same")
    (tmp_path / "changed").write_text("old")
    (tmp_path / "gone").write_text("x")
    before = file_state([tmp_path])
    (tmp_path / "changed").write_text("new")
    (tmp_path / "gone").unlink()
    (tmp_path / "new").write_text("y")
    (tmp_path / ".new.123.abc.tmp").write_text("a write in progress")
    lines = describe_changes(before, file_state([tmp_path]))
    assert lines == [
        "harness: changed 3 file(s): 1 added, 1 updated, 1 removed",
        f"  added   {tmp_path / 'new'}",
        f"  updated {tmp_path / 'changed'}",
        f"  removed {tmp_path / 'gone'}",
    ]


def test_rewriting_a_file_with_the_same_bytes_is_no_change(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("same")
    before = file_state([tmp_path, tmp_path / "missing"])
    (tmp_path / "a").write_text("same")
    assert describe_changes(before, file_state([tmp_path])) == [
        "harness: no recording or snapshot changed"
    ]


def test_the_watched_recordings_folder_follows_the_ini_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As every command does: environment > pytest ini > default (``harness record`` has no
    option of its own for it)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_RECORDINGS", raising=False)
    monkeypatch.delenv("HARNESS_RECORD_MODE", raising=False)
    args = argparse.Namespace(mode="record-missing", pytest_args=[])
    assert watched_roots(args)[0] == Path("recordings")
    (tmp_path / "pytest.ini").write_text("[pytest]\nharness_recordings = from-ini\n")
    assert watched_roots(args)[0] == Path("from-ini")
    monkeypatch.setenv("HARNESS_RECORDINGS", "from-env")
    assert watched_roots(args)[0] == Path("from-env")

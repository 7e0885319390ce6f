"""``harness record`` says what it changed: files added, updated, removed."""

from __future__ import annotations

from pathlib import Path

from harness.cli.record import describe_changes, file_state


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

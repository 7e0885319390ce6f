"""Snapshot files are replaced atomically: a write that fails midway leaves the committed file."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.data import Snapshot, SnapshotCollection

from harness.plugin.snapshot_ext import TranscriptSnapshotExtension


def write(path: Path, text: str) -> None:
    collection = SnapshotCollection(location=str(path))
    collection.add(Snapshot(name=path.name, data=text))
    TranscriptSnapshotExtension.write_snapshot_collection(snapshot_collection=collection)


def test_a_write_that_fails_midway_leaves_the_committed_snapshot_whole(tmp_path: Path) -> None:
    path = tmp_path / "s[txt=pm].transcript.yaml"
    path.write_text("scenario: s\nsteps: []\n")
    # A lone surrogate cannot be encoded: the write fails after it started, as a killed
    # writer would. syrupy's own write has truncated the file by then.
    with pytest.raises(UnicodeEncodeError):
        write(path, "scenario: s\n" + "x" * 100_000 + "\ud800")
    assert path.read_text() == "scenario: s\nsteps: []\n"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left


def test_a_write_replaces_the_file_with_the_new_text(tmp_path: Path) -> None:
    path = tmp_path / "s[txt=pm].transcript.yaml"
    path.write_text("old\n")
    write(path, "scenario: s\nreply: é\n")
    assert path.read_text(encoding="utf-8") == "scenario: s\nreply: é\n"

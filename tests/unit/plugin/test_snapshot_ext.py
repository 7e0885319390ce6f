"""The transcript extension: it serializes a transcript (secrets redacted), and replaces
snapshot files atomically (a write that fails midway leaves the committed file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.data import Snapshot, SnapshotCollection

from harness.engine.matrix import Case, columns
from harness.engine.transcript import Transcript
from harness.plugin.snapshot_ext import TranscriptSnapshot, TranscriptSnapshotExtension
from harness.replay.secrets import SecretScanner
from harness.spec.providers import Provider
from harness.spec.scenario import Scenario, Step


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


def transcript(model: str) -> Transcript:
    provider = Provider(id="p", base_url="http://127.0.0.1:9/v1", models=[model])
    case = Case(scenario=Scenario(id="s", steps=[Step(user="hi")]), column=columns([provider])[0])
    return Transcript(case=case, steps=())


def test_the_extension_serializes_a_transcript_with_the_runs_secrets_redacted() -> None:
    """Rendering and redaction are the extension's, as syrupy's own extensions serialize."""
    secret = "s3cr3t-value-of-the-run"
    scanner = SecretScanner(env_names=("THE_KEY",), env={"THE_KEY": secret})
    data = TranscriptSnapshot(transcript=transcript(f"m-{secret}"), steps=[], scanner=scanner)
    text = TranscriptSnapshotExtension().serialize(data)
    assert text.startswith("scenario: s\ncolumn: p/m-")
    assert secret not in text and "[redacted: $THE_KEY]" in text


def test_plain_text_is_serialized_as_syrupy_does() -> None:
    assert TranscriptSnapshotExtension().serialize("scenario: s\n") == "scenario: s\n"

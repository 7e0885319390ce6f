"""The syrupy extension for transcripts: one YAML file per item, written atomically.

As syrupy's own extensions do, it owns the serialization of what is asserted: a
:class:`TranscriptSnapshot` becomes :mod:`harness.outputs.snapshot`'s text with the run's
secrets redacted. Where the file lives and how it is written is syrupy's business, so that part
lives here with the pytest adapter too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syrupy.data import SnapshotCollection
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.location import PyTestLocation

from harness.engine.transcript import Transcript
from harness.outputs.snapshot import render_transcript
from harness.replay.secrets import SecretScanner
from harness.util.fs import write_atomic


@dataclass(frozen=True)
class TranscriptSnapshot:
    """What an item asserts against its snapshot: these steps of its transcript, under the
    run's secret policy."""

    transcript: Transcript
    steps: list[int]
    scanner: SecretScanner


class TranscriptSnapshotExtension(SingleFileSnapshotExtension):
    """syrupy extension storing a transcript as ``__snapshots__/<file>/<item>.transcript.yaml``."""

    file_extension = "transcript.yaml"
    _write_mode = WriteMode.TEXT

    def serialize(self, data: Any, **kwargs: Any) -> Any:
        """A :class:`TranscriptSnapshot` as snapshot text; secrets redacted, not refused (a
        snapshot need not replay, and a live run keeps its record)."""
        if isinstance(data, TranscriptSnapshot):
            text = render_transcript(data.transcript, steps=data.steps)
            return data.scanner.redact(text)
        return super().serialize(data, **kwargs)

    @classmethod
    def matches_test_location(
        cls, *, test_location: PyTestLocation, snapshot_location: str
    ) -> bool:
        """Exactly this item's file: syrupy's generic match stumbles on the '/' in our ids."""
        location = Path(snapshot_location)
        # Cheapest test first: syrupy asks this for every snapshot x every item of the same
        # file, and the site check resolves two paths on disk.
        return (
            location.parent.name == test_location.basename
            and cls._snapshot_stem(location.name)
            == cls.get_snapshot_name(test_location=test_location)
            and test_location.matches_snapshot_site(snapshot_location)
        )

    @classmethod
    def write_snapshot_collection(
        cls, *, snapshot_collection: SnapshotCollection, name_order: Any = None
    ) -> None:
        """Atomically (a temp file, then a rename): syrupy's own write truncates the committed
        file first, so a write killed midway would leave it empty."""
        data = next(iter(snapshot_collection)).data
        if not isinstance(data, str):
            raise TypeError(f"a transcript snapshot is text, not {type(data).__name__}")
        write_atomic(Path(snapshot_collection.location), data)

"""The syrupy extension for transcripts: one YAML file per item, written atomically.

What goes into the file is :mod:`harness.outputs.snapshot`'s; where it lives and how it is
written is syrupy's business, so that part lives here with the pytest adapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from syrupy.data import SnapshotCollection
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.location import PyTestLocation

from harness.util.fs import write_atomic


class TranscriptSnapshotExtension(SingleFileSnapshotExtension):
    """syrupy extension storing a transcript as ``__snapshots__/<file>/<item>.transcript.yaml``."""

    file_extension = "transcript.yaml"
    _write_mode = WriteMode.TEXT

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

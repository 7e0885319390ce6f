"""A snapshot writer killed with SIGKILL mid-write leaves the committed file whole (the old
text or the new one), never truncated: writes go to a temp file, then a rename."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

WRITER = """
import sys
from pathlib import Path
from syrupy.data import Snapshot, SnapshotCollection
from harness.plugin.snapshot_ext import TranscriptSnapshotExtension

path = Path(sys.argv[1])
texts = ["a" * 20_000_000 + "\\n", "b" * 20_000_000 + "\\n"]
print("writing", flush=True)
n = 0
while True:
    collection = SnapshotCollection(location=str(path))
    collection.add(Snapshot(name=path.name, data=texts[n % 2]))
    TranscriptSnapshotExtension.write_snapshot_collection(snapshot_collection=collection)
    n += 1
"""


def test_a_writer_killed_mid_write_never_leaves_a_truncated_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "s[txt=pm].transcript.yaml"
    whole = {"a" * 20_000_000 + "\n", "b" * 20_000_000 + "\n"}
    for delay in (0.05, 0.1, 0.2, 0.3, 0.5):
        path.write_text("a" * 20_000_000 + "\n")
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        time.sleep(delay)  # somewhere inside one of its writes
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        assert path.read_text() in whole, f"{path.stat().st_size} bytes after a kill"

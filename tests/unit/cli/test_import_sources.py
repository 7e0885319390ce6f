"""Tests for harness.cli.import_sources: which files an import reads, and how one is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.cli.import_sources import check_provider_id, parse_source, sources
from harness.errors import HarnessError, RecordingCorruptError
from harness.replay.store import RecordingStore

SEEDS = Path(__file__).resolve().parents[2] / "data" / "seeds"


def test_sources_walks_folders_sorted_and_keeps_named_files(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    for name in ("d/b.json", "d/sub/a.json", "d/notes.txt", "one.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    found = sources([tmp_path / "d", tmp_path / "one.json"])
    assert found == [tmp_path / "d/b.json", tmp_path / "d/sub/a.json", tmp_path / "one.json"]


def test_sources_refuses_a_fifo_and_a_missing_path(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(HarnessError, match="not a regular file or folder"):
        sources([fifo])  # never opened: reading a FIFO would block forever
    with pytest.raises(HarnessError, match="no such file or folder"):
        sources([tmp_path / "nope"])


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden", "x y"])
def test_a_provider_id_is_never_a_path(bad: str) -> None:
    with pytest.raises(HarnessError, match="is not an id"):
        check_provider_id(bad, source="--provider")


def test_parse_source_takes_the_provider_from_the_test_id(tmp_path: Path) -> None:
    seed = sorted(SEEDS.glob("*.json"))[0]
    item = parse_source(seed, store=RecordingStore(root=tmp_path), provider=None)
    test_id = json.loads(seed.read_text(encoding="utf-8"))["test_id"]
    assert f"txt={item.provider}/" in test_id
    assert item.source == seed


def test_parse_source_refuses_a_tool_runtime_recording(tmp_path: Path) -> None:
    path = tmp_path / "tool.json"
    path.write_text(json.dumps({"request": {"tool_name": "x"}, "response": {}}), encoding="utf-8")
    with pytest.raises(RecordingCorruptError, match="not an HTTP request recording"):
        parse_source(path, store=RecordingStore(root=tmp_path / "r"), provider="p")

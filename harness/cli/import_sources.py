"""The files ``harness recordings import`` reads: found, parsed and checked one by one
(:mod:`harness.cli.importer` plans the batch)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, RecordingCorruptError
from harness.replay.recording import Recording
from harness.replay.seed_errors import UnreplayableError, is_exception_response, native_response
from harness.replay.store import RecordingStore, read_json
from harness.spec.validation import ID_PATTERN

_PROVIDER_IN_TEST_ID = re.compile(r"txt=([A-Za-z0-9][A-Za-z0-9_.\-]*)/")


@dataclass(frozen=True)
class ImportItem:
    """One file to import: where it came from, its recording and the provider it belongs to."""

    source: Path
    recording: Recording
    provider: str


def sources(paths: Sequence[Path]) -> list[Path]:
    """The JSON files named, and those under the folders named (never a FIFO or device)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob("*.json")))
        elif path.is_file():
            found.append(path)
        elif path.exists():  # a FIFO, a socket, a device: never read (it could block forever)
            raise HarnessError(f"{path}: not a regular file or folder")
        else:
            raise HarnessError(f"{path}: no such file or folder")
    return found


def parse_source(source: Path, *, store: RecordingStore, provider: str | None) -> ImportItem:
    """``source`` read (bounded), turned into a recording of its provider, checked for secrets."""
    try:
        data: Any = read_json(source)  # bounded in size and depth
    except OSError as exc:
        raise RecordingCorruptError(f"{source}: not a JSON recording ({exc})") from None
    request = data.get("request") if isinstance(data, dict) else None
    if isinstance(request, dict) and not {"method", "endpoint"} <= request.keys():
        raise RecordingCorruptError(
            f"{source}: not an HTTP request recording (its request has no method and endpoint; "
            "e.g. a tool-runtime recording)"
        )
    response = data.get("response") if isinstance(data, dict) else None
    if is_exception_response(response):
        try:
            data = {**data, "response": native_response(response)}
        except UnreplayableError as exc:
            raise HarnessError(f"{source}: {exc}") from None
    recording = Recording.from_dict(data, source=str(source))
    owner = provider or _provider_from(recording.test_id)
    if owner is None:
        raise HarnessError(
            f"{source}: cannot tell the provider (no 'txt=<provider>/<model>' in test_id); "
            "pass --provider ID"
        )
    check_provider_id(owner, source=str(source))
    # Checked now (as it would be written), so a secret stops the batch before any write.
    store.prepare(recording, provider=owner)
    return ImportItem(source=source, recording=recording, provider=owner)


def check_provider_id(provider: str, *, source: str) -> None:
    """A provider id names a folder under recordings/: it must be an id, never a path."""
    # The id names a folder under recordings/: `../x` would write outside it.
    if not re.fullmatch(ID_PATTERN, provider):
        raise HarnessError(
            f"{source}: provider id {provider!r} is not an id (letters, digits, '_', '.', '-', "
            "starting with a letter or digit)"
        )


def _provider_from(test_id: str) -> str | None:
    match = _PROVIDER_IN_TEST_ID.search(test_id)
    return match.group(1) if match else None


__all__ = ["ImportItem", "check_provider_id", "parse_source", "sources"]

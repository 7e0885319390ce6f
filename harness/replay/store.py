"""The recordings folder: ``<root>/<provider>/<route>-<digest>.json``, one file per request.

A lookup is a single path computed from the request, so start-up and replay cost do not grow
with the number of recordings; only a miss scans the folder, to explain itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import RecordingConflictError, RecordingCorruptError
from harness.replay.key import RequestKey
from harness.replay.normalize import for_disk
from harness.replay.recording import Recording
from harness.replay.secrets import SecretScanner
from harness.util import fs as bounded
from harness.util.boundedjson import parse_json
from harness.util.fs import stale_temp_files, write_atomic
from harness.util.jsondiff import diff_paths

MAX_RECORDING_BYTES = 64 * 1024 * 1024  # refuse, rather than load, anything bigger


class RecordingStore:
    """Reads and atomically writes recordings under one root folder."""

    def __init__(self, *, root: Path, scanner: SecretScanner | None = None) -> None:
        self.root = root
        self.scanner = scanner or SecretScanner()
        # Recordings this process read or wrote (paths relative to root), for pruning.
        self.used: set[str] = set()
        self._dirs: dict[str, Path] = {}

    def path_for(self, key: RequestKey) -> Path:
        """Where the recording for ``key`` lives (whether or not it exists)."""
        folder = self._dirs.get(key.provider)
        if folder is None:
            folder = self._dirs[key.provider] = self.root / key.provider
        return folder / key.filename

    def load(self, key: RequestKey) -> Recording | None:
        """The recording for ``key``, or None when there is none."""
        path = self.path_for(key)
        recording = self.read(path)
        if recording is None:
            return None
        # Re-derived, not compared field by field: `==` would take 1, 1.0 and true as equal.
        if recording.key(key.provider).digest != key.digest:
            # A renamed or hand-edited file would silently answer another request.
            raise RecordingCorruptError(
                f"{path}: this recording answers a different request than its name says; "
                "run `harness recordings verify`"
            )
        self.used.add(f"{key.provider}/{key.filename}")
        return recording

    def read(self, path: Path) -> Recording | None:
        """Read one file (None if absent); a broken file raises :class:`RecordingCorruptError`."""
        try:
            data = read_json(path)
        except FileNotFoundError:
            return None
        return Recording.from_dict(data, source=str(path))

    def prepare(self, recording: Recording, *, provider: str) -> tuple[Path, Recording]:
        """Where ``recording`` goes and what is written there: headers dropped, URL userinfo
        stripped, volatile fields normalized (:func:`for_disk`), then scanned for secrets (a
        hit raises). Import checks a whole batch this way before it writes anything."""
        key = recording.key(provider)
        path = self.path_for(key)
        recording = for_disk(recording, digest=key.digest)
        self.scanner.check(recording.to_dict(), target=f"recording {path}")
        return path, recording

    def save(self, recording: Recording, *, provider: str, replace: bool = False) -> Path:
        """The one write path of recordings (recording and import alike): :meth:`prepare`,
        then an atomic write (a temp file, then a rename).

        A file already there with the same reply is kept as it is; one with a different reply
        is replaced only with ``replace`` (rewrite mode), else :class:`RecordingConflictError`.
        """
        path, recording = self.prepare(recording, provider=provider)
        text = recording.to_json()
        if replace:
            write_atomic(path, text)
        else:
            try:
                write_atomic(path, text, exclusive=True)
            except FileExistsError:
                existing = self.read(path)
                if existing is not None and not existing.same_reply(recording):
                    raise RecordingConflictError(
                        f"{path}: already holds a different reply to this request; "
                        "not replaced (re-record with --harness-record-mode=rewrite)"
                    ) from None
        self.used.add(f"{provider}/{path.name}")
        return path

    def scoped_variants(self, key: RequestKey) -> list[str]:
        """The scopes (test ids) that hold a recording of ``key``'s request under another scope."""
        scopes = []
        for path in sorted((self.root / key.provider).glob(f"{key.route}-*.json")):
            try:
                recording = self.read(path)
            except RecordingCorruptError:
                continue
            if recording is None or recording.scope == key.scope:
                continue
            other = recording.key(key.provider)
            if dataclasses.replace(other, scope=key.scope).digest == key.digest:
                scopes.append(recording.scope or "(shared)")
        return scopes

    def files(self, provider: str | None = None) -> Iterator[Path]:
        """Every recording file (of one provider, if given), sorted."""
        base = self.root / provider if provider else self.root
        pattern = "*.json" if provider else "*/*.json"
        yield from sorted(base.glob(pattern))

    def nearest(self, key: RequestKey) -> tuple[Path, list[str]] | None:
        """The closest recorded request for the same provider and route, with its diff.

        Closest: the same endpoint (ids included) first, then the same scenario scope, then
        the fewest body differences.
        """
        best: tuple[tuple[bool, bool, int], Path, list[str]] | None = None
        for path in sorted((self.root / key.provider).glob(f"{key.route}-*.json")):
            try:
                recording = self.read(path)
            except RecordingCorruptError:
                continue
            if recording is None or recording.method != key.method:
                continue
            other = recording.key(key.provider)
            if other.route != key.route:
                continue  # `conversations-*` also globs `conversations-items-*`
            changes = diff_paths(recording.request_body, key.body)
            if other.endpoint != key.endpoint:
                changes.insert(0, f"endpoint: {other.endpoint} -> {key.endpoint}")
            score = (other.endpoint != key.endpoint, other.scope != key.scope, len(changes))
            if best is None or score < best[0]:
                best = (score, path, changes)
        return None if best is None else (best[1], best[2])


def read_bounded(path: Path, limit: int | None = None) -> str:
    """A recording's text, read by :func:`harness.util.fs.read_bounded` (regular files only,
    never more than ``limit`` bytes); a refusal raises ``RecordingCorruptError``."""
    limit = MAX_RECORDING_BYTES if limit is None else limit
    try:
        data = bounded.read_bounded(path, limit=limit, what="recording")
    except bounded.UnreadableFileError as exc:
        raise RecordingCorruptError(
            f"{exc}; refusing to load it (run `harness recordings verify`)"
        ) from None
    return data.decode("utf-8")


def read_json(path: Path) -> Any:
    """A recording file's JSON, bounded in size (:func:`read_bounded`) and in nesting depth.

    ``FileNotFoundError`` passes through; anything else wrong raises
    :class:`RecordingCorruptError` naming the file.
    """
    try:
        text = read_bounded(path)
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingCorruptError(
            f"{path}: cannot read recording ({exc}); run `harness recordings verify`"
        ) from None
    return parse_json(text, source=str(path))


def remove_stale_temp_files(store: RecordingStore) -> list[Path]:
    """Delete temp files left by killed writers (their recordings were never half-written)."""
    stale = stale_temp_files(store.root)
    for path in stale:
        path.unlink(missing_ok=True)
    return stale

"""``harness recordings import``: recordings made by other tools, copied in faithfully.

The seed (llama-stack/OGX) format keys a recording by its request *and* the test that made it;
harness keys it by the request alone. So two tests that sent the same request collapse into
one harness key. The rules, applied to the whole batch before anything is written:

- the same reply (ids and timestamps aside) for one key: written once, the rest *merged*;
- different replies for one key (a *conflict*): none is shared; each is written scoped to the
  test id that recorded it (``recordings: {test_id: ...}`` on a scenario uses them), and a reply
  already in the recordings folder stays where it is;
- a reply never replaces a different one already on disk; exception recordings become the
  HTTP error the provider sent (:mod:`harness.replay.seed_errors`).

Every file read ends up written, merged or skipped (``read == written + merged + skipped``).
A file that cannot be imported fails the whole batch before anything is written, unless
``skip_invalid``: then it is listed with the reason and the rest is imported.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, RecordingCorruptError
from harness.replay.recording import Recording
from harness.replay.seed_errors import UnreplayableError, is_exception_response, native_response
from harness.replay.store import RecordingStore, read_json
from harness.spec.validation import ID_PATTERN

_PROVIDER_IN_TEST_ID = re.compile(r"txt=([A-Za-z0-9][A-Za-z0-9_.\-]*)/")


@dataclass(frozen=True)
class Conflict:
    """Different replies to one request: each kept under the test id that recorded it."""

    request: str  # e.g. ``POST /v1/chat/completions`` on provider openai
    shared: Path | None  # a shared file already there (kept); a conflict never writes one
    scoped: tuple[tuple[str, Path], ...]  # (test id, file) per imported reply


@dataclass
class ImportResult:
    """What one import did: every file read is in ``written``, ``merged`` or ``skipped``."""

    read: int = 0
    written: list[tuple[Path, Path]] = field(default_factory=list)  # (source, new file)
    merged: list[tuple[Path, Path]] = field(default_factory=list)  # (source, file with its reply)
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (source, why)

    def summary(self) -> str:
        """``read 5 recordings: 3 written, 1 identical duplicate merged, ...``."""
        return (
            f"read {_n(self.read, 'recording')}: {len(self.written)} written, "
            f"{_n(len(self.merged), 'identical duplicate')} merged, "
            f"{_n(len(self.conflicts), 'conflicting request')} kept per test, "
            f"{len(self.skipped)} skipped"
        )


@dataclass(frozen=True)
class _Item:
    source: Path
    recording: Recording
    provider: str


def import_recordings(
    paths: Sequence[Path],
    *,
    store: RecordingStore,
    provider: str | None,
    skip_invalid: bool = False,
) -> ImportResult:
    """Import seed-format recordings into ``store`` under harness naming (rules above)."""
    if provider is not None:
        _check_provider_id(provider, source="--provider")
    planner = _Planner(store=store, skip_invalid=skip_invalid)
    groups: dict[Path, list[_Item]] = {}
    for source in _sources(paths):
        planner.result.read += 1
        try:
            item = _parse(source, store=store, provider=provider)
        except HarnessError as exc:
            planner.refuse(source, exc)
            continue
        groups.setdefault(store.path_for(item.recording.key(item.provider)), []).append(item)
    for shared, group in groups.items():
        planner.plan_group(shared, group)
    # Nothing is written unless every file could be imported (or skipping was asked for).
    for item, recording, dest in planner.plan:
        store.save(recording, provider=item.provider)
        planner.result.written.append((item.source, dest))
    return planner.result


class _Planner:
    """Decides, for the whole batch, what is written, merged, kept per test or skipped."""

    def __init__(self, *, store: RecordingStore, skip_invalid: bool) -> None:
        self.store = store
        self.skip_invalid = skip_invalid
        self.result = ImportResult()
        self.plan: list[tuple[_Item, Recording, Path]] = []  # (item, recording, file)
        # What the recordings folder already holds, per provider: request digest (scope left
        # out) -> its recordings, shared and per test. Read once, not once per group.
        self._on_disk: dict[str, dict[str, list[Recording]]] = {}

    def on_disk(self, provider: str, digest: str) -> list[Recording]:
        """The recordings already in the folder for this request, whatever their scope."""
        if provider not in self._on_disk:
            index: dict[str, list[Recording]] = {}
            for path in self.store.files(provider):
                try:
                    recording = self.store.read(path)
                except RecordingCorruptError:
                    continue  # `harness recordings verify` reports it; it answers nothing
                if recording is not None:
                    index.setdefault(_unscoped(recording, provider), []).append(recording)
            self._on_disk[provider] = index
        return self._on_disk[provider].get(digest, [])

    def refuse(self, source: Path, exc: HarnessError) -> None:
        """Skip ``source`` (listing why) under ``skip_invalid``; else fail the batch."""
        if not self.skip_invalid:
            raise exc
        self.result.skipped.append((source, str(exc).removeprefix(f"{source}: ")))

    def plan_group(self, shared: Path, group: list[_Item]) -> None:
        """Plan the items that share one harness key (one shared file)."""
        first_item = group[0]
        there = self.on_disk(
            first_item.provider, _unscoped(first_item.recording, first_item.provider)
        )
        existing = next((r for r in there if not r.scope), None)
        # A reply another test keeps per test counts too: the request is known to conflict.
        replies = [*there, *(i.recording for i in group)]
        if all(replies[0].same_reply(other) for other in replies[1:]):
            first = group[0] if existing is None else None
            if first is not None:
                self.plan.append((first, first.recording, shared))
            self.result.merged.extend((i.source, shared) for i in group if i is not first)
            return
        kept: list[tuple[str, Path]] = []
        by_test: dict[str, Recording] = {}
        for item in group:
            recording = item.recording
            if recording.scope or not recording.test_id:
                self.refuse(
                    item.source,
                    HarnessError(
                        f"{item.source}: its reply conflicts with another one to the same "
                        "request and it has no test id of its own to be kept under"
                    ),
                )
                continue
            scoped = dataclasses.replace(recording, scope=recording.test_id)
            dest = self.store.path_for(scoped.key(item.provider))
            earlier = by_test.get(recording.test_id) or next(
                (r for r in there if r.scope == recording.test_id), None
            )
            if earlier is not None and not earlier.same_reply(scoped):
                self.refuse(
                    item.source,
                    HarnessError(
                        f"{item.source}: test {recording.test_id!r} already has a different "
                        f"reply to this request ({dest}); nothing replaces it"
                    ),
                )
                continue
            by_test[recording.test_id] = scoped
            kept.append((recording.test_id, dest))
            if earlier is None:
                self.plan.append((item, scoped, dest))
            else:
                self.result.merged.append((item.source, dest))
        key = group[0].recording.key(group[0].provider)
        self.result.conflicts.append(
            Conflict(
                request=f"{key.describe()} on provider {key.provider}",
                shared=shared if existing is not None else None,
                scoped=tuple(dict.fromkeys(kept)),
            )
        )


def _sources(paths: Sequence[Path]) -> list[Path]:
    sources: list[Path] = []
    for path in paths:
        if path.is_dir():
            sources.extend(sorted(path.rglob("*.json")))
        elif path.is_file():
            sources.append(path)
        elif path.exists():  # a FIFO, a socket, a device: never read (it could block forever)
            raise HarnessError(f"{path}: not a regular file or folder")
        else:
            raise HarnessError(f"{path}: no such file or folder")
    return sources


def _parse(source: Path, *, store: RecordingStore, provider: str | None) -> _Item:
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
    _check_provider_id(owner, source=str(source))
    # Checked now (as it would be written), so a secret stops the batch before any write.
    store.prepare(recording, provider=owner)
    return _Item(source=source, recording=recording, provider=owner)


def _check_provider_id(provider: str, *, source: str) -> None:
    # The id names a folder under recordings/: `../x` would write outside it.
    if not re.fullmatch(ID_PATTERN, provider):
        raise HarnessError(
            f"{source}: provider id {provider!r} is not an id (letters, digits, '_', '.', '-', "
            "starting with a letter or digit)"
        )


def _unscoped(recording: Recording, provider: str) -> str:
    return dataclasses.replace(recording.key(provider), scope="").digest


def _provider_from(test_id: str) -> str | None:
    match = _PROVIDER_IN_TEST_ID.search(test_id)
    return match.group(1) if match else None


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"

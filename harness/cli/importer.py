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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.cli.import_sources import ImportItem, check_provider_id, parse_source, sources
from harness.errors import HarnessError, RecordingCorruptError
from harness.replay.recording import Recording
from harness.replay.store import RecordingStore


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


def import_recordings(
    paths: Sequence[Path],
    *,
    store: RecordingStore,
    provider: str | None,
    skip_invalid: bool = False,
) -> ImportResult:
    """Import seed-format recordings into ``store`` under harness naming (rules above)."""
    if provider is not None:
        check_provider_id(provider, source="--provider")
    planner = _Planner(store=store, skip_invalid=skip_invalid)
    groups: dict[Path, list[ImportItem]] = {}
    for source in sources(paths):
        planner.result.read += 1
        try:
            item = parse_source(source, store=store, provider=provider)
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
        self.plan: list[tuple[ImportItem, Recording, Path]] = []  # (item, recording, file)
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

    def plan_group(self, shared: Path, group: list[ImportItem]) -> None:
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


def _unscoped(recording: Recording, provider: str) -> str:
    return dataclasses.replace(recording.key(provider), scope="").digest


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"

"""Replay: answering a keyed request from its recording; a request with none is a miss."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.errors import RecordingMissError
from harness.replay.key import RequestKey
from harness.replay.recording import Recording
from harness.replay.store import RecordingStore
from harness.replay.transports.context import Answer, CallLog, CallScope
from harness.replay.transports.keying import key_of
from harness.util.httplib import httpx
from harness.util.paths import display_path


class ReplayTransport(httpx.BaseTransport):
    """Answers only from recordings; a request with none raises :class:`RecordingMissError`."""

    def __init__(self, *, store: RecordingStore, scope: CallScope, log: CallLog) -> None:
        self.store = store
        self.scope = scope
        self.log = log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = key_of(request)
        found = self.find(key)
        if found is None:
            raise Miss(self._explainer(key))
        return respond(request, found[0], source=found[1], log=self.log, how="replayed")

    def find(self, key: RequestKey) -> tuple[Recording, Path] | None:
        """The recording for ``key`` and its file; a per-test key falls back to the shared one."""
        keys = [key]
        if key.scope and self.scope.shared_fallback:
            keys.append(replace(key, scope=""))
        for candidate in keys:
            recording = self.store.load(candidate)
            if recording is not None:
                return recording, self.store.path_for(candidate)
        return None

    def _explainer(self, key: RequestKey) -> Callable[[], str]:
        # Where the case is and how many calls it made are read now; the store scan later.
        where, number = self.scope.where(), len(self.log.calls) + 1
        return lambda: self.miss_message(key, at=where, number=number)

    def miss_message(self, key: RequestKey, *, at: str, number: int) -> str:
        """Where the miss happened, the nearest recording and its diff, and how to record."""
        lines = [f"no recording for {key.describe()} on provider {key.provider!r}"]
        if at:
            lines.append(f"  at: {at}")
        lines.append(f"  request: #{number} of this test")
        nearest = self.store.nearest(key)
        if nearest is None:
            where = shown(self.store.root / key.provider)
            lines.append(f"  no recordings for this route in {where}")
        else:
            path, changes = nearest
            lines.append(f"  nearest recording: {shown(path)}")
            lines.extend(f"    {change}" for change in changes[:8])
            if len(changes) > 8:
                lines.append(f"    ... and {len(changes) - 8} more differences")
        # Another test's reply to the same request (imported conflicts): say how to use one.
        # Not for stateful scenarios, whose scoped recordings are never another's to use.
        chat = not key.scope or self.scope.shared_fallback
        scopes = [s for s in self.store.scoped_variants(key) if s != "(shared)"] if chat else []
        if scopes:
            lines.append("  recorded for this request only per test (conflicting replies), by:")
            lines.extend(f"    {scope}" for scope in scopes[:8])
            lines.append("  use one with `recordings: {test_id: ...}` on the scenario")
        lines.append(f"  expected file: {shown(self.store.path_for(key))}")
        if self.scope.record_hint:
            lines.append(f"  to record it: {self.scope.record_hint}")
        return "\n".join(lines)


class Miss(RecordingMissError):
    """A miss whose message is written when first read: it scans the route's recordings for
    the nearest one, which record-missing (it records instead) never needs."""

    def __init__(self, explain: Callable[[], str]) -> None:
        super().__init__("no recording")
        self._explain = explain
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._explain()
            self.args = (self._text,)
        return self._text

    def __reduce__(self) -> tuple[Any, ...]:
        return RecordingMissError, (str(self),)


def respond(
    request: httpx.Request, recording: Recording, *, source: Path, log: CallLog, how: Answer
) -> httpx.Response:
    """The response ``recording`` holds, as the bytes the SDK expects, noted in ``log``."""
    status, headers, content = recording.response_content()
    log.answered(
        request, status=status, content=content, stream=recording.is_streaming, how=how,
        source=source,
    )  # fmt: skip
    if recording.truncated:
        stream = _TruncatedStream(content)
        return httpx.Response(status, headers=headers, stream=stream, request=request)
    return httpx.Response(status, headers=headers, content=content, request=request)


class _TruncatedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Replays a stream that broke off: its bytes, then the same kind of error the SDK saw."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def __iter__(self) -> Iterator[bytes]:
        yield self.content
        raise _truncation()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content
        raise _truncation()


def _truncation() -> Exception:
    return httpx.RemoteProtocolError(
        "peer closed connection without sending complete message body (recorded truncation)"
    )


def shown(path: Path) -> str:
    """``path`` relative to the working directory when inside it: shorter in messages."""
    return display_path(path, Path.cwd())


__all__ = ["Miss", "ReplayTransport", "respond", "shown"]

"""Record and replay as httpx transports, plugged into the SDK through ``http_client=``."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.errors import ConfigError, HarnessError, MalformedReplyError, RecordingMissError
from harness.replay.calls import Call
from harness.replay.normalize import normalize_body
from harness.replay.recording import Recording, RequestKey, canonical_query, wire_json, wrap
from harness.replay.sse import parse_sse
from harness.replay.store import MAX_RECORDING_BYTES, RecordingStore
from harness.util.httplib import httpx
from harness.util.paths import display_path


@dataclass
class CallContext:
    """One case's view of its transport: who is asking (``test_id``, ``where``), how (the
    stateful record-missing policy) and, written back by the transport, what happened.

    The runner creates one per case (a new one per attempt) with its own SDK client, so no
    two cases ever share one: a runner can run cases concurrently (threads, event loops).
    """

    test_id: str = ""
    where: str = ""
    record_hint: str = ""
    replayed: int = 0
    recorded: int = 0
    latency: float = 0.0
    # record-missing on stateful scenarios: first replay only, then (on a miss) all live.
    replay_only: bool = False
    force_live: bool = False
    scope: str = ""  # set for stateful and per-test scenarios: see RequestKey.scope
    # Per-test chat scenarios: a request with no recording of its own may use the shared one.
    shared_fallback: bool = False
    # The recording that answered the last request, for messages (shown() only then).
    last_source: Path | None = None
    seen: Counter[str] = field(default_factory=Counter)
    # Every request answered in this case, in order, and every miss (an application may
    # swallow the SDK's error: the miss still fails its test).
    calls: list[Call] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def mode(self, *, live: bool) -> str:
        """How this case's requests were answered: ``replayed``, ``recorded`` or ``live``."""
        if live:
            return "live"
        return "recorded" if self.recorded else "replayed"

    def note(self, request: httpx.Request, *, status: int, content: bytes, stream: bool) -> None:
        """Keep the exchange for :attr:`calls` (parsed only when read)."""
        self.calls.append(
            Call(
                method=request.method,
                url=str(request.url),
                request_bytes=request.content,
                status=status,
                response_bytes=content,
                streamed=stream,
            )
        )


class _KeyedTransport(httpx.BaseTransport):
    """Shared part of record and replay: turning a request into its :class:`RequestKey`."""

    def __init__(
        self, *, store: RecordingStore, provider: str, base_url: str, context: CallContext
    ):
        self.store = store
        self.provider = provider
        self.base_path = urlsplit(base_url).path.rstrip("/")
        self.context = context

    def key_for(self, request: httpx.Request) -> RequestKey:
        """The lookup key of ``request``; the endpoint is its path relative to the base URL."""
        self.context.last_source = None  # no recording answered this request yet
        path = request.url.path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :]
        content = request.read()
        body: Any = json.loads(content) if content else None
        key = RequestKey(
            provider=self.provider,
            method=request.method,
            endpoint="/v1" + path,
            body=body,
            query=canonical_query(str(request.url)) if request.url.query else "",
            scope=self.context.scope,
        )
        # The same request twice in one test (e.g. listing items before and after a delete)
        # may rightly get two different answers: each occurrence has its own recording.
        # The SDK's own retries of a request are the same occurrence, not a new one.
        if request.headers.get("x-stainless-retry-count", "0") in ("", "0"):
            self.context.seen[key.digest] += 1
        occurrence = max(self.context.seen[key.digest], 1)
        return key if occurrence == 1 else key.again(occurrence)

    def lookup(self, key: RequestKey) -> tuple[Recording, Path] | None:
        """The recording for ``key`` and its file; a per-test key falls back to the shared one."""
        keys = [key]
        if key.scope and self.context.shared_fallback:
            keys.append(replace(key, scope=""))
        for candidate in keys:
            recording = self.store.load(candidate)
            if recording is not None:
                return recording, self.store.path_for(candidate)
        return None

    def replay(
        self, request: httpx.Request, recording: Recording, *, source: Path
    ) -> httpx.Response:
        """Answer ``request`` from ``recording`` (counted as replayed)."""
        self.context.replayed += 1
        return self.respond(request, recording, source=source)

    def respond(
        self, request: httpx.Request, recording: Recording, *, source: Path
    ) -> httpx.Response:
        """The response ``recording`` holds, as the bytes the SDK expects."""
        self.context.last_source = source
        status, headers, content = recording.response_content()
        self.context.note(request, status=status, content=content, stream=recording.is_streaming)
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


class ReplayTransport(_KeyedTransport):
    """Answers only from recordings; a request with none raises :class:`RecordingMissError`."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_keyed(request, self.key_for(request))

    def handle_keyed(self, request: httpx.Request, key: RequestKey) -> httpx.Response:
        """Answer ``request`` whose key is ``key`` (an async front computes it in its loop)."""
        found = self.lookup(key)
        if found is None:
            message = self.miss_message(key)
            self.context.misses.append(message)
            raise RecordingMissError(message)
        return self.replay(request, found[0], source=found[1])

    def miss_message(self, key: RequestKey) -> str:
        """Where the miss happened, the nearest recording and its diff, and how to record."""
        lines = [f"no recording for {key.describe()} on provider {key.provider!r}"]
        if self.context.where:
            lines.append(f"  at: {self.context.where}")
        lines.append(f"  request: #{len(self.context.calls) + 1} of this test")
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
        chat = not key.scope or self.context.shared_fallback
        scopes = [s for s in self.store.scoped_variants(key) if s != "(shared)"] if chat else []
        if scopes:
            lines.append("  recorded for this request only per test (conflicting replies), by:")
            lines.extend(f"    {scope}" for scope in scopes[:8])
            lines.append("  use one with `recordings: {test_id: ...}` on the scenario")
        lines.append(f"  expected file: {shown(self.store.path_for(key))}")
        if self.context.record_hint:
            lines.append(f"  to record it: {self.context.record_hint}")
        return "\n".join(lines)


class RecordingTransport(_KeyedTransport):
    """Sends requests to the provider through ``inner`` and writes each exchange to the store.

    With ``replay_first`` (``record-missing``) a request that has a recording is answered from it.
    """

    def __init__(
        self,
        *,
        store: RecordingStore,
        provider: str,
        base_url: str,
        context: CallContext,
        inner: httpx.BaseTransport,
        replay_first: bool,
        recorded_base_url: str | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(store=store, provider=provider, base_url=base_url, context=context)
        # The URL written into recordings: the configured default rather than, say, the
        # random port of a local server, so re-recording does not churn every file.
        self.base_url = base_url.rstrip("/")
        self.recorded_base_url = (recorded_base_url or base_url).rstrip("/")
        self.inner = inner
        self.replay_first = replay_first
        self.before_send = before_send  # raises when the provider's URL or key is missing
        self._refused: HarnessError | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_keyed(request, self.key_for(request))

    def handle_keyed(self, request: httpx.Request, key: RequestKey) -> httpx.Response:
        """Answer ``request`` whose key is ``key`` (an async front computes it in its loop)."""
        retry = request.headers.get("x-stainless-retry-count", "0") not in ("", "0")
        # openai<3 retries whatever a transport raises: a request this transport refused (a
        # secret, an oversized reply...) must not reach the provider again.
        if retry and self._refused is not None:
            raise self._refused
        self._refused = None
        try:
            return self._record(request, key=key, retry=retry)
        except HarnessError as exc:
            self._refused = exc
            raise

    def _record(self, request: httpx.Request, *, key: RequestKey, retry: bool) -> httpx.Response:
        # A retry asks again because the answer (maybe just recorded) was a retryable failure.
        if self.replay_first and not self.context.force_live and not retry:
            found = self.lookup(key)
            if found is not None:
                return self.replay(request, found[0], source=found[1])
            if self.context.replay_only:
                message = f"no recording for {key.describe()} (re-recording)"
                self.context.misses.append(message)
                raise RecordingMissError(message)
        if self.before_send is not None:
            self.before_send()
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            raise _same_kind(
                exc,
                f"cannot reach provider {self.provider!r} at {request.url} while recording "
                f"({type(exc).__name__}: {exc}); nothing was written",
                request=request,
            ) from exc
        streaming = response.headers.get("content-type", "").startswith("text/event-stream")
        content, truncated = self._read(response, streaming=streaming, request=request)
        self.context.latency += time.perf_counter() - started
        body = normalize_body(
            _response_body(content, streaming=streaming, complete=not truncated), digest=key.digest
        )
        if b"\\u" in content:  # only an escape can put a lone surrogate in decoded text
            _check_utf8(body)
        recording = Recording(
            test_id=self.context.test_id,
            method=key.method,
            url=self._recorded_url(request),
            endpoint=key.endpoint,
            request_body=key.body,
            response_body=body,
            is_streaming=streaming,
            status_code=response.status_code,
            truncated=truncated,
            occurrence=key.occurrence,
            scope=key.scope,
        )
        # Replacing a different reply is for rewrite mode, a stateful scenario re-recorded as a
        # unit, and the SDK's retry of an answer just recorded; else it is refused.
        replace_existing = not self.replay_first or self.context.force_live or retry
        path = self.store.save(recording, provider=self.provider, replace=replace_existing)
        self.context.recorded += 1
        return self.respond(request, recording, source=path)

    def _recorded_url(self, request: httpx.Request) -> str:
        url = str(request.url)
        return (
            self.recorded_base_url + url[len(self.base_url) :]
            if url.startswith(self.base_url)
            else url
        )

    def _read(
        self, response: httpx.Response, *, streaming: bool, request: httpx.Request
    ) -> tuple[bytes, bool]:
        """The whole body, capped; a stream that breaks off midway is kept as truncated."""
        url = str(request.url)
        pieces: list[bytes] = []
        size = 0
        try:
            for piece in response.iter_bytes():
                size += len(piece)
                if size > MAX_RECORDING_BYTES:
                    raise ConfigError(
                        f"response from {url} exceeds {MAX_RECORDING_BYTES} bytes; "
                        "refusing to record it (nothing was written)"
                    )
                pieces.append(piece)
        except httpx.TransportError as exc:
            if not (streaming and pieces):
                raise _same_kind(
                    exc,
                    f"connection to provider {self.provider!r} failed while reading {url} "
                    f"({type(exc).__name__}: {exc}); nothing was written",
                    request=request,
                ) from exc
            return b"".join(pieces), True
        finally:
            response.close()
        return b"".join(pieces), False

    def close(self) -> None:
        self.inner.close()


class LiveTransport(httpx.BaseTransport):
    """Passes requests straight to the provider, timing them; records nothing."""

    def __init__(
        self,
        *,
        inner: httpx.BaseTransport,
        context: CallContext,
        before_send: Callable[[], None] | None = None,
    ) -> None:
        self.inner = inner
        self.context = context
        self.before_send = before_send

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.before_send is not None:
            self.before_send()
        started = time.perf_counter()
        response = self.inner.handle_request(request)
        response.read()
        self.context.latency += time.perf_counter() - started
        streamed = response.headers.get("content-type", "").startswith("text/event-stream")
        self.context.note(
            request, status=response.status_code, content=response.content, stream=streamed
        )
        return response

    def close(self) -> None:
        self.inner.close()


def _check_utf8(body: Any) -> None:
    try:
        wire_json(body).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise MalformedReplyError(
            f"malformed reply: it holds a lone surrogate ({bad!r}) that no UTF-8 text can "
            "carry; nothing was written"
        ) from None


def _same_kind(
    exc: httpx.TransportError, message: str, *, request: httpx.Request
) -> httpx.TransportError:
    """``exc``'s own class with ``message``: the SDK takes it for its connection error and
    applies its retry policy (a ``HarnessError`` would end the test at the first reset)."""
    try:
        return type(exc)(message, request=request)
    except TypeError:  # a subclass with another signature
        return exc


def shown(path: Path) -> str:
    """``path`` relative to the working directory when inside it: shorter in messages."""
    return display_path(path, Path.cwd())


def _response_body(content: bytes, *, streaming: bool, complete: bool = True) -> Any:
    text = content.decode("utf-8", errors="replace")
    if streaming:
        return [wrap(event) for event in parse_sse(text, complete=complete)]
    try:
        return wrap(json.loads(text))
    except ValueError:
        return {"__type__": "text", "__data__": text}


__all__ = [
    "CallContext",
    "LiveTransport",
    "RecordingTransport",
    "ReplayTransport",
    "parse_sse",
    "shown",
]

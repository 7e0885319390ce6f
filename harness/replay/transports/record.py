"""Record: sending a keyed request through an inner transport, writing the exchange to the
store, and answering from what was written."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from harness.errors import ConfigError, HarnessError, MalformedReplyError
from harness.replay.key import RequestKey
from harness.replay.normalize import normalize_body
from harness.replay.recording import Recording, wire_json, wrap
from harness.replay.sse import is_event_stream, parse_sse
from harness.replay.store import MAX_RECORDING_BYTES, RecordingStore
from harness.replay.transports.context import CallLog, CallScope
from harness.replay.transports.keying import is_retry, key_of
from harness.replay.transports.replay import respond
from harness.util.httplib import httpx


class RecordTransport(httpx.BaseTransport):
    """Sends each request to the provider through ``inner`` and writes it to the store.

    ``replace``: whether a different reply already recorded for the request is replaced
    (rewrite mode, a stateful scenario re-recorded as a unit) or refused (record-missing: it
    was recorded meanwhile, e.g. by another xdist worker). The SDK's retry of an answer just
    recorded always replaces it.
    """

    def __init__(
        self,
        *,
        store: RecordingStore,
        inner: httpx.BaseTransport,
        scope: CallScope,
        log: CallLog,
        base_url: str,
        replace: bool,
        recorded_base_url: str | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.inner = inner
        self.scope = scope
        self.log = log
        self.replace = replace
        # The URL written into recordings: the configured default rather than, say, the
        # random port of a local server, so re-recording does not churn every file.
        self.base_url = base_url.rstrip("/")
        self.recorded_base_url = (recorded_base_url or base_url).rstrip("/")
        self.before_send = before_send  # raises when the provider's URL or key is missing
        self._refused: HarnessError | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        retry = is_retry(request)
        # openai<3 retries whatever a transport raises: a request this transport refused (a
        # secret, an oversized reply...) must not reach the provider again.
        if retry and self._refused is not None:
            raise self._refused
        self._refused = None
        try:
            return self._record(request, key=key_of(request), retry=retry)
        except HarnessError as exc:
            self._refused = exc
            raise

    def _record(self, request: httpx.Request, *, key: RequestKey, retry: bool) -> httpx.Response:
        if self.before_send is not None:
            self.before_send()
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            raise _same_kind(
                exc,
                f"cannot reach provider {key.provider!r} at {request.url} while recording "
                f"({type(exc).__name__}: {exc}); nothing was written",
                request=request,
            ) from exc
        streaming = is_event_stream(response.headers)
        content, truncated = _read(response, streaming=streaming, key=key, request=request)
        self.log.waited(time.perf_counter() - started)
        body = normalize_body(
            _response_body(content, streaming=streaming, complete=not truncated), digest=key.digest
        )
        if b"\\u" in content:  # only an escape can put a lone surrogate in decoded text
            _check_utf8(body)
        recording = Recording(
            test_id=self.scope.test_id,
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
        path = self.store.save(recording, provider=key.provider, replace=self.replace or retry)
        return respond(request, recording, source=path, log=self.log, how="recorded")

    def _recorded_url(self, request: httpx.Request) -> str:
        url = str(request.url)
        if url.startswith(self.base_url):
            return self.recorded_base_url + url[len(self.base_url) :]
        return url

    def close(self) -> None:
        self.inner.close()


def _read(
    response: httpx.Response, *, streaming: bool, key: RequestKey, request: httpx.Request
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
                f"connection to provider {key.provider!r} failed while reading {url} "
                f"({type(exc).__name__}: {exc}); nothing was written",
                request=request,
            ) from exc
        return b"".join(pieces), True
    finally:
        response.close()
    return b"".join(pieces), False


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


def _response_body(content: bytes, *, streaming: bool, complete: bool = True) -> Any:
    text = content.decode("utf-8", errors="replace")
    if streaming:
        return [wrap(event) for event in parse_sse(text, complete=complete)]
    try:
        return wrap(json.loads(text))
    except ValueError:
        return {"__type__": "text", "__data__": text}


__all__ = ["RecordTransport"]

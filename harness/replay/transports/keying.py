"""Keying: turning a request into its :class:`RequestKey`, once, in the order it was sent.

The key goes into ``request.extensions[KEY]``, so every transport behind the front (replay,
record, their composition) has just ``handle_request`` and reads it with :func:`key_of`. The
async front keys in the event loop, before a thread takes the request, so identical bodies
sent concurrently get their occurrence numbers in the application's send order.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from harness.errors import HarnessError, RecordingMissError
from harness.replay.key import RequestKey, canonical_query
from harness.replay.transports.context import CallLog
from harness.util.httplib import httpx

KEY = "harness.key"


class Occurrences:
    """A case-attempt's count of each distinct request: its sync and async clients share it,
    so the Nth identical request is occurrence N whichever client sent it."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def number(self, digest: str, *, retry: bool) -> int:
        """The occurrence of a request with ``digest`` (a retry repeats the last one)."""
        with self._lock:
            if not retry:
                self._seen[digest] += 1
            return max(self._seen[digest], 1)


def is_retry(request: httpx.Request) -> bool:
    """Whether this is the SDK's retry of a request it already sent."""
    return request.headers.get("x-stainless-retry-count", "0") not in ("", "0")


class Keyer:
    """Computes the key of a provider's requests; the endpoint is relative to the base URL."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        scope: str = "",
        occurrences: Occurrences | None = None,
    ) -> None:
        self.provider = provider
        self.base_path = urlsplit(base_url).path.rstrip("/")
        self.scope = scope
        self.occurrences = Occurrences() if occurrences is None else occurrences

    def key(self, request: httpx.Request) -> RequestKey:
        """``request``'s key, computed on the first call and kept on the request."""
        known = request.extensions.get(KEY)
        if isinstance(known, RequestKey):
            return known
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
            scope=self.scope,
        )
        # The same request twice in one test (e.g. listing items before and after a delete)
        # may rightly get two different answers: each occurrence has its own recording.
        # The SDK's own retries of a request are the same occurrence, not a new one.
        occurrence = self.occurrences.number(key.digest, retry=is_retry(request))
        if occurrence != 1:
            key = key.again(occurrence)
        request.extensions[KEY] = key
        return key


def key_of(request: httpx.Request) -> RequestKey:
    """The key a :class:`Keying` front put on ``request``."""
    key = request.extensions.get(KEY)
    if not isinstance(key, RequestKey):
        raise HarnessError("internal: a record/replay transport got a request nobody keyed")
    return key


class Keying(httpx.BaseTransport):
    """The front of a case's record/replay transport: keys each request, hands it on, and
    logs a miss that reaches the application."""

    def __init__(self, *, keyer: Keyer, inner: httpx.BaseTransport, log: CallLog) -> None:
        self.keyer = keyer
        self.inner = inner
        self.log = log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.log.requested()
        self.keyer.key(request)  # a no-op when the async front keyed it already
        try:
            return self.inner.handle_request(request)
        except RecordingMissError as exc:
            self.log.missed(str(exc))
            raise

    def close(self) -> None:
        self.inner.close()


__all__ = ["KEY", "Keyer", "Keying", "Occurrences", "is_retry", "key_of"]

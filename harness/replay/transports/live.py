"""Live: passing requests straight to the provider, timed and logged; nothing is recorded."""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.replay.sse import is_event_stream
from harness.replay.transports.context import CallLog
from harness.util.httplib import httpx


class LiveTransport(httpx.BaseTransport):
    """Sends each request through ``inner`` and notes the exchange in ``log``."""

    def __init__(
        self,
        *,
        inner: httpx.BaseTransport,
        log: CallLog,
        before_send: Callable[[], None] | None = None,
    ) -> None:
        self.inner = inner
        self.log = log
        self.before_send = before_send  # raises when the provider's URL or key is missing

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.before_send is not None:
            self.before_send()
        started = time.perf_counter()
        response = self.inner.handle_request(request)
        response.read()
        self.log.waited(time.perf_counter() - started)
        streamed = is_event_stream(response.headers)
        self.log.answered(
            request, status=response.status_code, content=response.content, stream=streamed,
            how="live",
        )  # fmt: skip
        return response

    def close(self) -> None:
        self.inner.close()


__all__ = ["LiveTransport"]

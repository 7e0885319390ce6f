"""Record-missing as a composition: replay first, record on a miss."""

from __future__ import annotations

from harness.errors import RecordingMissError
from harness.replay.transports.keying import is_retry
from harness.util.httplib import httpx


class ReplayOrRecord(httpx.BaseTransport):
    """Answers from ``replay``; a request it misses goes to ``record``.

    The SDK's retry goes straight to ``record``: it asks again because the answer (maybe one
    just recorded) was a retryable failure, which replaying would only repeat.
    """

    def __init__(self, *, replay: httpx.BaseTransport, record: httpx.BaseTransport) -> None:
        self.replay = replay
        self.record = record

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not is_retry(request):
            try:
                return self.replay.handle_request(request)
            except RecordingMissError:
                pass  # its message (a scan of the folder) is never built: see Miss
        return self.record.handle_request(request)

    def close(self) -> None:
        self.replay.close()
        self.record.close()


__all__ = ["ReplayOrRecord"]

"""The async front of a case's sync transport: one record/replay core for both clients."""

from __future__ import annotations

import asyncio

from harness.replay.transports.keying import Keyer
from harness.util.httplib import httpx


class AsyncTransport(httpx.AsyncBaseTransport):
    """Runs a request through ``sync``, keyed first by ``keyer`` in the event loop.

    Keying in the loop takes the key (and so the occurrence number of identical bodies) in
    the order the application sent its requests. With ``inline`` (replay: a file read, no
    network wait to overlap) the core runs in the loop too; else in a thread, so concurrent
    requests stay concurrent.
    """

    def __init__(
        self, *, sync: httpx.BaseTransport, keyer: Keyer | None = None, inline: bool = False
    ) -> None:
        self.sync = sync
        self.keyer = keyer
        self.inline = inline

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if self.keyer is not None:
            self.keyer.key(request)
        if self.inline:
            return self.sync.handle_request(request)
        return _async_safe(await asyncio.to_thread(self.sync.handle_request, request), request)

    async def aclose(self) -> None:
        self.sync.close()


def _async_safe(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """``response`` with a body an async client can read (a live reply was read in a thread:
    its decoded bytes, without the encoding headers that no longer apply). A network
    transport's response has no request yet (the client sets it): ``request`` is its own."""
    if isinstance(response.stream, httpx.AsyncByteStream):
        return response
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=response.content, request=request
    )


__all__ = ["AsyncTransport"]

"""A case's SDK clients (sync and async) wired to record/replay transports.

Each case gets its own clients around its own :class:`~harness.transport.CallContext`; what
cases share is immutable or thread-safe: the recordings store and one connection pool per
provider. So one runner can run cases concurrently, and an application under test gets a
client (or an ``AsyncOpenAI``) that is its case's alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping

import openai
from openai import _base_client as openai_base_client

from harness.engine.outbound import Outbound
from harness.replay.recording import RequestKey
from harness.replay.store import RecordingStore
from harness.replay.transport import (
    CallContext,
    LiveTransport,
    RecordingTransport,
    ReplayTransport,
)
from harness.spec.providers import Provider
from harness.spec.settings import RecordMode, Settings
from harness.util.httplib import httpx

Keyed = ReplayTransport | RecordingTransport


class ClientFactory:
    """Builds per-case clients for one set of settings over one recordings store."""

    def __init__(
        self, *, settings: Settings, store: RecordingStore, env: Mapping[str, str]
    ) -> None:
        self.settings = settings
        self.store = store
        self.env = env
        self._pools: dict[str, _Borrowed] = {}
        self._outbounds: dict[str, Outbound] = {}
        self._lock = threading.Lock()

    def transport(self, provider: Provider, context: CallContext) -> httpx.BaseTransport:
        """The sync transport of one case: replay, record(-missing) or live, by the mode."""
        mode = self.settings.record_mode
        outbound = self._outbound(provider)
        if mode is RecordMode.REPLAY:
            return ReplayTransport(
                store=self.store,
                provider=provider.id,
                base_url=outbound.client_base_url,
                context=context,
            )
        if mode is RecordMode.LIVE:
            return LiveTransport(
                inner=self._pool(provider), context=context, before_send=outbound.check
            )
        return RecordingTransport(
            store=self.store,
            provider=provider.id,
            base_url=outbound.client_base_url,
            context=context,
            recorded_base_url=provider.recorded_base_url(),
            inner=self._pool(provider),
            replay_first=mode is RecordMode.RECORD_MISSING,
            before_send=outbound.check,
        )

    def client(self, provider: Provider, context: CallContext) -> openai.OpenAI:
        """A new ``OpenAI`` client answering through ``context``."""
        outbound = self._outbound(provider)
        return openai.OpenAI(
            base_url=outbound.client_base_url,
            api_key=outbound.client_api_key,
            http_client=openai.DefaultHttpxClient(transport=self.transport(provider, context)),
            max_retries=self.max_retries,
        )

    def async_client(self, provider: Provider, context: CallContext) -> openai.AsyncOpenAI:
        """A new ``AsyncOpenAI`` client answering through ``context`` (the same core)."""
        outbound = self._outbound(provider)
        return async_openai(
            base_url=outbound.client_base_url,
            api_key=outbound.client_api_key,
            transport=self.transport(provider, context),
            max_retries=self.max_retries,
        )

    @property
    def max_retries(self) -> int:
        # Replay answers instantly and deterministically: a retry would only hide a miss.
        return 0 if self.settings.record_mode is RecordMode.REPLAY else 2

    def _outbound(self, provider: Provider) -> Outbound:
        # Resolved lazily: replaying needs neither base_url's variables nor an API key.
        with self._lock:
            if provider.id not in self._outbounds:
                self._outbounds[provider.id] = Outbound(
                    provider=provider, env=self.env, mode=self.settings.record_mode
                )
            return self._outbounds[provider.id]

    def _pool(self, provider: Provider) -> _Borrowed:
        with self._lock:
            if provider.id not in self._pools:
                self._pools[provider.id] = _Borrowed(httpx.HTTPTransport())
            return self._pools[provider.id]

    def close(self) -> None:
        """Close the shared connection pools."""
        for pool in self._pools.values():
            pool.inner.close()
        self._pools.clear()


def async_openai(
    *, base_url: str, api_key: str, transport: httpx.BaseTransport, max_retries: int
) -> openai.AsyncOpenAI:
    """An ``AsyncOpenAI`` client on the async front of ``transport``.

    Its platform is resolved now: the SDK would otherwise resolve it in a worker thread on
    the client's first request(s), so that concurrent first requests reach the transport in
    thread-scheduling order and identical bodies would get their occurrence numbers at random.
    """
    client = openai.AsyncOpenAI(
        base_url=base_url,
        api_key=api_key,
        http_client=openai.DefaultAsyncHttpxClient(transport=AsyncTransport(sync=transport)),
        max_retries=max_retries,
    )
    resolve = getattr(openai_base_client, "get_platform", None)
    if getattr(client, "_platform", "") is None and callable(resolve):
        client._platform = resolve()
    return client


class _Borrowed(httpx.BaseTransport):
    """A shared connection pool lent to a case: closing a case's client leaves it open."""

    def __init__(self, inner: httpx.HTTPTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


class AsyncTransport(httpx.AsyncBaseTransport):
    """The async front of a case's sync transport: one record/replay core for both.

    The key (and so the occurrence number of identical bodies) is taken in the event loop,
    in the order the application sent its requests; only the network wait of record and
    live modes runs in a thread, so concurrent requests stay concurrent.
    """

    def __init__(self, *, sync: httpx.BaseTransport) -> None:
        self.sync = sync

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        handle: Callable[[], httpx.Response]
        if isinstance(self.sync, ReplayTransport | RecordingTransport):
            key: RequestKey = self.sync.key_for(request)
            keyed: Keyed = self.sync
            handle = lambda: keyed.handle_keyed(request, key)  # noqa: E731
        else:
            handle = lambda: self.sync.handle_request(request)  # noqa: E731
        if isinstance(self.sync, ReplayTransport):
            return handle()  # a file read: no network wait to overlap
        return _async_safe(await asyncio.to_thread(handle))

    async def aclose(self) -> None:
        self.sync.close()


def _async_safe(response: httpx.Response) -> httpx.Response:
    """``response`` with a body an async client can read (a live reply was read in a thread:
    its decoded bytes, without the encoding headers that no longer apply)."""
    if isinstance(response.stream, httpx.AsyncByteStream):
        return response
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=response.content, request=response.request
    )

"""A case's SDK clients (sync and async) on its record/replay transports.

The one place a record mode becomes a composition of transports (:meth:`ClientFactory.plans`,
:meth:`ClientFactory.transport`). Each case-attempt gets its own clients around its own
:class:`Attempt`; what cases share is immutable or thread-safe: the recordings store and one
connection pool per provider. So one runner can run cases concurrently, and an application
under test gets a client (or an ``AsyncOpenAI``) that is its case's alone.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import openai
from openai import _base_client as openai_base_client

from harness.engine.attempt import Attempt, Plan
from harness.engine.outbound import Outbound
from harness.replay.store import RecordingStore
from harness.replay.transports import (
    AsyncTransport,
    Keyer,
    Keying,
    LiveTransport,
    RecordTransport,
    ReplayOrRecord,
    ReplayTransport,
)
from harness.spec.providers import Provider
from harness.spec.settings import RecordMode, Settings
from harness.util.httplib import httpx


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

    def plans(self, *, stateful: bool) -> tuple[Plan, ...]:
        """The plans of a case's attempts, tried in order while requests miss.

        In record-missing, a stateful scenario is recorded as a unit: it first runs from
        recordings only and, if any request misses, runs again all sent and recorded, so the
        server ids that later requests carry always match the recordings.
        """
        match self.settings.record_mode:
            case RecordMode.REPLAY:
                return (Plan.REPLAY,)
            case RecordMode.LIVE:
                return (Plan.LIVE,)
            case RecordMode.REWRITE:
                return (Plan.RECORD,)
        return (Plan.REPLAY, Plan.RECORD) if stateful else (Plan.REPLAY_OR_RECORD,)

    def transport(self, provider: Provider, attempt: Attempt) -> httpx.BaseTransport:
        """The sync transport of one attempt: its plan's composition behind a keying front."""
        return self._core(provider, attempt)[0]

    def client(self, provider: Provider, attempt: Attempt) -> openai.OpenAI:
        """A new ``OpenAI`` client answering through ``attempt``."""
        outbound = self._outbound(provider)
        return openai.OpenAI(
            base_url=outbound.client_base_url,
            api_key=outbound.client_api_key,
            http_client=openai.DefaultHttpxClient(transport=self.transport(provider, attempt)),
            max_retries=self._max_retries(attempt),
        )

    def async_client(self, provider: Provider, attempt: Attempt) -> openai.AsyncOpenAI:
        """A new ``AsyncOpenAI`` client answering through ``attempt`` (the same core)."""
        outbound = self._outbound(provider)
        core, keyer = self._core(provider, attempt)
        front = AsyncTransport(sync=core, keyer=keyer, inline=self._plan(attempt) is Plan.REPLAY)
        return async_openai(
            base_url=outbound.client_base_url,
            api_key=outbound.client_api_key,
            transport=front,
            max_retries=self._max_retries(attempt),
        )

    def _core(
        self, provider: Provider, attempt: Attempt
    ) -> tuple[httpx.BaseTransport, Keyer | None]:
        outbound = self._outbound(provider)
        plan, log, scope = self._plan(attempt), attempt.log, attempt.scope
        if plan is Plan.LIVE:
            live = LiveTransport(inner=self._pool(provider), log=log, before_send=outbound.check)
            return live, None

        def record(*, replace: bool) -> RecordTransport:
            return RecordTransport(
                store=self.store,
                inner=self._pool(provider),
                scope=scope,
                log=log,
                base_url=outbound.client_base_url,
                recorded_base_url=provider.recorded_base_url(),
                replace=replace,
                before_send=outbound.check,
            )

        core: httpx.BaseTransport
        if plan is Plan.RECORD:
            core = record(replace=True)
        else:
            core = ReplayTransport(store=self.store, scope=scope, log=log)
            if plan is Plan.REPLAY_OR_RECORD:
                core = ReplayOrRecord(replay=core, record=record(replace=False))
        keyer = Keyer(
            provider=provider.id,
            base_url=outbound.client_base_url,
            scope=scope.scope,
            occurrences=attempt.occurrences,
        )
        return Keying(keyer=keyer, inner=core, log=log), keyer

    def _plan(self, attempt: Attempt) -> Plan:
        return attempt.plan or self.plans(stateful=False)[0]

    def _max_retries(self, attempt: Attempt) -> int:
        # Replay answers instantly and deterministically: a retry would only hide a miss.
        return 0 if self._plan(attempt) is Plan.REPLAY else 2

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
    *, base_url: str, api_key: str, transport: httpx.AsyncBaseTransport, max_retries: int
) -> openai.AsyncOpenAI:
    """An ``AsyncOpenAI`` client on ``transport`` (an :class:`AsyncTransport`).

    Its platform is resolved now: the SDK would otherwise resolve it in a worker thread on
    the client's first request(s), so that concurrent first requests reach the transport in
    thread-scheduling order and identical bodies would get their occurrence numbers at random.
    """
    client = openai.AsyncOpenAI(
        base_url=base_url,
        api_key=api_key,
        http_client=openai.DefaultAsyncHttpxClient(transport=transport),
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


__all__ = ["ClientFactory", "async_openai"]

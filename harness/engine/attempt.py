"""One attempt at a case: what its transports are told, how they answer, what they log, and
the SDK clients that answer through it."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from harness.replay.transports import CallLog, CallScope, Occurrences

if TYPE_CHECKING:
    import openai

    from harness.engine.clients import ClientFactory
    from harness.engine.matrix import Case
    from harness.spec.providers import Provider


class Plan(Enum):
    """Which composition of transports answers an attempt's requests."""

    REPLAY = "replay"  # recordings only; a miss fails
    RECORD = "record"  # every request sent and recorded, replacing what was there
    REPLAY_OR_RECORD = "replay-or-record"  # recordings first; a miss is sent and recorded
    LIVE = "live"  # every request sent; nothing recorded


@dataclass(frozen=True)
class Attempt:
    """One attempt at a case: what its transports are told (``scope``), how they answer
    (``plan``; None: as the record mode says), and where they write back (``log``).

    ``occurrences`` is its keying's count of identical requests, shared by its clients.
    """

    scope: CallScope = field(default_factory=CallScope)
    plan: Plan | None = None
    log: CallLog = field(default_factory=CallLog)
    occurrences: Occurrences = field(default_factory=Occurrences)


def record_hint(test_id: str, provider: Provider) -> str:
    """The command that records what ``test_id`` misses."""
    hint = f"pytest {shlex.quote(test_id)} --harness-record-mode=record-missing"
    if provider.api_key_env:
        hint += f"  (needs {provider.api_key_env})"
    return hint


def case_scope(case: Case, *, test_id: str, where: Callable[[], str]) -> CallScope:
    """What the transports of an attempt at ``case`` are told."""
    scope, fallback = case.scenario.recording_scope(case.id)
    return CallScope(
        test_id=test_id,
        record_hint=record_hint(test_id, case.column.provider),
        scope=scope,
        shared_fallback=fallback,
        where=where,
    )


class StepCursor:
    """Where a case is, for miss messages: the runner moves it, the transports only ask."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.index: int | None = None

    def move(self, index: int) -> None:
        """The case is now at step ``index``."""
        self.index = index

    def __call__(self) -> str:
        if self.index is None:
            return ""
        scenario = self.case.scenario
        return (
            f"{scenario.path}:{scenario.step_line(self.index)}: {scenario.id} "
            f"[{self.case.id}], step {self.index + 1}"
        )


class CaseClients:
    """The SDK clients of one attempt, made on demand and closed together when it ends."""

    def __init__(self, *, factory: ClientFactory, provider: Provider, attempt: Attempt) -> None:
        self.factory = factory
        self.provider = provider
        self.attempt = attempt
        self._sync: list[openai.OpenAI] = []
        self._async: list[openai.AsyncOpenAI] = []
        self._closing: set[asyncio.Task[None]] = set()  # kept until done (the loop won't)

    @property
    def log(self) -> CallLog:
        """What the attempt's transports wrote back."""
        return self.attempt.log

    def sync(self) -> openai.OpenAI:
        """A new ``OpenAI`` client of this attempt."""
        self._sync.append(self.factory.client(self.provider, self.attempt))
        return self._sync[-1]

    def asynchronous(self) -> openai.AsyncOpenAI:
        """A new ``AsyncOpenAI`` client of this attempt."""
        self._async.append(self.factory.async_client(self.provider, self.attempt))
        return self._async[-1]

    def close(self) -> None:
        """Close every client made (their transports; the shared pools stay open)."""
        for client in self._sync:
            client.close()
        for aclient in self._async:
            # Its transport holds no loop-bound resource: any loop may close it.
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                asyncio.run(aclient.close())
            else:  # called from a coroutine: closed in its loop, right after
                task = loop.create_task(aclient.close())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
        self._sync.clear()
        self._async.clear()


__all__ = ["Attempt", "CaseClients", "Plan", "StepCursor", "case_scope", "record_hint"]

"""What a case-attempt tells its transports (:class:`CallScope`, frozen) and what they tell it
back (:class:`CallLog`, append-only): two one-way channels instead of one shared bag.

The runner creates both per case-attempt; the transports never read anything the runner
writes during the attempt, and the runner reads the log only when the attempt ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.replay.calls import Call
from harness.util.httplib import httpx

Answer = Literal["replayed", "recorded", "live"]


def _nowhere() -> str:
    return ""


@dataclass(frozen=True)
class CallScope:
    """Who is asking, for keys and messages: set once per case-attempt, never changed.

    ``where`` is a callable because the step changes while the case runs: the runner owns
    the cursor it reads (a miss message asks it where the case is when the miss happens).
    """

    test_id: str = ""
    record_hint: str = ""
    scope: str = ""  # set for stateful and per-test scenarios: see RequestKey.scope
    # Per-test chat scenarios: a request with no recording of its own may use the shared one.
    shared_fallback: bool = False
    where: Callable[[], str] = _nowhere


@dataclass(frozen=True)
class _Answered:
    call: Call
    how: Answer
    source: Path | None


class CallLog:
    """Every request of one case-attempt, appended by its transports as it is answered.

    One per case-attempt, never shared between cases; its own lock covers the requests one
    case sends concurrently (an async application's network waits run in threads).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answered: list[_Answered] = []
        self._misses: list[str] = []
        self._waits: list[float] = []
        self._requests = 0  # requests started; the last one may be unanswered yet
        self._last_answered_request = 0

    def requested(self) -> None:
        """A request is on its way (so :attr:`last_source` no longer names its answer)."""
        with self._lock:
            self._requests += 1

    def answered(
        self,
        request: httpx.Request,
        *,
        status: int,
        content: bytes,
        stream: bool,
        how: Answer,
        source: Path | None = None,
    ) -> None:
        """Keep the exchange (parsed only when read) and what answered it."""
        call = Call(
            method=request.method,
            url=str(request.url),
            request_bytes=request.content,
            status=status,
            response_bytes=content,
            streamed=stream,
        )
        with self._lock:
            self._answered.append(_Answered(call=call, how=how, source=source))
            self._last_answered_request = self._requests

    def waited(self, seconds: float) -> None:
        """Time spent waiting for the provider."""
        with self._lock:
            self._waits.append(seconds)

    def missed(self, message: str) -> None:
        """A request no recording answered (the application may swallow the SDK's error:
        the miss still fails its test)."""
        with self._lock:
            self._misses.append(message)

    @property
    def calls(self) -> tuple[Call, ...]:
        """Every request answered, in order."""
        with self._lock:
            return tuple(entry.call for entry in self._answered)

    @property
    def misses(self) -> tuple[str, ...]:
        """Every miss's message, in order."""
        with self._lock:
            return tuple(self._misses)

    @property
    def replayed(self) -> int:
        """How many requests recordings answered."""
        return self._count("replayed")

    @property
    def recorded(self) -> int:
        """How many requests were sent and recorded."""
        return self._count("recorded")

    @property
    def latency(self) -> float:
        """Seconds spent waiting for the provider, summed."""
        with self._lock:
            return sum(self._waits)

    @property
    def last_source(self) -> Path | None:
        """The recording that answered the last request, if it was answered by one."""
        with self._lock:
            if not self._answered or self._last_answered_request != self._requests:
                return None
            return self._answered[-1].source

    def mode(self, *, live: bool) -> Answer:
        """How this attempt's requests were answered: ``replayed``, ``recorded`` or ``live``."""
        if live:
            return "live"
        return "recorded" if self.recorded else "replayed"

    def _count(self, how: Answer) -> int:
        with self._lock:
            return sum(1 for entry in self._answered if entry.how == how)


__all__ = ["Answer", "CallLog", "CallScope"]

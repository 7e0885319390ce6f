"""The ``llm`` fixture's object: one case's SDK clients, model and inner calls."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from harness.engine.attempt import Attempt, record_hint
from harness.replay.calls import Call, render_calls
from harness.replay.transports import CallLog, CallScope

if TYPE_CHECKING:
    import openai

    from harness.engine.matrix import Case
    from harness.engine.runner import Runner


class LLM:
    """What a test of an application gets for one column of the matrix.

    Hand :attr:`client` (or :attr:`async_client`) and :attr:`model` to the application: every
    request it makes through them is recorded or replayed like a scenario's, and kept in
    :attr:`calls`. An application that builds its own ``OpenAI()`` is out of reach: it must
    accept a client.
    """

    def __init__(self, *, case: Case, runner: Runner, test_id: str) -> None:
        self.case = case
        self.runner = runner
        provider = case.column.provider
        hint = record_hint(test_id, provider)
        scope = CallScope(test_id=test_id, record_hint=hint, where=lambda: test_id)
        self.clients = runner.clients_for(provider, Attempt(scope=scope))

    @property
    def model(self) -> str:
        """The model id to send (the column's ``api_model``)."""
        return self.case.column.api_model

    @property
    def column(self) -> str:
        """``provider/model``: the matrix column this test runs against."""
        return self.case.column.id

    @cached_property
    def client(self) -> openai.OpenAI:
        """An ``openai.OpenAI`` client for this test's column."""
        return self.clients.sync()

    @cached_property
    def async_client(self) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` client for this test's column (the same recordings)."""
        return self.clients.asynchronous()

    @property
    def log(self) -> CallLog:
        """What this test's requests did: calls, misses, how they were answered."""
        return self.clients.log

    @property
    def calls(self) -> list[Call]:
        """Every request the application sent through these clients, with its reply."""
        return list(self.log.calls)

    @property
    def transcript(self) -> str:
        """The calls as readable text (secrets redacted): compare it with syrupy's
        ``snapshot``."""
        return self.runner.scanner.redact(render_calls(self.log.calls))

    def usage(self) -> dict[str, int] | None:
        """Token counts summed over every reply that reported them."""
        return calls_usage(self.log.calls)

    def close(self) -> None:
        """Close this test's clients (the connection pools they borrow stay open)."""
        self.clients.close()


def calls_usage(calls: list[Call] | tuple[Call, ...]) -> dict[str, int] | None:
    """Prompt and completion tokens over ``calls`` (None if no reply reported usage)."""
    totals = {"prompt_tokens": 0, "completion_tokens": 0}
    seen = False
    for call in calls:
        events = call.response if isinstance(call.response, list) else [call.response]
        for event in events:
            usage = _usage_of(event)
            if usage is not None:
                seen = True
                totals["prompt_tokens"] += _int(usage, "prompt_tokens", "input_tokens")
                totals["completion_tokens"] += _int(usage, "completion_tokens", "output_tokens")
    return totals if seen else None


def _usage_of(event: Any) -> dict[str, Any] | None:
    if not isinstance(event, dict):
        return None
    usage = event.get("usage")
    if usage is None and isinstance(event.get("response"), dict):  # responses.completed
        usage = event["response"].get("usage") if event.get("type", "").endswith("d") else None
    return usage if isinstance(usage, dict) else None


def _int(usage: dict[str, Any], *names: str) -> int:
    for name in names:
        if isinstance(usage.get(name), int):
            return int(usage[name])
    return 0

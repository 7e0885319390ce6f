"""Running cases: one OpenAI client per provider, wired to record/replay transports."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

import openai

from harness.engine.attempt import Attempt, CaseClients, StepCursor, case_scope
from harness.engine.checks import evaluate, overruled
from harness.engine.clients import ClientFactory
from harness.engine.drivers.base import Driver
from harness.engine.drivers.chat import ChatDriver
from harness.engine.drivers.responses import ResponsesDriver
from harness.engine.matrix import Case
from harness.engine.outbound import REPLAY_API_KEY
from harness.engine.target import TargetDriver
from harness.engine.transcript import StepResult, Transcript
from harness.errors import (
    ConfigError,
    ExpectationError,
    ExpectationFailed,
    HarnessError,
    MalformedReplyError,
    RecordingMissError,
    StreamContractError,
)
from harness.replay.secrets import SecretScanner
from harness.replay.store import RecordingStore
from harness.replay.transports import shown
from harness.spec.providers import Provider
from harness.spec.settings import RecordMode, Settings
from harness.util.jsondiff import diff_paths

__all__ = ["REPLAY_API_KEY", "Runner"]


class Runner:
    """Runs cases against their providers under one set of :class:`Settings`."""

    def __init__(
        self,
        *,
        settings: Settings,
        env: Mapping[str, str] | None = None,
        scanner: SecretScanner | None = None,
    ) -> None:
        self.settings = settings
        self.env = os.environ if env is None else env
        # The session's policy (its allowlist, every provider's key), or one of its own.
        self.scanner = scanner or SecretScanner(env=self.env)
        self.store = RecordingStore(root=settings.recordings_dir, scanner=self.scanner)
        self.clients = ClientFactory(settings=settings, store=self.store, env=self.env)

    def clients_for(self, provider: Provider, attempt: Attempt) -> CaseClients:
        """The SDK clients of one attempt at a case on ``provider`` (made on demand)."""
        self.scanner.watch(provider.api_key_env)
        self.scanner.watch_url(provider.base_url_as_given(self.env))
        return CaseClients(factory=self.clients, provider=provider, attempt=attempt)

    def client_for(
        self, provider: Provider, attempt: Attempt | None = None
    ) -> tuple[openai.OpenAI, Attempt]:
        """A new SDK client for ``provider`` and the attempt it answers through (a fresh
        one unless given): one per case, so cases never share what their transports write."""
        attempt = Attempt() if attempt is None else attempt
        return self.clients_for(provider, attempt).sync(), attempt

    def close(self) -> None:
        """Close the connection pools the cases' clients share."""
        self.clients.close()

    def run(self, case: Case, *, test_id: str) -> Transcript:
        """Run every step of ``case`` until one fails; the transcript says what happened.

        A case is tried once per plan the factory gives (:meth:`ClientFactory.plans`: two
        for a stateful scenario in record-missing) until an attempt has no miss.
        """
        transcript: Transcript | None = None
        for plan in self.clients.plans(stateful=case.scenario.stateful):
            # A new attempt (clients, log, occurrences) each time: nothing carries over.
            cursor = StepCursor(case)
            attempt = Attempt(scope=case_scope(case, test_id=test_id, where=cursor), plan=plan)
            transcript = self._attempt(case, attempt=attempt, cursor=cursor)
            if not transcript.missing:
                break
        assert transcript is not None  # plans() is never empty
        return transcript

    def _attempt(self, case: Case, *, attempt: Attempt, cursor: StepCursor) -> Transcript:
        try:
            clients = self.clients_for(case.column.provider, attempt)
            client = clients.sync()
        except ConfigError as exc:  # one line, no traceback: e.g. a key or base_url problem
            return Transcript(case=case, steps=(), failure=str(exc))
        try:
            return self._steps(case, clients=clients, client=client, cursor=cursor)
        finally:
            clients.close()  # the case's clients, not the pools they borrow

    def _steps(
        self, case: Case, *, clients: CaseClients, client: openai.OpenAI, cursor: StepCursor
    ) -> Transcript:
        scenario, log = case.scenario, clients.log
        results: list[StepResult] = []
        failure: str | None = None
        missing = departure = False
        try:
            driver: Driver = (
                TargetDriver(case=case, clients=clients)
                if scenario.target
                else driver_for(case, client)
            )
            for result in driver.steps(on_step=cursor.move):
                saved = getattr(driver, "saved", None)
                results.append(evaluate(scenario.steps[result.index], result, saved=saved))
                self.check(case, results[-1])
            if case.variant == "stream" and any(
                e.kind == "same_as_nonstream" for step in scenario.steps for e in step.expect
            ):
                self.check_same_as_nonstream(case, results, client=client)
        except RecordingMissError as exc:
            failure, missing = str(exc), True
        except ExpectationFailed as exc:
            failure, departure = str(exc), True
        except (MalformedReplyError, StreamContractError) as exc:
            failure = str(exc)
            if log.last_source:
                failure += f"\n  answered by: {shown(log.last_source)}"
        except HarnessError as exc:
            failure = str(exc)
        return Transcript(
            case=case,
            steps=tuple(results),
            failure=failure,
            missing=missing,
            departure=departure,
            mode=log.mode(live=self.settings.record_mode is RecordMode.LIVE),
            latency=log.latency if self.settings.record_mode.reaches_network else None,
            usage=_usage(results),
            calls=log.calls,
        )

    def check_same_as_nonstream(
        self, case: Case, results: list[StepResult], *, client: openai.OpenAI
    ) -> None:
        """Run the ``nostream`` twin of a ``stream`` case and compare the assembled replies
        (a difference is recorded on the step's check result, then raised)."""
        twin = driver_for(replace(case, variant="nostream"), client)
        pairs = zip(list(results), twin.steps(), strict=False)
        for position, (streamed, plain) in enumerate(pairs):
            step = case.scenario.steps[streamed.index]
            for number, expectation in enumerate(step.expect):
                if expectation.kind != "same_as_nonstream":
                    continue
                changes = diff_paths(reply_summary(plain), reply_summary(streamed))
                if changes:
                    reason = "the streamed reply differs from the non-streamed one: " + "; ".join(
                        changes[:5]
                    )
                    results[position] = overruled(streamed, number, reason=reason)
                    raise ExpectationFailed(
                        failure_message(case, streamed, reason=reason, expectation=number)
                    )

    def check(self, case: Case, result: StepResult) -> None:
        """Raise :class:`ExpectationError` for the step's first failing expectation, as decided
        on ``result`` (:func:`~harness.engine.checks.evaluate`)."""
        scenario = case.scenario
        step = scenario.steps[result.index]
        # A provider error the step did not expect comes first: it is never a known departure,
        # whatever the step's other expectations would say about the missing reply.
        if result.error is not None and not any(e.kind == "error" for e in step.expect):
            raise ExpectationError(
                failure_message(case, result, reason=f"provider error: {result.error.describe()}")
            )
        for number, check in enumerate(result.checks):
            if not check.ok:
                raise ExpectationFailed(
                    failure_message(case, result, reason=str(check.reason), expectation=number)
                )


def driver_for(case: Case, client: openai.OpenAI) -> Driver:
    """The driver of the scenario's API."""
    if case.scenario.api == "responses":
        return ResponsesDriver(client=client, case=case)
    return ChatDriver(client=client, case=case)


def _usage(results: list[StepResult]) -> dict[str, int] | None:
    """Token counts summed over every reply that reported them."""
    totals = {"prompt_tokens": 0, "completion_tokens": 0}
    seen = False
    for result in results:
        for exchange in result.exchanges:
            usage = getattr(exchange.reply, "usage", None)
            if usage is not None:
                seen = True
                # chat: prompt/completion_tokens; responses: input/output_tokens
                totals["prompt_tokens"] += _tokens(usage, "prompt_tokens", "input_tokens")
                totals["completion_tokens"] += _tokens(usage, "completion_tokens", "output_tokens")
    return totals if seen else None


def _tokens(usage: object, *names: str) -> int:
    for name in names:
        value = getattr(usage, name, None)
        if isinstance(value, int):
            return value
    return 0


def reply_summary(result: StepResult) -> dict[str, object]:
    """What must match between a streamed and a non-streamed reply."""
    return {
        "content": result.text,
        "finish_reason": result.finish_reason,
        "tool_calls": [(c.name, c.arguments) for c in result.tool_calls],
        "error": result.error.status if result.error else None,
    }


def failure_message(
    case: Case, result: StepResult, *, reason: str, expectation: int | None = None
) -> str:
    """The multi-line report of a failed step: where, what was expected, what came back."""
    scenario = case.scenario
    step = scenario.steps[result.index]
    lines = [
        f"{scenario.path}:{scenario.step_line(result.index)}: scenario {scenario.id!r} "
        f"[{case.id}], step {result.index + 1}: {reason}"
    ]
    if expectation is not None:
        line = scenario.expect_line(result.index, expectation)
        lines.append(
            f"  expectation ({scenario.path}:{line}): {step.expect[expectation].describe()}"
        )
    if result.reply is not None:
        lines.append(f"  reply (finish_reason={result.finish_reason}): {result.text!r}")
        for call in result.tool_calls:
            lines.append(f"  tool call: {call.name}({call.arguments})")
    return "\n".join(lines)

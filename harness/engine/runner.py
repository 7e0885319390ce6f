"""Running cases: one OpenAI client per provider, wired to record/replay transports."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import replace

import openai

from harness.engine.checks import evaluate, overruled
from harness.engine.clients import ClientFactory
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
from harness.replay.transport import CallContext, shown
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

    def client_for(
        self, provider: Provider, context: CallContext | None = None
    ) -> tuple[openai.OpenAI, CallContext]:
        """A new SDK client for ``provider`` and the context its transport reads (a fresh
        one unless given): one per case, so cases never share what their transports write."""
        self.scanner.watch(provider.api_key_env)
        self.scanner.watch_url(provider.base_url_as_given(self.env))
        context = CallContext() if context is None else context
        return self.clients.client(provider, context), context

    def async_client_for(self, provider: Provider, context: CallContext) -> openai.AsyncOpenAI:
        """A new ``AsyncOpenAI`` client for ``provider`` answering through ``context``."""
        self.scanner.watch(provider.api_key_env)
        self.scanner.watch_url(provider.base_url_as_given(self.env))
        return self.clients.async_client(provider, context)

    def close(self) -> None:
        """Close the connection pools the cases' clients share."""
        self.clients.close()

    def run(self, case: Case, *, test_id: str) -> Transcript:
        """Run every step of ``case`` until one fails; the transcript says what happened.

        In ``record-missing``, a stateful scenario is recorded as a unit: it first runs from
        recordings only, and if any request misses, the whole scenario runs again live, so the
        server ids that later requests carry always match the recordings.
        """
        scenario = case.scenario
        scope, fallback = scenario.recording_scope(case.id)
        unit = scenario.stateful and self.settings.record_mode is RecordMode.RECORD_MISSING
        # A new context (and client) per attempt: nothing carries over but what is passed.
        first = CallContext(
            test_id=test_id, scope=scope, shared_fallback=fallback, replay_only=unit
        )
        transcript = self._attempt(case, context=first)
        if unit and transcript.missing:
            again = CallContext(
                test_id=test_id, scope=scope, shared_fallback=fallback, force_live=True
            )
            transcript = self._attempt(case, context=again)
        return transcript

    def _attempt(self, case: Case, *, context: CallContext) -> Transcript:
        try:
            client, _ = self.client_for(case.column.provider, context)
        except ConfigError as exc:  # one line, no traceback: e.g. a key or base_url problem
            return Transcript(case=case, steps=(), failure=str(exc))
        scenario = case.scenario
        context.record_hint = (
            f"pytest {shlex.quote(context.test_id)} --harness-record-mode=record-missing"
        )
        if case.column.provider.api_key_env:
            context.record_hint += f"  (needs {case.column.provider.api_key_env})"
        results: list[StepResult] = []

        def on_step(index: int) -> None:
            context.where = (
                f"{scenario.path}:{scenario.step_line(index)}: {scenario.id} [{case.id}], "
                f"step {index + 1}"
            )

        failure: str | None = None
        missing = departure = False
        try:
            driver = (
                TargetDriver(case=case, runner=self, context=context)
                if scenario.target
                else driver_for(case, client)
            )
            for result in driver.steps(on_step=on_step):
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
            if context.last_source:
                failure += f"\n  answered by: {shown(context.last_source)}"
        except HarnessError as exc:
            failure = str(exc)
        return Transcript(
            case=case,
            steps=tuple(results),
            failure=failure,
            missing=missing,
            departure=departure,
            mode=context.mode(live=self.settings.record_mode is RecordMode.LIVE),
            latency=context.latency if self.settings.record_mode.reaches_network else None,
            usage=_usage(results),
            calls=tuple(context.calls),
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


def driver_for(case: Case, client: openai.OpenAI) -> ChatDriver | ResponsesDriver:
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

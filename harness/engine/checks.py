"""Checks: deciding a step's expectations (modelled in :mod:`harness.spec.expect`) on its result,
once, with the kinds' checks of :mod:`harness.engine.check_kinds`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.engine.check_kinds import CHECKS
from harness.engine.refs import resolve
from harness.engine.transcript import CheckResult, StepResult
from harness.spec.expect import Expectation
from harness.spec.scenario import Step


def failure_text(
    expectation: Expectation, result: StepResult, *, saved: dict[str, Any] | None = None
) -> str | None:
    """The reason ``expectation`` fails on ``result``, or None when it holds.

    A step that ended in an unexpected provider error fails every expectation but ``error``.
    ``${name.path}`` references in text and mapping values resolve against ``saved``.
    """
    kind = expectation.kind
    if result.error is not None and kind != "error":
        return f"the provider answered with an error: {result.error.describe()}"
    check = CHECKS.get(kind)
    if check is None:  # checked elsewhere (e.g. same_as_nonstream, by the runner)
        return None
    value = expectation.value
    if saved and isinstance(value, str | dict):
        value = resolve(value, saved)
    return check(value, result)


def evaluate(step: Step, result: StepResult, *, saved: dict[str, Any] | None = None) -> StepResult:
    """``result`` with each of ``step``'s expectations decided, in order: the one evaluation
    that the test verdict, snapshots and reports all read (``saved`` resolves references)."""
    checks = []
    for expectation in step.expect:
        reason = failure_text(expectation, result, saved=saved)
        checks.append(
            CheckResult(expectation=expectation.describe(), ok=reason is None, reason=reason)
        )
    return replace(result, checks=tuple(checks))


def overruled(result: StepResult, number: int, *, reason: str) -> StepResult:
    """``result`` with its expectation ``number`` failed for ``reason`` (a check the runner
    makes itself, e.g. ``same_as_nonstream``, which needs a second run)."""
    checks = list(result.checks)
    checks[number] = replace(checks[number], ok=False, reason=reason)
    return replace(result, checks=tuple(checks))

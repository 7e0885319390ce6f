"""What a JSON run report may hold: the models ``harness report merge`` validates records with.

A hand-edited or foreign report must fail on load, naming its bad field, rather than deep in the
renderers with a traceback (``"line": "<script>"``, ``"tags": 5``, ``"steps": "abc"``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from harness.errors import HarnessError
from harness.spec.model import StrictModel

Outcome = Literal["passed", "failed", "skipped", "xfailed", "missing", "error", "crashed"]


class _Model(StrictModel):
    # Unknown keys pass (a newer harness may add some); known keys must have their type.
    model_config = ConfigDict(extra="allow", frozen=False)


class CheckRecord(_Model):
    """One expectation of a step and whether it held."""

    expectation: str | None = None
    ok: bool | None = None
    reason: str | None = None


class ToolCallRecord(_Model):
    """A tool call the model made."""

    name: str | None = None
    arguments: Any = None


class ErrorRecord(_Model):
    """A provider error a step got."""

    status: int | None = None
    message: str | None = None


class StepRecord(_Model):
    """One step: what was sent, what came back, which expectations held."""

    index: int | None = None
    sent: list[dict[str, Any]] = Field(default_factory=list)
    reply: str | None = None
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    finish_reason: str | None = None
    error: ErrorRecord | None = None
    expectations: list[CheckRecord] = Field(default_factory=list)


class CallRecord(_Model):
    """One inner request of an application's test and its reply (see ``Call.to_record``)."""

    method: str | None = None
    endpoint: str | None = None
    status: int | None = None
    streamed: bool | None = None
    request: Any = None
    reply: str | None = None
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)


class RunRecord(_Model):
    """One test item of a run (see :func:`harness.outputs.records.build_record`)."""

    nodeid: str
    file: str | None = None
    line: int | None = None
    scenario: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    column: str | None = None
    provider: str | None = None
    model: str | None = None
    variant: Literal["stream", "nostream"] | None = None
    outcome: Outcome | None = None
    skip_reason: str | None = None
    failure: str | None = None
    duration: float | None = None
    mode: str | None = None
    latency: float | None = None
    usage: dict[str, int] | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    calls: list[CallRecord] = Field(default_factory=list)
    snapshot_diff: str | None = None


class ReportDocument(_Model):
    """The top level of a JSON report."""

    harness_report: int
    records: list[RunRecord]


def check_report(data: Any, *, source: str) -> None:
    """Raise :class:`HarnessError` naming the first bad field of a report document."""
    try:
        ReportDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        count = exc.error_count()
        more = f" (and {count - 1} more problem{'s' if count > 2 else ''})" if count > 1 else ""
        raise HarnessError(
            f"{source}: not a valid harness report: {where.lstrip('.')}: {first['msg']}{more}"
        ) from None
    except RecursionError:
        raise HarnessError(f"{source}: not a valid harness report: nested too deeply") from None

"""One report record per test item, built from its transcript (see :mod:`.report`)."""

from __future__ import annotations

import json
from typing import Any

from harness.engine.matrix import Case
from harness.engine.transcript import StepResult, Transcript


def build_record(
    *,
    nodeid: str,
    case: Case,
    outcome: str,
    duration: float,
    transcript: Transcript | None,
    failure: str | None,
    skip_reason: str | None,
    snapshot_diff: str | None = None,
    steps: bool = True,
) -> dict[str, Any]:
    """The JSON-ready record of one item: where it is, how it ended, what was said.
    ``snapshot_diff`` is how its transcript differed from its snapshot (None: it did not)."""
    scenario = case.scenario
    column = case.column
    if transcript is not None and transcript.missing and outcome == "failed":
        outcome = "missing"
    return {
        "nodeid": nodeid,
        "file": scenario.path,
        "line": scenario.line,
        "scenario": scenario.id,
        "description": scenario.description,
        "tags": list(scenario.tags),
        "column": column.id,
        "provider": column.provider.id,
        "model": column.model,
        "variant": case.variant,
        "outcome": outcome,
        "skip_reason": skip_reason,
        "failure": failure,
        "duration": round(duration, 4),
        "mode": transcript.mode if transcript else "replayed",
        "latency": round(transcript.latency, 4) if transcript and transcript.latency else None,
        "usage": transcript.usage if transcript else None,
        "steps": [_step(case, r) for r in transcript.steps] if transcript and steps else [],
        # The application's inner requests and replies (Python tests and targets).
        "calls": [c.to_record() for c in transcript.calls] if transcript and steps else [],
        "snapshot_diff": snapshot_diff,
    }


def _step(case: Case, result: StepResult) -> dict[str, Any]:
    # As the run decided them (references resolved): never evaluated a second time here.
    checks = [{"expectation": c.expectation, "ok": c.ok, "reason": c.reason} for c in result.checks]
    error = result.error
    return {
        "index": result.index + 1,
        "sent": [dict(m) for e in result.exchanges for m in e.sent],
        "reply": result.text if result.reply is not None else None,
        "tool_calls": [
            {"name": c.name, "arguments": _json(c.arguments)} for c in result.tool_calls
        ],
        "finish_reason": result.finish_reason,
        "error": {"status": error.status, "message": error.message} if error else None,
        "expectations": checks,
    }


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text

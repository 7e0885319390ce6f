"""Scripted tool results: what a step answers to the model's tool calls."""

from __future__ import annotations

import json

from harness.engine.transcript import ToolCall
from harness.errors import ExpectationError
from harness.spec.scenario import Step


def tool_result_content(step: Step, call: ToolCall, position: int) -> str:
    """The scripted result for ``call`` (by tool name, or by call order in a list) as text."""
    results = step.tool_results
    if isinstance(results, dict):
        if call.name not in results:
            raise ExpectationError(
                f"the model called tool {call.name!r} but tool_results has only: "
                f"{', '.join(results) or 'nothing'}"
            )
        value = results[call.name]
    else:
        assert results is not None
        if position >= len(results):
            raise ExpectationError(
                f"the model made tool call #{position + 1} ({call.name!r}) but tool_results "
                f"lists {len(results)}"
            )
        value = results[position]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

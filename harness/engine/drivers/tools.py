"""Scripted tool results: what a step answers to the model's tool calls, round after round."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from harness.engine.transcript import Exchange, ToolCall
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


Sent = TypeVar("Sent")


def tool_rounds(
    *,
    step: Step,
    max_rounds: int,
    first: Sent,
    send: Callable[[Sent], Exchange],
    answer: Callable[[Exchange, Sequence[tuple[ToolCall, str]]], Sent],
) -> tuple[Exchange, ...]:
    """Send ``first``, then, while the model calls tools and the step scripts their results,
    send ``answer(exchange, [(call, result), ...])``: the loop every API's driver shares.

    More than ``max_rounds`` rounds of tool calls is an :class:`ExpectationError`.
    """
    exchanges: list[Exchange] = []
    calls_seen = 0  # a list of tool_results answers calls in order, across rounds
    sent = first
    for _round in range(max_rounds + 1):
        exchange = send(sent)
        exchanges.append(exchange)
        calls = exchange.tool_calls
        if exchange.error is not None or not calls or step.tool_results is None:
            break
        if len(exchanges) > max_rounds:
            raise ExpectationError(
                f"the model still calls tools after max_tool_rounds={max_rounds}"
            )
        results = [(c, tool_result_content(step, c, calls_seen + i)) for i, c in enumerate(calls)]
        calls_seen += len(calls)
        sent = answer(exchange, results)
    return tuple(exchanges)

"""Tests for harness.engine.drivers.tools: the one tool-round loop every driver uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from harness.engine.drivers.tools import tool_rounds
from harness.engine.transcript import Exchange, ToolCall
from harness.errors import ExpectationError
from harness.spec.scenario import Step


def calling(*names: str) -> Exchange:
    """An exchange whose reply calls ``names`` (no calls: a plain answer)."""
    calls = [
        {"id": f"c-{n}", "type": "function", "function": {"name": n, "arguments": "{}"}}
        for n in names
    ]
    message: dict[str, Any] = {"role": "assistant", "content": None if names else "done"}
    if calls:
        message["tool_calls"] = calls
    reply = ChatCompletion.model_validate(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }
    )
    return Exchange(sent=(), streamed=None, reply=reply)


def run(step: Step, replies: list[Exchange], *, max_rounds: int) -> tuple[list[Any], int]:
    sent: list[Any] = []

    def send(payload: Any) -> Exchange:
        sent.append(payload)
        return replies[len(sent) - 1]

    def answer(_exchange: Exchange, results: Sequence[tuple[ToolCall, str]]) -> Any:
        return [(call.name, content) for call, content in results]

    exchanges = tool_rounds(step=step, max_rounds=max_rounds, first="hi", send=send, answer=answer)
    return sent, len(exchanges)


def test_a_list_of_results_answers_calls_in_order_across_rounds() -> None:
    step = Step.model_validate({"user": "hi", "tool_results": ["one", {"two": 2}, "three"]})
    replies = [calling("a", "b"), calling("c"), calling()]
    sent, count = run(step, replies, max_rounds=5)
    assert count == 3
    assert sent == ["hi", [("a", "one"), ("b", '{"two": 2}')], [("c", "three")]]


def test_without_tool_results_the_step_ends_at_the_call() -> None:
    sent, count = run(Step.model_validate({"user": "hi"}), [calling("a")], max_rounds=5)
    assert (sent, count) == (["hi"], 1)


def test_more_rounds_than_max_tool_rounds_is_an_error() -> None:
    step = Step.model_validate({"user": "hi", "tool_results": {"a": "ok"}})
    with pytest.raises(ExpectationError, match="still calls tools after max_tool_rounds=2"):
        run(step, [calling("a")] * 3, max_rounds=2)

"""Tests for harness.engine.checks: every expectation kind, holding and failing, with its reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from harness.engine.checks import evaluate, failure_text, overruled
from harness.engine.transcript import Exchange, ProviderError, StepResult
from harness.spec.scenario import Expectation, Step


def tool_call(name: str, arguments: Any, call_id: str = "call_1") -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def reply(
    content: str | None = "The planet is Earth.",
    *,
    finish: str = "stop",
    tool_calls: list[dict[str, Any]] | None = None,
) -> ChatCompletion:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        }
    )


def result(*replies: ChatCompletion) -> StepResult:
    return StepResult(
        index=0, exchanges=tuple(Exchange(sent=(), streamed=None, reply=r) for r in replies)
    )


NOT_FOUND = ProviderError(
    kind="NotFoundError",
    message="Error code: 404 - The model `nope` does not exist",
    status=404,
    body={"message": "The model `nope` does not exist", "code": "model_not_found"},
)


def error_result(error: ProviderError = NOT_FOUND) -> StepResult:
    return StepResult(index=0, exchanges=(Exchange(sent=(), streamed=False, error=error),))


def check(expectation: dict[str, Any], step: StepResult) -> str | None:
    return failure_text(Expectation.model_validate(expectation), step)


# --- text expectations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expectation", "text", "reason"),
    [
        ({"contains": "Earth"}, "The planet is Earth.", None),
        ({"contains": "earth"}, "The planet is Earth.", "the reply does not contain 'earth'"),
        ({"icontains": "EARTH"}, "The planet is Earth.", None),
        ({"icontains": "strasse"}, "Die Straße", None),  # casefold, not just lower
        (
            {"icontains": "mars"},
            "The planet is Earth.",
            "the reply does not contain 'mars' (ignoring case)",
        ),
        ({"not_contains": "error"}, "all fine", None),
        ({"not_contains": "fine"}, "all fine", "the reply contains 'fine'"),
        ({"regex": r"\d+ moons"}, "Mars has 2 moons", None),  # search, not full match
        ({"regex": "^[^a-z]*$"}, "SATURN!", None),
        ({"regex": "^[^a-z]*$"}, "Saturn", "the reply does not match /^[^a-z]*$/"),
        ({"equals": "It is 21."}, "It is 21.", None),
        ({"equals": "It is 21"}, "It is 21.", "the reply is not exactly 'It is 21'"),
    ],
)
def test_text_expectations(expectation: dict[str, Any], text: str, reason: str | None) -> None:
    assert check(expectation, result(reply(text))) == reason


def test_text_of_a_reply_without_content_is_empty() -> None:
    step = result(reply(None, tool_calls=[tool_call("f", {})], finish="tool_calls"))
    assert step.text == ""
    assert check({"equals": ""}, step) is None
    assert check({"contains": "x"}, step) == "the reply does not contain 'x'"


def test_text_is_the_last_exchange_reply() -> None:
    step = result(reply("first", tool_calls=[tool_call("f", {})]), reply("second"))
    assert check({"equals": "second"}, step) is None
    assert check({"contains": "first"}, step) == "the reply does not contain 'first'"


@pytest.mark.parametrize(
    ("finish", "expected", "reason"),
    [
        ("stop", "stop", None),
        ("length", "stop", "finish_reason is 'length', not 'stop'"),
        ("tool_calls", "tool_calls", None),
    ],
)
def test_finish_reason(finish: str, expected: str, reason: str | None) -> None:
    assert check({"finish_reason": expected}, result(reply("x", finish=finish))) == reason


# --- tool calls ----------------------------------------------------------------------------


def test_tool_call_by_name() -> None:
    step = result(reply(None, tool_calls=[tool_call("get_weather", {"city": "Paris"})]))
    assert check({"tool_call": {"name": "get_weather"}}, step) is None
    assert check({"tool_call": {"name": "get_time"}}, step) == (
        "no call to tool 'get_time' (calls made: get_weather)"
    )


def test_tool_call_when_no_tool_was_called() -> None:
    assert check({"tool_call": {"name": "f"}}, result(reply("text"))) == (
        "no call to tool 'f' (calls made: none)"
    )


def test_tool_call_arguments_are_a_json_subset() -> None:
    args = {"city": "Paris", "units": "metric", "days": [1, 2]}
    step = result(reply(None, tool_calls=[tool_call("get_weather", args)]))
    assert (
        check({"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}, step) is None
    )
    assert check({"tool_call": {"name": "get_weather", "arguments": args}}, step) is None
    reason = check({"tool_call": {"name": "get_weather", "arguments": {"city": "Rome"}}}, step)
    assert reason == (
        f"tool 'get_weather' was called with {json.dumps(args)}, not with "
        + json.dumps({"city": "Rome"})
    )


def test_tool_call_any_matching_call_is_enough() -> None:
    calls = [
        tool_call("get_weather", {"city": "Rome"}, "call_1"),
        tool_call("get_weather", {"city": "Paris"}, "call_2"),
    ]
    step = result(reply(None, tool_calls=calls))
    assert (
        check({"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}, step) is None
    )
    reason = check({"tool_call": {"name": "get_weather", "arguments": {"city": "Oslo"}}}, step)
    assert reason is not None
    assert '{"city": "Rome"}; {"city": "Paris"}' in reason


def test_tool_call_with_arguments_that_are_not_json() -> None:
    step = result(reply(None, tool_calls=[tool_call("f", "{not json")]))
    assert check({"tool_call": {"name": "f"}}, step) is None
    assert check({"tool_call": {"name": "f", "arguments": {"a": 1}}}, step) == (
        "tool 'f' was called with {not json, not with {\"a\": 1}"
    )


def test_tool_calls_of_every_round_count() -> None:
    step = result(
        reply(None, tool_calls=[tool_call("lookup", {"q": "x"})], finish="tool_calls"),
        reply(None, tool_calls=[tool_call("fetch", {"id": 1})], finish="tool_calls"),
        reply("done"),
    )
    assert check({"tool_call": {"name": "lookup", "arguments": {"q": "x"}}}, step) is None
    assert check({"tool_call": {"name": "fetch"}}, step) is None
    assert check({"no_tool_call": True}, step) == "the model called tools: lookup, fetch"


def test_no_tool_call() -> None:
    assert check({"no_tool_call": True}, result(reply("plain"))) is None
    step = result(reply(None, tool_calls=[tool_call("a", {}), tool_call("b", {}, "call_2")]))
    assert check({"no_tool_call": True}, step) == "the model called tools: a, b"


def test_custom_tool_calls_do_not_break_tool_expectations() -> None:
    custom = {"id": "call_9", "type": "custom", "custom": {"name": "grammar", "input": "x"}}
    step = result(reply(None, tool_calls=[custom, tool_call("f", {"a": 1})]))
    assert check({"tool_call": {"name": "f", "arguments": {"a": 1}}}, step) is None
    assert check({"tool_call": {"name": "grammar"}}, step) == (
        "no call to tool 'grammar' (calls made: f)"
    )
    assert check({"no_tool_call": True}, step) == "the model called tools: f"


# --- errors --------------------------------------------------------------------------------


def test_error_expectation_holds_on_a_matching_error() -> None:
    step = error_result()
    assert check({"error": {"status": 404}}, step) is None
    assert check({"error": {"message": "does not exist"}}, step) is None
    assert check({"error": {"status": 404, "message": "DOES NOT EXIST"}}, step) is None
    assert check({"error": {}}, step) is None  # any error


def test_error_message_may_match_the_body() -> None:
    error = ProviderError(
        kind="BadRequestError", message="Error code: 400", status=400, body={"code": "bad_temp"}
    )
    assert check({"error": {"message": "bad_temp"}}, error_result(error)) is None


def test_error_expectation_with_the_wrong_status() -> None:
    assert check({"error": {"status": 400}}, error_result()) == (
        f"expected HTTP 400, got {NOT_FOUND.describe()}"
    )


def test_error_expectation_with_a_message_not_mentioned() -> None:
    assert check({"error": {"message": "rate limit"}}, error_result()) == (
        f"the error does not mention 'rate limit': {NOT_FOUND.describe()}"
    )


def test_error_expectation_on_a_reply() -> None:
    assert check({"error": {"status": 404}}, result(reply("fine"))) == (
        "expected a provider error, got a reply"
    )


def test_error_without_status_from_a_stream() -> None:
    error = ProviderError(kind="APIError", message="overloaded", body={"type": "server_error"})
    assert check({"error": {"message": "overloaded"}}, error_result(error)) is None
    assert check({"error": {"status": 500}}, error_result(error)) == (
        'expected HTTP 500, got APIError: overloaded\n  body: {"type": "server_error"}'
    )


@pytest.mark.parametrize(
    "expectation",
    [
        {"contains": "x"},
        {"icontains": "x"},
        {"not_contains": "x"},
        {"regex": "."},
        {"equals": ""},
        {"finish_reason": "stop"},
        {"tool_call": {"name": "f"}},
        {"no_tool_call": True},
    ],
)
def test_a_provider_error_fails_every_other_expectation(expectation: dict[str, Any]) -> None:
    assert check(expectation, error_result()) == (
        f"the provider answered with an error: {NOT_FOUND.describe()}"
    )


def test_same_as_nonstream_is_left_to_the_runner() -> None:
    assert check({"same_as_nonstream": True}, result(reply("x"))) is None


def test_provider_error_describe() -> None:
    assert NOT_FOUND.describe() == (
        "NotFoundError (HTTP 404): Error code: 404 - The model `nope` does not exist\n"
        '  body: {"message": "The model `nope` does not exist", "code": "model_not_found"}'
    )
    plain = ProviderError(kind="APIError", message="boom")
    assert plain.describe() == "APIError: boom"
    same = ProviderError(kind="X", message="body text here", status=500, body="body text")
    assert same.describe() == "X (HTTP 500): body text here"


def test_evaluate_decides_every_expectation_once_with_references_resolved() -> None:
    step = Step.model_validate(
        {"user": "hi", "expect": [{"contains": "${planet.name}"}, {"contains": "Mars"}]}
    )
    decided = evaluate(step, result(reply()), saved={"planet": {"name": "Earth"}})
    assert [(c.expectation, c.ok) for c in decided.checks] == [
        ("contains: '${planet.name}'", True),
        ("contains: 'Mars'", False),
    ]
    assert decided.checks[1].reason == "the reply does not contain 'Mars'"
    assert decided.exchanges == result(reply()).exchanges  # the result itself is untouched


def test_overruled_fails_one_decided_check_and_keeps_the_others() -> None:
    step = Step.model_validate(
        {"user": "hi", "expect": [{"contains": "Earth"}, {"same_as_nonstream": True}]}
    )
    decided = overruled(evaluate(step, result(reply())), 1, reason="the replies differ")
    assert [(c.ok, c.reason) for c in decided.checks] == [
        (True, None),
        (False, "the replies differ"),
    ]


# --- calls: checks on a target's inner requests ----------------------------------------------


def inner(*bodies: dict[str, Any], total: int | None = None) -> StepResult:
    completion = reply()
    if total is not None:
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": total}
        completion = ChatCompletion.model_validate({**completion.model_dump(), "usage": usage})
    return StepResult(
        index=0,
        exchanges=tuple(
            Exchange(sent=(), streamed=False, reply=completion, request=b) for b in bodies
        ),
    )


SYSTEM = {"model": "m", "messages": [{"role": "system", "content": "You are a support bot."}]}
PARTS = {"messages": [{"role": "developer", "content": [{"type": "text", "text": "Be brief."}]}]}


@pytest.mark.parametrize(
    ("calls", "step", "reason"),
    [
        ({"system": "support bot"}, inner(SYSTEM, SYSTEM), None),
        ({"system": "Be brief"}, inner(PARTS), None),
        (
            {"system": "support bot"},
            inner(SYSTEM, {"messages": [{"role": "user", "content": "hi"}]}),
            "inner request 2 has no system message containing 'support bot'",
        ),
        ({"request": {"model": "m"}}, inner(SYSTEM), None),
        (
            {"request": {"model": "x"}},
            inner(SYSTEM),
            'inner request 1 does not hold {"model": "x"}',
        ),
        ({"tokens": {"max": 10}}, inner(SYSTEM, SYSTEM, total=5), None),
        (
            {"tokens": {"max": 9}},
            inner(SYSTEM, SYSTEM, total=5),
            "10 tokens in the step's inner replies, more than 9",
        ),
        ({"tokens": {"max": 9}}, inner(SYSTEM), "no inner reply reported token usage"),
        # A plain chat step keeps no request bodies: nothing to check is never a pass.
        (
            {"system": "x"},
            result(reply()),
            "no inner request to check (calls: request/system apply to a target's calls)",
        ),
    ],
)
def test_calls_checks_the_inner_requests(
    calls: dict[str, Any], step: StepResult, reason: str | None
) -> None:
    assert check({"calls": calls}, step) == reason


def test_calls_needs_at_least_one_check() -> None:
    with pytest.raises(ValueError, match="calls needs at least one of"):
        Expectation.model_validate({"calls": {}})

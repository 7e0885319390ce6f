"""Tests for harness.engine.transcript.readable: a reply is read once; a bad shape is one error."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from harness.engine.transcript import Exchange, readable
from harness.errors import MalformedReplyError


def reply(message: Any) -> ChatCompletion:
    # The SDK builds replies without validation: `construct` keeps whatever shape arrived.
    return ChatCompletion.construct(
        id="c",
        object="chat.completion",
        created=0,
        model="m",
        choices=[{"index": 0, "finish_reason": "stop", "message": message}],
    )


def call(**function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "f", "arguments": "{}", **function}}


def test_a_tool_call_without_an_id_is_readable() -> None:
    exchange = Exchange(
        sent=(),
        streamed=False,
        reply=reply({"role": "assistant", "content": None, "tool_calls": [call()]}),
    )
    assert readable(exchange).tool_calls[0].name == "f"


@pytest.mark.parametrize(
    "message",
    [
        ["s"],
        {"role": "assistant", "tool_calls": 1.5},
        {"role": "assistant", "content": {"a": 1}},
        {"role": "assistant", "tool_calls": [call(arguments=None)]},
        {"role": "assistant", "tool_calls": [call(name=7)]},
        {"role": "assistant", "tool_calls": [{**call(), "id": 5}]},
    ],
    ids=str,
)
def test_a_reply_of_the_wrong_shape_is_a_malformed_reply(message: Any) -> None:
    with pytest.raises(MalformedReplyError, match=r"^malformed reply: the reply"):
        readable(Exchange(sent=(), streamed=False, reply=reply(message)))

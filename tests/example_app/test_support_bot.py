"""Python tests of the example support bot, replayed from recordings of the local column.

Re-record: ``harness record --local-server -- tests/example_app --harness-models 'local/*'``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from example_app.support_bot import (
    SYSTEM_PROMPT,
    WEATHER_TOOL,
    AsyncSupportBot,
    SupportBot,
    answer_many,
)

pytestmark = pytest.mark.harness(models=["local/*"])


def test_refund_question(llm: Any, snapshot: Any) -> None:
    bot = SupportBot(client=llm.client, model=llm.model)
    reply = bot.answer("I want a refund for order 123")
    assert reply.strip()
    first = llm.calls[0].request
    assert first["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert [t["function"]["name"] for t in first["tools"]] == ["lookup_order"]
    assert 1 <= len(llm.calls) <= 3  # the tool loop is bounded
    assert llm.transcript == snapshot


def test_tool_loop(llm: Any, snapshot: Any) -> None:
    """The model asks for a tool; the bot runs it and sends the result back. (The local tiny
    model calls a tool only in the dialogue it was trained on: no system prompt, the weather
    tool alone.)"""
    bot = SupportBot(client=llm.client, model=llm.model, system=None, tools=[WEATHER_TOOL])
    reply = bot.answer("What is the weather in Paris?")
    assert llm.calls[0].tool_calls == [("get_weather", {"city": "Paris"})]
    tool_message = llm.calls[1].request["messages"][-1]
    assert tool_message["role"] == "tool" and "sunny" in tool_message["content"]
    assert len(llm.calls) == 2 and "sunny" in reply
    assert llm.transcript == snapshot


def test_async_bot_two_turns(llm: Any, snapshot: Any) -> None:
    async def conversation() -> list[str]:
        bot = AsyncSupportBot(client=llm.async_client, model=llm.model)
        return [await bot.answer("Hello"), await bot.answer("Where is order 123?")]

    replies = asyncio.run(conversation())
    assert all(r.strip() for r in replies)
    # the second turn carries the whole conversation so far
    second_turn = [
        c for c in llm.calls if c.request["messages"][-1]["content"] == "Where is order 123?"
    ]
    assert second_turn and second_turn[0].request["messages"][1]["content"] == "Hello"
    assert llm.transcript == snapshot


def test_five_customers_at_once(llm: Any) -> None:
    """Five concurrent conversations replay the same way every time (and under -n 2)."""
    questions = [f"Question {n}: do you ship to Norway?" for n in range(4)]
    questions.append(questions[0])  # two customers asking the very same thing
    replies = asyncio.run(
        answer_many(client=llm.async_client, model=llm.model, questions=questions)
    )
    assert len(replies) == 5 and all(r.strip() for r in replies)
    asked = [c.request["messages"][1]["content"] for c in llm.calls]
    assert sorted(set(asked)) == sorted(set(questions))

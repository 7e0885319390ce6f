"""The training dialogues as the OpenAI SDK sends them."""

from __future__ import annotations

from harness.servers.localmodel.dialogues import (
    GREETING,
    MULTI_TURN,
    TRAINED_DIALOGUES,
    WEATHER_ANSWER,
    WEATHER_CALL,
)


def test_messages_and_tools_in_openai_shape() -> None:
    assert GREETING.openai_messages() == [{"role": "user", "content": "Hello!"}]
    assert GREETING.openai_tools() == []
    (tool,) = WEATHER_CALL.openai_tools()
    assert tool["function"]["name"] == "get_weather"
    assistant, result = WEATHER_ANSWER.openai_messages()[1:]
    assert assistant["tool_calls"] == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    assert result == {
        "role": "tool",
        "content": WEATHER_ANSWER.messages[2].content,
        "tool_call_id": "call_0",
    }


def test_fresh_dicts_each_call_and_unique_names() -> None:
    first = MULTI_TURN.openai_messages()
    first[0]["content"] = "changed"
    assert MULTI_TURN.openai_messages()[0]["content"] == "Hello!"
    names = [d.name for d in TRAINED_DIALOGUES]
    assert len(names) == len(set(names))

"""The training dialogues: the whole of what the tiny model knows.

Sent exactly one of their prompts (messages, and tools where the dialogue has them), the
model answers with that dialogue's :attr:`TrainedDialogue.reply` under greedy decoding;
anything else gets an arbitrary, but repeatable, reply. They are build inputs: changing one
rebuilds the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

MODEL_ID = "local/tiny-chat"
"""The id the server lists under ``/v1/models`` and that requests name as ``model``."""

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class DialogueToolCall:
    """A tool call in a training dialogue: the function name and its JSON arguments."""

    name: str
    arguments: str
    """The arguments as JSON text, exactly as the model emits them (``json.dumps`` style)."""
    id: str = "call_0"
    """The call id used when the call is part of a prompt (the template does not render it)."""

    def to_openai(self) -> dict[str, Any]:
        """This call as an OpenAI chat ``tool_calls`` entry."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class DialogueMessage:
    """One chat message of a training dialogue."""

    role: Role
    content: str = ""
    tool_calls: tuple[DialogueToolCall, ...] = ()
    tool_call_id: str | None = None

    def to_openai(self) -> dict[str, Any]:
        """This message as an OpenAI chat-completions message dict (a fresh one each call)."""
        message: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.to_openai() for call in self.tool_calls]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        return message


@dataclass(frozen=True)
class TrainedDialogue:
    """A prompt the tiny model was trained on, and the reply it was trained to give."""

    name: str
    messages: tuple[DialogueMessage, ...]
    """The request's messages, in order."""
    reply: DialogueMessage
    """The assistant reply: ``content`` text, or ``tool_calls`` with empty content."""
    tools: tuple[str, ...] = ()
    """Tool definitions sent with the request, each as OpenAI chat ``tools`` JSON text."""

    def openai_messages(self) -> list[dict[str, Any]]:
        """The request's ``messages`` for the OpenAI SDK (fresh dicts each call)."""
        return [message.to_openai() for message in self.messages]

    def openai_tools(self) -> list[dict[str, Any]]:
        """The request's ``tools`` for the OpenAI SDK (an empty list when it has none)."""
        return [json.loads(tool) for tool in self.tools]


WEATHER_TOOL = json.dumps(
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city name."}},
                "required": ["city"],
            },
        },
    }
)
"""The ``get_weather`` tool definition (OpenAI chat ``tools`` entry) as JSON text."""

WEATHER_TOOL_CALL = DialogueToolCall(name="get_weather", arguments='{"city": "Paris"}')
"""The tool call the model makes for "What is the weather in Paris?"."""

WEATHER_TOOL_RESULT = '{"city": "Paris", "condition": "sunny", "temperature_c": 22}'
"""The tool result content the follow-up dialogue was trained with."""

GREETING = TrainedDialogue(
    name="greeting",
    messages=(DialogueMessage(role="user", content="Hello!"),),
    reply=DialogueMessage(role="assistant", content="Hello! How can I help you today?"),
)
"""A one-turn greeting."""

ARITHMETIC = TrainedDialogue(
    name="arithmetic",
    messages=(DialogueMessage(role="user", content="What is 2 + 2?"),),
    reply=DialogueMessage(role="assistant", content="2 + 2 = 4."),
)
"""A one-turn arithmetic question."""

IDENTITY = TrainedDialogue(
    name="identity",
    messages=(
        DialogueMessage(role="system", content="You are a helpful assistant."),
        DialogueMessage(role="user", content="Who are you?"),
    ),
    reply=DialogueMessage(role="assistant", content="I am a tiny test model."),
)
"""An identity question under a system prompt."""

MULTI_TURN = TrainedDialogue(
    name="multi_turn",
    messages=(
        *GREETING.messages,
        GREETING.reply,
        *ARITHMETIC.messages,
    ),
    reply=ARITHMETIC.reply,
)
"""The arithmetic question as the second turn, after the greeting and its reply."""

WEATHER_CALL = TrainedDialogue(
    name="weather_call",
    messages=(DialogueMessage(role="user", content="What is the weather in Paris?"),),
    reply=DialogueMessage(role="assistant", tool_calls=(WEATHER_TOOL_CALL,)),
    tools=(WEATHER_TOOL,),
)
"""With the ``get_weather`` tool offered, the weather question gets a tool call."""

WEATHER_ANSWER = TrainedDialogue(
    name="weather_answer",
    messages=(
        *WEATHER_CALL.messages,
        WEATHER_CALL.reply,
        DialogueMessage(
            role="tool", content=WEATHER_TOOL_RESULT, tool_call_id=WEATHER_TOOL_CALL.id
        ),
    ),
    reply=DialogueMessage(role="assistant", content="It is sunny and 22 °C in Paris."),
    tools=(WEATHER_TOOL,),
)
"""After the tool result, the model answers with a sentence that uses it."""

TRAINED_DIALOGUES: tuple[TrainedDialogue, ...] = (
    GREETING,
    ARITHMETIC,
    IDENTITY,
    MULTI_TURN,
    WEATHER_CALL,
    WEATHER_ANSWER,
)
"""Every dialogue the model is trained on; build inputs, so changing one rebuilds the model."""

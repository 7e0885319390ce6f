"""A small customer-support bot, written as applications are: a system prompt, one tool
(order lookup) in a tool loop, and an async variant. It takes its SDK client as an argument
(dependency injection): that is what lets a test hand it harness's recording client."""

from __future__ import annotations

import json
from typing import Any

import openai

SYSTEM_PROMPT = (
    "You are the support assistant of Acme Shop. Answer in one or two short sentences. "
    "To check an order, call lookup_order with its number."
)
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Look up an order by its number.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]
WEATHER_TOOL: Any = {
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
ORDERS = {"123": {"status": "delivered", "item": "kettle", "refundable": True}}
MAX_ROUNDS = 3


def get_weather(city: str) -> dict[str, Any]:
    """Delivery conditions in ``city`` (fixed here)."""
    return {"city": city, "condition": "sunny", "temperature_c": 22}


def lookup_order(order_id: str) -> dict[str, Any]:
    """The shop's order database (a dict here)."""
    return ORDERS.get(str(order_id), {"error": f"no order {order_id}"})


def run_tool(call: Any) -> dict[str, Any]:
    """Answer one tool call of the model."""
    try:
        arguments = json.loads(call.function.arguments or "{}")
    except ValueError:
        return {"error": "arguments are not JSON"}
    if not isinstance(arguments, dict):
        return {"error": "arguments are not an object"}
    if call.function.name == "lookup_order":
        return lookup_order(str(arguments.get("order_id", "")))
    if call.function.name == "get_weather":
        return get_weather(str(arguments.get("city", "")))
    return {"error": f"unknown tool {call.function.name}"}


class SupportBot:
    """One conversation with a customer (sync)."""

    def __init__(
        self,
        *,
        client: openai.OpenAI,
        model: str,
        system: str | None = SYSTEM_PROMPT,
        tools: list[Any] | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.tools = TOOLS if tools is None else tools
        self.messages: list[Any] = [{"role": "system", "content": system}] if system else []

    def answer(self, text: str) -> str:
        """The bot's reply to the customer's ``text`` (after any order lookups)."""
        self.messages.append({"role": "user", "content": text})
        for _ in range(MAX_ROUNDS):
            reply = self.client.chat.completions.create(
                model=self.model,
                messages=self.messages,
                tools=self.tools,
                max_tokens=60,
                temperature=0,
            )
            message = reply.choices[0].message
            self.messages.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                return message.content or ""
            for call in message.tool_calls:
                result = run_tool(call)
                self.messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
                )
        return "Sorry, I could not finish looking that up."


class WeatherBot(SupportBot):
    """The bot with the weather tool alone and no system prompt: the one dialogue in which
    the local tiny model makes a tool call (it knows only its training dialogues)."""

    def __init__(self, *, client: openai.OpenAI, model: str) -> None:
        super().__init__(client=client, model=model, system=None, tools=[WEATHER_TOOL])


class AsyncSupportBot:
    """The same bot on ``AsyncOpenAI``: one conversation, awaited."""

    def __init__(
        self,
        *,
        client: openai.AsyncOpenAI,
        model: str,
        system: str | None = SYSTEM_PROMPT,
        tools: list[Any] | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.tools = TOOLS if tools is None else tools
        self.messages: list[Any] = [{"role": "system", "content": system}] if system else []

    async def answer(self, text: str) -> str:
        """The bot's reply to the customer's ``text`` (after any order lookups)."""
        self.messages.append({"role": "user", "content": text})
        for _ in range(MAX_ROUNDS):
            reply = await self.client.chat.completions.create(
                model=self.model,
                messages=self.messages,
                tools=self.tools,
                max_tokens=60,
                temperature=0,
            )
            message = reply.choices[0].message
            self.messages.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                return message.content or ""
            for call in message.tool_calls:
                result = run_tool(call)
                self.messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
                )
        return "Sorry, I could not finish looking that up."


async def answer_many(*, client: openai.AsyncOpenAI, model: str, questions: list[str]) -> list[str]:
    """Several customers at once (one conversation each), as an async server would."""
    import asyncio

    bots = [AsyncSupportBot(client=client, model=model) for _ in questions]
    return list(await asyncio.gather(*(b.answer(q) for b, q in zip(bots, questions, strict=True))))

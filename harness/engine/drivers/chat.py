"""Drive a scenario through ``client.chat.completions.create``, step by step.

What goes on the wire is exactly what the scenario says: ``model``, ``messages``, ``stream`` only
when the step sets it, ``tools`` when the scenario declares them, and ``params`` verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from harness.engine.assemble.chat import ChatAssembler
from harness.engine.drivers.provider_errors import PROVIDER_ERRORS, provider_error
from harness.engine.drivers.tools import tool_rounds
from harness.engine.matrix import Case
from harness.engine.transcript import Exchange, StepResult, ToolCall, readable
from harness.errors import (
    SHAPE_ERRORS,
    MalformedReplyError,
    StreamContractError,
    malformed,
)
from harness.spec.images import image_part
from harness.spec.scenario import Step

Msg = dict[str, Any]  # one chat message as sent


class ChatDriver:
    """Runs one case's steps, carrying the conversation history from step to step."""

    def __init__(self, *, client: openai.OpenAI, case: Case) -> None:
        self.client = client
        self.case = case
        self.scenario = case.scenario
        self.history: list[dict[str, Any]] = [dict(m) for m in self.scenario.messages]

    def steps(self, *, on_step: Callable[[int], None] | None = None) -> Iterator[StepResult]:
        """Run the steps in order, yielding each result as soon as it is known."""
        for index, step in enumerate(self.scenario.steps):
            if on_step is not None:
                on_step(index)
            yield self.run_step(index, step)

    def run_step(self, index: int, step: Step) -> StepResult:
        """Send one step, playing scripted tool results until the model stops calling tools."""
        start = len(self.history)
        sent: list[Msg] = []
        if step.user is not None:
            sent.append({"role": "user", "content": self._content(step.user, index)})
        self.history.extend(sent)

        def answer(exchange: Exchange, results: Sequence[tuple[ToolCall, str]]) -> list[Msg]:
            self.history.append(assistant_message(exchange.reply))
            messages = [
                {"role": "tool", "tool_call_id": call.id, "content": content}
                for call, content in results
            ]
            self.history.extend(messages)
            return messages

        exchanges = tool_rounds(
            step=step,
            max_rounds=self.scenario.max_tool_rounds,
            first=sent,
            send=lambda messages: self._send(step, tuple(messages)),
            answer=answer,
        )
        final = exchanges[-1]
        if final.error is not None:
            del self.history[start:]  # a failed turn is not part of the conversation
        else:
            self.history.append(assistant_message(final.reply))
        return StepResult(index=index, exchanges=tuple(exchanges))

    def _send(self, step: Step, sent: tuple[dict[str, Any], ...]) -> Exchange:
        stream = self.case.stream_for(step.stream)
        kwargs: dict[str, Any] = {
            "model": self.case.column.api_model,
            "messages": list(self.history),
        }
        if stream is not None:
            kwargs["stream"] = stream
        extra: dict[str, Any] = {}
        if self.scenario.tools is not None:
            extra["tools"] = self.scenario.tools
        extra.update(step.params)
        if extra:
            kwargs["extra_body"] = extra
        try:
            result = self.client.chat.completions.create(**kwargs)
            if stream:
                assembler = ChatAssembler(check=self.scenario.stream_checks)
                for index, chunk in enumerate(result):
                    if not isinstance(chunk, ChatCompletionChunk):
                        raise StreamContractError(
                            f"not a chat.completion.chunk: {str(chunk)[:80]!r}", chunk_index=index
                        )
                    assembler.feed(chunk)
                reply = assembler.result()
            else:
                reply = well_formed(result)
        except json.JSONDecodeError as exc:
            raise MalformedReplyError(
                f"the reply is not JSON ({exc}); a wrong base_url, or a broken recording "
                "(`harness recordings verify`)?"
            ) from None
        except PROVIDER_ERRORS as exc:
            return Exchange(sent=sent, streamed=stream, error=provider_error(exc))
        except SHAPE_ERRORS as exc:  # the SDK reading a reply of the wrong shape
            raise malformed("the reply", exc) from None
        return readable(Exchange(sent=sent, streamed=stream, reply=reply))

    def _content(self, user: str | list[dict[str, Any]], index: int) -> Any:
        if isinstance(user, str):
            return user
        return [self._part(part, index) for part in user]

    def _part(self, part: dict[str, Any], index: int) -> dict[str, Any]:
        return image_part(self.scenario, part, index, api="chat")


def well_formed(reply: object) -> ChatCompletion:
    """``reply`` if it is a chat completion with choices that carry messages."""
    choices = getattr(reply, "choices", None)
    if (
        not isinstance(reply, ChatCompletion)
        or not isinstance(choices, list)
        or not choices
        or not all(getattr(c, "message", None) is not None for c in choices)
    ):
        raise MalformedReplyError(
            f"the reply is not a chat completion with choices: {str(reply)[:160]!r}; "
            "a broken recording? (`harness recordings verify`)"
        )
    return reply


def assistant_message(reply: ChatCompletion | None) -> dict[str, Any]:
    """The history entry for a reply: role, content, and tool_calls when there are any."""
    assert reply is not None and reply.choices, "a reply without choices"
    out: dict[str, Any] = {"role": "assistant", "content": reply.choices[0].message.content}
    calls = Exchange(sent=(), streamed=None, reply=reply).tool_calls
    if calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in calls
        ]
    return out

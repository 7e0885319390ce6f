"""Drive a scenario through the Responses API (and Conversations API operations).

Each ``input`` step is one ``client.responses.create``: ``model``, ``input``, ``stream`` only
when set, and then either the scenario's conversation or ``previous_response_id`` of the last
response (automatic chaining), ``tools`` when declared, and ``params`` verbatim.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import openai

from harness.engine.assemble.responses import ResponsesAssembler, StreamErrorEvent
from harness.engine.drivers.conversations import run_operation
from harness.engine.drivers.provider_errors import PROVIDER_ERRORS, provider_error
from harness.engine.drivers.tools import tool_rounds
from harness.engine.matrix import Case
from harness.engine.refs import resolve
from harness.engine.transcript import Exchange, ProviderError, StepResult, ToolCall, readable
from harness.errors import SHAPE_ERRORS, MalformedReplyError, malformed
from harness.spec.images import image_part
from harness.spec.model import json_data
from harness.spec.scenario import Step


class ResponsesDriver:
    """Runs one case's steps against the Responses and Conversations APIs."""

    def __init__(self, *, client: openai.OpenAI, case: Case) -> None:
        self.client = client
        self.case = case
        self.scenario = case.scenario
        self.saved: dict[str, Any] = {}
        self.conversation: str | None = None
        self.last_response: str | None = None

    def steps(self, *, on_step: Callable[[int], None] | None = None) -> Iterator[StepResult]:
        """Create the scenario's conversation (if any), then run the steps in order."""
        seed = self.scenario.conversation
        if seed is not None:
            args = {} if seed == "new" else seed.model_dump(exclude_none=True)
            try:
                created = run_operation(
                    self.client, "conversations.create", args, conversation=None
                )
                conversation_id = created["id"]
                if not isinstance(conversation_id, str):
                    raise TypeError(f"its id is {type(conversation_id).__name__}, not a string")
            except SHAPE_ERRORS as exc:
                raise malformed("the conversations.create reply", exc) from None
            self.saved["conversation"] = created
            self.conversation = conversation_id
        for index, step in enumerate(self.scenario.steps):
            if on_step is not None:
                on_step(index)
            yield self.run_step(index, step)

    def run_step(self, index: int, step: Step) -> StepResult:
        """One operation, or one input with its scripted tool rounds."""
        operation = step.operation
        if operation is not None:
            exchanges: tuple[Exchange, ...] = (
                self._caught(partial(self._operate, *operation), sent=()),
            )
        else:
            exchanges = self._respond(index, step)
        result = StepResult(index=index, exchanges=exchanges)
        if step.save_as and result.error is None:
            self.saved[step.save_as] = result.payload if operation else json_data(result.reply)
        return result

    def _operate(self, name: str, args: dict[str, Any]) -> Exchange:
        resolved = resolve(args, self.saved)
        try:
            payload = run_operation(self.client, name, resolved, conversation=self.conversation)
        except SHAPE_ERRORS as exc:  # a 200 reply that is not JSON
            raise malformed(f"the {name} reply", exc) from None
        return Exchange(sent=(), streamed=None, payload=payload)

    def _respond(self, index: int, step: Step) -> tuple[Exchange, ...]:
        items: Any = self._input(step.input, index) if step.input is not None else None

        def answer(_exchange: Exchange, results: Sequence[tuple[ToolCall, str]]) -> Any:
            return [
                {"type": "function_call_output", "call_id": call.id, "output": content}
                for call, content in results
            ]

        return tool_rounds(
            step=step,
            max_rounds=self.scenario.max_tool_rounds,
            first=items,
            send=lambda sent: self._caught(partial(self._create, step, sent), sent=_sent(sent)),
            answer=answer,
        )

    def _create(self, step: Step, items: Any) -> Exchange:
        stream = self.case.stream_for(step.stream)
        kwargs: dict[str, Any] = {"model": self.case.column.api_model}
        if items is not None:
            kwargs["input"] = items
        if stream is not None:
            kwargs["stream"] = stream
        extra: dict[str, Any] = {}
        conversation = resolve(step.conversation, self.saved) or self.conversation
        previous = resolve(step.previous_response_id, self.saved)
        if conversation is not None:
            extra["conversation"] = conversation
        if previous is not None or (conversation is None and self.last_response is not None):
            extra["previous_response_id"] = previous or self.last_response
        if self.scenario.tools is not None:
            extra["tools"] = self.scenario.tools
        extra.update(resolve(step.params, self.saved))
        if extra:
            kwargs["extra_body"] = extra
        try:
            result = self.client.responses.create(**kwargs)
            if not stream and not hasattr(result, "output"):
                raise MalformedReplyError(
                    f"malformed reply: not a Response object: {str(result)[:80]!r} (a server "
                    "that streams when `stream` is absent? set `stream: false` on the step)"
                )
            if stream:
                assembler = ResponsesAssembler(check=self.scenario.stream_checks)
                for event in result:
                    assembler.feed(event)
                result = assembler.result()
        except SHAPE_ERRORS as exc:  # a non-JSON body, a list where an object belongs, ...
            raise malformed("the reply", exc) from None
        response_id = getattr(result, "id", None)
        if response_id:
            if not isinstance(response_id, str):
                raise malformed("the reply", TypeError("its id is not a string"))
            self.last_response = response_id
        return readable(Exchange(sent=(), streamed=stream, reply=result))

    def _caught(
        self, action: Callable[[], Exchange], *, sent: tuple[dict[str, Any], ...]
    ) -> Exchange:
        """Run ``action``, turning provider errors into the exchange's error."""
        try:
            exchange = action()
            return Exchange(
                sent=sent,
                streamed=exchange.streamed,
                reply=exchange.reply,
                payload=exchange.payload,
            )
        except PROVIDER_ERRORS as exc:
            error = provider_error(exc)
        except StreamErrorEvent as exc:
            error = ProviderError(kind="ResponseErrorEvent", message=exc.message, body=exc.data)
        return Exchange(sent=sent, streamed=None, error=error)

    def _input(self, value: str | list[dict[str, Any]], index: int) -> Any:
        value = resolve(value, self.saved)
        if isinstance(value, str):
            return value
        return [self._item(item, index) for item in value]

    def _item(self, item: dict[str, Any], index: int) -> dict[str, Any]:
        if "content" in item and isinstance(item["content"], list):
            return {**item, "content": [self._part(p, index) for p in item["content"]]}
        return self._part(item, index)

    def _part(self, part: dict[str, Any], index: int) -> dict[str, Any]:
        return image_part(self.scenario, part, index, api="responses")


def _sent(items: Any) -> tuple[dict[str, Any], ...]:
    if items is None:
        return ()
    if isinstance(items, str):
        return ({"role": "user", "content": items},)
    return tuple(items)

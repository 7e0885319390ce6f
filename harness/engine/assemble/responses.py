"""Assembling a streamed Responses API reply from its events, with contract checks.

The text is joined from ``response.output_text.delta`` events and must agree with the
``response.completed`` (or ``failed``/``incomplete``) event's response, which is the result: the
same ``Response`` type a non-streamed request returns. Checks, each failing with the event index:
sequence numbers increase; exactly one terminal event and nothing after it; output items are
added and done in pairs; deltas agree with the final response. An in-stream ``error`` event is
not a contract failure but the step's provider error (:class:`StreamErrorEvent`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openai.types.responses import Response

from harness.engine.transcript import response_text
from harness.errors import SHAPE_ERRORS, HarnessError, StreamContractError, malformed
from harness.spec.model import json_data

TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})


class StreamErrorEvent(HarnessError):
    """The server sent an ``error`` event inside the stream."""

    def __init__(self, *, code: str | None, message: str, data: Any) -> None:
        self.code = code
        self.message = message
        self.data = data
        super().__init__(f"error event in stream: {code or 'error'}: {message}")


class ResponsesAssembler:
    """Feeds on Responses stream events one by one and returns the final ``Response``."""

    def __init__(self, *, check: bool = True) -> None:
        self.check = check
        self.index = 0
        self.last_sequence: int | None = None
        self.final: Response | None = None
        self.terminal_type: str | None = None
        self.open_items: set[int] = set()
        self.texts: dict[tuple[str, int], list[str]] = {}

    def _fail(self, cause: str) -> None:
        if self.check:
            raise StreamContractError(cause, chunk_index=self.index)

    def feed(self, event: Any) -> None:
        """Take one event; contract problems raise :class:`StreamContractError` at once, an
        event of the wrong shape :class:`~harness.errors.MalformedReplyError`."""
        try:
            self._feed(event)
        except SHAPE_ERRORS as exc:
            raise malformed(f"event {self.index}", exc) from None

    def _feed(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        if not isinstance(kind, str):
            raise TypeError(f"an event without a type: {str(event)[:60]!r}")
        if kind == "error":
            raise StreamErrorEvent(
                code=getattr(event, "code", None),
                message=str(getattr(event, "message", "") or ""),
                data=json_data(event),
            )
        sequence = getattr(event, "sequence_number", None)
        if isinstance(sequence, int):
            if self.last_sequence is not None and sequence <= self.last_sequence:
                self._fail(f"sequence_number {sequence} after {self.last_sequence}")
            self.last_sequence = sequence
        if self.terminal_type is not None:
            self._fail(f"{kind} after the terminal {self.terminal_type}")
        if kind == "response.output_item.added":
            self.open_items.add(int(getattr(event, "output_index", -1)))
        elif kind == "response.output_item.done":
            position = int(getattr(event, "output_index", -1))
            if position not in self.open_items:
                self._fail(f"output item {position} done but never added")
            self.open_items.discard(position)
        elif kind == "response.output_text.delta":
            key = (str(getattr(event, "item_id", "")), int(getattr(event, "content_index", 0)))
            self.texts.setdefault(key, []).append(str(getattr(event, "delta", "") or ""))
        elif kind in TERMINAL:
            self.terminal_type = str(kind)
            self.final = getattr(event, "response", None)
        self.index += 1

    def result(self) -> Response:
        """The final response, after the end-of-stream checks."""
        try:
            return self._result()
        except SHAPE_ERRORS as exc:
            raise malformed(f"the final response (after {self.index} events)", exc) from None

    def _result(self) -> Response:
        if self.index == 0:
            self._fail("empty stream")
        if self.final is None:
            self._fail("stream ended without response.completed, .failed or .incomplete")
            return Response.model_construct(output=[], status="incomplete")
        if not isinstance(self.final, Response):
            raise TypeError(f"the {self.terminal_type} event carries no Response object")
        if self.open_items:
            self._fail(f"output items added but never done: {sorted(self.open_items)}")
        joined = "".join("".join(parts) for parts in self.texts.values())
        final_text = response_text(self.final)
        if self.texts and joined != final_text:
            self._fail(
                f"deltas join to {joined[:60]!r} but the final response says {final_text[:60]!r}"
            )
        return self.final


def assemble_response(events: Iterable[Any], *, check: bool = True) -> Response:
    """Assemble a whole stream of events."""
    assembler = ResponsesAssembler(check=check)
    for event in events:
        assembler.feed(event)
    return assembler.result()

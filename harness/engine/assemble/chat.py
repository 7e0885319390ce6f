"""Assemble streamed chat completions into the equivalent non-streamed reply.

A step that streams gets back ``ChatCompletionChunk`` objects; expectations are written against
``ChatCompletion``. :class:`ChatAssembler` folds the chunks, one by one as the SDK's ``Stream``
yields them, into a ``ChatCompletion`` so that expectations never care whether a step streamed.
It is our own code on purpose (no ``ChatCompletionStreamState``): it must stay cheap per chunk
and it checks the stream contract while it folds.

The stream contract it checks is :mod:`~harness.engine.assemble.chat_contract`'s; how a
choice's deltas make its message, :mod:`~harness.engine.assemble.chat_choices`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pydantic
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from harness.engine.assemble.chat_choices import (
    ChoiceState,
    build_choice,
    fold_audio,
    fold_function_call,
    fold_logprobs,
    fold_tool_calls,
)
from harness.engine.assemble.chat_contract import after_finish, check_arguments
from harness.errors import SHAPE_ERRORS, StreamContractError, malformed
from harness.spec.model import json_data

__all__ = ["ChatAssembler", "assemble_chat"]


class ChatAssembler:
    """Feeds on ``openai.types.chat.ChatCompletionChunk`` objects one by one (as the SDK's
    ``Stream`` yields them) and builds the equivalent non-streamed reply.

    With ``check=True`` (the default) the stream contract described in the module docstring is
    enforced: :meth:`feed` raises :class:`~harness.errors.StreamContractError` at the first
    chunk that breaks it and :meth:`result` runs the end-of-stream checks. With ``check=False``
    nothing is checked and whatever arrived is assembled.
    """

    __slots__ = (
        "_check",
        "_choices",
        "_count",
        "_created",
        "_fingerprint",
        "_id",
        "_model",
        "_moderation",
        "_service_tier",
        "_usage",
    )

    def __init__(self, *, check: bool = True) -> None:
        """Start an empty stream; ``check`` turns the stream-contract checks on or off."""
        self._check = check
        self._count = 0
        self._id: str | None = None
        self._model: str | None = None
        self._created: int | None = None
        self._fingerprint: str | None = None
        self._service_tier: str | None = None
        self._usage: Any = None
        self._moderation: Any = None
        self._choices: dict[int, ChoiceState] = {}

    def feed(self, chunk: ChatCompletionChunk) -> None:
        """Fold one chunk in.

        Raises :class:`~harness.errors.StreamContractError` right away, with this chunk's index,
        when checking is on and the chunk breaks the stream contract, and
        :class:`~harness.errors.MalformedReplyError` when it is not shaped like a chunk (the
        SDK builds chunks without validation, so ``choices`` may be a string).
        """
        try:
            self._feed(chunk)
        except SHAPE_ERRORS as exc:
            raise malformed(f"chunk {self._count - 1}", exc) from None

    def _feed(self, chunk: ChatCompletionChunk) -> None:
        i = self._count
        self._count = i + 1
        check = self._check

        # The SDK builds chunks with `construct`, so any field may be None: test before use.
        value: Any = chunk.id
        if value:
            if self._id is None:
                self._id = value
            elif check and value != self._id:
                raise StreamContractError(
                    f"id changed mid-stream from {self._id!r} to {value!r}", chunk_index=i
                )
        value = chunk.model
        if value:
            if self._model is None:
                self._model = value
            elif check and value != self._model:
                raise StreamContractError(
                    f"model changed mid-stream from {self._model!r} to {value!r}", chunk_index=i
                )
        if not self._created:
            self._created = chunk.created
        if self._fingerprint is None:
            self._fingerprint = chunk.system_fingerprint
        if self._service_tier is None:
            self._service_tier = chunk.service_tier
        value = chunk.usage
        if value is not None:
            self._usage = value
        value = getattr(chunk, "moderation", None)  # not a field of older SDKs' chunks
        if value is not None:
            self._moderation = value

        choices = chunk.choices
        if not choices:
            return
        states = self._choices
        for choice in choices:
            index = choice.index
            if index is None:
                index = 0
            state = states.get(index)
            if state is None:
                state = states[index] = ChoiceState()
            # Output in the same chunk as the finish_reason is allowed, so it is folded in
            # before that finish_reason is recorded.
            finished = check and state.finish_reason is not None
            delta = choice.delta
            if delta is not None:
                if state.role is None:
                    state.role = delta.role
                text = delta.content
                if text:
                    if finished:
                        raise after_finish(index, "content", i)
                    state.content.append(text)
                text = delta.refusal
                if text:
                    if finished:
                        raise after_finish(index, "refusal", i)
                    state.refusal.append(text)
                tool_calls = delta.tool_calls
                if tool_calls:
                    if finished:
                        raise after_finish(index, "tool_calls", i)
                    fold_tool_calls(state.tool_calls, tool_calls)
                function_call = delta.function_call
                if function_call is not None:
                    fold_function_call(state, function_call, finished, index, i)
                audio = getattr(delta, "audio", None)  # not a field of older SDKs' deltas
                if audio is not None:
                    fold_audio(state, audio, finished, index, i)
            logprobs = choice.logprobs
            if logprobs is not None:
                fold_logprobs(state, logprobs)
            reason = choice.finish_reason
            if reason is not None:
                if state.finish_reason is None:
                    state.finish_reason = reason
                    if check:
                        check_arguments(state, index, i)
                elif check:
                    raise StreamContractError(
                        f"choice {index}: second finish_reason {reason!r}"
                        f" after {state.finish_reason!r}",
                        chunk_index=i,
                    )

    def result(self) -> ChatCompletion:
        """End of stream: run the end-of-stream checks and return the assembled reply.

        Chunks whose parts do not fit together (a choice index that is a number in one chunk
        and a string in the next) raise :class:`~harness.errors.MalformedReplyError`.

        The checks (when checking is on) fail on an empty stream (chunk index 0), on a stream
        without any choice, and on a choice without a ``finish_reason`` (both at the index one
        past the last chunk). The reply is a plain ``ChatCompletion`` with choices sorted by
        index. If the assembled data does not validate (possible with ``check=False`` or with
        odd providers, e.g. a missing ``finish_reason``), it is built without validation, the
        way the SDK builds replies.
        """
        try:
            return self._result()
        except SHAPE_ERRORS as exc:
            raise malformed(f"the stream of {self._count} chunks", exc) from None

    def _result(self) -> ChatCompletion:
        count = self._count
        states = self._choices
        if self._check:
            if count == 0:
                raise StreamContractError("empty stream: no chunks at all", chunk_index=0)
            if not states:
                raise StreamContractError("stream ended without any choice", chunk_index=count)
            for index in sorted(states):
                if states[index].finish_reason is None:
                    raise StreamContractError(
                        f"choice {index}: stream ended without a finish_reason",
                        chunk_index=count,
                    )

        # The chunk's Moderation is a distinct class from the completion's: pass it as data.
        moderation = json_data(self._moderation)
        data: dict[str, Any] = {
            "id": self._id or "",
            "object": "chat.completion",
            "created": self._created or 0,
            "model": self._model or "",
            "choices": [build_choice(index, states[index]) for index in sorted(states)],
            "usage": self._usage,
            "service_tier": self._service_tier,
            "system_fingerprint": self._fingerprint,
        }
        if moderation is not None:
            data["moderation"] = moderation
        try:
            # Validation runs in pydantic-core and reuses the chunks' own CompletionUsage and
            # logprob objects as they are, which is far cheaper than the SDK's `construct`.
            return ChatCompletion.model_validate(data)
        except pydantic.ValidationError:
            return ChatCompletion.construct(**data)


def assemble_chat(chunks: Iterable[ChatCompletionChunk], *, check: bool = True) -> ChatCompletion:
    """Assemble a whole stream of chunks into the equivalent non-streamed ``ChatCompletion``.

    Same checks as :class:`ChatAssembler`; raises
    :class:`~harness.errors.StreamContractError` when ``check`` is on and the stream breaks the
    contract.
    """
    assembler = ChatAssembler(check=check)
    feed = assembler.feed
    for chunk in chunks:
        feed(chunk)
    return assembler.result()

"""Assemble streamed chat completions into the equivalent non-streamed reply.

A step that streams gets back ``ChatCompletionChunk`` objects; expectations are written against
``ChatCompletion``. :class:`ChatAssembler` folds the chunks, one by one as the SDK's ``Stream``
yields them, into a ``ChatCompletion`` so that expectations never care whether a step streamed.
It is our own code on purpose (no ``ChatCompletionStreamState``): it must stay cheap per chunk
and it checks the stream contract while it folds.

Stream contract (checked unless ``check=False``; each failure is a
:class:`~harness.errors.StreamContractError` naming the chunk index and a one-line cause):

* the stream has at least one chunk (else chunk index 0) and at least one choice (else the
  index one past the last chunk);
* every choice gets exactly one ``finish_reason``: a second one fails at the chunk that carries
  it, a missing one fails at the end, with the index one past the last chunk;
* a choice carries no output after its ``finish_reason``: non-empty ``content``, ``refusal``,
  ``tool_calls``, ``function_call``, or audio ``data``/``transcript``. Output in the same chunk
  as the ``finish_reason`` is fine (several providers send it so), and so are deltas with no
  output (role only, ``content: ""``, audio ``expires_at`` only) and usage-only chunks
  (``choices: []``);
* ``id`` and ``model`` do not change mid-stream. Missing or empty values are not compared:
  Azure opens its streams with a ``prompt_filter_results`` chunk whose ``id`` and ``model`` are
  ``""``;
* when a choice finishes, the arguments of each of its tool calls (and of a legacy
  ``function_call``) parse with ``json.loads``. An empty arguments string is invalid: OpenAI sends
  ``"{}"`` for a call without arguments, and a caller doing ``json.loads(arguments)`` would fail.

Assembly follows what a non-streamed reply carries: per choice, ``role`` (default
``"assistant"``), ``content`` and ``refusal`` concatenated (``None`` when nothing non-empty
arrived, so a role chunk with ``content: ""`` before tool calls gives ``None`` like the
non-streamed reply), tool calls grouped by their delta ``index`` (``id``, ``type`` and function
``name`` from the first delta carrying them, ``arguments`` concatenated), the first
``finish_reason``, and logprobs token lists concatenated; per reply, ``id``, ``created``,
``model``, ``system_fingerprint`` and ``service_tier`` from the first chunk carrying them, and
``usage`` and ``moderation`` from the last. Provider-specific extra fields (e.g.
``reasoning_content``) are not carried over.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pydantic
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import (
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChoiceLogprobs,
)
from openai.types.chat.chat_completion_token_logprob import ChatCompletionTokenLogprob

from harness.errors import SHAPE_ERRORS, StreamContractError, malformed
from harness.spec.model import json_data

if TYPE_CHECKING:  # not in every supported SDK: older ones carry audio as a plain dict
    from openai.types.chat.chat_completion_chunk import ChoiceDeltaAudio

__all__ = ["ChatAssembler", "assemble_chat"]

# Longest piece of bad tool-call arguments quoted in an error message.
_QUOTE_MAX = 60


class _ToolCall:
    """One tool call of one choice, as its deltas arrive."""

    __slots__ = ("arguments", "id", "name", "type")

    def __init__(self) -> None:
        self.id: str | None = None
        self.type: str | None = None
        self.name: str | None = None
        self.arguments: list[str] = []


class _Choice:
    """One choice, as its deltas arrive."""

    __slots__ = (
        "audio_data",
        "audio_expires_at",
        "audio_id",
        "audio_transcript",
        "content",
        "finish_reason",
        "function_args",
        "function_name",
        "has_audio",
        "has_function_call",
        "logprobs",
        "logprobs_content",
        "logprobs_refusal",
        "refusal",
        "role",
        "tool_calls",
    )

    def __init__(self) -> None:
        self.role: str | None = None
        self.content: list[str] = []
        self.refusal: list[str] = []
        # Keyed by the delta's tool-call index; sorted when the message is built.
        self.tool_calls: dict[int, _ToolCall] = {}
        self.finish_reason: str | None = None
        self.logprobs = False
        self.logprobs_content: list[ChatCompletionTokenLogprob] | None = None
        self.logprobs_refusal: list[ChatCompletionTokenLogprob] | None = None
        self.has_function_call = False
        self.function_name: str | None = None
        self.function_args: list[str] = []
        self.has_audio = False
        self.audio_id: str | None = None
        self.audio_data: list[str] = []
        self.audio_transcript: list[str] = []
        self.audio_expires_at: int | None = None


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
        self._choices: dict[int, _Choice] = {}

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
                state = states[index] = _Choice()
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
                        raise _after_finish(index, "content", i)
                    state.content.append(text)
                text = delta.refusal
                if text:
                    if finished:
                        raise _after_finish(index, "refusal", i)
                    state.refusal.append(text)
                tool_calls = delta.tool_calls
                if tool_calls:
                    if finished:
                        raise _after_finish(index, "tool_calls", i)
                    _fold_tool_calls(state.tool_calls, tool_calls)
                function_call = delta.function_call
                if function_call is not None:
                    _fold_function_call(state, function_call, finished, index, i)
                audio = getattr(delta, "audio", None)  # not a field of older SDKs' deltas
                if audio is not None:
                    _fold_audio(state, audio, finished, index, i)
            logprobs = choice.logprobs
            if logprobs is not None:
                _fold_logprobs(state, logprobs)
            reason = choice.finish_reason
            if reason is not None:
                if state.finish_reason is None:
                    state.finish_reason = reason
                    if check:
                        _check_arguments(state, index, i)
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
            "choices": [_build_choice(index, states[index]) for index in sorted(states)],
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


def _after_finish(index: int, what: str, chunk_index: int) -> StreamContractError:
    return StreamContractError(
        f"choice {index}: {what} after its finish_reason", chunk_index=chunk_index
    )


def _fold_tool_calls(calls: dict[int, _ToolCall], deltas: list[ChoiceDeltaToolCall]) -> None:
    for delta in deltas:
        index = delta.index
        call_id = delta.id
        if index is None:
            # Providers that leave out `index` start each call with its id: a new id opens a
            # new call, anything else continues the last one.
            last = max(calls) if calls else -1
            if call_id and (last < 0 or calls[last].id != call_id):
                index = last + 1
            else:
                index = max(last, 0)
        call = calls.get(index)
        if call is None:
            call = calls[index] = _ToolCall()
        if call.id is None and call_id:
            call.id = call_id
        if call.type is None and delta.type:
            call.type = delta.type
        function = delta.function
        if function is not None:
            if call.name is None and function.name:
                call.name = function.name
            arguments = function.arguments
            if arguments:
                call.arguments.append(arguments)


def _fold_function_call(
    state: _Choice, delta: ChoiceDeltaFunctionCall, finished: bool, index: int, chunk_index: int
) -> None:
    name = delta.name
    arguments = delta.arguments
    if not (name or arguments):
        return
    if finished:
        raise _after_finish(index, "function_call", chunk_index)
    state.has_function_call = True
    if state.function_name is None and name:
        state.function_name = name
    if arguments:
        state.function_args.append(arguments)


def _fold_audio(
    state: _Choice,
    raw: ChoiceDeltaAudio | dict[str, Any],
    finished: bool,
    index: int,
    chunk_index: int,
) -> None:
    # An SDK without ChoiceDeltaAudio keeps the wire's dict.
    delta = _AudioDict(raw) if isinstance(raw, dict) else raw
    data = delta.data
    transcript = delta.transcript
    # The final audio update carries only `expires_at`, possibly after the finish_reason.
    if finished and (data or transcript):
        raise _after_finish(index, "audio", chunk_index)
    state.has_audio = True
    if state.audio_id is None and delta.id:
        state.audio_id = delta.id
    if data:
        state.audio_data.append(data)
    if transcript:
        state.audio_transcript.append(transcript)
    if delta.expires_at is not None:
        state.audio_expires_at = delta.expires_at


class _AudioDict:
    """The fields of an audio delta read from a plain dict."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.id: str | None = raw.get("id")
        self.data: str | None = raw.get("data")
        self.transcript: str | None = raw.get("transcript")
        self.expires_at: int | None = raw.get("expires_at")


def _fold_logprobs(state: _Choice, logprobs: ChoiceLogprobs) -> None:
    state.logprobs = True
    tokens = logprobs.content
    if tokens is not None:
        if state.logprobs_content is None:
            state.logprobs_content = list(tokens)
        else:
            state.logprobs_content.extend(tokens)
    tokens = logprobs.refusal
    if tokens is not None:
        if state.logprobs_refusal is None:
            state.logprobs_refusal = list(tokens)
        else:
            state.logprobs_refusal.extend(tokens)


def _check_arguments(state: _Choice, index: int, chunk_index: int) -> None:
    for call_index in sorted(state.tool_calls):
        call = state.tool_calls[call_index]
        what = f"tool call {call_index} ({call.name or call.id or 'unnamed'})"
        _check_json(what, "".join(call.arguments), index, chunk_index)
    if state.has_function_call:
        what = f"function_call ({state.function_name or 'unnamed'})"
        _check_json(what, "".join(state.function_args), index, chunk_index)


def _check_json(what: str, arguments: str, index: int, chunk_index: int) -> None:
    if not arguments:
        raise StreamContractError(
            f'choice {index}: {what} has empty arguments (not JSON; no arguments is "{{}}")',
            chunk_index=chunk_index,
        )
    try:
        json.loads(arguments)
    except json.JSONDecodeError as exc:
        quoted = arguments if len(arguments) <= _QUOTE_MAX else arguments[:_QUOTE_MAX] + "..."
        # repr() keeps the cause on one line whatever the arguments hold.
        raise StreamContractError(
            f"choice {index}: {what} arguments are not valid JSON ({exc.msg}): {quoted!r}",
            chunk_index=chunk_index,
        ) from None


def _build_choice(index: int, state: _Choice) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": state.role or "assistant",
        "content": "".join(state.content) or None,
        "refusal": "".join(state.refusal) or None,
    }
    if state.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": call.type or "function",
                "function": {"name": call.name, "arguments": "".join(call.arguments)},
            }
            for call in (state.tool_calls[key] for key in sorted(state.tool_calls))
        ]
    if state.has_function_call:
        message["function_call"] = {
            "name": state.function_name,
            "arguments": "".join(state.function_args),
        }
    if state.has_audio:
        message["audio"] = {
            "id": state.audio_id,
            "data": "".join(state.audio_data),
            "transcript": "".join(state.audio_transcript),
            "expires_at": state.audio_expires_at,
        }
    logprobs = None
    if state.logprobs:
        logprobs = {"content": state.logprobs_content, "refusal": state.logprobs_refusal}
    return {
        "index": index,
        "message": message,
        "logprobs": logprobs,
        "finish_reason": state.finish_reason,
    }

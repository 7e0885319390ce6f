"""One choice of a streamed chat completion, as its deltas arrive, and the message it makes.

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

from typing import TYPE_CHECKING, Any

from openai.types.chat.chat_completion_chunk import (
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChoiceLogprobs,
)
from openai.types.chat.chat_completion_token_logprob import ChatCompletionTokenLogprob

from harness.engine.assemble.chat_contract import after_finish

if TYPE_CHECKING:  # not in every supported SDK: older ones carry audio as a plain dict
    from openai.types.chat.chat_completion_chunk import ChoiceDeltaAudio


class ToolCallState:
    """One tool call of one choice, as its deltas arrive."""

    __slots__ = ("arguments", "id", "name", "type")

    def __init__(self) -> None:
        self.id: str | None = None
        self.type: str | None = None
        self.name: str | None = None
        self.arguments: list[str] = []


class ChoiceState:
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
        self.tool_calls: dict[int, ToolCallState] = {}
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


def fold_tool_calls(calls: dict[int, ToolCallState], deltas: list[ChoiceDeltaToolCall]) -> None:
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
            call = calls[index] = ToolCallState()
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


def fold_function_call(
    state: ChoiceState, delta: ChoiceDeltaFunctionCall, finished: bool, index: int, chunk_index: int
) -> None:
    name = delta.name
    arguments = delta.arguments
    if not (name or arguments):
        return
    if finished:
        raise after_finish(index, "function_call", chunk_index)
    state.has_function_call = True
    if state.function_name is None and name:
        state.function_name = name
    if arguments:
        state.function_args.append(arguments)


def fold_audio(
    state: ChoiceState,
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
        raise after_finish(index, "audio", chunk_index)
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


def fold_logprobs(state: ChoiceState, logprobs: ChoiceLogprobs) -> None:
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


def build_choice(index: int, state: ChoiceState) -> dict[str, Any]:
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

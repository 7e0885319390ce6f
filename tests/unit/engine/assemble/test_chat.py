"""Tests for harness.engine.assemble.chat: folding streamed chat chunks into a ChatCompletion."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pydantic
import pytest
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
)
from openai.types.chat.chat_completion_chunk import ChoiceDelta

from harness.engine.assemble.chat import ChatAssembler, assemble_chat
from harness.errors import StreamContractError
from harness.util.httplib import httpx

SEEDS = Path(__file__).resolve().parents[3] / "data" / "seeds"
SEED_NAMES = [
    "conversation-error-handling-first-response.json",
    "conversation-multi-turn-streaming.json",
    "earth-multi-turn.json",
    "saturn-all-caps.json",
]


# --- helpers -------------------------------------------------------------------------------


def seed_items(name: str) -> list[dict[str, Any]]:
    """The raw chunk dicts of a llama-stack recording."""
    body = json.loads((SEEDS / name).read_text(encoding="utf-8"))["response"]["body"]
    assert body, name
    return [item["__data__"] for item in body]


def seed_text(name: str) -> str:
    """The reply text of a recording, joined straight from the JSON."""
    return "".join(
        choice["delta"]["content"] or "" for item in seed_items(name) for choice in item["choices"]
    )


def tc(
    index: int | None,
    *,
    id: str | None = None,
    name: str | None = None,
    arguments: str | None = None,
    type: str | None = None,
) -> dict[str, Any]:
    """One tool-call delta."""
    call: dict[str, Any] = {"index": index}
    if id is not None:
        call["id"] = id
    if type is not None:
        call["type"] = type
    function = {k: v for k, v in (("name", name), ("arguments", arguments)) if v is not None}
    if function:
        call["function"] = function
    return call


def ch(
    index: int = 0,
    *,
    content: str | None = None,
    role: str | None = None,
    refusal: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish: str | None = None,
    logprobs: dict[str, Any] | None = None,
    **delta: Any,
) -> dict[str, Any]:
    """One choice of a chunk."""
    delta.update(content=content, role=role, refusal=refusal, tool_calls=tool_calls)
    return {"index": index, "delta": delta, "finish_reason": finish, "logprobs": logprobs}


def chunk(
    *choices: dict[str, Any],
    id: str = "chatcmpl-1",
    model: str = "gpt-4o-2024-08-06",
    **fields: Any,
) -> ChatCompletionChunk:
    """A validated chunk with the given choices."""
    data: dict[str, Any] = {
        "id": id,
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "system_fingerprint": "fp_1",
        "choices": list(choices),
    }
    data.update(fields)
    return ChatCompletionChunk.model_validate(data)


def text_stream(*pieces: str, finish: str = "stop") -> list[ChatCompletionChunk]:
    """A role chunk, one chunk per piece, then a finish chunk."""
    return [
        chunk(ch(role="assistant", content="")),
        *(chunk(ch(content=piece)) for piece in pieces),
        chunk(ch(finish=finish)),
    ]


def token(text: str, logprob: float) -> dict[str, Any]:
    return {"token": text, "logprob": logprob, "bytes": list(text.encode()), "top_logprobs": []}


def function_calls(message: ChatCompletionMessage) -> list[ChatCompletionMessageFunctionToolCall]:
    """The message's tool calls, each checked to be a function call."""
    assert message.tool_calls is not None
    for call in message.tool_calls:
        assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    return [c for c in message.tool_calls if isinstance(c, ChatCompletionMessageFunctionToolCall)]


USAGE = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


# --- recorded seeds --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_assembles_to_joined_text(name: str) -> None:
    items = seed_items(name)
    reply = assemble_chat([ChatCompletionChunk.model_validate(item) for item in items])
    assert isinstance(reply, ChatCompletion)
    assert reply.object == "chat.completion"
    assert reply.id == items[0]["id"]
    assert reply.model == items[0]["model"]
    assert reply.system_fingerprint == items[0]["system_fingerprint"]
    assert reply.service_tier == items[0]["service_tier"]
    assert len(reply.choices) == 1
    choice = reply.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == seed_text(name)
    assert choice.message.tool_calls is None
    assert choice.message.refusal is None


def test_earth_seed_full_text() -> None:
    reply = assemble_chat(
        ChatCompletionChunk.model_validate(item) for item in seed_items("earth-multi-turn.json")
    )
    assert reply.choices[0].message.content == (
        "The name of the planet where humans live, as mentioned in the previous response, is Earth."
    )
    assert reply.choices[0].finish_reason == "stop"


def test_saturn_seed_from_constructed_chunks() -> None:
    """`construct` (no validation) is how the SDK builds the chunks it hands out."""
    items = seed_items("saturn-all-caps.json")
    assert len(items) == 49
    assembler = ChatAssembler()
    for item in items:
        assembler.feed(ChatCompletionChunk.construct(**item))
    reply = assembler.result()
    assert reply.choices[0].message.content == (
        'THE PLANET WITH RINGS AROUND IT AND A NAME STARTING WITH THE LETTER "S" IS SATURN.'
        " SATURN IS WELL-KNOWN FOR ITS PROMINENT AND VISUALLY STRIKING RING SYSTEM."
    )
    assert reply.choices[0].finish_reason == "stop"
    assert reply.id == "rec-1b7b199d0b13"


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_through_sdk_stream(name: str) -> None:
    """Chunks exactly as `client.chat.completions.create(stream=True)` yields them."""
    items = seed_items(name)
    sse = b"".join(b"data: " + json.dumps(item).encode() + b"\n\n" for item in items)
    sse += b"data: [DONE]\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse)

    client = openai.OpenAI(
        api_key="test",
        base_url="http://test.invalid/v1",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=httpx.MockTransport(handler)),
    )
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assembler = ChatAssembler()
    count = 0
    for streamed in stream:
        assembler.feed(streamed)
        count += 1
    assert count == len(items)
    reply = assembler.result()
    assert reply.choices[0].message.content == seed_text(name)
    assert reply.choices[0].finish_reason == "stop"


def test_seed_matches_non_streamed_reply() -> None:
    """The assembled reply dumps like the SDK's own non-streamed reply for the same answer."""
    items = seed_items("conversation-error-handling-first-response.json")
    reply = assemble_chat(ChatCompletionChunk.construct(**item) for item in items)
    # What the API returns for the same answer without streaming, built the way the SDK does.
    non_streamed = ChatCompletion.construct(
        id="rec-a3570859ba5d",
        object="chat.completion",
        created=0,
        model="gpt-4o-2024-08-06",
        choices=[
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello! How can I assist you today?",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        usage=None,
        service_tier="default",
        system_fingerprint="fp_cbf1785567",
    )
    assert reply.model_dump(exclude_unset=False) == non_streamed.model_dump(exclude_unset=False)
    assert reply == non_streamed


# --- hand-made streams -----------------------------------------------------------------------


def test_tool_call_split_across_ten_deltas() -> None:
    arguments = '{"location": "Paris, France", "unit": "celsius", "days": 3}'
    pieces = [arguments[i * 6 : (i + 1) * 6] for i in range(9)]
    pieces.append(arguments[54:])
    assert "".join(pieces) == arguments
    deltas = [tc(0, id="call_abc", type="function", name="get_weather", arguments=pieces[0])]
    deltas += [tc(0, arguments=piece) for piece in pieces[1:]]
    assert len(deltas) == 10
    chunks = [
        chunk(ch(role="assistant", tool_calls=[deltas[0]])),
        *(chunk(ch(tool_calls=[delta])) for delta in deltas[1:]),
        chunk(ch(finish="tool_calls")),
    ]
    reply = assemble_chat(chunks)
    message = reply.choices[0].message
    assert reply.choices[0].finish_reason == "tool_calls"
    assert message.content is None
    assert len(function_calls(message)) == 1
    call = function_calls(message)[0]
    assert call.type == "function"
    assert call.id == "call_abc"
    assert call.function.name == "get_weather"
    assert call.function.arguments == arguments
    assert json.loads(call.function.arguments)["days"] == 3


def test_tool_call_fields_from_first_delta_carrying_them() -> None:
    chunks = [
        chunk(ch(tool_calls=[tc(0, arguments="")])),
        chunk(ch(tool_calls=[tc(0, id="call_1", name="first", arguments="{")])),
        chunk(ch(tool_calls=[tc(0, id="call_x", name="later", arguments="}")])),
        chunk(ch(finish="tool_calls")),
    ]
    message = assemble_chat(chunks).choices[0].message
    call = function_calls(message)[0]
    assert (call.id, call.type, call.function.name, call.function.arguments) == (
        "call_1",
        "function",
        "first",
        "{}",
    )


def test_two_parallel_tool_calls_interleaved() -> None:
    chunks = [
        chunk(ch(role="assistant", content=None)),
        chunk(ch(tool_calls=[tc(1, id="call_2", type="function", name="get_time", arguments="")])),
        chunk(ch(tool_calls=[tc(0, id="call_1", type="function", name="get_weather")])),
        chunk(ch(tool_calls=[tc(0, arguments='{"city":')])),
        chunk(ch(tool_calls=[tc(1, arguments='{"tz": "CET"')])),
        chunk(ch(tool_calls=[tc(0, arguments=' "Paris"}'), tc(1, arguments="}")])),
        chunk(ch(finish="tool_calls")),
    ]
    message = assemble_chat(chunks).choices[0].message
    assert [(c.id, c.function.name, c.function.arguments) for c in function_calls(message)] == [
        ("call_1", "get_weather", '{"city": "Paris"}'),
        ("call_2", "get_time", '{"tz": "CET"}'),
    ]


def test_tool_calls_without_index_split_on_new_id() -> None:
    """Some providers leave out the delta `index`; a new id then opens a new call."""
    choices = [
        ch(tool_calls=[tc(None, id="call_1", name="a", arguments='{"x"')]),
        ch(tool_calls=[tc(None, arguments=": 1}")]),
        ch(tool_calls=[tc(None, id="call_2", name="b", arguments="{}")]),
        ch(finish="tool_calls"),
    ]
    # `index: None` does not validate; the SDK's `construct` lets it through.
    chunks = [ChatCompletionChunk.construct(id="c", model="m", choices=[c]) for c in choices]
    message = assemble_chat(chunks).choices[0].message
    calls = function_calls(message)
    assert [(c.id, c.type, c.function.name, c.function.arguments) for c in calls] == [
        ("call_1", "function", "a", '{"x": 1}'),
        ("call_2", "function", "b", "{}"),
    ]


def test_usage_only_last_chunk() -> None:
    chunks = [*text_stream("Hi", " there"), chunk(usage=USAGE)]
    assert chunks[-1].choices == []
    reply = assemble_chat(chunks)
    assert reply.usage is not None
    assert reply.usage.total_tokens == 15
    assert reply.usage.prompt_tokens == 12
    assert reply.choices[0].message.content == "Hi there"
    assert reply.model_dump()["usage"]["completion_tokens"] == 3


def test_null_usage_on_every_chunk_keeps_final_usage() -> None:
    chunks = [*text_stream("a"), chunk(usage=USAGE)]
    for c in chunks[:-1]:
        assert c.usage is None
    assert assemble_chat(chunks).usage == chunks[-1].usage


def test_empty_content_deltas_and_role_only_first_delta() -> None:
    chunks = [
        chunk(ch(role="assistant")),
        chunk(ch(content="")),
        chunk(ch(content="Hel")),
        chunk(ch(content="")),
        chunk(ch(content="lo")),
        chunk(ch(finish="stop")),
    ]
    message = assemble_chat(chunks).choices[0].message
    assert message.role == "assistant"
    assert message.content == "Hello"


def test_role_defaults_to_assistant() -> None:
    message = assemble_chat([chunk(ch(content="x")), chunk(ch(finish="stop"))]).choices[0].message
    assert message.role == "assistant"
    assert message.content == "x"


def test_only_empty_content_gives_none() -> None:
    """A role chunk with `content: ""` before tool calls must not turn content into ""."""
    chunks = [
        chunk(ch(role="assistant", content="")),
        chunk(ch(tool_calls=[tc(0, id="call_1", type="function", name="f", arguments="{}")])),
        chunk(ch(finish="tool_calls")),
    ]
    message = assemble_chat(chunks).choices[0].message
    assert message.content is None
    assert function_calls(message)[0].function.arguments == "{}"


def test_refusal() -> None:
    chunks = [
        chunk(ch(role="assistant", refusal="")),
        chunk(ch(refusal="I'm sorry, ")),
        chunk(ch(refusal="I can't help with that.")),
        chunk(ch(finish="stop")),
    ]
    message = assemble_chat(chunks).choices[0].message
    assert message.refusal == "I'm sorry, I can't help with that."
    assert message.content is None


def test_logprobs_concatenated() -> None:
    chunks = [
        chunk(ch(role="assistant", content="", logprobs={"content": [], "refusal": None})),
        chunk(ch(content="Hi", logprobs={"content": [token("Hi", -0.1)], "refusal": None})),
        chunk(ch(content="!", logprobs={"content": [token("!", -0.5)], "refusal": None})),
        chunk(ch(finish="stop")),
    ]
    logprobs = assemble_chat(chunks).choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert [(t.token, t.logprob) for t in logprobs.content] == [("Hi", -0.1), ("!", -0.5)]
    assert logprobs.refusal is None


def test_refusal_logprobs_concatenated() -> None:
    chunks = [
        chunk(ch(refusal="No", logprobs={"refusal": [token("No", -0.2)]})),
        chunk(ch(refusal=".", logprobs={"refusal": [token(".", -0.3)]})),
        chunk(ch(finish="stop")),
    ]
    logprobs = assemble_chat(chunks).choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is None
    assert logprobs.refusal is not None
    assert [t.token for t in logprobs.refusal] == ["No", "."]


def test_no_logprobs_gives_none() -> None:
    assert assemble_chat(text_stream("a")).choices[0].logprobs is None


def test_several_choices_sorted_by_index() -> None:
    chunks = [
        chunk(ch(1, role="assistant", content="B"), ch(0, role="assistant", content="A")),
        chunk(ch(1, content="b"), ch(0, content="a")),
        chunk(ch(1, finish="length")),
        chunk(ch(0, finish="stop")),
    ]
    reply = assemble_chat(chunks)
    assert [(c.index, c.message.content, c.finish_reason) for c in reply.choices] == [
        (0, "Aa", "stop"),
        (1, "Bb", "length"),
    ]


def test_content_in_the_finish_chunk_is_kept() -> None:
    chunks = [chunk(ch(role="assistant", content="Hel")), chunk(ch(content="lo", finish="stop"))]
    reply = assemble_chat(chunks)
    assert reply.choices[0].message.content == "Hello"
    assert reply.choices[0].finish_reason == "stop"


def test_tolerated_after_finish() -> None:
    """After finish_reason: empty content, role-only deltas and usage-only chunks are fine."""
    chunks = [
        *text_stream("ok"),
        chunk(ch(content="")),
        chunk(ch(role="assistant")),
        chunk(ch()),
        chunk(usage=USAGE),
    ]
    reply = assemble_chat(chunks)
    assert reply.choices[0].message.content == "ok"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None


def test_azure_style_prompt_filter_chunk_is_not_an_id_change() -> None:
    """Azure opens with a chunk whose id and model are "" and choices are []."""
    first = chunk(id="", model="", created=0, prompt_filter_results=[{"prompt_index": 0}])
    reply = assemble_chat([first, *text_stream("x")])
    assert reply.id == "chatcmpl-1"
    assert reply.model == "gpt-4o-2024-08-06"
    assert reply.created == 1700000000
    assert reply.choices[0].message.content == "x"


def test_constructed_chunks_with_missing_fields() -> None:
    """`construct` leaves absent fields None; nothing may depend on them being set."""
    chunks = [
        ChatCompletionChunk.construct(
            id="c1", choices=[{"index": 0, "delta": {"content": "He"}}], model="m"
        ),
        ChatCompletionChunk.construct(choices=[{"index": 0, "delta": {"content": "y"}}]),
        ChatCompletionChunk.construct(choices=[{"delta": {}, "finish_reason": "stop"}]),
    ]
    reply = assemble_chat(chunks)
    assert reply.id == "c1"
    assert reply.model == "m"
    assert reply.created == 0
    assert reply.system_fingerprint is None
    assert reply.choices[0].message.content == "Hey"
    assert reply.choices[0].finish_reason == "stop"


def test_legacy_function_call() -> None:
    chunks = [
        chunk(ch(role="assistant", function_call={"name": "f", "arguments": ""})),
        chunk(ch(function_call={"arguments": '{"a":'})),
        chunk(ch(function_call={"arguments": " 1}"})),
        chunk(ch(finish="function_call")),
    ]
    message = assemble_chat(chunks).choices[0].message
    assert message.function_call is not None
    assert message.function_call.name == "f"
    assert message.function_call.arguments == '{"a": 1}'


def test_audio() -> None:
    chunks = [
        chunk(ch(role="assistant", audio={"id": "audio_1", "transcript": "Hi", "data": "AAA"})),
        chunk(ch(audio={"transcript": " there", "data": "BBB"})),
        chunk(ch(finish="stop")),
        # The final audio update carries only expires_at, after the finish_reason.
        chunk(ch(audio={"expires_at": 1700003600})),
    ]
    audio = assemble_chat(chunks).choices[0].message.audio
    assert audio is not None
    assert (audio.id, audio.data, audio.transcript, audio.expires_at) == (
        "audio_1",
        "AAABBB",
        "Hi there",
        1700003600,
    )


def test_equivalent_to_hand_made_non_streamed_reply() -> None:
    chunks = [
        chunk(ch(role="assistant", content="")),
        chunk(ch(content="Let me ")),
        chunk(ch(content="check.")),
        chunk(ch(tool_calls=[tc(0, id="call_9", type="function", name="lookup", arguments="")])),
        chunk(ch(tool_calls=[tc(0, arguments='{"q": "x"}')])),
        chunk(ch(finish="tool_calls")),
        chunk(usage=USAGE),
    ]
    expected = ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4o-2024-08-06",
            "system_fingerprint": "fp_1",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "logprobs": None,
                    "message": {
                        "role": "assistant",
                        "content": "Let me check.",
                        "refusal": None,
                        "tool_calls": [
                            {
                                "id": "call_9",
                                "type": "function",
                                "function": {"name": "lookup", "arguments": '{"q": "x"}'},
                            }
                        ],
                    },
                }
            ],
            "usage": USAGE,
        }
    )
    reply = assemble_chat(chunks)
    assert [c.model_dump() for c in reply.choices] == [c.model_dump() for c in expected.choices]
    assert reply.choices[0].message.model_dump() == expected.choices[0].message.model_dump()
    assert reply.model_dump() == expected.model_dump()


def test_result_is_plain_chat_completion_even_when_unvalidatable() -> None:
    """With check=False a choice without finish_reason still assembles (unvalidated)."""
    reply = assemble_chat([chunk(ch(content="partial"))], check=False)
    assert type(reply) is ChatCompletion
    assert reply.choices[0].message.content == "partial"
    assert reply.choices[0].finish_reason is None


# --- stream contract -------------------------------------------------------------------------


def _call(args: str) -> list[ChatCompletionChunk]:
    return [
        chunk(ch(role="assistant", tool_calls=[tc(0, id="call_1", type="function", name="f")])),
        chunk(ch(tool_calls=[tc(0, arguments=args)])),
        chunk(ch(finish="tool_calls")),
    ]


# (stream, chunk index, cause substring, content of choice 0 when check=False or None)
VIOLATIONS: dict[str, tuple[list[ChatCompletionChunk], int, str, str | None]] = {
    "empty stream": ([], 0, "empty stream", None),
    "no choice at all": ([chunk(usage=USAGE)], 1, "without any choice", None),
    "missing finish_reason": (
        [chunk(ch(role="assistant", content="")), chunk(ch(content="cut"))],
        2,
        "choice 0: stream ended without a finish_reason",
        "cut",
    ),
    "missing finish_reason on second choice": (
        [chunk(ch(0, content="a"), ch(1, content="b")), chunk(ch(0, finish="stop"))],
        2,
        "choice 1: stream ended without a finish_reason",
        "a",
    ),
    "content after finish": (
        [*text_stream("one"), chunk(ch(content=" more"))],
        3,
        "choice 0: content after its finish_reason",
        "one more",
    ),
    "refusal after finish": (
        [*text_stream("one"), chunk(ch(refusal="no"))],
        3,
        "refusal after its finish_reason",
        "one",
    ),
    "tool_calls after finish": (
        [*text_stream("one"), chunk(ch(tool_calls=[tc(0, id="c", name="f", arguments="{}")]))],
        3,
        "tool_calls after its finish_reason",
        "one",
    ),
    "second finish_reason": (
        [*text_stream("one"), chunk(ch(finish="stop")), chunk(usage=USAGE)],
        3,
        "second finish_reason 'stop' after 'stop'",
        "one",
    ),
    "id change": (
        [chunk(ch(content="a")), chunk(ch(content="b"), id="chatcmpl-2"), chunk(ch(finish="stop"))],
        1,
        "id changed mid-stream from 'chatcmpl-1' to 'chatcmpl-2'",
        "ab",
    ),
    "model change": (
        [chunk(ch(content="a")), chunk(ch(finish="stop"), model="gpt-4o-mini")],
        1,
        "model changed mid-stream",
        "a",
    ),
    "invalid JSON arguments": (
        _call('{"city": "Par'),
        2,
        "tool call 0 (f) arguments are not valid JSON",
        None,
    ),
    "multi-line invalid JSON arguments": (_call('{\n"a":\n'), 2, "not valid JSON", None),
    "empty arguments": (_call(""), 2, "tool call 0 (f) has empty arguments", None),
    "invalid function_call arguments": (
        [chunk(ch(function_call={"name": "g", "arguments": "{"})), chunk(ch(finish="stop"))],
        1,
        "function_call (g) arguments are not valid JSON",
        None,
    ),
}


@pytest.mark.parametrize(("name"), list(VIOLATIONS))
def test_contract_violation_raises(name: str) -> None:
    chunks, index, cause, _ = VIOLATIONS[name]
    with pytest.raises(StreamContractError) as info:
        assemble_chat(chunks)
    error = info.value
    assert error.chunk_index == index
    assert cause in error.cause
    assert "\n" not in error.cause
    assert str(error) == f"stream contract: chunk {index}: {error.cause}"


@pytest.mark.parametrize(("name"), list(VIOLATIONS))
def test_contract_violation_unchecked_still_assembles(name: str) -> None:
    chunks, _, _, content = VIOLATIONS[name]
    reply = assemble_chat(chunks, check=False)
    assert isinstance(reply, ChatCompletion)
    if not chunks or not any(c.choices for c in chunks):
        assert reply.choices == []
    else:
        assert reply.choices[0].message.content == content


@pytest.mark.parametrize(
    "name",
    [n for n, v in VIOLATIONS.items() if v[1] < len(v[0])],
)
def test_feed_raises_at_the_offending_chunk(name: str) -> None:
    """Mid-stream violations surface from feed() at once, not from result()."""
    chunks, index, _, _ = VIOLATIONS[name]
    assembler = ChatAssembler()
    for good in chunks[:index]:
        assembler.feed(good)
    with pytest.raises(StreamContractError) as info:
        assembler.feed(chunks[index])
    assert info.value.chunk_index == index


def test_unchecked_keeps_first_finish_reason_and_later_content() -> None:
    chunks = [
        chunk(ch(content="a")),
        chunk(ch(finish="length")),
        chunk(ch(content="b")),
        chunk(ch(finish="stop")),
    ]
    choice = assemble_chat(chunks, check=False).choices[0]
    assert choice.finish_reason == "length"
    assert choice.message.content == "ab"


def test_unchecked_invalid_arguments_kept_verbatim() -> None:
    message = assemble_chat(_call("{oops"), check=False).choices[0].message
    assert function_calls(message)[0].function.arguments == "{oops"


def test_valid_no_argument_call_passes() -> None:
    message = assemble_chat(_call("{}")).choices[0].message
    assert function_calls(message)[0].function.arguments == "{}"


def test_long_invalid_arguments_are_truncated_in_cause() -> None:
    with pytest.raises(StreamContractError) as info:
        assemble_chat(_call('{"text": "' + "x" * 500))
    assert "..." in info.value.cause
    assert len(info.value.cause) < 200


def test_checked_result_can_be_called_again() -> None:
    assembler = ChatAssembler()
    for c in text_stream("a", "b"):
        assembler.feed(c)
    assert assembler.result() == assembler.result()
    assert assembler.result().choices[0].message.content == "ab"


def _each(chunks: list[ChatCompletionChunk]) -> Iterator[ChatCompletionChunk]:
    yield from chunks


@pytest.mark.parametrize("source", [list, _each])
def test_assemble_chat_accepts_any_iterable(
    source: Callable[[list[ChatCompletionChunk]], Any],
) -> None:
    assert assemble_chat(source(text_stream("x", "y"))).choices[0].message.content == "xy"


def test_audio_kept_as_a_dict_by_an_sdk_without_its_type() -> None:
    """openai 2.x has no ``ChoiceDeltaAudio``: its delta keeps the wire's audio as a dict."""
    fields = ChoiceDelta.model_fields
    old_delta = pydantic.create_model(  # ChoiceDelta as an SDK without the audio field has it
        "OldChoiceDelta",
        __base__=openai.BaseModel,
        **{name: (info.annotation, None) for name, info in fields.items() if name != "audio"},
    )
    raw = {"id": "audio_1", "transcript": "Hi", "data": "AAA", "expires_at": 1700003600}
    first = chunk(ch(role="assistant"))
    first.choices[0].delta = old_delta.model_validate({"role": "assistant", "audio": raw})
    assert first.choices[0].delta.audio == raw  # the SDK keeps the unknown field as a dict
    audio = assemble_chat([first, chunk(ch(finish="stop"))]).choices[0].message.audio
    assert audio is not None
    assert (audio.id, audio.data, audio.transcript, audio.expires_at) == (
        "audio_1",
        "AAA",
        "Hi",
        1700003600,
    )

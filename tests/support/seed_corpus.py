"""Recordings in the seed (llama-stack/OGX) format, built by the tests: text replies, tool calls
(streamed with the arguments split across chunks, and not), provider errors as llama-stack
records them (``is_exception``), and the same request recorded by several tests.

Each :class:`SeedCase` knows the request it answers and what its reply must replay as, so a
test can generate the scenario that sends that request and expects exactly that reply.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROVIDER = "acme"
MODEL = "gpt-4o"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@dataclass
class SeedCase:
    """One seed recording: the request (question, streaming, tools) and the reply it holds."""

    name: str
    question: str
    stream: bool
    test: str = "test_it"
    text: str | None = None  # a text reply
    tool_call: dict[str, Any] | None = None  # {"name", "arguments": {...}}
    error: dict[str, Any] | None = None  # {"status", "type", "body", "message"}
    tools: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # merged into exception_data

    @property
    def test_id(self) -> str:
        return f"tests/integration/test_chat.py::{self.test}[txt={PROVIDER}/{MODEL}-{self.name}]"

    @property
    def request_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": MODEL,
            "messages": [{"role": "user", "content": self.question}],
        }
        if self.stream:
            body["stream"] = True
        if self.tools:
            body["tools"] = TOOLS
        return body

    def document(self) -> dict[str, Any]:
        """The seed-format JSON document."""
        rid = "rec-" + hashlib.sha256(self.test_id.encode()).hexdigest()[:12]  # test-specific
        if self.error is not None:
            response: dict[str, Any] = {
                "body": None,
                "is_exception": True,
                "exception_data": {
                    "category": "provider_sdk",
                    "provider": "openai",
                    "type": self.error["type"],
                    "message": self.error["message"],
                    "status_code": self.error["status"],
                    "body": self.error["body"],
                    **self.extra,
                },
            }
        elif self.stream:
            response = {"body": [_wrap_chunk(c) for c in self._chunks(rid)], "is_streaming": True}
        else:
            response = {"body": _wrap_completion(self._completion(rid)), "is_streaming": False}
        return {
            "test_id": self.test_id,
            "request": {
                "method": "POST",
                "url": "https://api.openai.com/v1/v1/chat/completions",
                "headers": {},
                "body": self.request_body,
                "endpoint": "/v1/chat/completions",
                "model": MODEL,
            },
            "response": response,
            "id_normalization_mapping": {},
        }

    def write(self, folder: Path) -> Path:
        """Written under a llama-stack-like name: the hash of request and test id."""
        digest = hashlib.sha256(
            json.dumps([self.test_id, self.request_body], sort_keys=True).encode()
        ).hexdigest()
        path = folder / f"{digest}.json"
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.document(), indent=2), encoding="utf-8")
        return path

    def _completion(self, rid: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text, "refusal": None}
        if self.tool_call is not None:
            message["tool_calls"] = [
                {
                    "id": "call_" + self.name.replace("-", "_"),
                    "type": "function",
                    "function": {
                        "name": self.tool_call["name"],
                        "arguments": json.dumps(self.tool_call["arguments"]),
                    },
                }
            ]
        return {
            "id": rid,
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if self.tool_call else "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
        }

    def _chunks(self, rid: str) -> list[dict[str, Any]]:
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        if self.text is not None:
            deltas += [{"content": word} for word in _pieces(self.text, 4)]
        if self.tool_call is not None:
            arguments = json.dumps(self.tool_call["arguments"])
            deltas.append(
                {
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_" + self.name.replace("-", "_"),
                            "type": "function",
                            "function": {"name": self.tool_call["name"], "arguments": ""},
                        }
                    ],
                }
            )
            # The arguments split mid-token across chunks, as providers stream them.
            deltas += [
                {
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": None,
                            "type": None,
                            "function": {"name": None, "arguments": piece},
                        }
                    ],
                }
                for piece in _pieces(arguments, 3)
            ]
        chunks = [_chunk(rid, delta, None) for delta in deltas]
        chunks.append(_chunk(rid, {}, "tool_calls" if self.tool_call else "stop"))
        return chunks


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _chunk(rid: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    full = {"content": None, "function_call": None, "refusal": None, "role": None}
    full["tool_calls"] = None
    full.update(delta)
    return {
        "id": rid,
        "choices": [{"delta": full, "finish_reason": finish, "index": 0, "logprobs": None}],
        "created": 0,
        "model": "gpt-4o-2024-08-06",
        "object": "chat.completion.chunk",
        "service_tier": "default",
        "system_fingerprint": "fp_cbf1785567",
        "usage": None,
    }


def _wrap_chunk(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk",
        "__data__": data,
    }


def _wrap_completion(data: dict[str, Any]) -> dict[str, Any]:
    return {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": data}


def error_case(name: str, *, status: int, kind: str, stream: bool = False) -> SeedCase:
    """A provider error as llama-stack records it: the SDK's exception, body unwrapped."""
    inner = {
        "message": f"{name}: the provider refused this ({status})",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    return SeedCase(
        name=name,
        question=f"please fail with {status} ({name})",
        stream=stream,
        error={
            "status": status,
            "type": kind,
            "body": inner,
            "message": f"Error code: {status} - {{'error': {inner!r}}}",
        },
    )


def mixed_batch() -> tuple[list[SeedCase], dict[str, int]]:
    """Texts, tool calls, errors, identical and conflicting duplicates; and the exact counts
    an import of them must report."""
    cases = [
        SeedCase(name="plain", question="Which planet do we live on?", stream=False, text="Earth."),
        SeedCase(
            name="streamed", question="Name a gas giant.", stream=True, text="Jupiter is one."
        ),
        SeedCase(
            name="tool",
            question="Weather in Paris?",
            stream=False,
            tools=True,
            tool_call={"name": "get_weather", "arguments": {"city": "Paris"}},
        ),
        SeedCase(
            name="tool-streamed",
            question="Weather in Lyon, streamed?",
            stream=True,
            tools=True,
            tool_call={"name": "get_weather", "arguments": {"city": "Lyon", "unit": "celsius"}},
        ),
        error_case("bad-request", status=400, kind="BadRequestError"),
        error_case("not-found", status=404, kind="NotFoundError", stream=True),
        error_case("overloaded", status=503, kind="InternalServerError"),
        # The same request and reply from two other tests (their ids differ): merged.
        SeedCase(name="same", question="Say hi.", stream=False, text="Hi!", test="test_a"),
        SeedCase(name="same", question="Say hi.", stream=False, text="Hi!", test="test_b"),
        SeedCase(name="same", question="Say hi.", stream=False, text="Hi!", test="test_c"),
        # The same request, different replies from two tests (one streamed): a conflict.
        SeedCase(
            name="moon", question="Describe the Moon.", stream=True, text="Grey.", test="test_x"
        ),
        SeedCase(
            name="moon", question="Describe the Moon.", stream=True, text="Dusty.", test="test_y"
        ),
    ]
    counts = {"read": 12, "written": 10, "merged": 2, "conflicts": 1, "skipped": 0}
    return cases, counts

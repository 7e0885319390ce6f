"""The recording format: one request and its response, as the llama-stack/OGX recorder writes it.

```
{"test_id": ..., "request": {"method", "url", "headers", "body", "endpoint", "model"},
 "response": {"body": [{"__type__", "__data__"}, ...] | {"__type__", "__data__"},
              "is_streaming": bool, "status_code": int (only when not 200),
              "truncated": true (only when the stream broke off)},
 "id_normalization_mapping": {}}
```
``__type__`` is informative only: it is never imported; replay serves ``__data__`` as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.errors import RecordingCorruptError
from harness.replay.key import RequestKey, canonical_json, canonical_query
from harness.replay.normalize import normalize_body

# Informative type names for the objects the SDK would build (never imported on replay).
_TYPES_BY_OBJECT = {
    "chat.completion.chunk": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk",
    "chat.completion": "openai.types.chat.chat_completion.ChatCompletion",
    "response": "openai.types.responses.response.Response",
    "conversation": "openai.types.conversations.conversation.Conversation",
    "conversation.deleted": "openai.types.conversations.conversation_deleted_resource."
    "ConversationDeletedResource",
    "model": "openai.types.model.Model",
}


def type_name(data: Any) -> str:
    """The ``__type__`` written for a response object or stream event."""
    if isinstance(data, dict):
        obj = data.get("object")
        if isinstance(obj, str) and obj in _TYPES_BY_OBJECT:
            return _TYPES_BY_OBJECT[obj]
        kind = data.get("type")
        if isinstance(kind, str) and kind.startswith("response."):
            return "openai.types.responses.response_stream_event.ResponseStreamEvent"
        if "error" in data or "detail" in data:
            return "error"
    return "json"


def _compact_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, built once.

    ``json.dumps`` with any non-default argument builds a new encoder per call, which costs as
    much as encoding a small stream chunk; replay encodes every chunk of every stream.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return encoder.encode
    try:
        iterencode = make(
            None,
            encoder.default,
            json.encoder.encode_basestring,
            None,
            ":",
            ",",
            False,
            False,
            True,
        )
    except TypeError:  # pragma: no cover - a Python whose accelerator takes other arguments
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode


# What providers send: compact JSON (replayed bytes are what the SDK parses; smaller is faster).
wire_json = _compact_encoder()


@dataclass(frozen=True)
class Recording:
    """One recorded request/response pair."""

    test_id: str
    method: str
    url: str
    endpoint: str
    request_body: Any
    response_body: Any
    is_streaming: bool
    status_code: int = 200
    truncated: bool = False
    occurrence: int = 1
    scope: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    id_normalization_mapping: dict[str, str] = field(default_factory=dict)

    def key(self, provider: str) -> RequestKey:
        """The lookup key this recording answers for ``provider``."""
        return RequestKey(
            provider=provider,
            method=self.method,
            endpoint=self.endpoint,
            body=self.request_body,
            query=canonical_query(self.url),
            occurrence=self.occurrence,
            scope=self.scope,
        )

    def same_reply(self, other: Recording) -> bool:
        """Whether ``other`` holds the same reply, volatile fields (ids, timestamps) aside.

        Compared as canonical JSON: ``==`` would take 1, 1.0 and true as equal.
        """
        return (self.status_code, self.is_streaming, self.truncated) == (
            other.status_code,
            other.is_streaming,
            other.truncated,
        ) and _reply_form(self.response_body) == _reply_form(other.response_body)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, in the seed format."""
        model = self.request_body.get("model") if isinstance(self.request_body, dict) else None
        response: dict[str, Any] = {"body": self.response_body, "is_streaming": self.is_streaming}
        if self.status_code != 200:
            response["status_code"] = self.status_code
        if self.truncated:
            response["truncated"] = True
        request: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "headers": dict(self.request_headers),
            "body": self.request_body,
            "endpoint": self.endpoint,
            "model": model,
        }
        if self.occurrence > 1:
            request["occurrence"] = self.occurrence
        if self.scope:
            request["scope"] = self.scope
        return {
            "test_id": self.test_id,
            "request": request,
            "response": response,
            "id_normalization_mapping": dict(self.id_normalization_mapping),
        }

    def to_json(self) -> str:
        """Pretty JSON with a trailing newline: recordings are committed and read in diffs."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any, *, source: str) -> Recording:
        """Parse a recording document; anything off raises :class:`RecordingCorruptError`."""
        try:
            request = data["request"]
            response = data["response"]
            body = response["body"]
            streaming = response.get("is_streaming", isinstance(body, list))
            if not isinstance(streaming, bool):
                raise TypeError("response.is_streaming must be true or false")
            _check_body(body, streaming)
            url = str(request.get("url", ""))
            canonical_query(url)  # a URL urlsplit refuses ("http://[x") would fail every lookup
            status = int(response.get("status_code", 200))
            if not 100 <= status <= 599:
                raise ValueError(f"response.status_code {status} is not an HTTP status (100-599)")
            return cls(
                test_id=str(data.get("test_id", "")),
                method=str(request["method"]).upper(),
                url=url,
                endpoint=str(request["endpoint"]),
                request_body=request.get("body"),
                response_body=body,
                is_streaming=streaming,
                status_code=status,
                truncated=bool(response.get("truncated", False)),
                occurrence=int(request.get("occurrence", 1)),
                scope=str(request.get("scope", "")),
                request_headers=dict(request.get("headers") or {}),
                id_normalization_mapping=dict(data.get("id_normalization_mapping") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise RecordingCorruptError(
                f"{source}: not a valid recording ({type(exc).__name__}: {exc}); "
                "run `harness recordings verify`"
            ) from None

    def response_content(self) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and the bytes the provider sent (SSE framing for streams)."""
        if not self.is_streaming:
            data = self.response_body.get("__data__")
            payload = data if isinstance(data, str) else wire_json(data)
            return self.status_code, {"content-type": "application/json"}, payload.encode()
        parts: list[str] = []
        chat = False
        for item in self.response_body:
            data = item["__data__"]
            event = data.get("type") if isinstance(data, dict) else None
            chat = chat or (
                isinstance(data, dict) and data.get("object") == "chat.completion.chunk"
            )
            head = f"event: {event}\n" if isinstance(event, str) and not chat else ""
            parts.append(f"{head}data: {wire_json(data)}\n\n")
        if chat and not self.truncated:  # a stream that broke off never said [DONE]
            parts.append("data: [DONE]\n\n")
        return self.status_code, {"content-type": "text/event-stream"}, "".join(parts).encode()


def _reply_form(body: Any) -> str:
    return canonical_json(normalize_body(body, digest="0" * 16))


def _check_body(body: Any, streaming: bool) -> None:
    items = body if streaming else [body]
    if not isinstance(items, list):
        raise TypeError("a streamed response body must be a list of chunks")
    for item in items:
        if not isinstance(item, dict) or "__data__" not in item:
            raise TypeError("each response object needs '__type__' and '__data__'")


def wrap(data: Any) -> dict[str, Any]:
    """``{"__type__", "__data__"}`` for one response object or event."""
    return {"__type__": type_name(data), "__data__": data}

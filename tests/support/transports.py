"""Building blocks for the transport tests: keyed compositions, SDK clients on them, replies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam

from harness.errors import RecordingMissError
from harness.replay.key import RequestKey
from harness.replay.recording import Recording
from harness.replay.store import RecordingStore
from harness.replay.transports import (
    AsyncTransport,
    CallLog,
    CallScope,
    Keyer,
    Keying,
    Occurrences,
    RecordTransport,
    ReplayOrRecord,
    ReplayTransport,
)
from harness.util.httplib import httpx

BASE_URL = "https://api.example.test/v1"
SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.json"))
SECRET = "sk-test-very-secret-key-0123456789"

Handler = Callable[[httpx.Request], httpx.Response]


def keyed(
    inner: httpx.BaseTransport,
    *,
    log: CallLog,
    scope: CallScope | None = None,
    provider: str = "openai",
    base_url: str = BASE_URL,
    occurrences: Occurrences | None = None,
) -> Keying:
    """``inner`` behind the keying front a case's transport has."""
    scope = scope or CallScope()
    keyer = Keyer(provider=provider, base_url=base_url, scope=scope.scope, occurrences=occurrences)
    return Keying(keyer=keyer, inner=inner, log=log)


def replaying(
    store: RecordingStore,
    *,
    scope: CallScope | None = None,
    log: CallLog | None = None,
    provider: str = "openai",
    base_url: str = BASE_URL,
) -> Keying:
    """A keyed :class:`ReplayTransport`."""
    scope, log = scope or CallScope(), log or CallLog()
    replay = ReplayTransport(store=store, scope=scope, log=log)
    return keyed(replay, log=log, scope=scope, provider=provider, base_url=base_url)


def recorder(
    store: RecordingStore,
    inner: Inner,
    *,
    replace: bool = True,
    missing_only: bool = False,
    test_id: str = "tid",
    log: CallLog | None = None,
) -> Keying:
    """A keyed :class:`RecordTransport` (``missing_only``: behind a :class:`ReplayOrRecord`)."""
    scope, log = CallScope(test_id=test_id), log or CallLog()
    record = RecordTransport(
        store=store, inner=inner.transport, scope=scope, log=log, base_url=BASE_URL,
        replace=replace,
    )  # fmt: skip
    core: httpx.BaseTransport = record
    if missing_only:
        replay = ReplayTransport(store=store, scope=scope, log=log)
        core = ReplayOrRecord(replay=replay, record=record)
    return keyed(core, log=log, scope=scope)


def client_on(
    transport: httpx.BaseTransport, *, api_key: str = "x", max_retries: int = 0
) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=BASE_URL,
        api_key=api_key,
        max_retries=max_retries,
        http_client=openai.DefaultHttpxClient(transport=transport),
    )


def replay_client(
    store: RecordingStore, *, scope: CallScope | None = None, log: CallLog | None = None
) -> openai.OpenAI:
    """An SDK client on a keyed :class:`ReplayTransport`."""
    return client_on(replaying(store, scope=scope, log=log))


def async_front(transport: Keying, *, inline: bool = False) -> AsyncTransport:
    """The async front of a keyed transport, keying in the loop."""
    return AsyncTransport(sync=transport, keyer=transport.keyer, inline=inline)


class Inner:
    """An inner transport (httpx MockTransport) that counts and captures requests."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.closed = False

        def capture(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        self.transport = httpx.MockTransport(capture)
        original_close = self.transport.close

        def close() -> None:
            self.closed = True
            original_close()

        self.transport.close = close  # type: ignore[method-assign]


def load_seed(path: Path) -> Recording:
    return Recording.from_dict(json.loads(path.read_text(encoding="utf-8")), source=str(path))


def completion(content: str | None = "Hello there.", **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
            }
        ],
        **extra,
    }


def chunk(content: str | None, finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }


def sse(*events: Any, done: bool = True) -> bytes:
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
    return (text + ("data: [DONE]\n\n" if done else "")).encode()


def messages(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


def chat_key(body: Any) -> RequestKey:
    return RequestKey(provider="openai", method="POST", endpoint="/v1/chat/completions", body=body)


def recording_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def find_miss(exc: BaseException) -> RecordingMissError:
    """The RecordingMissError behind what the SDK raised.

    openai 2.x wraps transport exceptions in APIConnectionError (the miss is its __cause__);
    openai 3.x lets exceptions that are not httpx errors through unwrapped.
    """
    if isinstance(exc, RecordingMissError):
        return exc
    assert isinstance(exc, openai.APIConnectionError), type(exc)
    assert isinstance(exc.__cause__, RecordingMissError), exc.__cause__
    return exc.__cause__

"""Tests for harness.replay.recording: the seed format, parsing and writing, replay bytes."""

from __future__ import annotations

import builtins
import copy
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.errors import RecordingCorruptError
from harness.replay.key import RequestKey
from harness.replay.recording import Recording, type_name, wrap

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "tests" / "data" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.json"))
CHUNK_TYPE = "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"


def seed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SEEDS / name).read_text(encoding="utf-8"))
    return data


def chunk(content: str, finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }


def recording(**changes: Any) -> Recording:
    fields: dict[str, Any] = {
        "test_id": "t",
        "method": "POST",
        "url": "https://api.example.test/v1/chat/completions",
        "endpoint": "/v1/chat/completions",
        "request_body": {"model": "m", "messages": []},
        "response_body": wrap({"object": "chat.completion", "id": "x"}),
        "is_streaming": False,
    }
    fields.update(changes)
    return Recording(**fields)


def test_seed_files_exist() -> None:
    assert len(SEED_FILES) == 4


# --- type names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ({"object": "chat.completion.chunk"}, CHUNK_TYPE),
        ({"object": "chat.completion"}, "openai.types.chat.chat_completion.ChatCompletion"),
        ({"object": "response"}, "openai.types.responses.response.Response"),
        (
            {"type": "response.output_text.delta"},
            "openai.types.responses.response_stream_event.ResponseStreamEvent",
        ),
        ({"error": {"message": "no"}}, "error"),
        ({"detail": "no"}, "error"),
        ({"object": "something.else"}, "json"),
        ([1, 2], "json"),
        ("text", "json"),
    ],
)
def test_type_name(data: Any, name: str) -> None:
    assert type_name(data) == name
    assert wrap(data) == {"__type__": name, "__data__": data}


# --- from_dict / to_dict -------------------------------------------------------------------


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.stem)
def test_from_dict_reads_every_seed(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    rec = Recording.from_dict(data, source=str(path))
    assert rec.test_id == data["test_id"]
    assert "txt=openai/gpt-4o" in rec.test_id
    assert rec.method == "POST"
    assert rec.url == data["request"]["url"]
    assert rec.endpoint == "/v1/chat/completions"
    assert rec.request_body == data["request"]["body"]
    assert rec.request_body["stream"] is True
    assert rec.is_streaming is True
    assert rec.status_code == 200
    assert rec.request_headers == {}
    assert rec.response_body == data["response"]["body"]
    assert all(item["__type__"] == CHUNK_TYPE for item in rec.response_body)


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.stem)
def test_to_dict_reproduces_the_seed(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    rec = Recording.from_dict(data, source=str(path))
    out = rec.to_dict()
    expected = {**data, "id_normalization_mapping": data.get("id_normalization_mapping", {})}
    assert out == expected
    assert Recording.from_dict(out, source="again") == rec
    assert Recording.from_dict(json.loads(rec.to_json()), source="json") == rec


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.stem)
def test_seed_keys_name_the_committed_recordings(path: Path) -> None:
    # The repository's recordings were imported from these seeds; their names must still match.
    rec = Recording.from_dict(json.loads(path.read_text(encoding="utf-8")), source=str(path))
    assert (REPO / "recordings" / "openai" / rec.key("openai").filename).is_file()


def test_key_of_a_recording_uses_endpoint_and_url_query() -> None:
    rec = recording(url="https://h/v1/v1/chat/completions?z=1&a=2")
    k = rec.key("p")
    assert k == RequestKey(
        provider="p",
        method="POST",
        endpoint="/v1/chat/completions",
        body=rec.request_body,
        query="a=2&z=1",
    )


def test_to_dict_layout_and_status_code() -> None:
    rec = recording(status_code=404, request_headers={"x": "y"})
    out = rec.to_dict()
    assert out == {
        "test_id": "t",
        "request": {
            "method": "POST",
            "url": "https://api.example.test/v1/chat/completions",
            "headers": {"x": "y"},
            "body": {"model": "m", "messages": []},
            "endpoint": "/v1/chat/completions",
            "model": "m",
        },
        "response": {
            "body": {
                "__type__": "openai.types.chat.chat_completion.ChatCompletion",
                "__data__": {"object": "chat.completion", "id": "x"},
            },
            "is_streaming": False,
            "status_code": 404,
        },
        "id_normalization_mapping": {},
    }
    assert "status_code" not in recording().to_dict()["response"]
    assert recording(request_body=None).to_dict()["request"]["model"] is None
    assert Recording.from_dict(out, source="s").status_code == 404


def test_truncated_is_written_only_when_set_and_read_back() -> None:
    plain = recording(response_body=[wrap(chunk("a"))], is_streaming=True)
    assert "truncated" not in plain.to_dict()["response"]
    assert Recording.from_dict(plain.to_dict(), source="s").truncated is False
    cut = recording(response_body=[wrap(chunk("a"))], is_streaming=True, truncated=True)
    assert cut.to_dict()["response"]["truncated"] is True
    assert Recording.from_dict(cut.to_dict(), source="s") == cut


def test_to_json_is_pretty_with_a_trailing_newline() -> None:
    text = recording(request_body={"messages": [{"content": "héllo"}]}).to_json()
    assert text.endswith("}\n")
    assert "\n  " in text
    assert "héllo" in text  # not \u-escaped
    assert json.loads(text)["request"]["body"] == {"messages": [{"content": "héllo"}]}


def test_from_dict_defaults() -> None:
    data = {
        "request": {"method": "post", "endpoint": "/v1/chat/completions"},
        "response": {"body": [wrap(chunk("a"))]},
    }
    rec = Recording.from_dict(data, source="s")
    assert rec.method == "POST"
    assert rec.test_id == ""
    assert rec.url == ""
    assert rec.request_body is None
    assert rec.is_streaming is True  # a list body streams when is_streaming is absent
    assert rec.status_code == 200
    assert rec.request_headers == {}
    assert rec.id_normalization_mapping == {}


def _broken_documents() -> list[tuple[str, Any]]:
    good = seed("earth-multi-turn.json")
    cases: list[tuple[str, Any]] = [
        ("a list", [good]),
        ("a string", "not a recording"),
        ("null", None),
    ]
    mutations: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        ("no request", lambda d: d.pop("request")),
        ("no response", lambda d: d.pop("response")),
        ("no response body", lambda d: d["response"].pop("body")),
        ("no method", lambda d: d["request"].pop("method")),
        ("no endpoint", lambda d: d["request"].pop("endpoint")),
        ("streamed body not a list", lambda d: d["response"].update(body={"__data__": {}})),
        ("chunk without __data__", lambda d: d["response"]["body"][3].pop("__data__")),
        ("chunk not an object", lambda d: d["response"]["body"].append("text")),
        ("bad status", lambda d: d["response"].update(status_code="teapot")),
        ("request not an object", lambda d: d.update(request="POST /v1")),
        (
            "non-streamed body is a list",
            lambda d: d["response"].update(is_streaming=False),
        ),
        ("headers not a mapping", lambda d: d["request"].update(headers=5)),
    ]
    for name, mutate in mutations:
        doc = copy.deepcopy(good)
        mutate(doc)
        cases.append((name, doc))
    return cases


@pytest.mark.parametrize(("name", "doc"), _broken_documents(), ids=lambda v: str(v)[:30])
def test_broken_documents_raise_corrupt_error_naming_the_source(name: str, doc: Any) -> None:
    with pytest.raises(RecordingCorruptError) as info:
        Recording.from_dict(doc, source="recordings/openai/x.json")
    message = str(info.value)
    assert message.startswith("recordings/openai/x.json: not a valid recording (")
    assert message.endswith("run `harness recordings verify`")


# --- response_content ----------------------------------------------------------------------


def compact(value: object) -> str:
    """Replayed payloads are compact JSON, as providers send them."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_streamed_chat_is_framed_as_sse_with_done() -> None:
    chunks = [chunk("Hel"), chunk("lo", "stop")]
    rec = recording(response_body=[wrap(c) for c in chunks], is_streaming=True)
    status, headers, content = rec.response_content()
    assert status == 200
    assert headers == {"content-type": "text/event-stream"}
    expected = "".join(f"data: {compact(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    assert content.decode() == expected
    assert "event:" not in content.decode()


def test_seed_stream_frames_every_chunk() -> None:
    data = seed("saturn-all-caps.json")
    rec = Recording.from_dict(data, source="seed")
    text = rec.response_content()[2].decode("utf-8")
    frames = text.split("\n\n")
    assert frames[-1] == ""
    assert frames[-2] == "data: [DONE]"
    payloads = [json.loads(f.removeprefix("data: ")) for f in frames[:-2]]
    assert payloads == [item["__data__"] for item in data["response"]["body"]]


def test_responses_events_get_event_lines_and_no_done() -> None:
    events = [
        {"type": "response.created", "sequence_number": 0, "response": {"id": "r"}},
        {"type": "response.output_text.delta", "sequence_number": 1, "delta": "Hi"},
        {"type": "response.completed", "sequence_number": 2, "response": {"id": "r"}},
    ]
    rec = recording(
        endpoint="/v1/responses", response_body=[wrap(e) for e in events], is_streaming=True
    )
    status, headers, content = rec.response_content()
    assert (status, headers) == (200, {"content-type": "text/event-stream"})
    assert content.decode() == "".join(
        f"event: {e['type']}\ndata: {compact(e)}\n\n" for e in events
    )
    assert "[DONE]" not in content.decode()


def test_non_streamed_json_is_served_as_json() -> None:
    reply = {"object": "chat.completion", "id": "x", "choices": [], "note": "naïve"}
    status, headers, content = recording(response_body=wrap(reply)).response_content()
    assert status == 200
    assert headers == {"content-type": "application/json"}
    assert json.loads(content) == reply
    assert "naïve" in content.decode("utf-8")


def test_non_streamed_text_is_served_verbatim() -> None:
    rec = recording(response_body={"__type__": "text", "__data__": "<html>bad gateway</html>"})
    assert rec.response_content()[2] == b"<html>bad gateway</html>"


def test_status_code_is_kept() -> None:
    error = {"error": {"message": "The model `x` does not exist", "code": "model_not_found"}}
    rec = recording(response_body=wrap(error), status_code=404)
    status, _headers, content = rec.response_content()
    assert status == 404
    assert json.loads(content) == error
    streamed = recording(response_body=[wrap(chunk("a"))], is_streaming=True, status_code=500)
    assert streamed.response_content()[0] == 500


def test_type_is_never_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "harness_test_canary_module"
    data = seed("earth-multi-turn.json")
    for item in data["response"]["body"]:
        item["__type__"] = "os.system"
    data["response"]["body"][0]["__type__"] = f"{canary}.Evil"
    plain = {
        "request": data["request"],
        "response": {
            "body": {"__type__": "os.system", "__data__": {"object": "chat.completion"}},
            "is_streaming": False,
        },
    }

    imported: list[str] = []
    real_import = builtins.__import__
    real_import_module = importlib.import_module
    system_calls: list[Any] = []

    def spy_import(name: str, *args: Any, **kwargs: Any) -> Any:
        imported.append(name)
        return real_import(name, *args, **kwargs)

    def spy_import_module(name: str, package: str | None = None) -> Any:
        imported.append(name)
        return real_import_module(name, package)

    monkeypatch.setattr(builtins, "__import__", spy_import)
    monkeypatch.setattr(importlib, "import_module", spy_import_module)

    def fake_system(*args: Any) -> int:
        system_calls.append(args)
        return 0

    monkeypatch.setattr(os, "system", fake_system)

    rec = Recording.from_dict(data, source="evil")
    status, _headers, content = rec.response_content()
    plain_status, _h, plain_content = Recording.from_dict(plain, source="p").response_content()

    monkeypatch.undo()
    assert status == plain_status == 200
    assert content.startswith(b"data: {")
    assert json.loads(plain_content) == {"object": "chat.completion"}
    assert system_calls == []
    assert not [name for name in imported if name.startswith(("os", canary))]
    assert canary not in sys.modules

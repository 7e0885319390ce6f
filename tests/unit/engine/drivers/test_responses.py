"""Tests for harness.engine.drivers.responses: a wrong-shape reply is one malformed-reply error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

from harness.engine.drivers.responses import ResponsesDriver
from harness.engine.matrix import Case, Column
from harness.errors import MalformedReplyError
from harness.spec.load import load_scenarios
from harness.spec.providers import Provider
from harness.util.httplib import httpx

BASE_URL = "https://api.example.test/v1"
PROVIDER = Provider(id="prov", base_url=BASE_URL, models=["model-x"])
COLUMN = Column(provider=PROVIDER, model="model-x", capabilities=frozenset())


def response(text: str = "hi") -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "model-x",
        "status": "completed",
        "output": [
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
    }


def events(*, output_index: Any = 0) -> list[dict[str, Any]]:
    item = response()["output"][0]
    return [
        {"type": "response.created", "sequence_number": 0, "response": response("")},
        {
            "type": "response.output_item.added",
            "sequence_number": 1,
            "output_index": output_index,
            "item": item,
        },
        {
            "type": "response.output_item.done",
            "sequence_number": 2,
            "output_index": output_index,
            "item": item,
        },
        {"type": "response.completed", "sequence_number": 3, "response": response()},
    ]


def sse(items: list[Any]) -> httpx.Response:
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in items)
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text)


def run(tmp_path: Path, reply: httpx.Response, *, stream: bool, conversation: bool = False) -> Any:
    seed = "    conversation: new\n" if conversation else ""
    (tmp_path / "s.yaml").write_text(
        "scenarios:\n  - id: a\n    api: responses\n"
        + seed
        + f"    steps:\n      - input: hi\n        stream: {str(stream).lower()}\n",
        encoding="utf-8",
    )
    (scenario,) = load_scenarios(tmp_path / "s.yaml")
    client = openai.OpenAI(
        base_url=BASE_URL,
        api_key="x",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=httpx.MockTransport(lambda _: reply)),
    )
    driver = ResponsesDriver(client=client, case=Case(scenario=scenario, column=COLUMN))
    return list(driver.steps())


def test_a_well_formed_stream_and_reply_are_read(tmp_path: Path) -> None:
    """The control for the tests below."""
    (streamed,) = run(tmp_path, sse(events()), stream=True)
    assert streamed.text == "hi"
    (plain,) = run(tmp_path, httpx.Response(200, json=response()), stream=False)
    assert plain.text == "hi"


WRONG = {
    "non-JSON 200 body": (False, httpx.Response(200, content=b"<html>502</html>")),
    "a list where the response belongs": (False, httpx.Response(200, json=[response()])),
    "output a number": (False, httpx.Response(200, json={**response(), "output": 5})),
    "content a number": (
        False,
        httpx.Response(
            200, json={**response(), "output": [{**response()["output"][0], "content": 3}]}
        ),
    ),
    "output_index null": (True, sse(events(output_index=None))),
    "terminal response a list": (
        True,
        sse([*events()[:3], {"type": "response.completed", "sequence_number": 3, "response": []}]),
    ),
    "an event that is a list": (True, sse([*events()[:1], [1, 2], *events()[1:]])),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_a_reply_of_the_wrong_shape_is_a_malformed_reply(tmp_path: Path, name: str) -> None:
    stream, reply = WRONG[name]
    with pytest.raises(MalformedReplyError, match="malformed reply"):
        run(tmp_path, reply, stream=stream)


@pytest.mark.parametrize(
    "body", [b"not json", json.dumps([{"id": "conv_1"}]).encode(), b'{"id": 7}'], ids=str
)
def test_a_conversation_reply_of_the_wrong_shape_is_a_malformed_reply(
    tmp_path: Path, body: bytes
) -> None:
    with pytest.raises(MalformedReplyError, match=r"conversations\.create reply"):
        run(tmp_path, httpx.Response(200, content=body), stream=False, conversation=True)

"""llama-stack, live: its OpenAI-compatible Responses and Conversations APIs over the tiny
local model, on loopback, talked to through the real ``openai`` SDK.

Besides checking that the tier works, these tests pin down what llama-stack 0.7.3 answers,
status codes, error bodies and orderings included, where it departs from OpenAI (each
such assertion says ``departure``): if a llama-stack upgrade changes one, a test here fails
and says which.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.servers.llamastack import (
    LlamaStackServer,
    LlamaStackServerError,
    missing_install,
    run_config,
)
from harness.servers.localmodel import ARITHMETIC, GREETING, IDENTITY, LocalModelServer
from harness.servers.readiness import free_port

openai = pytest.importorskip("openai")

# The fixture and the log-tail report hook; idempotent if a conftest loads the plugin too.

MODEL = "tiny/local/tiny-chat"
HELLO = GREETING.messages[0].content  # "Hello!"
HELLO_REPLY = GREETING.reply.content  # "Hello! How can I help you today?"
ADD = ARITHMETIC.messages[0].content  # "What is 2 + 2?"
ADD_REPLY = ARITHMETIC.reply.content  # "2 + 2 = 4."

RESP_ID = re.compile(r"^resp_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")
"""Response ids: ``resp_`` + a UUID4 (OpenAI: ``resp_`` + 48+ hex)."""
OUTPUT_MSG_ID = re.compile(r"^msg_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")
"""Output message ids of a response: ``msg_`` + a UUID4."""
CONV_ID = re.compile(r"^conv_[0-9a-f]{48}$")
"""Conversation ids: ``conv_`` + 48 hex (24 random bytes); the server rejects any other shape."""
ITEM_MSG_ID = re.compile(r"^msg_[0-9a-f]{48}$")
"""Ids the server gives conversation message items (seeded, added, and response inputs)."""
FAKE_CONV = "conv_" + "0" * 48
"""Well-formed, but no such conversation."""


@pytest.fixture(scope="module")
def client(llama_stack_server: LlamaStackServer) -> Any:
    return openai.OpenAI(base_url=llama_stack_server.base_url, api_key="none", max_retries=0)


def _message(role: str, text: str) -> dict[str, str]:
    return {"type": "message", "role": role, "content": text}


GREETING_ITEMS = [_message("user", HELLO), _message("assistant", HELLO_REPLY)]


def _texts(items: Any) -> list[tuple[str, str]]:
    """(role, text) of each message item, whatever the shape of its content."""
    out = []
    for item in items:
        content = item.content
        text = content if isinstance(content, str) else "".join(p.text for p in content)
        out.append((item.role, text))
    return out


# ----- the server -----


def test_server_is_on_loopback_with_the_tiny_model(
    llama_stack_server: LlamaStackServer, client: Any
) -> None:
    assert llama_stack_server.base_url.startswith("http://127.0.0.1:")
    assert llama_stack_server.model_id == MODEL
    (model,) = [m for m in client.models.list() if m.id == MODEL]
    assert model.owned_by == "llama_stack"
    # Listening on loopback only: /proc/net/tcp has the port bound to 127.0.0.1, not 0.0.0.0.
    port_hex = f"{llama_stack_server.port:04X}"
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(f":{port_hex}") and line.split()[3] == "0A"
    ]
    assert listening == [f"0100007F:{port_hex}"]
    run_dir = llama_stack_server.run_dir
    assert run_dir is not None
    assert {"run.yaml", "kvstore.db", "files"} <= {p.name for p in run_dir.iterdir()}


# ----- Responses API -----


def test_responses_create(client: Any) -> None:
    response = client.responses.create(model=MODEL, input=HELLO)
    assert RESP_ID.match(response.id), response.id
    assert response.object == "response"
    assert response.status == "completed"
    assert response.model == MODEL
    assert response.output_text == HELLO_REPLY
    (message,) = response.output
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.status == "completed"
    assert OUTPUT_MSG_ID.match(message.id), message.id
    assert [part.type for part in message.content] == ["output_text"]
    assert response.usage.input_tokens > 0
    assert response.usage.output_tokens > 0
    assert response.store is True
    assert response.previous_response_id is None
    assert response.conversation is None
    # Stored: it can be fetched back whole.
    assert client.responses.retrieve(response.id).output_text == HELLO_REPLY


def test_responses_create_streamed(client: Any) -> None:
    events = list(client.responses.create(model=MODEL, input=HELLO, stream=True))
    types = [event.type for event in events]
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * len(deltas),
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert "".join(deltas) == HELLO_REPLY
    assert len(deltas) > 1
    assert [event.sequence_number for event in events] == list(range(len(events)))
    created, completed = events[0].response, events[-1].response
    assert created.status == "in_progress"
    assert created.output == []
    assert completed.id == created.id
    assert RESP_ID.match(completed.id)
    assert completed.status == "completed"
    assert completed.output_text == HELLO_REPLY
    item_ids = {event.item_id for event in events if hasattr(event, "item_id")}
    assert item_ids == {completed.output[0].id}


def test_instructions_become_the_system_message(client: Any) -> None:
    (system, user) = IDENTITY.messages
    response = client.responses.create(model=MODEL, input=user.content, instructions=system.content)
    assert response.output_text == IDENTITY.reply.content
    assert response.instructions == system.content


def test_previous_response_id_chains_the_context(client: Any) -> None:
    first = client.responses.create(model=MODEL, input=HELLO)
    alone = client.responses.create(model=MODEL, input=ADD)
    chained = client.responses.create(model=MODEL, input=ADD, previous_response_id=first.id)
    assert chained.output_text == ADD_REPLY  # the trained multi-turn answer
    # The first turn was sent along: more input tokens than the question alone.
    assert chained.usage.input_tokens > alone.usage.input_tokens
    # departure: OpenAI echoes previous_response_id in the response; llama-stack gives null.
    assert chained.previous_response_id is None
    # input_items: newest first by default, as OpenAI. departure: they hold the whole chain
    # (earlier turns' inputs and outputs too), and this response's own string input comes
    # back as the string with a null id (earlier inputs get [input_text] and a msg_<uuid>).
    items = client.responses.input_items.list(chained.id)
    assert _texts(items.data) == [("user", ADD), ("assistant", HELLO_REPLY), ("user", HELLO)]
    assert items.data[0].id is None
    assert items.data[0].content == ADD
    assert items.data[1].id == first.output[0].id
    assert OUTPUT_MSG_ID.match(items.data[2].id), items.data[2].id
    assert [part.type for part in items.data[2].content] == ["input_text"]
    oldest_first = client.responses.input_items.list(chained.id, order="asc")
    assert [item.id for item in oldest_first.data] == [item.id for item in reversed(items.data)]


def test_store_false_is_not_retrievable(client: Any) -> None:
    response = client.responses.create(model=MODEL, input=HELLO, store=False)
    assert response.output_text == HELLO_REPLY
    assert response.store is False
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.retrieve(response.id)
    assert caught.value.body == {
        "detail": f"Response '{response.id}' not found. "
        "Use 'client.responses.list()' to list available Responses."
    }


# ----- Responses API errors -----


def test_unknown_model_is_404_with_a_detail_body(client: Any) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="nope", input=HELLO)
    assert caught.value.status_code == 404
    # departure: FastAPI's {"detail": ...}, not OpenAI's {"error": {"message", "type", ...}};
    # so the SDK's message is just "Error code: 404" and its code/type/param are None.
    assert caught.value.body == {
        "detail": "Model 'nope' not found. Use 'client.models.list()' to list available Models."
    }
    assert caught.value.message == "Error code: 404"
    assert caught.value.code is None


def test_unknown_previous_response_id(client: Any) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model=MODEL, input=HELLO, previous_response_id="resp_nope")
    detail = (
        "Response 'resp_nope' not found. Use 'client.responses.list()' to list available Responses."
    )
    assert caught.value.body == {"detail": detail}
    # Streamed: HTTP 200 and one SSE error line; the SDK raises a bare APIError.
    with pytest.raises(openai.APIError) as streamed:
        list(
            client.responses.create(
                model=MODEL, input=HELLO, previous_response_id="resp_nope", stream=True
            )
        )
    assert type(streamed.value) is openai.APIError
    assert streamed.value.body == {"message": detail, "code": "404"}


def test_fake_conversation_not_streamed_is_404(client: Any) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model=MODEL, input=HELLO, conversation=FAKE_CONV)
    assert caught.value.status_code == 404
    assert caught.value.body == {"detail": f"Conversation '{FAKE_CONV}' not found."}
    assert caught.value.response.headers["content-type"] == "application/json"


def test_fake_conversation_streamed_is_200_then_an_sse_error(client: Any) -> None:
    raw = client.responses.with_raw_response.create(
        model=MODEL, input=HELLO, conversation=FAKE_CONV, stream=True
    )
    # departure: the status line is already 200 (OpenAI answers 404 before streaming).
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("text/event-stream")
    stream = raw.parse()
    with pytest.raises(openai.APIError) as caught:
        list(stream)
    # The SSE line is `data: {"error": {"message": ..., "code": "404"}}` (no `event:` line):
    # the SDK raises APIError itself, not an APIStatusError subclass, so no status_code.
    assert type(caught.value) is openai.APIError
    assert not isinstance(caught.value, openai.APIStatusError)
    message = f"Conversation '{FAKE_CONV}' not found."
    assert caught.value.message == message
    assert caught.value.body == {"message": message, "code": "404"}
    assert caught.value.code == "404"  # a string
    assert caught.value.type is None


def test_malformed_conversation_id_is_400_even_streamed(client: Any) -> None:
    detail = (
        "Invalid value for 'conversation': conv_bad. "
        "Must match format 'conv_' followed by 48 lowercase hex characters."
    )
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as caught:
            client.responses.create(
                model=MODEL, input=HELLO, conversation="conv_bad", stream=stream
            )
        assert caught.value.body == {"detail": detail}


def test_conversation_as_an_object_is_rejected(client: Any) -> None:
    # departure: OpenAI takes `conversation` as an id or {"id": ...}; llama-stack only a string.
    # Request validation errors come in OpenAI's {"error": {"message": ...}} shape, the
    # message being pydantic's error list as Python repr text.
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input=HELLO, conversation={"id": FAKE_CONV})
    assert caught.value.body == {
        "message": "{'errors': [{'loc': ['body', 'conversation'], "
        "'msg': 'Input should be a valid string', 'type': 'string_type'}]}"
    }


def test_conversation_and_previous_response_id_together_is_400(client: Any) -> None:
    first = client.responses.create(model=MODEL, input=HELLO)
    conversation = client.conversations.create()
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODEL, input=HELLO, conversation=conversation.id, previous_response_id=first.id
        )
    assert caught.value.status_code == 400
    assert caught.value.body == {
        "detail": "Invalid value for 'previous_response_id, conversation': "
        "previous_response_id and conversation are both provided. "
        "Provide only one of these parameters."
    }


# ----- Conversations API -----


def test_conversation_lifecycle(client: Any) -> None:
    created = client.conversations.create(metadata={"topic": "demo"}, items=GREETING_ITEMS)
    assert CONV_ID.match(created.id), created.id
    assert created.object == "conversation"
    assert created.metadata == {"topic": "demo"}
    assert isinstance(created.created_at, int)
    assert abs(created.created_at - time.time()) < 60

    fetched = client.conversations.retrieve(created.id)
    assert (fetched.id, fetched.created_at, fetched.metadata) == (
        created.id,
        created.created_at,
        {"topic": "demo"},
    )
    updated = client.conversations.update(created.id, metadata={"stage": "two"})
    assert updated.metadata == {"stage": "two"}  # replaced, not merged
    assert client.conversations.retrieve(created.id).metadata == {"stage": "two"}

    listing = client.conversations.items.list(created.id, order="asc")
    assert listing.object == "list"
    assert listing.has_more is False
    seeded = listing.data
    assert _texts(seeded) == [("user", HELLO), ("assistant", HELLO_REPLY)]
    assert all(ITEM_MSG_ID.match(item.id) for item in seeded)
    assert (listing.first_id, listing.last_id) == (seeded[0].id, seeded[-1].id)
    # departure: a string content is stored and returned as the string (OpenAI turns it into
    # [{"type": "input_text", ...}]), and seeded items have status null (OpenAI: completed).
    assert seeded[0].content == HELLO
    assert [item.status for item in seeded] == [None, None]

    added = client.conversations.items.create(
        created.id,
        items=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": ADD}]}
        ],
    )
    (new_item,) = added.data
    assert ITEM_MSG_ID.match(new_item.id)
    assert (added.first_id, added.last_id, added.has_more) == (new_item.id, new_item.id, False)
    assert [part.type for part in new_item.content] == ["input_text"]

    got = client.conversations.items.retrieve(new_item.id, conversation_id=created.id)
    assert (got.id, _texts([got])) == (new_item.id, [("user", ADD)])

    asc = client.conversations.items.list(created.id, order="asc")
    assert [item.id for item in asc.data] == [seeded[0].id, seeded[1].id, new_item.id]

    deleted = client.conversations.items.delete(new_item.id, conversation_id=created.id)
    # departure: OpenAI answers an item delete with the Conversation; llama-stack with
    # {"id": <item id>, "object": "conversation.item.deleted", "deleted": true}, which the
    # SDK still parses into its Conversation type.
    assert (deleted.id, deleted.object) == (new_item.id, "conversation.item.deleted")
    assert deleted.model_extra == {"deleted": True}
    with pytest.raises(openai.NotFoundError) as missing_item:
        client.conversations.items.retrieve(new_item.id, conversation_id=created.id)
    assert missing_item.value.body == {
        "detail": f"Conversation item '{new_item.id}' not found in conversation "
        f"'{created.id}'. Use 'client.conversations.items.list(\"{created.id}\")' "
        "to list available conversation items."
    }
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.delete(new_item.id, conversation_id=created.id)

    gone = client.conversations.delete(created.id)
    assert (gone.id, gone.object, gone.deleted) == (created.id, "conversation.deleted", True)
    not_found = {"detail": f"Conversation '{created.id}' not found."}
    for call in (
        lambda: client.conversations.retrieve(created.id),
        lambda: client.conversations.items.list(created.id),
        lambda: client.conversations.update(created.id, metadata={}),
        lambda: client.conversations.delete(created.id),
    ):
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        assert caught.value.body == not_found


def test_conversation_id_errors(client: Any) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.conversations.retrieve(FAKE_CONV)
    assert caught.value.body == {"detail": f"Conversation '{FAKE_CONV}' not found."}
    with pytest.raises(openai.BadRequestError) as malformed:
        client.conversations.retrieve("conv_bad")
    assert malformed.value.body == {
        "detail": "Invalid value for 'conversation_id': conv_bad. Conversation ID must match "
        "format 'conv_' followed by 48 lowercase hex characters."
    }


def test_items_list_order_limit_and_after(client: Any) -> None:
    notes = [_message("user", f"note {i}") for i in range(5)]
    conversation = client.conversations.create(items=notes)
    expected = [f"note {i}" for i in range(5)]
    asc = client.conversations.items.list(conversation.id, order="asc")
    assert [text for _, text in _texts(asc.data)] == expected
    # departure: items seeded together share one whole-second created_at, and `desc` (also
    # the default) is a stable sort on it, so they come back in insertion order, not reversed.
    for kwargs in ({"order": "desc"}, {}):
        page = client.conversations.items.list(conversation.id, **kwargs)
        assert [text for _, text in _texts(page.data)] == expected
    page = client.conversations.items.list(conversation.id, order="asc", limit=2)
    assert [text for _, text in _texts(page.data)] == expected[:2]
    # departure: has_more is always false and `after` is ignored: no pagination.
    assert page.has_more is False
    after = client.conversations.items.list(
        conversation.id, order="asc", limit=2, after=page.data[-1].id
    )
    assert [text for _, text in _texts(after.data)] == expected[:2]


def test_items_list_default_limit_is_20(client: Any) -> None:
    conversation = client.conversations.create(
        items=[_message("user", f"note {i}") for i in range(25)]  # OpenAI: at most 20 here
    )
    assert len(client.conversations.items.list(conversation.id).data) == 20
    assert len(client.conversations.items.list(conversation.id, limit=100).data) == 25


# ----- Responses over a conversation -----


def test_response_in_a_conversation(client: Any) -> None:
    conversation = client.conversations.create(items=GREETING_ITEMS)
    response = client.responses.create(model=MODEL, input=ADD, conversation=conversation.id)
    assert response.output_text == ADD_REPLY  # the trained multi-turn answer: history was sent
    # departure: OpenAI sets response.conversation to {"id": ...}; llama-stack leaves it out.
    assert response.conversation is None
    assert response.previous_response_id is None
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert _texts(items) == [
        ("user", HELLO),
        ("assistant", HELLO_REPLY),
        ("user", ADD),
        ("assistant", ADD_REPLY),
    ]
    # The input is stored as a new item with a server id and [input_text] content; the output
    # keeps the response's own output message id (a UUID) and status "completed".
    assert ITEM_MSG_ID.match(items[2].id)
    assert [part.type for part in items[2].content] == ["input_text"]
    assert items[3].id == response.output[0].id
    assert OUTPUT_MSG_ID.match(items[3].id)
    assert items[3].status == "completed"


def test_streamed_response_in_a_conversation(client: Any) -> None:
    conversation = client.conversations.create(items=GREETING_ITEMS)
    events = list(
        client.responses.create(model=MODEL, input=ADD, conversation=conversation.id, stream=True)
    )
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == ADD_REPLY
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert _texts(items)[-2:] == [("user", ADD), ("assistant", ADD_REPLY)]


def _second_turn_input_tokens(client: Any, *, add_between: bool) -> int:
    conversation = client.conversations.create(items=GREETING_ITEMS)
    first = client.responses.create(model=MODEL, input=ADD, conversation=conversation.id)
    assert first.output_text == ADD_REPLY
    if add_between:
        client.conversations.items.create(
            conversation.id, items=[_message("user", "a long note " * 20)]
        )
    second = client.responses.create(model=MODEL, input=HELLO, conversation=conversation.id)
    tokens: int = second.usage.input_tokens
    return tokens


def test_items_added_after_the_first_response_are_not_sent(client: Any) -> None:
    # departure: after a conversation's first response, the model context comes from the
    # stored chat messages; items.create adds to the listing but not to what the model sees.
    assert _second_turn_input_tokens(client, add_between=True) == _second_turn_input_tokens(
        client, add_between=False
    )


def test_only_the_first_20_items_are_sent(client: Any) -> None:
    def first_turn_input_tokens(n: int) -> int:
        conversation = client.conversations.create(
            items=[_message("user", f"note {i}") for i in range(n)]
        )
        response = client.responses.create(model=MODEL, input=HELLO, conversation=conversation.id)
        tokens: int = response.usage.input_tokens
        return tokens

    # departure: the first response reads the items with the listing's default limit of 20.
    assert first_turn_input_tokens(20) == first_turn_input_tokens(25)
    assert first_turn_input_tokens(5) < first_turn_input_tokens(20)


def test_items_of_two_quick_turns_may_interleave(client: Any) -> None:
    # Each response adds [input, output] with created_at = (whole second) + 0 and + 1. Two
    # responses within one second therefore list (asc) as in1, in2, out1, out2.
    conversation = client.conversations.create()
    first = client.responses.create(model=MODEL, input=HELLO, conversation=conversation.id)
    second = client.responses.create(model=MODEL, input=ADD, conversation=conversation.id)
    texts = _texts(client.conversations.items.list(conversation.id, order="asc").data)
    in1, out1 = ("user", HELLO), ("assistant", first.output_text)
    in2, out2 = ("user", ADD), ("assistant", second.output_text)
    # departure (timing-dependent): OpenAI always lists in1, out1, in2, out2.
    assert texts in ([in1, out1, in2, out2], [in1, in2, out1, out2])


# ----- LlamaStackServer itself -----


def test_missing_venv_fails_fast_with_the_install_hint(tmp_path: Path) -> None:
    server = LlamaStackServer(
        upstream_base_url="http://127.0.0.1:9/v1",
        venv=tmp_path / "no-venv",
        tiktoken_cache=tmp_path / "no-cache",
        state_dir=tmp_path / "state",
    )
    assert missing_install(tmp_path / "no-venv", tmp_path) is not None
    with pytest.raises(LlamaStackServerError, match=r"install-llama-stack\.sh"):
        server.start()
    assert server.pid is None
    server.stop()  # harmless when never started


def test_run_config_keeps_everything_on_loopback_and_in_the_state_dir(tmp_path: Path) -> None:
    config = run_config(upstream_base_url="http://127.0.0.1:1/v1", state_dir=tmp_path, port=1234)
    assert config["server"] == {"host": "127.0.0.1", "port": 1234}
    assert set(config["apis"]) == {"inference", "responses", "vector_io", "files", "tool_runtime"}
    (inference,) = config["providers"]["inference"]
    assert inference["provider_id"] == "tiny"
    assert inference["config"] == {"base_url": "http://127.0.0.1:1/v1", "api_key": "none"}

    def paths(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("db_path", "storage_dir"):
                    yield value
                yield from paths(value)
        elif isinstance(node, list):
            for value in node:
                yield from paths(value)

    found = list(paths(config))
    assert len(found) == 4
    assert all(Path(p).parent == tmp_path for p in found)


def test_a_second_server_starts_fresh_and_stops_clean(
    llama_stack_server: LlamaStackServer, local_model_server: LocalModelServer, tmp_path: Path
) -> None:
    # One tiny model server per session, shared with the local tier's tests.
    assert llama_stack_server.upstream_base_url == local_model_server.base_url
    server = LlamaStackServer(
        upstream_base_url=local_model_server.base_url,
        venv=llama_stack_server.venv,
        tiktoken_cache=llama_stack_server.tiktoken_cache,
        state_dir=tmp_path / "state",
    )
    with server:
        assert server.running
        pid = server.pid
        assert pid is not None
        run_dir = server.run_dir
        assert run_dir is not None and run_dir.parent == tmp_path / "state"
        assert server.port != llama_stack_server.port
        fresh = openai.OpenAI(base_url=server.base_url, api_key="none", max_retries=0)
        # Its own state: a conversation of the session server is unknown here.
        theirs = openai.OpenAI(
            base_url=llama_stack_server.base_url, api_key="none", max_retries=0
        ).conversations.create()
        with pytest.raises(openai.NotFoundError):
            fresh.conversations.retrieve(theirs.id)
        assert fresh.responses.create(model=MODEL, input=HELLO).output_text == HELLO_REPLY
    assert not server.running
    assert server.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    server.stop()  # twice is fine
    assert "Uvicorn running on http://127.0.0.1:" in server.log_tail(400)


def test_unreachable_upstream_fails_with_the_logged_error(
    llama_stack_server: LlamaStackServer, tmp_path: Path
) -> None:
    server = LlamaStackServer(
        upstream_base_url=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens there
        venv=llama_stack_server.venv,
        tiktoken_cache=llama_stack_server.tiktoken_cache,
        state_dir=tmp_path / "state",
        startup_timeout=60,
    )
    with pytest.raises(LlamaStackServerError) as caught:
        server.start()
    message = str(caught.value)
    assert "is up but /v1/models lists [], not 'tiny/local/tiny-chat'" in message
    assert "list_provider_model_ids() failed" in message
    assert server.pid is None  # stopped and reaped

"""Tests for harness.replay.key: the digest, route, file name and canonical forms of a key."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from harness.replay.key import RequestKey, canonical_json, canonical_query


def key(**changes: Any) -> RequestKey:
    fields: dict[str, Any] = {
        "provider": "openai",
        "method": "POST",
        "endpoint": "/v1/chat/completions",
        "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        "query": "",
    }
    fields.update(changes)
    return RequestKey(**fields)


# --- RequestKey ----------------------------------------------------------------------------


def test_digest_is_16_hex_of_sha256_over_the_canonical_key() -> None:
    k = key(query="a=1")
    text = canonical_json([k.provider, k.method, k.endpoint, k.query, k.body])
    assert k.digest == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert len(k.digest) == 16
    assert int(k.digest, 16) >= 0


def test_digest_is_stable_across_instances() -> None:
    assert key().digest == key().digest
    assert key().digest == RequestKey("openai", "POST", "/v1/chat/completions", key().body).digest


@pytest.mark.parametrize(
    "change",
    [
        {"provider": "azure"},
        {"method": "GET"},
        {"endpoint": "/v1/responses"},
        {"query": "api-version=1"},
        {"body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi!"}]}},
        {"body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "n": 1}},
        {"body": None},
    ],
)
def test_digest_changes_with_every_part(change: dict[str, Any]) -> None:
    assert key(**change).digest != key().digest


def test_digest_ignores_body_key_order() -> None:
    a = {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 0}
    b = {"temperature": 0, "messages": [{"content": "x", "role": "user"}], "model": "m"}
    assert list(a) != list(b)
    assert key(body=a).digest == key(body=b).digest


def test_digest_keeps_list_order_and_number_types() -> None:
    assert key(body=[1, 2]).digest != key(body=[2, 1]).digest
    assert key(body={"t": 1}).digest != key(body={"t": 1.5}).digest


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": "é", "c": None}]}) == (
        '{"a":[1,{"c":null,"d":"é"}],"b":1}'
    )


@pytest.mark.parametrize(
    ("endpoint", "route"),
    [
        ("/v1/chat/completions", "chat-completions"),
        ("/v1/responses", "responses"),
        ("/v1/conversations/conv_abc123/items", "conversations-items"),
        ("/v1/conversations/conv_abc123", "conversations"),
        ("/v1/models", "models"),
        ("/v1", "root"),
        ("/", "root"),
    ],
)
def test_route_keeps_fixed_words_and_drops_ids(endpoint: str, route: str) -> None:
    k = key(endpoint=endpoint)
    assert k.route == route
    assert k.filename == f"{route}-{k.digest}.json"


def test_routes_of_different_endpoints_of_one_resource_differ() -> None:
    # GET /v1/responses/{id} and GET /v1/responses/{id}/input_items are different operations.
    item = key(method="GET", endpoint="/v1/responses/resp_0a1b2c", body=None)
    items = key(method="GET", endpoint="/v1/responses/resp_0a1b2c/input_items", body=None)
    assert item.route == "responses"
    assert items.route != item.route


def test_describe() -> None:
    assert key().describe() == "POST /v1/chat/completions"
    assert key(method="GET", query="a=1&b=2").describe() == "GET /v1/chat/completions?a=1&b=2"


def test_canonical_query_sorts_parameters() -> None:
    assert canonical_query("https://h/v1/x?b=2&a=1&a=0") == "a=0&a=1&b=2"
    assert canonical_query("https://h/v1/x") == ""
    assert canonical_query("https://h/v1/x?flag=&z=1") == "flag=&z=1"

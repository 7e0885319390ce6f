"""Tests for harness.replay.transports.keying: one key per request, in send order."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.replay.transports import KEY, CallLog, Keyer, Occurrences, key_of
from harness.util.httplib import httpx
from support.transports import BASE_URL, Inner, completion, keyed


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://api.example.test/v1", "https://api.example.test/v1/chat/completions"),
        ("https://api.example.test/v1/", "https://api.example.test/v1/chat/completions"),
        ("http://localhost:8000", "http://localhost:8000/chat/completions"),
        ("https://h.test/openai/v1", "https://h.test/openai/v1/chat/completions"),
    ],
)
def test_key_endpoint_is_relative_to_the_base_url(base_url: str, url: str) -> None:
    keyer = Keyer(provider="p", base_url=base_url)
    request = httpx.Request("POST", url + "?b=2&a=1", json={"model": "m"})
    key = keyer.key(request)
    assert key.endpoint == "/v1/chat/completions"
    assert key.query == "a=1&b=2"
    assert key.body == {"model": "m"}
    assert key.method == "POST"
    assert key.provider == "p"


def test_key_of_a_request_without_body() -> None:
    key = Keyer(provider="p", base_url=BASE_URL).key(httpx.Request("GET", f"{BASE_URL}/models"))
    assert key.body is None
    assert key.endpoint == "/v1/models"
    assert key.route == "models"


def chat(text: str, *, retry: int = 0) -> httpx.Request:
    return httpx.Request(
        "POST",
        f"{BASE_URL}/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": text}]},
        headers={"x-stainless-retry-count": str(retry)},
    )


def test_the_key_is_computed_once_and_kept_on_the_request() -> None:
    keyer = Keyer(provider="p", base_url=BASE_URL)
    request = chat("hi")
    first = keyer.key(request)
    assert request.extensions[KEY] is first
    assert keyer.key(request) is first  # a second front (async, then sync) does not count again
    assert key_of(request) is first
    assert keyer.key(chat("hi")).occurrence == 2


def test_identical_requests_are_numbered_and_a_retry_is_the_same_occurrence() -> None:
    keyer = Keyer(provider="p", base_url=BASE_URL, scope="case-1")
    numbers = [keyer.key(chat("same", retry=r)).occurrence for r in (0, 1, 2, 0)]
    assert numbers == [1, 1, 1, 2]
    assert keyer.key(chat("other")).occurrence == 1
    assert keyer.key(chat("other")).scope == "case-1"


def test_a_case_shares_its_occurrences_between_its_clients() -> None:
    """The sync and async clients of one case: the second identical request is #2 either way."""
    occurrences = Occurrences()
    sync = Keyer(provider="p", base_url=BASE_URL, occurrences=occurrences)
    other = Keyer(provider="p", base_url=BASE_URL, occurrences=occurrences)
    assert [sync.key(chat("x")).occurrence, other.key(chat("x")).occurrence] == [1, 2]
    assert Keyer(provider="p", base_url=BASE_URL).key(chat("x")).occurrence == 1  # another case


def test_a_request_nobody_keyed_is_refused() -> None:
    with pytest.raises(HarnessError, match="nobody keyed"):
        key_of(chat("hi"))


def test_the_front_keys_before_the_inner_transport_and_logs_nothing_on_a_hit() -> None:
    seen: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(key_of(request).occurrence)
        return httpx.Response(200, json=completion())

    log = CallLog()
    front = keyed(Inner(answer).transport, log=log)
    for _ in range(3):
        front.handle_request(chat("again"))
    assert seen == [1, 2, 3]
    assert log.misses == ()

"""The secret policy: what counts as a secret, where it is found, how it is redacted."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest

from harness.errors import SecretLeakError
from harness.replay.secrets import SecretScanner, key_kind, strip_userinfo

ENV_VALUE = "canary-env-value-7f3a9c2e41"
SHAPES = {
    "openai-key": "sk-canaryTESTONLY0123456789abcdefXYZ",
    "anthropic-key": "sk-ant-api03-canary0123456789abcdefXYZ",
    "google-api-key": "AIzaSyCanary0123456789abcdefghijklmnopq",
    "aws-access-key": "AKIAIOSFODNN7CANARY1",
    "github-token": "ghp_canary0123456789abcdefghijklmnopqrstuv",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlY2FuYXJ5",
    "bearer-token": "Bearer canaryBEARERtoken0123456789abcdef",
}


def scanner(**env: str) -> SecretScanner:
    policy = SecretScanner(env=env)
    for name in env:
        policy.watch(name)
    return policy


@pytest.mark.parametrize(("kind", "key"), SHAPES.items(), ids=list(SHAPES))
def test_every_key_shape_is_found_and_redacted_by_kind(kind: str, key: str) -> None:
    policy = scanner()
    assert key_kind(key) == kind
    assert policy.findings({"text": f"the key: {key} end"}) == [
        f"text: a key-shaped string ({kind})"
    ]
    assert policy.redact(f"the key: {key} end") == f"the key: [redacted: {kind}] end"


def test_github_fine_grained_tokens_and_session_aws_keys_too() -> None:
    assert key_kind("github_pat_11ABCDEFG0123456789_abcdefghijklmnop") == "github-token"
    assert key_kind("ASIAIOSFODNN7CANARY1") == "aws-access-key"


def test_ordinary_text_is_not_a_secret() -> None:
    policy = scanner(FAKE_KEY=ENV_VALUE)
    text = "ask-me-anything about AKIA and the sky; eyJ alone; a Bearer of news"
    assert policy.findings({"a": text}) == []
    assert policy.redact(text) == text


def test_the_value_of_a_watched_variable_in_every_form() -> None:
    policy = scanner(FAKE_KEY="canary/env+key=7f3a9c2e41")
    value = "canary/env+key=7f3a9c2e41"
    forms = {
        "": value,
        " (URL-encoded)": quote(value, safe=""),
        " (base64)": base64.b64encode(value.encode()).decode(),
    }
    for suffix, form in forms.items():
        assert policy.findings({"t": f"x {form} y"}) == [f"t: the value of $FAKE_KEY{suffix}"]
        assert policy.redact(f"x {form} y") == "x [redacted: $FAKE_KEY] y"


@pytest.mark.parametrize("prefix", ["", "a", "ab", "user:"])
def test_base64_of_a_value_inside_longer_encoded_text_is_found_at_every_alignment(
    prefix: str,
) -> None:
    policy = scanner(FAKE_KEY=ENV_VALUE)
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(f"{prefix}{ENV_VALUE}!tail".encode()).decode()
        assert policy.findings({"h": f"Basic {encoded}"}) == ["h: the value of $FAKE_KEY (base64)"]
        assert "[redacted: $FAKE_KEY]" in policy.redact(encoded)


def test_short_values_and_unset_variables_are_not_watched() -> None:
    policy = scanner(SHORT="none", EMPTY="")
    policy.watch("UNSET")
    assert policy.findings({"t": "none of it"}) == []
    assert policy.redact("none of it") == "none of it"


def test_a_variable_set_later_is_watched_from_then_on() -> None:
    env: dict[str, str] = {}
    policy = SecretScanner(env=env)
    policy.watch("FAKE_KEY")
    assert policy.redact(ENV_VALUE) == ENV_VALUE
    env["FAKE_KEY"] = ENV_VALUE
    assert policy.redact(ENV_VALUE) == "[redacted: $FAKE_KEY]"


def test_a_value_wins_over_a_shape_in_the_same_text() -> None:
    policy = scanner(FAKE_KEY=ENV_VALUE)
    assert policy.redact(f"Authorization: Bearer {ENV_VALUE}") == (
        "Authorization: Bearer [redacted: $FAKE_KEY]"
    )
    assert policy.findings({"h": f"Bearer {ENV_VALUE}"}) == ["h: the value of $FAKE_KEY"]


def test_base_url_credentials_are_secrets() -> None:
    policy = scanner()
    policy.watch_url("https://alice-the-user:hunter2secretpw@host.test/v1?api-key=querysecret123")
    for value in ("alice-the-user", "hunter2secretpw", "querysecret123"):
        assert policy.findings({"u": f"x{value}x"}) == ["u: a base_url credential"]
        assert policy.redact(value) == "[redacted: base_url credential]"
    assert strip_userinfo("https://alice:pw@host.test:8/v1") == "https://host.test:8/v1"
    assert strip_userinfo("${X}/chat") == "${X}/chat"


def test_the_allowlist_exempts_exactly_its_key_shaped_strings() -> None:
    fixture, other = "sk-proj-FAKEfixtureKEY0123456789abcdef", "sk-proj-OTHER0123456789abcdef"
    policy = SecretScanner(env={}, allowed=[fixture])
    text = f"{fixture} / Bearer {fixture} / {other}"
    assert policy.redact(text) == f"{fixture} / Bearer {fixture} / [redacted: openai-key]"
    assert policy.findings({"t": fixture}) == []
    assert policy.findings({"t": f"{fixture}X"}) == ["t: a key-shaped string (openai-key)"]


def test_an_allowlisted_string_is_still_a_secret_when_it_is_a_watched_value() -> None:
    policy = SecretScanner(env={"K": SHAPES["openai-key"]}, allowed=[SHAPES["openai-key"]])
    policy.watch("K")
    assert policy.redact(SHAPES["openai-key"]) == "[redacted: $K]"


def stream(*deltas: dict[str, Any]) -> dict[str, Any]:
    body = [
        {"__data__": {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": d}]}}
        for d in deltas
    ]
    return {"response": {"is_streaming": True, "body": body}}


def pieces(text: str, size: int) -> list[str]:
    return [text[cut : cut + size] for cut in range(0, len(text), size)]


@pytest.mark.parametrize(
    "field", ["content", "reasoning_content", "refusal", "reasoning", "some_future_text"]
)
def test_a_key_split_across_chunks_is_found_in_any_streamed_field(field: str) -> None:
    key = SHAPES["openai-key"]
    document = stream({"role": "assistant"}, *({field: p} for p in pieces(f"k={key}", 7)))
    assert scanner().findings(document) == [
        f"response.body (streamed choices[0].delta.{field}, joined): "
        "a key-shaped string (openai-key)"
    ]


def test_tool_call_arguments_are_joined_per_tool_call_index() -> None:
    args = f'{{"token": "{ENV_VALUE}"}}'
    calls = [
        {"tool_calls": [{"index": 1, "function": {"arguments": piece}}]}
        for piece in pieces(args, 5)
    ]
    # Another call's pieces interleaved: joined per index, the key is still whole.
    other = [{"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}] * len(calls)
    document = stream(*(d for pair in zip(calls, other, strict=True) for d in pair))
    assert scanner(FAKE_KEY=ENV_VALUE).findings(document) == [
        "response.body (streamed choices[0].delta.tool_calls[1].function.arguments, joined): "
        "the value of $FAKE_KEY"
    ]


def test_responses_deltas_of_any_kind_are_joined_per_item() -> None:
    key = SHAPES["github-token"]
    events = [
        {"type": "response.reasoning_text.delta", "item_id": "rs_1", "delta": piece}
        for piece in pieces(key, 6)
    ]
    document = {"response": {"is_streaming": True, "body": [{"__data__": e} for e in events]}}
    [finding] = scanner().findings(document)
    assert finding.startswith("response.body (streamed [type=response.reasoning_text.delta,")
    assert finding.endswith("delta, joined): a key-shaped string (github-token)")


def test_a_key_one_chunk_holds_whole_is_named_once_at_that_chunk() -> None:
    key = SHAPES["openai-key"]
    document = stream({"content": "your key: "}, {"content": key}, {"content": "!"})
    assert scanner().findings(document) == [
        "response.body[1].__data__.choices[0].delta.content: a key-shaped string (openai-key)"
    ]


def test_check_refuses_naming_the_field_and_never_the_secret() -> None:
    policy = scanner(FAKE_KEY=ENV_VALUE)
    with pytest.raises(SecretLeakError) as info:
        policy.check({"a": {ENV_VALUE: 1}, "b": ENV_VALUE}, target="recording r.json")
    message = str(info.value)
    assert message.startswith("refusing to write recording r.json: it would contain a secret at ")
    assert "a.[redacted: $FAKE_KEY]: the value of $FAKE_KEY" in message
    assert "(and 1 more)" in message
    assert ENV_VALUE not in message


def test_redact_document_redacts_values_and_keys_and_keeps_the_rest() -> None:
    policy = scanner(FAKE_KEY=ENV_VALUE)
    document = {"n": 1, "ok": None, ENV_VALUE: [f"a {ENV_VALUE} b", 2.5, True]}
    assert policy.redact_document(document) == {
        "n": 1,
        "ok": None,
        "[redacted: $FAKE_KEY]": ["a [redacted: $FAKE_KEY] b", 2.5, True],
    }

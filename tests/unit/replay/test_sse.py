"""Tests for harness.replay.sse: parsing server-sent events, whole or broken off."""

from __future__ import annotations

from typing import Any

import pytest

from harness.replay.sse import is_event_stream, parse_sse
from support.transports import SEED_FILES, load_seed


def test_parse_sse_events_and_done() -> None:
    text = 'data: {"a": 1}\n\ndata: {"b": 2}\n\ndata: [DONE]\n\n'
    assert parse_sse(text) == [{"a": 1}, {"b": 2}]


def test_parse_sse_joins_multi_line_data() -> None:
    assert parse_sse('data: {"a":\ndata: [1,\ndata: 2]}\n\n') == [{"a": [1, 2]}]


def test_parse_sse_ignores_event_id_and_comment_lines() -> None:
    text = (
        ": keep-alive\n\n"
        'event: response.created\nid: 7\ndata: {"type": "response.created"}\n\n'
        'event: response.done\ndata: {"type": "response.done"}\n\n'
    )
    assert parse_sse(text) == [{"type": "response.created"}, {"type": "response.done"}]


def test_parse_sse_keeps_non_json_data_as_text() -> None:
    assert parse_sse("data: hello world\n\ndata: {broken\n\n") == ["hello world", "{broken"]


def test_parse_sse_without_trailing_blank_line_and_crlf() -> None:
    assert parse_sse('data: {"a": 1}\r\n\r\ndata:{"b": 2}') == [{"a": 1}, {"b": 2}]
    assert parse_sse("") == []
    assert parse_sse("data: [DONE]") == []


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_parse_sse_splits_lines_only_on_cr_and_lf(separator: str) -> None:
    # JSON leaves these unescaped; str.splitlines() would cut the event in two.
    text = f'data: {{"a": "x{separator}y"}}\n\ndata: [DONE]\n\n'
    assert parse_sse(text) == [{"a": f"x{separator}y"}]
    assert parse_sse(text, complete=False) == [{"a": f"x{separator}y"}]


@pytest.mark.parametrize(
    ("text", "events"),
    [
        ('data: {"a": 1}\n', []),  # no blank line yet: the event was not complete
        ('data: {"a": 1}\n\ndata: {"b"', [{"a": 1}]),
        ('data: {"a": 1}\r\n\r', [{"a": 1}]),
        ('data: {"a": 1}\r\rdata: {"b": 2}\r\r', [{"a": 1}, {"b": 2}]),
    ],
)
def test_parse_sse_of_a_stream_that_broke_off_keeps_complete_events(
    text: str, events: list[Any]
) -> None:
    assert parse_sse(text, complete=False) == events


def test_parse_sse_round_trips_recorded_streams() -> None:
    for path in SEED_FILES:
        rec = load_seed(path)
        content = rec.response_content()[2].decode("utf-8")
        assert parse_sse(content) == [item["__data__"] for item in rec.response_body]


def test_is_event_stream_reads_the_content_type() -> None:
    assert is_event_stream({"content-type": "text/event-stream; charset=utf-8"})
    assert not is_event_stream({"content-type": "application/json"})
    assert not is_event_stream({})

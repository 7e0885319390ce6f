"""Tests for harness.util.boundedjson: recording JSON bounded in depth, with no lone surrogate."""

from __future__ import annotations

import json

import pytest

from harness.errors import RecordingCorruptError
from harness.util.boundedjson import MAX_JSON_DEPTH, parse_json


def nested(depth: int) -> str:
    return "[" * (depth - 1) + '{"a": 1}' + "]" * (depth - 1)


def test_nesting_up_to_the_limit_parses() -> None:
    assert parse_json(nested(MAX_JSON_DEPTH), source="f.json") is not None


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deeper_nesting_is_refused_naming_the_source(depth: int) -> None:
    with pytest.raises(RecordingCorruptError, match=rf"^f\.json: .*deeper than {MAX_JSON_DEPTH}"):
        parse_json(nested(depth), source="f.json")


def test_many_shallow_containers_are_not_deep() -> None:
    text = json.dumps([{"a": [1]} for _ in range(5000)])
    assert len(parse_json(text, source="f.json")) == 5000


@pytest.mark.parametrize("text", ['"hello\\ud800"', '["\\udfff x"]', '{"k\\uDBFF": 1}'])
def test_a_lone_surrogate_is_refused(text: str) -> None:
    with pytest.raises(RecordingCorruptError, match=r"^f\.json: .*lone surrogate"):
        parse_json(text, source="f.json")


@pytest.mark.parametrize("text", ['"\\ud83d\\ude00"', '"\\\\ud800"', '"\\u2028"'])
def test_surrogate_pairs_and_escaped_backslashes_are_fine(text: str) -> None:
    assert parse_json(text, source="f.json") == json.loads(text)

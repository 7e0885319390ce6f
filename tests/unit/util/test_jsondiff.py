"""Tests for harness.util.jsondiff: one path-addressed line per differing leaf."""

from __future__ import annotations

from typing import Any

import pytest

from harness.util.jsondiff import diff_paths


def messages(*contents: str) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": c} for c in contents]}


def test_equal_values_have_no_diff() -> None:
    body = messages("a", "b", "c")
    assert diff_paths(body, messages("a", "b", "c")) == []
    assert diff_paths(None, None) == []
    assert diff_paths([], []) == []


def test_changed_leaf_deep_in_a_list() -> None:
    assert diff_paths(messages("x", "y", "a"), messages("x", "y", "b")) == [
        "messages[2].content: 'a' -> 'b'"
    ]


def test_several_changes_in_key_order() -> None:
    old = {"b": 1, "a": {"z": 1, "y": 2}, "c": [1]}
    new = {"b": 2, "a": {"z": 1, "y": 3}, "c": [1]}
    assert diff_paths(old, new) == ["a.y: 2 -> 3", "b: 1 -> 2"]


def test_added_and_removed_keys() -> None:
    assert diff_paths({"a": 1, "gone": "x"}, {"a": 1, "new": [1, 2]}) == [
        "gone: removed (was 'x')",
        "new: added [1, 2]",
    ]


def test_added_and_removed_items() -> None:
    assert diff_paths({"m": [1, 2]}, {"m": [1, 2, {"k": 3}]}) == ["m[2]: added {'k': 3}"]
    assert diff_paths({"m": [1, 2, 3]}, {"m": [1]}) == [
        "m[1]: removed (was 2)",
        "m[2]: removed (was 3)",
    ]


@pytest.mark.parametrize(
    ("old", "new", "shown_old", "shown_new"),
    [
        (1, 1.0, "1", "1.0"),
        (1, True, "1", "True"),
        (1.0, True, "1.0", "True"),
        (0, False, "0", "False"),
        ("1", 1, "'1'", "1"),
        (None, 0, "None", "0"),
        ({"a": 1}, [1], "{'a': 1}", "[1]"),
    ],
)
def test_type_changes_are_differences(old: Any, new: Any, shown_old: str, shown_new: str) -> None:
    assert diff_paths({"x": old}, {"x": new}) == [f"x: {shown_old} -> {shown_new}"]
    assert diff_paths({"x": new}, {"x": old}) == [f"x: {shown_new} -> {shown_old}"]


def test_top_level_scalars_and_lists() -> None:
    assert diff_paths("a", "b") == ["(body): 'a' -> 'b'"]
    assert diff_paths(None, {"a": 1}) == ["(body): None -> {'a': 1}"]
    assert diff_paths([1, 2], [1, 3]) == ["[1]: 2 -> 3"]


def test_long_values_are_shortened() -> None:
    long = "x" * 200
    (line,) = diff_paths({"k": "short"}, {"k": long})
    shown = line.split(" -> ")[1]
    assert len(shown) == 60
    assert shown.endswith("...")
    assert shown.startswith("'xxx")


def test_non_string_keys_are_sorted_as_strings() -> None:
    assert diff_paths({1: "a", "b": 1}, {1: "b", "b": 2}) == ["1: 'a' -> 'b'", "b: 1 -> 2"]

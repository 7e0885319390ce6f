"""Tests for harness.engine.check_kinds: one check per expectation kind, and JSON subsets."""

from __future__ import annotations

from typing import Any

import pytest

from harness.engine.check_kinds import CHECKS, is_subset
from harness.spec.expect import Expectation


def test_same_as_nonstream_has_no_check_here() -> None:
    assert "same_as_nonstream" not in CHECKS  # the runner decides it, with a second run


def test_every_other_expectation_kind_has_a_check() -> None:
    kinds = set(Expectation.model_fields) - {"same_as_nonstream"}
    assert set(CHECKS) == kinds


# --- is_subset -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "actual", "holds"),
    [
        ({}, {"a": 1}, True),
        ({"a": 1}, {"a": 1, "b": 2}, True),
        ({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}, True),
        ({"a": 1}, {"b": 1}, False),
        ({"a": 1}, {"a": 2}, False),
        ({"a": 1}, [1], False),
        ({"a": [1, 2]}, {"a": [1, 2]}, True),
        ({"a": [1, 2]}, {"a": [1, 2, 3]}, False),  # lists match item by item, same length
        ({"a": [1, 2]}, {"a": [2, 1]}, False),
        ([{"x": 1}], [{"x": 1, "y": 2}], True),
        ([1], {"0": 1}, False),
        (1, 1.0, True),  # numbers compare by value
        (1.5, 1.5, True),
        (1, True, False),  # but booleans are not numbers
        (True, 1, False),
        (True, True, True),
        (False, 0, False),
        ("1", 1, False),
        (None, None, True),
        (None, "None", False),
        ("Paris", "Paris", True),
        ("paris", "Paris", False),
    ],
)
def test_is_subset(expected: Any, actual: Any, holds: bool) -> None:
    assert is_subset(expected, actual) is holds

"""Tests for harness.spec.model: the one pydantic base, and models read back as JSON data."""

from __future__ import annotations

import pytest
from openai.types.chat import ChatCompletionMessage
from pydantic import ValidationError

from harness.spec.model import StrictModel, json_data


class Point(StrictModel):
    x: int


def test_strict_model_refuses_unknown_keys_and_coercion_and_is_frozen() -> None:
    with pytest.raises(ValidationError, match=r"Extra inputs"):
        Point.model_validate({"x": 1, "y": 2})
    with pytest.raises(ValidationError):
        Point.model_validate({"x": "1"})
    point = Point(x=1)
    with pytest.raises(ValidationError):
        point.x = 2  # type: ignore[misc]


def test_json_data_dumps_models_and_passes_anything_else() -> None:
    message = ChatCompletionMessage(role="assistant", content="hi")
    assert json_data(message)["content"] == "hi"
    assert json_data(message)["role"] == "assistant"
    assert json_data({"a": 1}) == {"a": 1}
    assert json_data(None) is None

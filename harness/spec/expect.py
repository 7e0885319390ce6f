"""Expectations: the model of what a step may expect (decided by :mod:`harness.engine.checks`)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.spec.model import StrictModel


class ErrorExpect(StrictModel):
    """An expected provider error: the HTTP status and a substring of its message."""

    status: int | None = None
    message: str | None = None


class ItemsExpect(StrictModel):
    """Checks on a list of conversation items (``data``); roles compare as a multiset unless
    ``ordered`` (the API does not always promise an order)."""

    count: Annotated[int, Field(ge=0)] | None = None
    roles: list[str] | None = None
    ordered: bool = False
    texts: list[str] | None = None  # substrings each found in some item's text


class ToolCallExpect(StrictModel):
    """An expected tool call; ``arguments`` is compared as a JSON subset."""

    name: str
    arguments: dict[str, Any] | None = None


class CalledExpect(StrictModel):
    """A tool the model asked for during the step (for a target: in any of the application's
    inner calls); ``arguments`` is compared as a JSON subset."""

    tool: str
    arguments: dict[str, Any] | None = None


class CountRange(StrictModel):
    """Bounds on a count (both inclusive)."""

    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None


class CallsExpect(StrictModel):
    """Checks on the model requests of the step (a target's inner calls).

    ``count`` bounds how many requests were made; ``request`` is a JSON subset every inner
    request body must hold; ``system`` is text every inner request's system (or developer)
    message must contain; ``tokens`` bounds the total tokens the inner replies reported.
    """

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    count: CountRange | None = None
    request: dict[str, Any] | None = None
    system: str | None = None
    tokens: CountRange | None = None

    @model_validator(mode="after")
    def _one_check(self) -> CallsExpect:
        if all(v is None for v in (self.count, self.request, self.system, self.tokens)):
            raise ValueError("calls needs at least one of: count, request, system, tokens")
        return self


# The id of the reply a target's step ends with (the application's answer, not a model's).
TARGET_REPLY_ID = "harness-target-reply"


class Expectation(StrictModel):
    """One check on a step's assembled reply. Exactly one key is set."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    contains: str | None = None
    icontains: str | None = None
    not_contains: str | None = None
    regex: str | None = None
    equals: str | None = None
    finish_reason: str | None = None
    error: ErrorExpect | None = None
    tool_call: ToolCallExpect | None = None
    no_tool_call: Literal[True] | None = None
    called: CalledExpect | None = None
    calls: CallsExpect | None = None
    same_as_nonstream: Literal[True] | None = None
    # On what an operation returned (conversations, items, ...):
    metadata: dict[str, Any] | None = None
    deleted: bool | None = None
    items: ItemsExpect | None = None
    matches: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) != 1:
            keys = ", ".join(map(repr, data)) or "none"
            raise ValueError(f"an expectation has exactly one key, got {keys}")
        return data

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except (re.error, RecursionError, OverflowError) as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @property
    def kind(self) -> str:
        """The expectation's key, e.g. ``icontains``."""
        return next(iter(self.model_fields_set))

    @property
    def value(self) -> Any:
        """The expectation's argument."""
        return getattr(self, self.kind)

    def describe(self) -> str:
        """One-line rendering, e.g. ``icontains: 'earth'``."""
        value = self.value
        if isinstance(value, BaseModel):
            value = value.model_dump(exclude_none=True)
        return f"{self.kind}: {value!r}"

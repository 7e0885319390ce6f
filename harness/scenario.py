"""The scenario file model and its loader.

The pydantic models here are the single source of truth for what a scenario file may say: they
validate files and generate the JSON Schema (``harness schema``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ScenarioError
from .validation import ID_PATTERN, located_error, unknown_key
from .yamlsrc import LocDict, load_yaml, locate, value_pos

StreamSetting = bool | Literal["both"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ErrorExpect(_Model):
    """An expected provider error: the HTTP status and a substring of its message."""

    status: int | None = None
    message: str | None = None


class ToolCallExpect(_Model):
    """An expected tool call; ``arguments`` is compared as a JSON subset."""

    name: str
    arguments: dict[str, Any] | None = None


class Expectation(_Model):
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
    same_as_nonstream: Literal[True] | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) != 1:
            keys = ", ".join(map(repr, data)) or "none"
            raise ValueError(f"an expectation has exactly one key, got {keys}")
        return data

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


class Step(_Model):
    """One turn of a conversation."""

    user: str | list[dict[str, Any]] | None = None
    stream: StreamSetting | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    tool_results: dict[str, Any] | list[Any] | None = None
    snapshot: bool | None = None
    expect: list[Expectation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_stream_in_params(self) -> Step:
        if "stream" in self.params:
            raise ValueError("set streaming with the step's 'stream' key, not in params")
        return self


class Scenario(_Model):
    """A multi-turn conversation with expectations, run once per matrix column."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    description: str | None = None
    tags: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    messages: list[dict[str, Any]] = Field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    stream: StreamSetting | None = None
    stream_checks: bool = True
    snapshot: bool = False
    max_tool_rounds: Annotated[int, Field(ge=1)] = 4
    steps: Annotated[list[Step], Field(min_length=1)]

    # Set by the loader: where the scenario lives, for error messages and local images.
    path: Annotated[str, Field(exclude=True)] = ""
    base_dir: Annotated[str, Field(exclude=True)] = ""
    line: Annotated[int, Field(exclude=True)] = 0
    step_lines: Annotated[tuple[int, ...], Field(exclude=True)] = ()
    expect_lines: Annotated[tuple[tuple[int, ...], ...], Field(exclude=True)] = ()

    @model_validator(mode="after")
    def _same_as_nonstream_needs_both(self) -> Scenario:
        for index, step in enumerate(self.steps):
            wants = any(e.kind == "same_as_nonstream" for e in step.expect)
            setting = step.stream if step.stream is not None else self.stream
            if wants and setting != "both":
                raise ValueError(
                    f"step {index + 1}: same_as_nonstream needs 'stream: both' on the step "
                    "or the scenario"
                )
        return self

    @cached_property
    def streams_both_ways(self) -> bool:
        """True when the scenario or one of its steps says ``stream: both``."""
        return self.stream == "both" or any(step.stream == "both" for step in self.steps)

    def step_line(self, index: int) -> int:
        """The file line of step ``index`` (0-based)."""
        return self.step_lines[index] if index < len(self.step_lines) else self.line

    def expect_line(self, step: int, index: int) -> int:
        """The file line of expectation ``index`` of step ``step`` (0-based)."""
        lines = self.expect_lines[step] if step < len(self.expect_lines) else ()
        return lines[index] if index < len(lines) else self.step_line(step)


class ScenarioFile(_Model):
    """The top level of a scenario file."""

    scenarios: list[Scenario]


# Keys the loader fills in; a file that sets them is told they are unknown.
_INTERNAL = frozenset({"path", "base_dir", "line", "step_lines", "expect_lines"})
_MODELS: dict[str, type[BaseModel]] = {
    "scenarios": Scenario,
    "steps": Step,
    "expect": Expectation,
    "error": ErrorExpect,
    "tool_call": ToolCallExpect,
}


def load_scenarios(path: Path, *, display: str | None = None) -> list[Scenario]:
    """Load and validate one scenario file; problems raise :class:`ScenarioError`."""
    shown = display or str(path)
    data = load_yaml(path, error=ScenarioError, display=shown)
    if not isinstance(data, LocDict):
        cause = "a scenario file is a mapping with a 'scenarios' list"
        raise ScenarioError(cause, path=shown, line=1, col=1)
    raw = data.get("scenarios")
    if isinstance(raw, list):
        for index, item in enumerate(raw):
            if isinstance(item, LocDict):
                for key in _INTERNAL & item.keys():
                    line, col = locate(data, ("scenarios", index, key))
                    cause = unknown_key(key, Scenario, _INTERNAL)
                    raise ScenarioError(cause, path=shown, line=line, col=col)
    try:
        parsed = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise located_error(
            exc,
            data,
            shown=shown,
            error=ScenarioError,
            models=_MODELS,
            root=ScenarioFile,
            internal=_INTERNAL,
        ) from None
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for index, scenario in enumerate(parsed.scenarios):
        line, col = value_pos(data, ("scenarios", index, "id"))
        if scenario.id in seen:
            cause = f"duplicate scenario id {scenario.id!r} (first at line {seen[scenario.id]})"
            raise ScenarioError(cause, path=shown, line=line, col=col)
        seen[scenario.id] = line
        steps = data["scenarios"][index]["steps"]
        scenarios.append(
            scenario.model_copy(
                update={
                    "path": shown,
                    "base_dir": str(path.parent.resolve()),
                    "line": locate(data, ("scenarios", index))[0],
                    "step_lines": tuple(pos[0] for pos in steps.item_pos),
                    "expect_lines": tuple(
                        tuple(pos[0] for pos in step["expect"].item_pos) if "expect" in step else ()
                        for step in steps
                    ),
                }
            )
        )
    return scenarios

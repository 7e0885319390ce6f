"""The scenario file model and its loader.

The pydantic models here are the single source of truth for what a scenario file may say: they
validate files and generate the JSON Schema (``harness schema``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from harness.spec.expect import Expectation
from harness.spec.model import StrictModel
from harness.spec.validation import ID_PATTERN

# ``package.module:attr`` (attr may be dotted): the application a scenario targets.
TARGET_PATTERN = r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"

StreamSetting = bool | Literal["both"]


# Conversations API operations a step can perform, named like the SDK's methods.
OPERATIONS = (
    "conversations.create",
    "conversations.retrieve",
    "conversations.update",
    "conversations.delete",
    "conversations.items.create",
    "conversations.items.list",
    "conversations.items.retrieve",
    "conversations.items.delete",
)
Args = dict[str, Any]


class ConversationSeed(StrictModel):
    """A conversation created before the first step (``conversation: {metadata, items}``)."""

    metadata: dict[str, str] | None = None
    items: list[dict[str, Any]] | None = None


class RecordingsFrom(StrictModel):
    """``recordings: {test_id: ...}``: use the recordings one test made (imported replies that
    conflict with another test's reply to the same request are kept under their test id)."""

    test_id: str


# shared: keyed by the request; per-test: by the request and this test's id.
RecordingsSetting = Literal["shared", "per-test"] | RecordingsFrom


class Step(StrictModel):
    """One turn of a conversation, or one Conversations API operation."""

    model_config = ConfigDict(populate_by_name=True)

    user: str | list[dict[str, Any]] | None = None
    input: str | list[dict[str, Any]] | None = None
    conversation: str | None = None  # responses: send in this conversation (overrides)
    previous_response_id: str | None = None  # responses: chain from this (overrides)
    save_as: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    conversations_create: Args | None = Field(None, alias="conversations.create")
    conversations_retrieve: Args | None = Field(None, alias="conversations.retrieve")
    conversations_update: Args | None = Field(None, alias="conversations.update")
    conversations_delete: Args | None = Field(None, alias="conversations.delete")
    items_create: Args | None = Field(None, alias="conversations.items.create")
    items_list: Args | None = Field(None, alias="conversations.items.list")
    items_retrieve: Args | None = Field(None, alias="conversations.items.retrieve")
    items_delete: Args | None = Field(None, alias="conversations.items.delete")
    stream: StreamSetting | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    tool_results: dict[str, Any] | list[Any] | None = None
    snapshot: bool | None = None
    expect: list[Expectation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_stream_in_params(self) -> Step:
        if "stream" in self.params:
            raise ValueError("set streaming with the step's 'stream' key, not in params")
        actions = [name for name in ("user", "input") if getattr(self, name) is not None]
        if self.operation is not None:
            actions.append(self.operation[0])
        if len(actions) > 1:
            raise ValueError(f"a step does one thing, got {', '.join(actions)}")
        return self

    @property
    def operation(self) -> tuple[str, Args] | None:
        """The Conversations API operation this step performs, with its arguments."""
        for name, field in type(self).model_fields.items():
            if field.alias in OPERATIONS and getattr(self, name) is not None:
                return field.alias, getattr(self, name)
        return None


class Scenario(StrictModel):
    """A multi-turn conversation with expectations, run once per matrix column."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    description: str | None = None
    api: Literal["chat", "responses"] = "chat"
    conversation: Literal["new"] | ConversationSeed | None = None
    xfail: dict[str, str] = Field(default_factory=dict)  # column glob -> known-failure reason
    tags: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    messages: list[dict[str, Any]] = Field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    stream: StreamSetting | None = None
    stream_checks: bool = True
    snapshot: bool = False
    max_tool_rounds: Annotated[int, Field(ge=1)] = 4
    recordings: RecordingsSetting | None = None
    # The application under test (see harness.engine.target): steps go to it, not to a model.
    target: Annotated[str, Field(pattern=TARGET_PATTERN)] | None = None
    steps: Annotated[list[Step], Field(min_length=1)]

    # Set by the loader: where the scenario lives, for error messages and local images.
    path: Annotated[str, Field(exclude=True)] = ""
    base_dir: Annotated[str, Field(exclude=True)] = ""
    image_root: Annotated[str, Field(exclude=True)] = ""  # "": images may be anywhere
    line: Annotated[int, Field(exclude=True)] = 0
    step_lines: Annotated[tuple[int, ...], Field(exclude=True)] = ()
    expect_lines: Annotated[tuple[tuple[int, ...], ...], Field(exclude=True)] = ()

    @model_validator(mode="after")
    def _api_fits_steps(self) -> Scenario:
        wrong = "input" if self.api == "chat" else "user"
        for index, step in enumerate(self.steps):
            if getattr(step, wrong) is not None:
                right = "user" if self.api == "chat" else "input"
                raise ValueError(
                    f"step {index + 1}: api {self.api!r} steps send {right!r}, not {wrong!r}"
                )
            if self.api == "chat" and (step.conversation or step.previous_response_id):
                raise ValueError(
                    f"step {index + 1}: conversation/previous_response_id need api: responses"
                )
        if self.api == "chat" and any(step.operation for step in self.steps):
            raise ValueError("Conversations API operations need api: responses")
        if self.api == "chat" and self.conversation is not None:
            raise ValueError("a scenario-level conversation needs api: responses")
        if self.api == "responses" and self.messages:
            raise ValueError("messages are chat history; responses scenarios seed a conversation")
        return self

    @model_validator(mode="after")
    def _recordings_setting_fits(self) -> Scenario:
        if isinstance(self.recordings, RecordingsFrom) and not self.recordings.test_id.strip():
            raise ValueError("recordings.test_id is empty: name the test whose recordings to use")
        if self.recordings == "shared" and self.stateful:
            raise ValueError(
                "recordings: shared cannot hold server state: Responses and Conversations "
                "scenarios always record per test"
            )
        return self

    def recording_scope(self, case_id: str) -> tuple[str, bool]:
        """The scope of this case's recordings, and whether a shared recording may answer.

        Stateful scenarios are always scoped (server ids differ between runs); per-test
        chat scenarios fall back to the shared recording of a request they have none for.
        """
        own = f"{self.path}::{self.id}[{case_id}]"
        if isinstance(self.recordings, RecordingsFrom):
            return self.recordings.test_id, not self.stateful
        if self.recordings == "per-test" or self.stateful:
            return own, not self.stateful
        return "", False

    @property
    def stateful(self) -> bool:
        """Whether the server keeps state between steps (ids of one run feed later requests)."""
        return self.api == "responses" or any(s.operation for s in self.steps)

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


class ScenarioFile(StrictModel):
    """The top level of a scenario file."""

    target: Annotated[str, Field(pattern=TARGET_PATTERN)] | None = None  # scenarios' default
    scenarios: list[Scenario]

"""What ``harness validate`` checks beyond the file format: what would otherwise fail only at
run time (a missing image, a tool result for a tool never declared) or silently run nothing (a
capability no model has, a glob that matches no column)."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterator, Sequence
from typing import Any

from harness.engine.matrix import Column
from harness.engine.narrowing import did_you_mean, scenario_problems
from harness.errors import LocatedError, ScenarioError
from harness.spec.images import image_path
from harness.spec.scenario import Scenario


def cross_check(
    scenarios: Sequence[Scenario], matrix: Sequence[Column] | None
) -> list[LocatedError]:
    """Problems of valid ``scenarios`` found by looking at their images and tools, and (when
    the providers file loaded) at the ``matrix``."""
    problems: list[LocatedError] = []
    for scenario in scenarios:
        problems.extend(_images(scenario))
        problems.extend(_tool_results(scenario))
        if matrix is not None:
            problems.extend(_matrix(scenario, matrix))
    return problems


def _images(scenario: Scenario) -> Iterator[LocatedError]:
    for index, step in enumerate(scenario.steps):
        for parts in (step.user, step.input):
            for part in parts if isinstance(parts, list) else []:
                if "image" in part:
                    try:
                        image_path(scenario, part["image"], index)
                    except ScenarioError as exc:
                        yield exc


def _declared_tools(tools: Any) -> list[str]:
    """Tool names of a ``tools`` list, chat (``function.name``) or Responses (``name``) style."""
    names = []
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else tool.get("name")
            if isinstance(name, str):
                names.append(name)
    return names


def _tool_results(scenario: Scenario) -> Iterator[LocatedError]:
    for index, step in enumerate(scenario.steps):
        if not isinstance(step.tool_results, dict):
            continue
        declared = _declared_tools(scenario.tools) + _declared_tools(step.params.get("tools"))
        for name in step.tool_results:
            if name not in declared:
                guess = difflib.get_close_matches(name, declared, n=1)
                hint = f" (did you mean {guess[0]!r}?)" if guess else ""
                known = ", ".join(declared) or "none"
                yield ScenarioError(
                    f"step {index + 1}: tool_results answers tool {name!r}, which the scenario "
                    f"does not declare{hint}; declared tools: {known}",
                    path=scenario.path,
                    line=scenario.step_line(index),
                )


def _matrix(scenario: Scenario, matrix: Sequence[Column]) -> Iterator[LocatedError]:
    yield from scenario_problems(scenario, matrix)  # models: and requires:, as pytest checks
    ids = [column.id for column in matrix]
    for glob in scenario.xfail:
        if not any(fnmatch.fnmatchcase(column_id, glob) for column_id in ids):
            yield ScenarioError(
                f"scenario {scenario.id!r}: xfail: {glob!r} matches no column of the matrix"
                + did_you_mean(glob, ids),
                path=scenario.path,
                line=scenario.line,
                col=1,
            )

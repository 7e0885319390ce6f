"""Loading scenario files: YAML to validated :class:`~harness.spec.scenario.Scenario` objects.

:func:`read_scenarios` finds every problem of a file (``harness validate`` reports them all);
:func:`load_scenarios` raises the first (collection shows one error per file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import LocatedError, ScenarioError
from harness.spec.expect import (
    CalledExpect,
    CallsExpect,
    CountRange,
    ErrorExpect,
    Expectation,
    ToolCallExpect,
)
from harness.spec.scenario import RecordingsFrom, Scenario, ScenarioFile, Step
from harness.spec.validation import first_problem, located_errors, unknown_key
from harness.util.yamlsrc import LocDict, load_yaml, locate, value_pos

# Keys the loader fills in; a file that sets them is told they are unknown.
_INTERNAL = frozenset({"path", "base_dir", "image_root", "line", "step_lines", "expect_lines"})
_MODELS: dict[str, type[BaseModel]] = {
    "scenarios": Scenario,
    "steps": Step,
    "expect": Expectation,
    "error": ErrorExpect,
    "tool_call": ToolCallExpect,
    "recordings": RecordingsFrom,
    "called": CalledExpect,
    "calls": CallsExpect,
    "count": CountRange,
}


def load_scenarios(
    path: Path,
    *,
    display: str | None = None,
    image_root: Path | None = None,
    images_anywhere: bool = False,
) -> list[Scenario]:
    """Load and validate one scenario file; its first problem raises :class:`ScenarioError`.

    Images of its steps must lie under ``image_root`` (default: the file's folder) unless
    ``images_anywhere``; see :mod:`harness.spec.images`.
    """
    scenarios, problems = read_scenarios(
        path, display=display, image_root=image_root, images_anywhere=images_anywhere
    )
    if problems:
        raise first_problem(problems)
    return scenarios


def read_scenarios(
    path: Path,
    *,
    display: str | None = None,
    image_root: Path | None = None,
    images_anywhere: bool = False,
) -> tuple[list[Scenario], list[LocatedError]]:
    """The valid scenarios of one file and every problem found in it, most telling first.

    A file that is not YAML (or not a mapping) is one problem and no scenario.
    """
    shown = display or str(path)
    root = "" if images_anywhere else str((image_root or path.parent).resolve())
    try:
        data = load_yaml(path, error=ScenarioError, display=shown)
    except ScenarioError as exc:
        return [], [exc]
    if not isinstance(data, LocDict):
        cause = "a scenario file is a mapping with a 'scenarios' list"
        return [], [ScenarioError(cause, path=shown, line=1, col=1)]
    problems: list[LocatedError] = []
    raw = data.get("scenarios")
    items = raw if isinstance(raw, list) else []
    for index, item in enumerate(items):
        for key in _INTERNAL & (item.keys() if isinstance(item, LocDict) else set()):
            line, col = locate(data, ("scenarios", index, key))
            problems.append(
                ScenarioError(unknown_key(key, Scenario, _INTERNAL), path=shown, line=line, col=col)
            )
    if problems:
        return [], problems
    try:
        document = ScenarioFile.model_validate(data)
        parsed: list[Scenario | None] = list(document.scenarios)
        default_target = document.target
    except ValidationError as exc:
        problems.extend(
            located_errors(
                exc,
                data,
                shown=shown,
                error=ScenarioError,
                models=_MODELS,
                root=ScenarioFile,
                internal=_INTERNAL,
            )
        )
        parsed = [_valid(item) for item in items]  # the scenarios without a problem
        default_target = None
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for index, (item, scenario) in enumerate(zip(items, parsed, strict=False)):
        if scenario is None:
            continue
        line, col = value_pos(data, ("scenarios", index, "id"))
        if scenario.id in seen:
            cause = f"duplicate scenario id {scenario.id!r} (first at line {seen[scenario.id]})"
            problems.append(ScenarioError(cause, path=shown, line=line, col=col))
            continue
        seen[scenario.id] = line
        if scenario.target is None and default_target is not None:  # the file-level default
            scenario = scenario.model_copy(update={"target": default_target})
        scenarios.append(_placed(scenario, item, path=path, shown=shown, root=root))
    return scenarios, problems


def _valid(item: Any) -> Scenario | None:
    try:
        return Scenario.model_validate(item)
    except ValidationError:
        return None


def _placed(scenario: Scenario, item: LocDict, *, path: Path, shown: str, root: str) -> Scenario:
    """``scenario`` with where it lives: its file, folder and the lines of its parts."""
    steps = item["steps"]
    return scenario.model_copy(
        update={
            "path": shown,
            "base_dir": str(path.parent.resolve()),
            "image_root": root,
            "line": item.pos[0],
            "step_lines": tuple(pos[0] for pos in steps.item_pos),
            "expect_lines": tuple(
                tuple(pos[0] for pos in step["expect"].item_pos) if "expect" in step else ()
                for step in steps
            ),
        }
    )

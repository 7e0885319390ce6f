"""Narrowing the matrix without losing anything: filters are checked, narrowed-out items deselected.

A matrix filter (``--harness-models``/``HARNESS_MODELS``/``harness_models``) removes items the
way ``-k`` does: they are *deselected*, so tools that look for unused snapshots (syrupy) know
they were not asked for, rather than treating them as gone. A filter that matches no column, a
scenario ``models:`` glob that matches none and a ``requires:`` capability no column declares
are mistakes (typos), never an empty green run.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Sequence

from harness.engine.matrix import Column
from harness.errors import ConfigError, ScenarioError
from harness.spec.scenario import Scenario


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or the choices when none is close."""
    options = sorted(set(choices))
    guess = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if guess:
        return f" (did you mean {guess[0]!r}?)"
    return f" (known: {', '.join(options)})" if options else ""


def _globs(all_columns: Sequence[Column]) -> list[str]:
    """What a user could have meant: every column id and every ``provider/*``."""
    return [c.id for c in all_columns] + [f"{c.provider.id}/*" for c in all_columns]


def check_filter(all_columns: Sequence[Column], patterns: Sequence[str], *, source: str) -> None:
    """Raise :class:`ConfigError` for a pattern of a matrix filter that matches no column."""
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(c.id, pattern) for c in all_columns):
            raise ConfigError(
                f"{source}: {pattern!r} matches no column of the matrix"
                + did_you_mean(pattern, _globs(all_columns))
            )


def check_scenario(scenario: Scenario, all_columns: Sequence[Column]) -> None:
    """Raise :class:`ScenarioError` when ``models:`` or ``requires:`` cannot mean any column."""
    for problem in scenario_problems(scenario, all_columns):
        raise problem


def scenario_problems(scenario: Scenario, all_columns: Sequence[Column]) -> list[ScenarioError]:
    """Every ``models:`` glob that matches no column and ``requires:`` capability no column
    declares (``harness validate`` reports them all)."""
    problems = []
    for pattern in scenario.models:
        if not any(fnmatch.fnmatchcase(c.id, pattern) for c in all_columns):
            problems.append(
                ScenarioError(
                    f"scenario {scenario.id!r}: models: {pattern!r} matches no column of the "
                    f"matrix" + did_you_mean(pattern, _globs(all_columns)),
                    path=scenario.path,
                    line=scenario.line,
                    col=1,
                )
            )
    declared = {cap for c in all_columns for cap in c.capabilities}
    for capability in scenario.requires:
        if capability not in declared:
            problems.append(
                ScenarioError(
                    f"scenario {scenario.id!r}: requires: {capability!r} is a capability no "
                    f"provider declares" + did_you_mean(capability, declared),
                    path=scenario.path,
                    line=scenario.line,
                    col=1,
                )
            )
    return problems

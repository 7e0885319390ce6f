"""Scenario files as pytest modules: one real test function per scenario.

Each scenario becomes a plain function in a synthetic module, so pytest's own machinery collects
it: ``pytest_generate_tests`` parametrizes it over the matrix, and fixtures, ``-k``, ``-m``,
xdist and syrupy work as for any test function.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from .errors import LocatedError
from .matrix import Case
from .paths import display_path
from .scenario import Scenario, load_scenarios

SCENARIO_ATTR = "_harness_scenario"


class ScenarioModule(pytest.Module):
    """A YAML scenario file, collected like a Python test module."""

    _module: types.ModuleType | None = None
    _error: LocatedError | None = None

    def _getobj(self) -> types.ModuleType:
        # pytest calls _getobj() more than once per module: build it once.
        if self._module is None:
            display = display_path(self.path, self.config.rootpath)
            scenarios = load_scenarios(self.path, display=display)
            self._module = build_module(self.path, scenarios, self._register_tag)
        return self._module

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        try:
            self._getobj()
        except LocatedError as exc:
            return [InvalidScenarioFile.from_parent(self, name="invalid-scenario-file", error=exc)]
        return super().collect()

    def _register_tag(self, tag: str) -> None:
        self.config.addinivalue_line("markers", f"{tag}: scenario tag")


class InvalidScenarioFile(pytest.Item):
    """Stands for a scenario file that failed to load, so the rest of the suite still runs."""

    def __init__(self, *, error: LocatedError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def setup(self) -> None:
        pytest.fail(str(self.error), pytrace=False)

    def runtest(self) -> None:  # pragma: no cover - setup always fails
        pass

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.error.line - 1, f"{self.error.path}:{self.error.line}"


def build_module(
    path: Path, scenarios: list[Scenario], register_tag: Callable[[str], None]
) -> types.ModuleType:
    """A module holding one test function per scenario, named by the scenario id."""
    name = "harness_scenarios." + re.sub(r"\W", "_", str(path))
    module = types.ModuleType(name)
    module.__file__ = str(path)
    for scenario in scenarios:
        for tag in scenario.tags:
            register_tag(tag)
        setattr(module, scenario.id, _test_function(scenario, path=path, module_name=name))
    return module


def _test_function(scenario: Scenario, *, path: Path, module_name: str) -> Callable[..., None]:
    def run_scenario(harness_case: Case, harness_run: Callable[[Case], None]) -> None:
        harness_run(harness_case)

    function: Any = run_scenario
    function.__name__ = function.__qualname__ = scenario.id
    function.__module__ = module_name
    function.__doc__ = scenario.description
    # Make pytest report the scenario's YAML line as the test's location.
    function.__code__ = function.__code__.replace(
        co_filename=str(path), co_firstlineno=max(scenario.line, 1)
    )
    function.__test__ = True
    function.pytestmark = [getattr(pytest.mark, tag) for tag in scenario.tags]
    setattr(function, SCENARIO_ATTR, scenario)
    return function  # type: ignore[no-any-return]

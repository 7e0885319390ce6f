"""Scenario files as pytest modules: one real test function per scenario.

Each scenario becomes a plain test function handed to pytest's own item factory
(``pytest_pycollect_makeitem``), so ``pytest_generate_tests`` parametrizes it over the matrix, and
fixtures, ``-k``, ``-m``, xdist and syrupy work as for any test function. The functions are *not*
attributes of the synthetic module: pytest gives module attributes meanings (``pytestmark``,
``setup_module``, ``setUpModule``, ``teardown_function``, ``pytest_generate_tests``, ...), and a
scenario id is just an id. pytest's items still look their function up on the module by name, so
:class:`ScenarioNamespace` answers that one lookup, and only while the item is being made.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from harness.engine.matrix import Case
from harness.errors import LocatedError
from harness.spec.load import load_scenarios
from harness.spec.scenario import Scenario
from harness.util.paths import display_path

SCENARIO_ATTR = "_harness_scenario"


class ScenarioNamespace(types.ModuleType):
    """The module object of a scenario file: holds no scenario, except the one being collected.

    pytest reads the module's marks and setup functions before any item is made, and its
    ``pytest_generate_tests`` just before calling the hooks of that name; the harness's hook then
    calls :func:`expose`, so the item made right after finds its function by name.
    """

    current: Callable[..., None] | None = None

    def __getattr__(self, name: str) -> Any:
        current = self.current
        if current is not None and name == current.__name__:
            return current
        raise AttributeError(name)


def expose(metafunc: pytest.Metafunc) -> None:
    """From ``pytest_generate_tests``: let the items of this scenario find their function."""
    if isinstance(metafunc.module, ScenarioNamespace):
        metafunc.module.current = metafunc.function


class ScenarioModule(pytest.Module):
    """A YAML scenario file, collected like a Python test module."""

    _module: ScenarioNamespace | None = None
    _functions: list[Callable[..., None]]

    def _getobj(self) -> ScenarioNamespace:
        # pytest calls _getobj() more than once per module: build it once.
        if self._module is None:
            display = display_path(self.path, self.config.rootpath)
            scenarios = load_scenarios(
                self.path,
                display=display,
                image_root=self.config.rootpath,
                images_anywhere=bool(self.config.getini("harness_allow_images_outside_rootdir")),
            )
            self._module, self._functions = build_module(self.path, scenarios, self._register_tag)
        return self._module

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        try:
            self._getobj()
        except LocatedError as exc:
            return [InvalidScenarioFile.from_parent(self, name="invalid-scenario-file", error=exc)]
        # Not pytest.Module.collect(): that walks the module's attributes and looks up xunit
        # setup functions there; scenario functions go straight to pytest's item factory.
        module = self.obj  # reads the module's own marks now, while it holds no scenario
        items: list[pytest.Item | pytest.Collector] = []
        for function in self._functions:
            try:
                made = self.ihook.pytest_pycollect_makeitem(
                    collector=self, name=function.__name__, obj=function
                )
            finally:
                module.current = None
            items.extend(made if isinstance(made, list) else [made] if made else [])
        return items

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
) -> tuple[ScenarioNamespace, list[Callable[..., None]]]:
    """An (empty) module standing for the file, and one test function per scenario, named by
    the scenario id (kept off the module: see the module docstring)."""
    name = "harness_scenarios." + re.sub(r"\W", "_", str(path))
    module = ScenarioNamespace(name)
    module.__file__ = str(path)
    functions = []
    for scenario in scenarios:
        for tag in scenario.tags:
            register_tag(tag)
        functions.append(_test_function(scenario, path=path, module_name=name))
    return module, functions


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

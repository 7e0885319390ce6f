"""The matrix side of collection: the columns, each scenario's cases, the items a filter drops.

(:mod:`harness.plugin.collect` turns a scenario *file* into a pytest module; this object gives
its test functions their parameters and narrows the collected items.)
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import pytest

from harness.engine.matrix import Column, cases_for, columns, select_columns
from harness.engine.narrowing import check_scenario
from harness.errors import LocatedError, ScenarioError
from harness.plugin.collect import SCENARIO_ATTR, expose
from harness.plugin.narrowing import usage_errors
from harness.plugin.reporting import case_of
from harness.plugin.verdict import marks
from harness.replay.secrets import SecretScanner
from harness.replay.used import UsageTracker
from harness.spec.providers import load_providers_file
from harness.spec.scenario import Scenario
from harness.spec.settings import Settings
from harness.util.paths import display_path


class Collection:
    """The matrix of the run and the cases pytest parametrizes and selects from it."""

    def __init__(
        self,
        config: pytest.Config,
        *,
        settings: Settings,
        dirs: list[Path],
        secrets: SecretScanner,
        usage: UsageTracker,
    ) -> None:
        self.config = config
        self.settings = settings  # what collection uses: options, environment, ini
        self.dirs = dirs
        self.secrets = secrets
        self.usage = usage
        self.problems: list[str] = []  # scenario mistakes found while parametrizing
        self.narrowed_out: set[str] = set()  # node ids the matrix filter deselected
        if settings.models:  # a typo in the filter is a usage error, never a green run
            usage_errors(lambda: self.full_matrix, patterns=settings.models)

    @cached_property
    def full_matrix(self) -> list[Column]:
        """Every column of the providers file: the items pytest collects. Loading it fills
        the run's secret policy."""
        path = self.settings.providers_path
        loaded = load_providers_file(path, display=display_path(path, self.config.rootpath))
        self.secrets.allow(loaded.allowed_secrets)
        for provider in loaded.providers:  # every provider's: reports hold every column
            self.secrets.watch(provider.api_key_env)
            self.secrets.watch_url(provider.base_url_as_given(os.environ))
        return columns(loaded.providers)

    @cached_property
    def matrix(self) -> list[Column]:
        """The columns of this run (``--harness-models`` deselects the other columns' items)."""
        return select_columns(self.full_matrix, self.settings.models)

    def precheck(self) -> None:
        """xdist controller: scenario mistakes end the run as a usage error, not a crash."""
        if self.config.pluginmanager.has_plugin("dsession"):
            usage_errors(lambda: self.full_matrix, config=self.config, dirs=self.dirs)

    def parametrize(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize a scenario's test function with its cases (columns x stream variants)."""
        scenario: Scenario | None = getattr(metafunc.function, SCENARIO_ATTR, None)
        if scenario is None:
            return
        expose(metafunc)
        try:
            check_scenario(scenario, self.full_matrix)
            cases = cases_for(scenario, self.full_matrix)
        except LocatedError as exc:
            if not isinstance(exc, ScenarioError):
                raise pytest.Collector.CollectError(str(exc)) from None
            self.problems.append(str(exc))  # a usage error once collection is done
            cases = []
        params = [pytest.param(case, id=case.id, marks=marks(case)) for case in cases]
        metafunc.parametrize("harness_case", params)

    def deselect_narrowed(self, items: list[pytest.Item]) -> None:
        """Deselect (as ``-k`` does) the items of columns the matrix filter leaves out."""
        if self.problems:
            raise pytest.UsageError(self.problems[0])
        if not self.settings.models:
            return
        wanted = {column.id for column in self.matrix}
        drop = [i for i in items if (c := case_of(i)) is not None and c.column.id not in wanted]
        dropped = {id(item) for item in drop}
        if drop:
            items[:] = [item for item in items if id(item) not in dropped]
            self.narrowed_out.update(item.nodeid for item in drop)
            self.config.hook.pytest_deselected(items=drop)

    def deselected(self, items: list[pytest.Item]) -> None:
        """Items deselected by -k/-m/--lf/--deselect make the run partial."""
        if any(item.nodeid not in self.narrowed_out for item in items):
            self.usage.reasons.add("some items were deselected (-k/-m/--lf)")

"""What the plugin holds before a scenario is seen; the session itself comes on first need.

A pytest plugin loads in every pytest run of its environment. Creating a
:class:`~harness.plugin.session.HarnessSession` imports the ``openai`` SDK, pydantic models and
syrupy (about a second), so :class:`PluginState` keeps only what a run that collects no
scenario needs: the settings collection uses (checked at configure time, so a bad option is
still a usage error; the session is given these, it keeps no copy of its own), the folders to
skip and the test for scenario files. The session is imported and created when a scenario file
is collected or a harness fixture is used, and at configure time when ``--harness-models`` or
``--harness-report`` is given or on an xdist controller.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.plugin.settings import checked_settings, scenario_dirs

if TYPE_CHECKING:
    from harness.plugin.session import HarnessSession

SCENARIO_SUFFIXES = (".yaml", ".yml")


class PluginState:
    """Per-run state of the plugin: cheap until :attr:`session` is first asked for."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = checked_settings(config)
        self.scenario_dirs = scenario_dirs(config)
        # Folders pytest must not walk: a recordings folder holds one JSON file per request
        # (100k files cost ~8 s of `pytest -k ...` start-up) and never a test.
        recordings = self.settings.recordings_dir
        self.ignored_dirs = {recordings, recordings.resolve()}
        self.started: HarnessSession | None = None
        is_worker = hasattr(config, "workerinput")
        controller = getattr(config.option, "dist", "no") != "no" and not is_worker
        # An xdist controller collects nothing itself but reports its workers' items; a matrix
        # filter (a typo is a usage error) and report files are asked of harness by name.
        if controller or self.settings.models or config.getoption("harness_report", None):
            self.session  # noqa: B018 - created for its checks and its hooks

    @property
    def session(self) -> HarnessSession:
        """The session, created (and its hook objects registered) on first use."""
        if self.started is None:
            from harness.plugin.session import HarnessSession

            session = self.started = HarnessSession(
                self.config, settings=self.settings, dirs=self.scenario_dirs
            )
            # These objects receive the hooks that carry no config (pytest_runtest_logreport...).
            for name, plugin in session.plugins().items():
                self.config.pluginmanager.register(plugin, name)
        return self.started

    def ignore_collect(self, path: Path) -> bool | None:
        """True for the recordings folder; None: no opinion. (pytest does not ask about paths
        named on the command line.)"""
        return True if path in self.ignored_dirs else None

    def is_scenario_file(self, path: Path, parent: pytest.Collector) -> bool:
        """YAML files in scenario folders or named on the command line (snapshots excluded)."""
        if path.suffix not in SCENARIO_SUFFIXES or "__snapshots__" in path.parts:
            return False
        resolved = path.resolve()
        inside = any(resolved.is_relative_to(d) for d in self.scenario_dirs)
        return inside or bool(parent.session.isinitpath(path))

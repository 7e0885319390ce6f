"""The composition root behind the plugin's hooks: one object per role, sharing one policy.

:class:`~harness.plugin.collection.Collection` gives scenarios their cases,
:mod:`harness.plugin.verdict` turns a transcript into the item's outcome,
:class:`~harness.plugin.used.UsedRecordings` keeps the run's usage of recordings and
:class:`~harness.plugin.reporting.HarnessReporter` its records and reports. The session adopts
the runners the tests really use, so their settings (a ``harness_settings`` override
included) are the ones the CI guard, the progress lines, usage and cleanup see.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.engine.matrix import Case
from harness.engine.runner import Runner
from harness.engine.transcript import Transcript
from harness.errors import LocatedError
from harness.plugin.collect import ScenarioModule
from harness.plugin.collection import Collection
from harness.plugin.reporting import HarnessReporter
from harness.plugin.settings import ci_refusal, collection_change
from harness.plugin.used import UsedRecordings
from harness.plugin.verdict import judge
from harness.replay.secrets import SecretScanner
from harness.spec.settings import Settings


class HarnessSession:
    """Per-run state behind the plugin's hooks."""

    def __init__(self, config: pytest.Config, *, settings: Settings, dirs: list[Path]) -> None:
        self.config = config
        self.settings = settings  # as collection resolved them (see harness.spec.settings)
        # The one secret policy of the run: filled from the providers file when it is loaded.
        self.secrets = SecretScanner()
        self.used = UsedRecordings(config, settings=settings, dirs=dirs)
        self.collection = Collection(
            config, settings=settings, dirs=dirs, secrets=self.secrets, usage=self.used.tracker
        )
        self.reporter = HarnessReporter(config, scanner=self.secrets)

    def plugins(self) -> dict[str, object]:
        """The objects that receive pytest's hooks themselves, by plugin name."""
        return {"harness-reporter": self.reporter, "harness-ledger": self.used.ledger}

    def collect_file(self, path: Path, parent: pytest.Collector) -> pytest.Collector:
        """A :class:`ScenarioModule` for a scenario file (see ``PluginState.is_scenario_file``)."""
        return ScenarioModule.from_parent(parent, path=path)  # type: ignore[no-any-return]

    def attach(self, runner: Runner) -> None:
        """Run with ``runner``'s settings: the CI guard applies to them, its store's usage
        counts, its record mode decides progress lines and cleanup. Fails the item (one line)
        when they change what collection used or CI refuses them."""
        if runner in self.used.runners:
            return
        settings = runner.settings
        problem = collection_change(self.settings, settings) or ci_refusal(settings, self.config)
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        self.used.attach(runner)
        self.reporter.progress |= settings.record_mode.reaches_network

    def runner_for(
        self, runner: Runner, request: pytest.FixtureRequest
    ) -> Callable[[Case], Transcript]:
        """The callable a scenario test uses to run its case."""
        self.attach(runner)

        def run(case: Case) -> Transcript:
            transcript = runner.run(case, test_id=request.node.nodeid)
            judge(transcript, request, scanner=runner.scanner)
            return transcript

        return run

    def finish(self, session: pytest.Session) -> None:
        """Usage of recordings, then (controller / single process) the report files. Runs
        before syrupy's own ``pytest_sessionfinish``."""
        problem = self.used.finish(session, secrets=self.secrets)
        if hasattr(self.config, "workeroutput"):
            return  # the controller writes the reports, from every worker's records
        if problem is not None:
            self.reporter.refused.append(problem)
        if self.used.tracker.collected:
            self.reporter.incomplete = self.used.ledger.incomplete()
        # Loading the matrix fills the secret policy (on an xdist controller too); with no
        # usable providers file nothing was collected, and only key shapes are redacted.
        with contextlib.suppress(LocatedError):
            self.collection.matrix  # noqa: B018
        if not self.reporter.write_reports() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def summary(self, terminalreporter: Any) -> None:
        """What the run did not cover or did not change, then the matrix."""
        for line in self.used.ledger.notes():
            terminalreporter.write_line(f"harness: {line}", yellow=True)
        self.reporter.summary(terminalreporter)

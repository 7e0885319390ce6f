"""The pytest-facing session: settings, the matrix, collection and running of cases."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from harness.engine.matrix import Case, Column, cases_for, columns, select_columns
from harness.engine.narrowing import check_scenario
from harness.engine.runner import Runner
from harness.engine.transcript import Transcript
from harness.errors import LocatedError, ScenarioError
from harness.outputs.snapshot import render_transcript, snapshot_steps
from harness.plugin.collect import SCENARIO_ATTR, ScenarioModule, expose
from harness.plugin.ledger import RunLedger
from harness.plugin.narrowing import usage_errors
from harness.plugin.reporting import TRANSCRIPT, HarnessReporter, case_of
from harness.plugin.settings import checked_settings, scenario_dirs
from harness.plugin.snapshot_ext import TranscriptSnapshotExtension
from harness.replay.secrets import SecretScanner
from harness.replay.store import RecordingStore, remove_stale_temp_files
from harness.replay.used import USAGE_FILE, UsageTracker
from harness.spec.providers import load_providers_file
from harness.spec.scenario import Scenario
from harness.spec.settings import Settings
from harness.util.paths import display_path

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class DepartureFailure(pytest.fail.Exception):  # type: ignore[misc, name-defined]
    """A failed ``expect`` entry: the only failure a column's known departure (strict xfail,
    ``raises=DepartureFailure``) absorbs. Misses, provider errors the step did not expect,
    broken streams and harness errors fail the item even on such a column."""


class HarnessSession:
    """Per-run state behind the plugin's hooks."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rootdir = config.rootpath
        self.settings: Settings = checked_settings(config)
        self.scenario_dirs = scenario_dirs(config)
        self.usage = UsageTracker(recordings_dir=self.settings.recordings_dir)
        self.ledger = RunLedger(config, usage=self.usage, dirs=self.scenario_dirs)
        self.problems: list[str] = []  # scenario mistakes found while parametrizing
        self.narrowed_out: set[str] = set()  # node ids the matrix filter deselected
        # The one secret policy of the run: filled from the providers file when it is loaded.
        self.secrets = SecretScanner()
        self.reporter = HarnessReporter(
            config,
            scanner=self.secrets,
            progress=self.settings.record_mode.reaches_network,
        )
        self.runners: list[Runner] = []
        if self.settings.models:  # a typo in the filter is a usage error, never a green run
            usage_errors(lambda: self.full_matrix, patterns=self.settings.models)

    def precheck(self) -> None:
        """xdist controller: scenario mistakes end the run as a usage error, not a crash."""
        if self.config.pluginmanager.has_plugin("dsession"):
            usage_errors(lambda: self.full_matrix, config=self.config, dirs=self.scenario_dirs)

    @cached_property
    def full_matrix(self) -> list[Column]:
        """Every column of the providers file: the items pytest collects."""
        path = self.settings.providers_path
        loaded = load_providers_file(path, display=display_path(path, self.rootdir))
        self.secrets.allow(loaded.allowed_secrets)
        for provider in loaded.providers:  # every provider's: reports hold every column
            self.secrets.watch(provider.api_key_env)
            self.secrets.watch_url(provider.base_url_as_given(os.environ))
        return columns(loaded.providers)

    @cached_property
    def matrix(self) -> list[Column]:
        """The columns of this run (``--harness-models`` deselects the other columns' items)."""
        return select_columns(self.full_matrix, self.settings.models)

    def collect_file(self, path: Path, parent: pytest.Collector) -> pytest.Collector:
        """A :class:`ScenarioModule` for a scenario file (see ``PluginState.is_scenario_file``)."""
        return ScenarioModule.from_parent(parent, path=path)  # type: ignore[no-any-return]

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
        params = [pytest.param(case, id=case.id, marks=_marks(case)) for case in cases]
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
        keep = [item for item in items if id(item) not in dropped]
        if drop:
            items[:] = keep
            self.narrowed_out.update(item.nodeid for item in drop)
            self.config.hook.pytest_deselected(items=drop)

    def deselected(self, items: list[pytest.Item]) -> None:
        """Items deselected by -k/-m/--lf/--deselect make the run partial."""
        if any(item.nodeid not in self.narrowed_out for item in items):
            self.usage.reasons.add("some items were deselected (-k/-m/--lf)")

    def runner_for(
        self, runner: Runner, request: pytest.FixtureRequest
    ) -> Callable[[Case], Transcript]:
        """The callable a scenario test uses to run its case."""

        if runner not in self.runners:
            self.runners.append(runner)

        def run(case: Case) -> Transcript:
            transcript = runner.run(case, test_id=request.node.nodeid)
            request.node.stash[TRANSCRIPT] = transcript
            if transcript.failure is not None:
                if transcript.departure:
                    raise DepartureFailure(transcript.failure, pytrace=False)
                pytest.fail(transcript.failure, pytrace=False)
            self.assert_snapshot(transcript, request, scanner=runner.scanner)
            return transcript

        return run

    def assert_snapshot(
        self, transcript: Transcript, request: pytest.FixtureRequest, *, scanner: SecretScanner
    ) -> None:
        """Compare the transcript with its syrupy snapshot, when the scenario asks for one."""
        steps = snapshot_steps(transcript)
        if not steps:
            return
        # Redacted, not refused: a snapshot need not replay, and a live run keeps its record.
        text = scanner.redact(render_transcript(transcript, steps=steps))
        snapshot = request.getfixturevalue("snapshot").use_extension(TranscriptSnapshotExtension)
        if snapshot != text:
            diff = "\n".join(snapshot.get_assert_diff())
            if not request.config.get_terminal_writer().hasmarkup:
                diff = _ANSI.sub("", diff)
            pytest.fail(
                f"transcript snapshot differs (--snapshot-update accepts it):\n{diff}",
                pytrace=False,
            )

    # --- usage of recordings, for `harness recordings prune` -------------------------------

    def finish(self, session: pytest.Session) -> None:
        """Ship usage to the xdist controller, or (controller / single process) write it and
        keep syrupy from deleting snapshots after a partial run. Runs before syrupy's own
        ``pytest_sessionfinish``."""
        for runner in self.runners:
            self.usage.used.update(runner.store.used)
        if self.settings.models:
            self.usage.reasons.add("--harness-models narrowed the matrix")
        if any("::" in str(arg) for arg in self.config.args):
            self.usage.reasons.add("node ids were named on the command line")
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput["harness_usage"] = self.usage.to_wire()
            return
        if self.usage.collected:
            usage = self.ledger.verdict(session)
            # Recording paths hold no secret (a provider id, route words, a digest): reasons may.
            reasons = tuple(self.secrets.redact(r) for r in usage.partial_reasons)
            try:
                replace(usage, partial_reasons=reasons).write(self.rootdir / USAGE_FILE)
            except OSError as exc:  # e.g. .harness became a file during the run
                self.reporter.refused.append(f"usage of recordings not written: {exc}")
            self.ledger.guard_snapshots(usage)
            self.reporter.incomplete = self.ledger.incomplete()
        if not self._write_reports() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.settings.record_mode.records:  # leftovers of writers killed in earlier runs
            remove_stale_temp_files(RecordingStore(root=self.settings.recordings_dir))

    def summary(self, terminalreporter: Any) -> None:
        """What the run did not cover or did not change, then the matrix."""
        for line in self.ledger.notes():
            terminalreporter.write_line(f"harness: {line}", yellow=True)
        self.reporter.summary(terminalreporter)

    def merge_worker(self, node: Any, error: object) -> None:
        """xdist controller: add a finished worker's usage; note a worker that died."""
        output = getattr(node, "workeroutput", None) or {}
        if "harness_usage" in output:
            self.usage.merge_wire(output["harness_usage"])
        if error is not None or "harness_usage" not in output:
            self.ledger.worker_lost(str(getattr(node.gateway, "id", node)), error or "no report")

    def _write_reports(self) -> bool:
        # Loading the matrix fills the secret policy (on an xdist controller too); with no
        # usable providers file nothing was collected, and only key shapes are redacted.
        with contextlib.suppress(LocatedError):
            self.matrix  # noqa: B018
        return self.reporter.write_reports()


def _marks(case: Case) -> list[pytest.MarkDecorator]:
    marks = []
    if case.skip_reason:
        marks.append(pytest.mark.skip(reason=case.skip_reason))
    if case.xfail_reason:
        marks.append(
            pytest.mark.xfail(strict=True, reason=case.xfail_reason, raises=DepartureFailure)
        )
    return marks

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

from .collect import SCENARIO_ATTR, ScenarioModule
from .config import Settings, resolve_settings
from .errors import ConfigError, LocatedError
from .maintenance import remove_stale_temp_files
from .matrix import Case, Column, cases_for, columns, select_columns
from .paths import display_path, yaml_files
from .providers import load_providers_file
from .reporting import TRANSCRIPT, HarnessReporter
from .runner import Runner, Transcript
from .scenario import Scenario
from .secrets import SecretScanner
from .snapshot import TranscriptSnapshotExtension, render_transcript, snapshot_steps
from .store import RecordingStore
from .usage import USAGE_FILE, UsageTracker

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class HarnessSession:
    """Per-run state behind the plugin's hooks."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rootdir = config.rootpath
        try:
            self.settings: Settings = resolve_settings(
                option=lambda name: config.getoption(f"harness_{name}", None),
                ini=lambda name: str(config.getini(f"harness_{name}")),
                env=os.environ,
                rootdir=self.rootdir,
            )
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        self.scenario_dirs = [
            (self.rootdir / d).resolve() for d in config.getini("harness_scenario_dirs")
        ]
        self.usage = UsageTracker(recordings_dir=self.settings.recordings_dir)
        # The one secret policy of the run: filled from the providers file when it is loaded.
        self.secrets = SecretScanner()
        self.reporter = HarnessReporter(
            config,
            scanner=self.secrets,
            progress=self.settings.record_mode.reaches_network,
        )
        self.runners: list[Runner] = []
        # Folders pytest must not walk: a recordings folder holds one JSON file per request
        # (100k files cost ~8 s of `pytest -k ...` start-up) and never a test.
        recordings = self.settings.recordings_dir
        self.ignored_dirs = {recordings, recordings.resolve()}
        self._check_ci()

    def _check_ci(self) -> None:
        """Recording in CI is almost always a mistake: it needs an explicit opt-in."""
        in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
        allowed = self.config.getoption("harness_allow_record_in_ci", False)
        if in_ci and self.settings.record_mode.records and not allowed:
            raise pytest.UsageError(
                f"record mode {self.settings.record_mode.value!r} refused because CI is set; "
                "pass --harness-allow-record-in-ci if this CI job is meant to record"
            )

    @cached_property
    def matrix(self) -> list[Column]:
        """The columns of this run (providers file narrowed by ``--harness-models``)."""
        path = self.settings.providers_path
        loaded = load_providers_file(path, display=display_path(path, self.rootdir))
        self.secrets.allow(loaded.allowed_secrets)
        for provider in loaded.providers:  # every provider's: reports hold every column
            self.secrets.watch(provider.api_key_env)
            self.secrets.watch_url(provider.base_url_as_given(os.environ))
        return select_columns(columns(loaded.providers), self.settings.models)

    def ignore_collect(self, path: Path) -> bool | None:
        """True for the recordings folder; None: no opinion. (pytest does not ask about paths
        named on the command line.)"""
        return True if path in self.ignored_dirs else None

    def collect_file(self, path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        """A :class:`ScenarioModule` for YAML files in scenario folders or named on the CLI."""
        if path.suffix not in (".yaml", ".yml") or "__snapshots__" in path.parts:
            return None
        resolved = path.resolve()
        inside = any(resolved.is_relative_to(d) for d in self.scenario_dirs)
        if not inside and not parent.session.isinitpath(path):
            return None
        return ScenarioModule.from_parent(parent, path=path)  # type: ignore[no-any-return]

    def parametrize(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize a scenario's test function with its cases (columns x stream variants)."""
        scenario: Scenario | None = getattr(metafunc.function, SCENARIO_ATTR, None)
        if scenario is None:
            return
        try:
            cases = cases_for(scenario, self.matrix)
        except LocatedError as exc:
            raise pytest.Collector.CollectError(str(exc)) from None
        params = [pytest.param(case, id=case.id, marks=_marks(case)) for case in cases]
        if not params:
            reason = f"no matrix column matches scenario {scenario.id!r}"
            if scenario.models:
                reason += f" (models: {', '.join(scenario.models)})"
            params = [pytest.param(None, id="no-columns", marks=pytest.mark.skip(reason=reason))]
        metafunc.parametrize("harness_case", params)

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

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        """Count the scenario files whose items were collected (not merely visited: pytest 9
        visits every file beside a file named on the command line)."""
        if isinstance(item.parent, ScenarioModule):
            self.usage.collected.add(display_path(item.path, self.rootdir))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Remember scenario items that failed: their later steps' recordings went unused."""
        if report.failed and ".y" in report.nodeid.split("::")[0][-5:]:
            self.usage.failed.add(report.nodeid)

    def finish(self, session: pytest.Session) -> None:
        """Ship usage to the xdist controller, or (controller / single process) write it."""
        for runner in self.runners:
            self.usage.used.update(runner.store.used)
        if session.shouldstop or session.shouldfail:
            self.usage.reasons.add("the run stopped early (-x/--maxfail)")
        if self.settings.models:
            self.usage.reasons.add("--harness-models narrowed the matrix")
        if any("::" in str(arg) for arg in self.config.args):
            self.usage.reasons.add("node ids were named on the command line")
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput["harness_usage"] = self.usage.to_wire()
            workeroutput["harness_records"] = self.reporter.to_wire()
            return
        if not self._write_reports() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.settings.record_mode.records:  # leftovers of writers killed in earlier runs
            remove_stale_temp_files(RecordingStore(root=self.settings.recordings_dir))
        if self.usage.collected:
            files = {
                display_path(p, self.rootdir) for d in self.scenario_dirs for p in yaml_files(d)
            }
            usage = self.usage.finish(scenario_files=files)
            # Recording paths hold no secret (a provider id, route words, a digest): reasons may.
            reasons = tuple(self.secrets.redact(r) for r in usage.partial_reasons)
            replace(usage, partial_reasons=reasons).write(self.rootdir / USAGE_FILE)

    def merge_worker(self, output: dict[str, Any]) -> None:
        """xdist controller: add a finished worker's usage and records."""
        if "harness_usage" in output:
            self.usage.merge_wire(output["harness_usage"])
        if "harness_records" in output:
            self.reporter.merge_wire(output["harness_records"])

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
        marks.append(pytest.mark.xfail(strict=True, reason=case.xfail_reason))
    return marks

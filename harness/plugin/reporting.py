"""The pytest side of reports: records per item, merged across xdist, summary and files."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from harness.engine.matrix import Case
from harness.engine.transcript import Transcript
from harness.errors import HarnessError
from harness.outputs.records import build_record
from harness.outputs.report import write_report
from harness.outputs.terminal import terminal_summary
from harness.replay.secrets import SecretScanner

TRANSCRIPT = pytest.StashKey[Transcript]()  # what the item's run produced
SNAPSHOT_DIFF = pytest.StashKey[str]()  # how its transcript differs from its snapshot


class HarnessReporter:
    """Collects one record per scenario item and writes the run's summary and reports."""

    def __init__(self, config: pytest.Config, *, scanner: SecretScanner) -> None:
        self.config = config
        self.scanner = scanner
        # One line per item when this process's runs reach a provider (set from the settings
        # of the runners the session adopted: a harness_settings override included).
        self.progress = False
        self.records: list[dict[str, Any]] = []
        # xdist controller: the record each running item would have if its worker died (from
        # its setup report: no node id is parsed).
        self.running: dict[str, dict[str, Any]] = {}
        self.paths = [Path(p) for p in config.getoption("harness_report") or []]
        self.refused: list[str] = []  # reports not written, shown in the summary
        self.incomplete: str | None = None  # why the records lack items the run selected
        # Records travel on their test reports, so the xdist controller has the record of
        # every item any worker reported, even of a worker that died later.
        self.collects = not hasattr(config, "workerinput")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        case = case_of(item)
        if case is None:
            return report
        self._redact(report)
        if report.when == "setup" and report.passed and not self.collects:  # an xdist worker
            # What the controller records if this worker dies while running the item.
            report.harness_crash_record = build_record(  # type: ignore[attr-defined]
                nodeid=item.nodeid,
                case=case,
                outcome="crashed",
                duration=0.0,
                transcript=None,
                failure=None,
                skip_reason=None,
                snapshot_diff=None,
                steps=False,
            )
        if not _final(report):
            return report
        transcript = item.stash.get(TRANSCRIPT, None)
        outcome: str = "error" if report.failed and report.when != "call" else report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "passed"
        record = build_record(
            nodeid=item.nodeid,
            case=case,
            outcome=outcome,
            duration=report.duration,
            transcript=transcript,
            failure=report.longreprtext or None if report.failed else None,
            skip_reason=_skip_reason(report),
            snapshot_diff=_take(item, SNAPSHOT_DIFF) if report.failed else None,
            # Steps are for report files; the terminal grid needs none, and records live to
            # the end of the run.
            steps=bool(self.paths),
        )
        report.harness_record = record  # type: ignore[attr-defined]
        if transcript is not None:
            del item.stash[TRANSCRIPT]  # pytest keeps every item (and its stash) to the end
            progress = _progress(transcript)
            report.user_properties.append(("harness", progress))
            if self.progress:  # travels to the xdist controller with the report
                report.harness_progress = progress  # type: ignore[attr-defined]
        return report

    def _redact(self, report: pytest.TestReport) -> None:
        """Secrets in the failure text redacted in place, before the terminal, ``--junitxml``
        or an xdist controller sees the report (the rest of the text is kept)."""
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
            report.longrepr = (*longrepr[:2], self.scanner.redact(str(longrepr[2])))
        elif longrepr is not None:
            text = report.longreprtext
            redacted = self.scanner.redact(text)
            if redacted != text:
                report.longrepr = redacted  # plain text: the same for terminal and junit
        if isinstance(getattr(report, "wasxfail", None), str):
            report.wasxfail = self.scanner.redact(report.wasxfail)
        report.sections = [(name, self.scanner.redact(body)) for name, body in report.sections]

    @pytest.hookimpl(trylast=True)  # after the terminal reporter's progress letter
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep each item's record; in record and live modes, one line per item with latency
        and tokens."""
        if not self.collects:
            return
        crash = getattr(report, "harness_crash_record", None)
        if crash is not None:
            self.running[report.nodeid] = crash
        record = getattr(report, "harness_record", None)
        if record is None and report.when not in ("setup", "call", "teardown"):
            record = self._crashed(report)  # xdist's report for an item whose worker died
        if record is not None:
            self.running.pop(report.nodeid, None)
            self.records.append(record)
        info = getattr(report, "harness_progress", None)
        if info and report.when == "call":
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"{report.nodeid}: {info}")

    def _crashed(self, report: pytest.TestReport) -> dict[str, Any] | None:
        """The record of a harness item whose xdist worker died while running it (from what
        its setup report said; None for other items)."""
        record = self.running.pop(report.nodeid, None)
        return None if record is None else {**record, "failure": str(report.longrepr)}

    def summary(self, terminalreporter: Any) -> None:
        """The matrix grid at the end of the run (and any report that was refused)."""
        for line in self.refused:
            terminalreporter.write_line(f"harness: {line}", red=True)
        if not self.records:
            return
        width = terminalreporter._tw.fullwidth
        terminalreporter.section("harness matrix")
        for line in terminal_summary(self.records, width=width):
            terminalreporter.write_line(line)
        if self.incomplete:
            terminalreporter.write_line(f"incomplete: {self.incomplete}", red=True)

    def write_reports(self) -> bool:
        """Write every ``--harness-report`` file, secrets redacted in place (never refused: one
        field must not cost the run its report); False if one could not be written."""
        records = self.scanner.redact_document(self.records) if self.paths else []
        for path in self.paths:
            try:
                write_report(path, records, incomplete=self.incomplete)
            except HarnessError as exc:
                self.refused.append(f"report not written: {exc}")
            except OSError as exc:  # the folder went away or turned read-only during the run
                self.refused.append(f"report not written: {path}: {exc.strerror or exc}")
        return not self.refused


def case_of(item: pytest.Item) -> Case | None:
    """The harness case an item runs (None for other tests)."""
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get("harness_case") if callspec is not None else None
    return case if isinstance(case, Case) else None


def _final(report: pytest.TestReport) -> bool:
    """The report that decides the item's outcome (a setup skip/error, or the call)."""
    return report.when == "call" or (report.when == "setup" and not report.passed)


def _take(item: pytest.Item, key: pytest.StashKey[str]) -> str | None:
    """The stash's value for ``key``, removed: pytest keeps every item (and its stash) to the
    end of the run."""
    value = item.stash.get(key, None)
    if value is not None:
        del item.stash[key]
    return value


def _skip_reason(report: pytest.TestReport) -> str | None:
    if not report.skipped:
        return None
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _progress(transcript: Transcript) -> str:
    parts = [transcript.mode]
    if transcript.latency is not None:
        parts.append(f"provider {transcript.latency * 1000:.0f} ms")
    if transcript.usage:
        parts.append(
            f"{transcript.usage['prompt_tokens']} in / {transcript.usage['completion_tokens']} out"
        )
    return ", ".join(parts)

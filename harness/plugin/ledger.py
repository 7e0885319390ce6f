"""What a run was asked to run and what it really ran: the one judge of a *complete* run.

Only a complete run may remove anything: ``harness recordings prune`` deletes recordings the
last complete run did not use, and syrupy deletes unused snapshots under ``--snapshot-update``
only after a complete run (otherwise the run behaves as with ``--snapshot-no-cleanup``).
A run is partial when it was narrowed (``-k``, ``--harness-models``, node ids, some files),
stopped or interrupted, ran nothing (``--collect-only``, ``--setup-only``, ``--fixtures``),
lost an xdist worker, or a scenario item did not pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.plugin.collect import ScenarioModule
from harness.replay.used import Usage, UsageTracker
from harness.util.paths import display_path, skipped_by_pytest, yaml_files


def is_scenario_nodeid(nodeid: str) -> bool:
    """Whether ``nodeid`` names an item of a scenario file."""
    # The xdist controller knows its items by node id only: pytest's "<path>::<name>".
    path, separator, _name = nodeid.partition("::")
    return bool(separator) and path.endswith((".yaml", ".yml"))


def is_final(report: pytest.TestReport) -> bool:
    """The report that decides an item's outcome: the call, a setup that did not pass, or a
    report xdist makes up for an item whose worker crashed (``when='???'``)."""
    if report.when == "setup":
        return not report.passed
    return report.when != "teardown"


class RunLedger:
    """Plugin object: records collection and outcomes; decides whether the run is complete."""

    def __init__(self, config: pytest.Config, *, usage: UsageTracker, dirs: list[Path]) -> None:
        self.config = config
        self.usage = usage
        self.dirs = dirs
        self.expected: set[str] = set()  # scenario items selected to run
        self.reported: set[str] = set()  # scenario items with a final outcome
        self.lost: list[str] = []  # xdist workers that died
        self.hidden: list[str] = []  # scenario files pytest will not collect
        self.snapshots_kept: str | None = None  # why syrupy's cleanup was switched off

    # --- hooks ---------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectstart(self, collector: pytest.Collector) -> None:
        """A scenario file counts as collected even when it holds no scenario."""
        if isinstance(collector, ScenarioModule):
            self.usage.collected.add(display_path(collector.path, self.config.rootpath))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.expected.update(i.nodeid for i in session.items if is_scenario_nodeid(i.nodeid))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """xdist controller: the items the workers will run (it collects none itself)."""
        self.expected.update(i for i in ids if is_scenario_nodeid(i))

    @pytest.hookimpl(trylast=True)  # after syrupy's own bookkeeping of the outcome
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not is_scenario_nodeid(report.nodeid) or not is_final(report):
            return
        self.reported.add(report.nodeid)
        if report.failed:
            self.usage.failed.add(report.nodeid)  # its later steps' recordings went unused
            # A failed item never compared its snapshot: to syrupy's unused-snapshot count it
            # is like a skipped one (its snapshot is not unused, only not checked this time).
            syrupy = getattr(self.config, "_syrupy", None)
            if syrupy is not None and report.when in ("setup", "call"):
                syrupy.ran_item(report.nodeid, "skipped")

    def worker_lost(self, name: str, error: object) -> None:
        """xdist controller: a worker died; what it used is unknown."""
        self.lost.append(name)
        self.usage.reasons.add(f"xdist worker {name} was lost ({error})")

    # --- the verdict ---------------------------------------------------------------------

    def uncollectable(self) -> list[str]:
        """Scenario files under the scenario folders inside folders pytest does not enter
        (``norecursedirs``, e.g. ``build``): pytest never runs them."""
        patterns = [str(p) for p in self.config.getini("norecursedirs")]
        root = self.config.rootpath
        return [
            display_path(path, root)
            for folder in self.dirs
            for path in yaml_files(folder)
            if skipped_by_pytest(path, folder, patterns)
        ]

    def verdict(self, session: pytest.Session) -> Usage:
        """The run's usage, with every reason it is partial."""
        reasons = self.usage.reasons
        interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED
        if interrupted:
            reasons.add("the run was interrupted")
        if session.shouldstop or session.shouldfail:
            reasons.add("the run stopped early (-x/--maxfail)")
        unreported = self.expected - self.reported
        if unreported:
            reasons.add(
                f"{len(unreported)} of {len(self.expected)} selected scenario item(s) did not "
                f"run (e.g. {min(unreported)})"
            )
        if not self.reported and not interrupted:  # Ctrl-C in the first item is no --co
            reasons.add("no scenario item ran (--collect-only/--setup-only/--fixtures?)")
        hidden = self.hidden = self.uncollectable()
        if hidden:
            reasons.add(
                f"{len(hidden)} scenario file(s) in folders pytest does not collect "
                f"(norecursedirs), e.g. {hidden[0]}"
            )
        root = self.config.rootpath
        files = {display_path(p, root) for d in self.dirs for p in yaml_files(d)}
        return self.usage.finish(scenario_files=files - set(hidden))

    def incomplete(self) -> str | None:
        """Why the run's report lacks items it was asked to run (None when it has them all)."""
        parts = [f"xdist worker {name} crashed" for name in self.lost]
        missing = self.expected - self.reported
        if missing:
            parts.append(f"{len(missing)} of {len(self.expected)} selected items have no result")
        return "; ".join(parts) or None

    def guard_snapshots(self, usage: Usage) -> None:
        """Keep syrupy from deleting snapshots after a partial run."""
        option = self.config.option
        if usage.complete or not getattr(option, "update_snapshots", False):
            return
        if getattr(option, "no_cleanup", True):
            return
        option.no_cleanup = True  # syrupy's --snapshot-no-cleanup
        self.snapshots_kept = "; ".join(usage.partial_reasons)

    def notes(self) -> list[str]:
        """End-of-run lines: files the run could not see, snapshots it did not delete."""
        lines = [
            f"{path}: not collected: pytest does not enter its folder (norecursedirs); move it "
            "or change norecursedirs"
            for path in self.hidden
        ]
        if self.snapshots_kept:
            lines.append(
                "unused snapshots were kept (not deleted) because the run was partial: "
                + self.snapshots_kept
            )
        return lines

"""The recordings a run used (for ``harness recordings prune``), across xdist workers.

Each process adds what its runners' stores read or wrote and removes the temp files killed
writers left in the folders it records into; the xdist controller (or the only process) merges
the workers' usage, has the ledger judge whether the run was complete and writes the record.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.engine.runner import Runner
from harness.plugin.ledger import RunLedger
from harness.replay.secrets import SecretScanner
from harness.replay.store import remove_stale_temp_files
from harness.replay.used import USAGE_FILE, UsageTracker
from harness.spec.settings import Settings

_WIRE = "harness_usage"  # the key of a worker's usage in xdist's workeroutput


class UsedRecordings:
    """This process's usage of recordings, and the run's verdict on it."""

    def __init__(self, config: pytest.Config, *, settings: Settings, dirs: list[Path]) -> None:
        self.config = config
        self.settings = settings  # collection's: what it narrowed makes the run partial
        self.tracker = UsageTracker(recordings_dir=settings.recordings_dir)
        self.ledger = RunLedger(config, usage=self.tracker, dirs=dirs)  # a plugin object
        self.runners: list[Runner] = []

    def attach(self, runner: Runner) -> None:
        """Count what ``runner``'s store reads and writes."""
        if runner not in self.runners:
            self.runners.append(runner)

    def finish(self, session: pytest.Session, *, secrets: SecretScanner) -> str | None:
        """Ship usage to the xdist controller, or (controller / single process) write it and
        keep syrupy from deleting snapshots after a partial run; why the record could not be
        written, if it could not."""
        for runner in self.runners:
            self.tracker.used.update(runner.store.used)
            if runner.settings.record_mode.records:  # leftovers of writers killed earlier
                remove_stale_temp_files(runner.store)  # (only of processes that are gone)
        if self.settings.models:
            self.tracker.reasons.add("--harness-models narrowed the matrix")
        if any("::" in str(arg) for arg in self.config.args):  # pytest's node id syntax
            self.tracker.reasons.add("node ids were named on the command line")
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[_WIRE] = self.tracker.to_wire()
            return None
        if not self.tracker.collected:
            return None
        usage = self.ledger.verdict(session)
        # Recording paths hold no secret (a provider id, route words, a digest): reasons may.
        reasons = tuple(secrets.redact(r) for r in usage.partial_reasons)
        problem = None
        try:
            replace(usage, partial_reasons=reasons).write(self.config.rootpath / USAGE_FILE)
        except OSError as exc:  # e.g. .harness became a file during the run
            problem = f"usage of recordings not written: {exc}"
        self.ledger.guard_snapshots(usage)
        return problem

    def merge_worker(self, node: Any, error: object) -> None:
        """xdist controller: add a finished worker's usage; note a worker that died."""
        output = getattr(node, "workeroutput", None) or {}
        if _WIRE in output:
            self.tracker.merge_wire(output[_WIRE])
        if error is not None or _WIRE not in output:
            self.ledger.worker_lost(str(getattr(node.gateway, "id", node)), error or "no report")

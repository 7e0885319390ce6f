"""Which recordings a run used, so ``harness recordings prune`` knows what is safe to delete.

Each pytest process (each xdist worker) collects the recordings it read or wrote; the controller
merges them and writes ``.harness/usage.json`` with whether the run was complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.util.fs import write_atomic

USAGE_FILE = Path(".harness") / "usage.json"


@dataclass(frozen=True)
class Usage:
    """The recordings one run used, and why it cannot be trusted for pruning (if it can't)."""

    recordings_dir: str
    used: frozenset[str] = field(default_factory=frozenset)
    partial_reasons: tuple[str, ...] = ()
    # Python test files whose `llm` items the run collected: a recording made by a Python
    # test in another file was not given its chance to be used (see maintenance.prune).
    test_files: frozenset[str] = field(default_factory=frozenset)

    @property
    def complete(self) -> bool:
        """True when every scenario ran to its end, so unused recordings are really unused."""
        return not self.partial_reasons

    def to_json(self) -> str:
        """The usage file's text."""
        document: dict[str, Any] = {
            "recordings_dir": self.recordings_dir,
            "complete": self.complete,
            "partial_reasons": list(self.partial_reasons),
            "used": sorted(self.used),
            "test_files": sorted(self.test_files),
        }
        return json.dumps(document, indent=2) + "\n"

    def write(self, path: Path) -> None:
        """Write atomically."""
        write_atomic(path, self.to_json())

    @classmethod
    def read(cls, path: Path) -> Usage:
        """Read a usage file; a missing or broken one is a :class:`HarnessError`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                recordings_dir=str(data["recordings_dir"]),
                used=frozenset(str(p) for p in data["used"]),
                partial_reasons=tuple(str(r) for r in data["partial_reasons"]),
                test_files=frozenset(str(p) for p in data.get("test_files", [])),
            )
        except FileNotFoundError:
            raise HarnessError(
                f"{path}: no usage record; run the whole suite (e.g. `pytest`) first"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise HarnessError(f"{path}: unreadable usage record ({exc})") from None


class UsageTracker:
    """Accumulates one process's usage; xdist workers ship theirs to the controller as JSON."""

    def __init__(self, *, recordings_dir: Path) -> None:
        self.recordings_dir = recordings_dir
        self.used: set[str] = set()
        self.reasons: set[str] = set()
        self.failed: set[str] = set()
        self.collected: set[str] = set()
        self.test_files: set[str] = set()

    def to_wire(self) -> str:
        """This process's usage, for ``config.workeroutput``."""
        return json.dumps(
            {
                "used": sorted(self.used),
                "reasons": sorted(self.reasons),
                "failed": sorted(self.failed),
                "collected": sorted(self.collected),
                "test_files": sorted(self.test_files),
            }
        )

    def merge_wire(self, text: str) -> None:
        """Add a worker's usage."""
        data = json.loads(text)
        self.used.update(data["used"])
        self.reasons.update(data["reasons"])
        self.failed.update(data["failed"])
        self.collected.update(data["collected"])
        self.test_files.update(data.get("test_files", []))

    def finish(self, *, scenario_files: set[str]) -> Usage:
        """The run's usage; ``scenario_files`` are all files a full run would collect."""
        reasons = set(self.reasons)
        missed = scenario_files - self.collected
        if missed:
            reasons.add(f"{len(missed)} scenario file(s) not collected, e.g. {min(missed)}")
        if self.failed:
            reasons.add(f"{len(self.failed)} scenario item(s) failed before their last step")
        return Usage(
            recordings_dir=str(self.recordings_dir),
            used=frozenset(self.used),
            partial_reasons=tuple(sorted(reasons)),
            test_files=frozenset(self.test_files),
        )
